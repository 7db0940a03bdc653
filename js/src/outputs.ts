// The output viewer: what an output port's box on a card shows. This is the one place
// where a value becomes pixels, by kind: the small preview that comes with node state at
// once, then (for media, documents, tables and long text) the full value fetched by
// result id. A new kind of value plugs in with `registerViewer(kind, viewer)` (the kinds
// of daggr's value registry are in viewers.ts). `showOutput()` may be called again on the
// same box at any time (a new result, a partial value): it shows the latest.
import { h } from "./dom";
import type { FetchTarget, Fetched, MediaClient } from "./fetcher";
import { formatBytes } from "./format";
import { mediaElement } from "./renderers";
import type { ComponentSpec, OutPort, Preview } from "./types";

export interface ViewerContext {
  media: MediaClient;
  slot: string; // owner of the blob: URLs this box holds ("node/port")
  target: FetchTarget; // the value: result id + port
  preview: Preview | undefined;
  component?: ComponentSpec;
  label: string; // the port's label, for file names and accessible names
  still(): boolean; // false once the box shows another value (drop late answers)
}

/** Fills `box` with the full value; the preview stays until it does. */
export type Viewer = (box: HTMLElement, ctx: ViewerContext) => void;

const viewers = new Map<string, Viewer>();

export function registerViewer(kind: string, viewer: Viewer): void {
  viewers.set(kind, viewer);
}

// Kinds whose preview is the whole story: nothing to fetch.
const COMPLETE = new Set(["none", "number", "binary", "object", "url"]);
const DOCUMENTS: Record<string, string> = { markdown: "markdown", html: "html", code: "code" };
const SHAPED: Record<string, string> = { label: "label", dataframe: "table", highlightedtext: "highlight", dialogue: "dialogue" };

/** Which viewer shows a value: the preview says what the value is (the registry's kind),
 * the port's component refines it (text on a Markdown port is Markdown). */
export function viewerFor(out: OutPort | undefined, p: Preview | undefined): string {
  if (!p || p.type === "none") return "none";
  const kind = out?.component?.kind;
  switch (p.type) {
    case "text":
      return (kind && DOCUMENTS[kind]) ?? "text";
    case "json":
      if (out?.component?.component === "Chatbot") return "chat";
      return (kind && SHAPED[kind]) ?? "json";
    case "file": {
      if (kind === "model3d") return "model3d";
      const mime = p.mime ?? "";
      for (const media of ["image", "audio", "video"]) if (mime.startsWith(`${media}/`)) return media;
      return kind && ["image", "audio", "video"].includes(kind) ? kind : "file";
    }
    default:
      return p.type;
  }
}

const NOUN: Record<string, string> = { image: "Image", audio: "Audio", video: "Video", model3d: "3D model", file: "File" };

/** The instant preview (from node state) of a value, shown by viewer `kind`. */
export function renderPreview(p: Preview | undefined, kind = "text"): HTMLElement {
  if (!p || p.type === "none") return h("span", { class: "daggr-empty" }, "—");
  switch (p.type) {
    case "text":
    case "json":
    case "highlight":
      return h("pre", { class: `daggr-value daggr-value-${p.type === "highlight" ? "text" : p.type}` }, (p.text ?? "") + (p.truncated ? "…" : ""));
    case "number":
      return h("span", { class: "daggr-value daggr-value-number" }, p.text ?? "");
    case "file": {
      const size = p.size !== undefined ? ` (${formatBytes(p.size)})` : p.missing ? " (missing)" : "";
      return h("span", { class: "daggr-value daggr-value-file", title: p.name ?? "" }, `${NOUN[kind] ?? "File"}: ${p.name ?? "?"}${size}`);
    }
    case "url":
      return p.url ? linked(p) : h("span", { class: "daggr-value daggr-fallback" }, `link: ${p.name ?? "?"}`);
    case "binary":
      return h("span", { class: "daggr-value daggr-fallback" }, `binary data, ${formatBytes(p.size ?? 0)}`);
    case "object":
      return h("div", { class: "daggr-value daggr-fallback daggr-unshown" }, h("b", {}, p.name ?? "object"), p.hint ? h("div", { class: "daggr-hint" }, p.hint) : "");
    default:
      return h("span", { class: "daggr-value daggr-value-summary" }, p.text && p.type !== "gallery" ? p.text : p.name ?? p.type);
  }
}

