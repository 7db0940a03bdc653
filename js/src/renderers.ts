// Read-only renderers for output values, named after gradio's components. Values arrive
// as parsed JSON (fetched on demand); media arrive as blob: URLs. Everything is built as
// DOM from text: model output is never parsed as HTML in the notebook page.
import { h } from "./dom";
import { renderMarkdown } from "./markdown";

type Json = unknown;

const isObj = (v: Json): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

export function mediaElement(kind: string, url: string, name = ""): HTMLElement {
  if (kind === "image") return h("img", { class: "daggr-media daggr-img", src: url, alt: name, title: name });
  if (kind === "audio") return h("audio", { class: "daggr-media", src: url, controls: true, preload: "metadata" });
  if (kind === "video") return h("video", { class: "daggr-media", src: url, controls: true, preload: "metadata" });
  return h("a", { class: "daggr-file-link", href: url, download: name || "file" }, `⤓ ${name || "download"}`);
}

export function renderValue(kind: string, value: Json): HTMLElement {
  switch (kind) {
    case "markdown":
      return renderMarkdown(typeof value === "string" ? value : JSON.stringify(value));
    case "html":
      return renderHtml(typeof value === "string" ? value : String(value ?? ""));
    case "code":
      return h("pre", { class: "daggr-value daggr-code" }, h("code", {}, typeof value === "string" ? value : JSON.stringify(value, null, 2)));
    case "label":
      return renderLabel(value);
    case "dataframe":
      return renderTable(value);
    case "highlightedtext":
      return renderHighlighted(value);
    case "chatbot":
      return renderChat(value);
    case "dialogue":
      return renderDialogue(value);
    default:
      return jsonTree(value);
  }
}

/** Sandboxed with no permissions: scripts, forms and same-origin access are all off,
 * so `<script>` or `onerror=` in an output cannot run. */
export function renderHtml(html: string): HTMLElement {
  const frame = h("iframe", { class: "daggr-html", sandbox: "", referrerpolicy: "no-referrer", title: "HTML output" });
  frame.setAttribute("srcdoc", html);
  return frame;
}

export function jsonTree(value: Json, depth = 0, key?: string): HTMLElement {
  const label = key !== undefined ? h("span", { class: "daggr-json-key" }, `${key}: `) : null;
  if (Array.isArray(value) || isObj(value)) {
    const entries: [string, Json][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
    const open = Array.isArray(value) ? "[" : "{";
    const close = Array.isArray(value) ? "]" : "}";
    const details = h("details", { class: "daggr-json", open: depth < 2 });
    details.append(h("summary", {}, label ?? "", `${open}${entries.length ? "" : close}`, entries.length ? h("span", { class: "daggr-json-count" }, ` ${entries.length} ${entries.length === 1 ? "item" : "items"}`) : ""));
    const kids = h("div", { class: "daggr-json-children" });
    for (const [k, v] of entries.slice(0, 500)) kids.append(jsonTree(v, depth + 1, k));
    if (entries.length > 500) kids.append(h("div", { class: "daggr-empty" }, `… ${entries.length - 500} more`));
    if (entries.length) details.append(kids, h("div", {}, close));
    return details;
  }
  const cls = value === null ? "null" : typeof value === "bigint" ? "number" : typeof value;
  return h("div", { class: "daggr-json-leaf" }, label ?? "", h("span", { class: `daggr-json-${cls}` }, leafText(value)));
}

/** A JSON leaf as written: big integers in full, NaN and ±Infinity by name. */
export function leafText(value: Json): string {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value) ?? String(value);
}

export function renderLabel(value: Json): HTMLElement {
  let top: string | null = null;
  let confs: [string, number][] = [];
  if (isObj(value) && Array.isArray(value.confidences)) {
    top = value.label != null ? String(value.label) : null;
    confs = value.confidences.filter(isObj).map((c) => [String(c.label), Number(c.confidence) || 0]);
  } else if (isObj(value)) {
    confs = Object.entries(value).map(([k, v]) => [k, Number(v) || 0]);
  } else if (value != null) {
    top = String(value);
  }
  confs.sort((a, b) => b[1] - a[1]);
  if (top === null && confs.length) top = confs[0][0];
  const el = h("div", { class: "daggr-label" }, h("div", { class: "daggr-label-top" }, top ?? "—"));
  for (const [name, c] of confs.slice(0, 10)) {
    const pct = Math.max(0, Math.min(100, c * 100));
    el.append(
      h("div", { class: "daggr-conf" },
        h("span", { class: "daggr-conf-name", title: name }, name),
        h("span", { class: "daggr-conf-bar" }, h("i", { style: `width:${pct.toFixed(1)}%` })),
        h("span", { class: "daggr-conf-pct" }, `${Math.round(pct)}%`)),
    );
  }
  return el;
}

