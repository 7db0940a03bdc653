// Editable input components on the cards, named after gradio's. Each reports every edit
// through `onChange`; the caller debounces per input key before telling the kernel.
import { captureFor, type CaptureKind } from "./capture";
import { h } from "./dom";
import type { FetchTarget, MediaClient } from "./fetcher";
import { fieldHeight, MEDIA_KINDS } from "./layout";
import { mediaElement } from "./renderers";
import type { ComponentSpec, Field } from "./types";

/** What file inputs need from the view: sending a file, and fetching the current one. */
export interface FieldContext {
  upload(key: string, file: File): void;
  media: MediaClient | null;
  /** Open the webcam / microphone for this input (absent: no capture offered). */
  capture?(key: string, label: string, kind: CaptureKind): void;
}

export interface FieldView {
  el: HTMLElement;
  /** Show a value set elsewhere (from code, or another view), unless the user is editing. */
  setValue(value: unknown): void;
}

type Choice = [string, unknown];

function choices(c: ComponentSpec): Choice[] {
  const raw = c.props.choices;
  if (!Array.isArray(raw)) return [];
  return raw.map((p) => (Array.isArray(p) && p.length === 2 ? [String(p[0]), p[1]] : [String(p), p]));
}

function numberOr(v: unknown, fallback: number | undefined): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
}

export const EDITABLE = ["textbox", "textarea", "number", "slider", "checkbox", "dropdown", "radio", "checkboxgroup", "colorpicker", "json", "code", "dataframe"];