/** A link value: shown from where it is (an <img> of a picture URL, a player, a link). */
function linked(p: Preview): HTMLElement {
  const mime = p.mime ?? "";
  const kind = ["image", "audio", "video"].find((k) => mime.startsWith(`${k}/`)) ?? "file";
  const el = mediaElement(kind, p.url!, p.name);
  if (el instanceof HTMLAnchorElement) {
    el.removeAttribute("download");
    el.target = "_blank";
    el.rel = "noopener noreferrer";
  }
  return el;
}

/** Shows result `rid`'s value of output `out` in `box`. Keeps the box as it is when it
 * already shows that value, so players and scroll positions survive state updates;
 * without a result id (a partial value) it always shows the preview given. */
export function showOutput(box: HTMLElement, out: OutPort | undefined, p: Preview | undefined, rid: string | null, media: MediaClient, slot: string): void {
  const kind = viewerFor(out, p);
  const key = `${rid}/${out?.name}/${kind}`;
  if (box.dataset.shown === key && rid) return;
  box.dataset.shown = key;
  box.dataset.kind = kind;
  const full = Boolean(rid && out && p && !COMPLETE.has(kind) && (kind !== "text" || p.truncated));
  box.classList.toggle("daggr-rich", full && kind !== "text");
  media.releaseAll(slot);
  box.replaceChildren(renderPreview(p, kind));
  const label = String(out?.component?.props?.label ?? out?.name ?? "value");
  if (!full || !rid || !out) {
    if (kind === "text" && p?.text) addActions(box, { copy: () => p.text ?? "" });
    return;
  }
  const ctx: ViewerContext = { media, slot, target: { result: rid, port: out.name }, preview: p, component: out.component, label, still: () => box.dataset.shown === key };
  (viewers.get(kind) ?? viewers.get("file")!)(box, ctx);
}

export interface Actions {
  copy?: () => string; // the text Copy puts on the clipboard
  download?: { url: string; name: string };
  expand?: () => void; // opens the full-screen viewer
}

/** Copy / Download / Full screen buttons in the box's corner (they stay in view while
 * the box scrolls). */
export function addActions(box: HTMLElement, actions: Actions): void {
  box.querySelector(":scope > .daggr-out-actions")?.remove();
  const bar = h("div", { class: "daggr-out-actions" });
  if (actions.expand) {
    const b = h("button", { class: "daggr-out-btn", type: "button", "data-action": "expand", title: "Full screen", "aria-label": "Full screen" });
    b.addEventListener("click", (e) => {
      e.stopPropagation();
      actions.expand!();
    });
    bar.append(b);
  }
  if (actions.copy) {
    const b = h("button", { class: "daggr-out-btn", type: "button", "data-action": "copy", title: "Copy", "aria-label": "Copy" });
    b.addEventListener("click", (e) => {
      e.stopPropagation();
      const text = actions.copy!();
      navigator.clipboard?.writeText(text).then(
        () => flash(b, "done"),
        () => flash(b, "failed"),
      );
    });
    bar.append(b);
  }
  if (actions.download) {
    bar.append(h("a", { class: "daggr-out-btn", "data-action": "download", href: actions.download.url, download: actions.download.name, title: `Download ${actions.download.name}`, "aria-label": `Download ${actions.download.name}` }));
  }
  if (bar.childElementCount) box.prepend(bar);
}

// The buttons draw their glyphs in CSS, so a box's text stays the value's text.
function flash(button: HTMLElement, state: string): void {
  button.dataset.state = state;
  setTimeout(() => delete button.dataset.state, 1200);
}

/** A file name for a downloaded value: its own name, else the port's label and a type. */
export function fileName(f: Fetched, label: string): string {
  // values made in memory come as "image.png", "audio.wav", ...: name them after the port
  if (f.name && !/^(image|audio|plot|annotated|data)\.\w+$/.test(f.name)) return f.name;
  const ext = f.name.includes(".") ? f.name.slice(f.name.lastIndexOf(".")) : "";
  return `${label.replace(/[^\w.-]+/g, "_").slice(0, 60) || "value"}${ext}`;
}
