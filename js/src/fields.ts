// Editable input components on the cards, named after gradio's. Each reports every edit
// through `onChange`; the caller debounces per input key before telling the kernel.
import { h } from "./dom";
import { fieldHeight } from "./layout";
import type { ComponentSpec, Field } from "./types";

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

export const EDITABLE = ["textbox", "textarea", "number", "slider", "checkbox", "dropdown", "radio", "checkboxgroup", "colorpicker"];

export function createField(field: Field, value: unknown, onChange: (value: unknown) => void): FieldView {
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
    default: {
      // Media and tables are not editable on the canvas yet: say so, and say how to set them.
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