/** Text of a JSON field, or the parse error to show (the kernel only gets valid JSON). */
export function parseJsonField(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  if (!text.trim()) return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** A table value as gradio sends it: {headers, data}. */
export function asGrid(value: unknown): { headers: string[]; data: unknown[][] } {
  const v = value as any;
  if (v && typeof v === "object" && Array.isArray(v.data)) {
    return { headers: Array.isArray(v.headers) ? v.headers.map(String) : [], data: v.data.map((r: unknown) => (Array.isArray(r) ? [...r] : [r])) };
  }
  if (Array.isArray(v)) return { headers: [], data: v.map((r) => (Array.isArray(r) ? [...r] : [r])) };
  return { headers: [], data: [] };
}

export function createField(
  field: Field,
  value: unknown,
  onChange: (value: unknown) => void,
  ctx: FieldContext | null = null,
): FieldView {
  const c = field.component;
  const label = String(c.props.label ?? field.port);
  const showLabel = c.props.show_label !== false;
  const wrap = h("div", {
    class: `daggr-field daggr-field-${c.kind}`,
    "data-key": field.key,
    style: `height:${fieldHeight(c)}px`,
  });
  const labelEl = h("label", { class: "daggr-field-label", title: String(c.props.info ?? "") }, label);
  if (showLabel || c.kind === "checkbox") wrap.append(labelEl);
  const focused = () => wrap.contains(document.activeElement);
  let view: FieldView;
  switch (c.kind) {
    case "textbox":
    case "textarea": {
      const lines = Number(c.props.lines ?? (c.kind === "textarea" ? 7 : 1)) || 1;
      const multi = c.kind === "textarea" || lines > 1;
      const input = multi
        ? h("textarea", { class: "daggr-input daggr-scroll", rows: Math.min(lines, 6) })
        : h("input", { class: "daggr-input", type: c.props.type === "password" ? "password" : "text" });
      if (typeof c.props.placeholder === "string") input.placeholder = c.props.placeholder;
      input.value = value == null ? "" : String(value);
      input.addEventListener("input", () => onChange(input.value));
      wrap.append(input);
      view = { el: wrap, setValue: (v) => !focused() && (input.value = v == null ? "" : String(v)) };
      break;
    }
    case "number":
    case "slider": {
      const min = numberOr(c.props.minimum, c.kind === "slider" ? 0 : undefined);
      const max = numberOr(c.props.maximum, c.kind === "slider" ? 100 : undefined);
      const step = numberOr(c.props.step, c.kind === "slider" ? undefined : 1);
      const num = h("input", { class: "daggr-input daggr-number", type: "number", min, max, step: step ?? "any" });
      num.value = value == null ? "" : String(value);
      const row = h("div", { class: c.kind === "slider" ? "daggr-row daggr-with-range" : "daggr-row" });
      let range: HTMLInputElement | null = null;
      if (c.kind === "slider") {
        range = h("input", { class: "daggr-range", type: "range", min, max, step: step ?? "any" });
        range.value = String(value ?? min ?? 0);
        const r = range;
        r.addEventListener("input", () => {
          num.value = r.value;
          onChange(Number(r.value));
        });
        row.append(range);
      }
      num.addEventListener("input", () => {
        if (num.value === "" || !Number.isFinite(Number(num.value))) return;
        if (range) range.value = num.value;
        onChange(Number(num.value));
      });
      row.append(num);
      wrap.append(row);
      view = {
        el: wrap,
        setValue: (v) => {
          if (focused()) return;
          num.value = v == null ? "" : String(v);
          if (range && v != null) range.value = String(v);
        },
      };
      break;
    }
    case "checkbox": {
      const box = h("input", { class: "daggr-check", type: "checkbox" });
      box.checked = Boolean(value);
      box.addEventListener("change", () => onChange(box.checked));
      labelEl.prepend(box);
      view = { el: wrap, setValue: (v) => !focused() && (box.checked = Boolean(v)) };
      break;
    }
    case "dropdown": {
      const opts = choices(c);
      const multi = Boolean(c.props.multiselect);
      const select = h("select", { class: "daggr-input", multiple: multi });
      opts.forEach(([text], i) => select.append(h("option", { value: i }, text)));
      const show = (v: unknown) => {
        const wanted = multi ? (Array.isArray(v) ? v : []) : [v];
        for (const [i, [, cv]] of opts.entries()) {
          (select.options[i] as HTMLOptionElement).selected = wanted.some((w) => w === cv);
        }
        if (!multi && !opts.some(([, cv]) => cv === v)) select.selectedIndex = -1;
      };
      show(value);
      select.addEventListener("change", () => {
        const picked = [...select.selectedOptions].map((o) => opts[Number(o.value)][1]);
        onChange(multi ? picked : picked[0] ?? null);
      });
      wrap.append(select);
      view = { el: wrap, setValue: (v) => !focused() && show(v) };
      break;
    }
    case "radio":
    case "checkboxgroup": {
      const opts = choices(c);
      const group = h("div", { class: "daggr-choices daggr-scroll", role: c.kind === "radio" ? "radiogroup" : "group" });
      const multi = c.kind === "checkboxgroup";
      const name = `daggr-${field.key}-${Math.random().toString(36).slice(2, 8)}`;
      const inputs = opts.map(([text, cv]) => {
        const input = h("input", { type: multi ? "checkbox" : "radio", name });
        input.addEventListener("change", () => {
          if (!multi) onChange(cv);
          else onChange(opts.filter((_, i) => inputs[i].checked).map(([, v]) => v));
        });
        group.append(h("label", { class: "daggr-choice" }, input, text));
        return input;
      });
      const show = (v: unknown) =>
        opts.forEach(([, cv], i) => {
          inputs[i].checked = multi ? Array.isArray(v) && v.includes(cv) : v === cv;
        });
      show(value);
      wrap.append(group);
      view = { el: wrap, setValue: (v) => !focused() && show(v) };
      break;
    }
    case "colorpicker": {
      const input = h("input", { class: "daggr-color", type: "color" });
      input.value = typeof value === "string" ? value : "#000000";
      input.addEventListener("input", () => onChange(input.value));
      wrap.append(input);
      view = { el: wrap, setValue: (v) => !focused() && typeof v === "string" && (input.value = v) };
      break;
    }
    case "json":
    case "code": {
      const area = h("textarea", { class: "daggr-input daggr-code-input daggr-scroll", spellcheck: "false", rows: 3 });
      const show = (v: unknown) => {
        area.value = c.kind === "code" ? (v == null ? "" : String(v)) : v == null ? "" : JSON.stringify(v, null, 1);
      };
      show(value);
      const err = h("div", { class: "daggr-field-error", hidden: true });
      area.addEventListener("input", () => {
        if (c.kind === "code") return onChange(area.value);
        const parsed = parseJsonField(area.value);
        err.hidden = parsed.ok;
        area.classList.toggle("daggr-invalid", !parsed.ok);
        if (parsed.ok) onChange(parsed.value);
        else err.textContent = `Invalid JSON: ${parsed.error}`;
      });
      wrap.append(area, err);
      view = { el: wrap, setValue: (v) => !focused() && show(v) };
      break;
    }
    case "dataframe": {
      const grid = h("div", { class: "daggr-grid daggr-scroll" });
      let current = asGrid(value);
      const draw = () => {
        const table = h("table", { class: "daggr-table daggr-grid-table" });
        if (current.headers.length) table.append(h("tr", {}, ...current.headers.map((x) => h("th", {}, x))));
        current.data.forEach((row, r) => {
          const tr = h("tr", {});
          row.forEach((cell, ci) => {
            const td = h("td", { contenteditable: "true" }, cell == null ? "" : String(cell));
            td.addEventListener("input", () => {
              const text = td.textContent ?? "";
              const num = Number(text);
              current.data[r][ci] = text !== "" && Number.isFinite(num) && typeof row[ci] === "number" ? num : text;
              onChange({ headers: current.headers, data: current.data });
            });
            tr.append(td);
          });
          table.append(tr);
        });
        grid.replaceChildren(table);
      };
      draw();
      wrap.append(grid);
      view = { el: wrap, setValue: (v) => { if (!focused()) { current = asGrid(v); draw(); } } };
      break;
    }
    default: {
      if (MEDIA_KINDS.includes(c.kind) && ctx) {
        view = mediaField(field, value, ctx, wrap);
        break;
      }
      // Anything else cannot be edited on the canvas: say so, and say how to set it.
      wrap.append(
        h(
          "div",
          { class: "daggr-fallback" },
          `${c.component} input: set it from code, e.g. graph.run(${field.key}=...)`,
        ),
      );
      view = { el: wrap, setValue: () => undefined };
    }
  }
  return view;
}

const ACCEPT: Record<string, string> = { image: "image/*", audio: "audio/*", video: "video/*", gallery: "image/*" };

/** A file input: pick or drop a file; it is uploaded to the kernel, which saves it and
 * makes the input's value that file's path. Shows the current file (fetched by key). */
function mediaField(field: Field, value: unknown, ctx: FieldContext, wrap: HTMLElement): FieldView {
  const c = field.component;
  const input = h("input", { type: "file", class: "daggr-file-input", accept: ACCEPT[c.kind] ?? (Array.isArray(c.props.file_types) ? (c.props.file_types as string[]).join(",") : undefined) });
  const shown = h("div", { class: "daggr-drop-preview" });
  const hint = h("span", { class: "daggr-drop-hint" }, "Drop a file or click to choose");
  const zone = h("label", { class: "daggr-drop", title: "Drop a file here, or click to choose one" }, input, shown, hint);
  const send = (file: File | undefined) => {
    if (!file) return;
    hint.textContent = `Uploading ${file.name}…`;
    ctx.upload(field.key, file);
  };
  input.addEventListener("change", () => send(input.files?.[0]));
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("daggr-drag-over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("daggr-drag-over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("daggr-drag-over");
    send(e.dataTransfer?.files?.[0]);
  });
  const slot = `field:${field.key}`;
  const show = (v: unknown) => {
    const path = Array.isArray(v) ? v[0] : v;
    if (typeof path !== "string" || !path) {
      ctx.media?.release(slot);
      shown.replaceChildren();
      hint.textContent = "Drop a file or click to choose";
      return;
    }
    const name = path.split(/[\\/]/).pop() ?? path;
    hint.textContent = name;
    const kind = c.kind === "gallery" ? "image" : c.kind;
    if (/^https?:\/\//.test(path)) {
      // A link (gr.Image(value="https://...")): shown from where it is.
      ctx.media?.release(slot);
      shown.replaceChildren(...(["image", "audio", "video"].includes(kind) ? [mediaElement(kind, path, name)] : []));
      return;
    }
    if (!ctx.media) return;
    const t: FetchTarget = { key: field.key, item: Array.isArray(v) ? 0 : undefined };
    ctx.media
      .fetch(t)
      .then((f) => {
        const el = kind === "image" || kind === "audio" || kind === "video" ? mediaElement(kind, ctx.media!.urlFor(slot, t, f), f.name) : null;
        shown.replaceChildren(...(el ? [el] : []));
      })
      .catch((e: Error) => (hint.textContent = e.message));
  };
  show(value);
  wrap.append(zone);
  const mode = ctx.capture ? captureFor(c.kind) : null;
  if (mode) {
    const label = String(c.props.label ?? field.port);
    const text = mode === "image" ? "Camera" : "● Record";
    const btn = h("button", { class: "daggr-btn daggr-capture-btn", type: "button", "data-capture": mode, "aria-label": mode === "image" ? `Take a photo for ${label}` : `Record ${mode} for ${label}`, title: mode === "image" ? "Take a photo with the webcam" : `Record ${mode === "audio" ? "from the microphone" : "with the webcam"}` }, text);
    btn.addEventListener("click", (e) => {
      e.preventDefault();
      ctx.capture!(field.key, label, mode);
    });
    const row = h("div", { class: "daggr-drop-row" });
    zone.replaceWith(row);
    row.append(zone, btn);
  }
  return { el: wrap, setValue: show };
}
