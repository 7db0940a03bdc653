// The output viewer: what an output port's box on a card shows. This is the one place
// where a value becomes pixels, by kind: the small preview that comes with node state at
// once, then (for media, documents, tables and long text) the full value fetched by
// result id. A new kind of value plugs in with `registerViewer(kind, viewer)`.
import { h } from "./dom";
import { decodeJson, type FetchTarget, type MediaClient } from "./fetcher";
import { formatBytes } from "./format";
import { mediaElement, renderValue, rendererFor } from "./renderers";
import type { OutPort, Preview } from "./types";

export interface ViewerContext {
  media: MediaClient;
  slot: string; // owner of the blob: URLs this box holds ("node/port")
  target: FetchTarget; // the value: result id + port
  preview: Preview | undefined;
  still(): boolean; // false once the box shows another value (drop late answers)
}

/** Fills `box` with the full value; the preview stays until it does. */
export type Viewer = (box: HTMLElement, ctx: ViewerContext) => void;

const viewers = new Map<string, Viewer>();

export function registerViewer(kind: string, viewer: Viewer): void {
  viewers.set(kind, viewer);
}

const MEDIA = new Set(["Image", "Audio", "Video", "File", "Gallery", "Model3D"]);

/** The instant preview (from node state) of a value. */
export function renderPreview(p: Preview | undefined, component?: string): HTMLElement {
  if (p?.type === "file" && component && !MEDIA.has(component)) component = undefined;
  if (!p || p.type === "none") return h("span", { class: "daggr-empty" }, "—");
  switch (p.type) {
    case "text":
    case "json":
      return h("pre", { class: `daggr-value daggr-value-${p.type}` }, (p.text ?? "") + (p.truncated ? "…" : ""));
    case "number":
      return h("span", { class: "daggr-value daggr-value-number" }, p.text ?? "");
    case "file": {
      const what = component && MEDIA.has(component) ? component : "File";
      return h("span", { class: "daggr-value daggr-value-file", title: p.name ?? "" }, `${what}: ${p.name ?? "?"}`);
    }
    case "binary":
      return h("span", { class: "daggr-value daggr-fallback" }, `binary data, ${formatBytes(p.size ?? 0)}`);
    default:
      return h("span", { class: "daggr-value daggr-fallback" }, `${p.name ?? "object"} (no preview)`);
  }
}

/** Shows result `rid`'s value of output `out` in `box` (keeps the box as it is when it
 * already shows that value, so players and scroll positions survive state updates). */
export function showOutput(box: HTMLElement, out: OutPort | undefined, p: Preview | undefined, rid: string | null, media: MediaClient, slot: string): void {
  const key = `${rid}/${out?.name}`;
  if (box.dataset.shown === key && rid) return;
  box.dataset.shown = key;
  const kind = rendererFor(out?.component?.kind, out?.component?.component, p?.mime);
  const full = Boolean(rid && p && p.type !== "none" && (kind !== "text" || p.truncated));
  box.classList.toggle("daggr-rich", full && kind !== "text");
  box.replaceChildren(renderPreview(p, out?.component?.component));
  if (!full || !rid || !out) {
    media.release(slot);
    return;
  }
  const ctx: ViewerContext = { media, slot, target: { result: rid, port: out.name }, preview: p, still: () => box.dataset.shown === key };
  (viewers.get(kind) ?? defaultViewer(kind))(box, ctx);
}

function failed(box: HTMLElement, ctx: ViewerContext) {
  return (e: Error) => ctx.still() && box.replaceChildren(h("span", { class: "daggr-fallback" }, e.message));
}

/** Media as elements from blob: URLs, anything else rendered from its JSON. */
function defaultViewer(kind: string): Viewer {
  return (box, ctx) => {
    ctx.media
      .fetch(ctx.target)
      .then((f) => {
        if (!ctx.still()) return;
        if (["image", "audio", "video", "file"].includes(kind) || !f.mime.includes("json")) {
          const k = f.mime.startsWith("image/") ? "image" : kind;
          box.replaceChildren(mediaElement(k, ctx.media.urlFor(ctx.slot, ctx.target, f), f.name));
        } else {
          ctx.media.release(ctx.slot);
          box.replaceChildren(renderValue(kind, decodeJson(f)));
        }
      })
      .catch(failed(box, ctx));
  };
}

/** Long text: the preview is cut, so the whole text is fetched; the box scrolls. */
registerViewer("text", (box, ctx) => {
  ctx.media
    .fetch(ctx.target)
    .then((f) => {
      if (!ctx.still()) return;
      const value = f.mime.includes("json") ? decodeJson(f) : new TextDecoder().decode(f.bytes);
      const text = typeof value === "string" ? value : JSON.stringify(value, null, 1);
      box.replaceChildren(h("pre", { class: `daggr-value daggr-value-${ctx.preview?.type ?? "text"} daggr-value-full` }, text));
    })
    .catch(failed(box, ctx));
});

/** A gallery: a grid of its images, each fetched as an item of the value. */
registerViewer("gallery", (box, ctx) => {
  ctx.media
    .fetch(ctx.target)
    .then((f) => {
      const list = decodeJson(f);
      if (!ctx.still() || !Array.isArray(list)) return;
      const grid = h("div", { class: "daggr-gallery" });
      box.replaceChildren(grid);
      list.slice(0, 24).forEach((_, i) => {
        const t = { ...ctx.target, item: i };
        ctx.media.fetch(t).then((img) => {
          if (ctx.still()) grid.append(mediaElement("image", ctx.media.urlFor(`${ctx.slot}#${i}`, t, img), img.name));
        }, () => undefined);
      });
    })
    .catch(failed(box, ctx));
});