export function tableRows(value: Json): { headers: string[]; rows: Json[][] } {
  if (isObj(value) && Array.isArray(value.data)) {
    const headers = Array.isArray(value.headers) ? value.headers.map(String) : [];
    return { headers, rows: value.data.map((r) => (Array.isArray(r) ? r : [r])) };
  }
  if (Array.isArray(value) && value.length && value.every(isObj)) {
    const headers = [...new Set(value.flatMap((r) => Object.keys(r as object)))];
    return { headers, rows: value.map((r) => headers.map((k) => (r as Record<string, Json>)[k])) };
  }
  if (Array.isArray(value)) return { headers: [], rows: value.map((r) => (Array.isArray(r) ? r : [r])) };
  return { headers: [], rows: [[value]] };
}

export function cellText(c: Json): string {
  if (c == null) return "";
  if (typeof c === "object") return JSON.stringify(c, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  return typeof c === "number" || typeof c === "bigint" ? leafText(c) : String(c);
}

/** A table; `total`: rows the value has when only the first ones were sent. */
export function renderTable(value: Json, total?: number): HTMLElement {
  const { headers, rows } = tableRows(value);
  const table = h("table", { class: "daggr-table" });
  if (headers.length) table.append(h("thead", {}, h("tr", {}, ...headers.map((c) => h("th", {}, c)))));
  const body = h("tbody", {});
  for (const r of rows.slice(0, 1000)) body.append(h("tr", {}, ...r.map((c) => h("td", {}, cellText(c)))));
  table.append(body);
  const shown = Math.min(rows.length, 1000);
  if (total === undefined || total <= shown) return table;
  return h("div", {}, table, h("div", { class: "daggr-empty" }, `first ${shown} of ${total} rows; every row is in the value (graph.history(node)[-1].outputs[port])`));
}

const PALETTE = ["#fde68a", "#bbf7d0", "#bfdbfe", "#fbcfe8", "#ddd6fe", "#fed7aa"];

export function renderHighlighted(value: Json): HTMLElement {
  const el = h("div", { class: "daggr-highlighted" });
  const colours = new Map<string, string>();
  const spans: [string, Json][] = Array.isArray(value)
    ? value.map((p) => (Array.isArray(p) ? [String(p[0]), p[1]] : isObj(p) ? [String(p.token ?? p.text ?? ""), p.class_or_confidence ?? p.label ?? null] : [String(p), null]))
    : [[String(value ?? ""), null]];
  for (const [text, label] of spans) {
    if (label == null) {
      el.append(text);
      continue;
    }
    const name = String(label);
    if (!colours.has(name)) colours.set(name, PALETTE[colours.size % PALETTE.length]);
    el.append(h("mark", { style: `background:${colours.get(name)}`, title: name }, text, h("small", {}, ` ${name}`)));
  }
  return el;
}

export interface ChatPart {
  text?: string;
  file?: number; // the index of the file among the transcript's files (fetched as items)
  kind?: string;
  name?: string;
  mime?: string;
  url?: string;
}

/** A transcript: the kernel's `{messages: [{role, parts, title}]}`, or plain messages
 * `{role, content}` / `[user, assistant]` pairs. `file` draws a file part. */
export function renderChat(value: Json, file?: (part: ChatPart) => HTMLElement): HTMLElement {
  const el = h("div", { class: "daggr-chat" });
  const messages: { role: string; parts: ChatPart[]; title?: string }[] = [];
  if (isObj(value) && Array.isArray(value.messages)) {
    for (const m of value.messages) if (isObj(m)) messages.push({ role: String(m.role), parts: Array.isArray(m.parts) ? (m.parts as ChatPart[]) : [], title: m.title ? String(m.title) : undefined });
  } else if (Array.isArray(value)) {
    const part = (c: Json): ChatPart[] => [typeof c === "string" ? { text: c } : { text: JSON.stringify(c) }];
    for (const m of value) {
      if (isObj(m)) messages.push({ role: String(m.role ?? "assistant"), parts: part(m.content) });
      else if (Array.isArray(m)) {
        if (m[0] != null) messages.push({ role: "user", parts: part(m[0]) });
        if (m[1] != null) messages.push({ role: "assistant", parts: part(m[1]) });
      }
    }
  }
  for (const m of messages) {
    const bubble = h("div", { class: `daggr-msg daggr-msg-${m.role === "user" ? "user" : "bot"}`, "data-role": m.role });
    if (m.title) bubble.append(h("div", { class: "daggr-msg-title" }, m.title));
    for (const p of m.parts) {
      if (p.text !== undefined) bubble.append(renderMarkdown(p.text));
      else if (file) bubble.append(file(p));
      else bubble.append(h("span", { class: "daggr-value-file" }, `File: ${p.name ?? "?"}`));
    }
    el.append(bubble);
  }
  return el;
}

export function renderDialogue(value: Json): HTMLElement {
  const el = h("div", { class: "daggr-dialogue" });
  for (const line of Array.isArray(value) ? value : []) {
    if (!isObj(line)) continue;
    el.append(h("div", {}, h("b", {}, `${String(line.speaker ?? "")}: `), String(line.text ?? "")));
  }
  return el;
}
