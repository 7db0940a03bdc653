// The viewers of daggr's value kinds (daggr/values/): each turns a fetched value into
// elements, with Copy for text and Download for media, and the full-screen viewer for
// pictures, galleries and video. One kind, one `registerViewer` call.
import { h } from "./dom";
import { decodeJson, type FetchTarget, type Fetched } from "./fetcher";
import { formatBytes } from "./format";
import { openLightbox, type LightboxItem } from "./lightbox";
import { renderMarkdown } from "./markdown";
import { meshView, readModel } from "./model3d";
import { addActions, fileName, registerViewer, type ViewerContext } from "./outputs";
import { cellText, type ChatPart, jsonTree, mediaElement, renderChat, renderDialogue, renderHighlighted, renderHtml, renderLabel, renderTable, tableRows } from "./renderers";

type Json = unknown;

function failed(box: HTMLElement, ctx: ViewerContext) {
  return (e: Error) => ctx.still() && box.replaceChildren(h("div", { class: "daggr-fallback" }, e.message));
}

/** Fetches the value, then `draw`s it (unless the box moved on to another value). */
function fetched(draw: (box: HTMLElement, f: Fetched, ctx: ViewerContext) => void) {
  return (box: HTMLElement, ctx: ViewerContext) => {
    ctx.media
      .fetch(ctx.target)
      .then((f) => ctx.still() && draw(box, f, ctx))
      .catch(failed(box, ctx));
  };
}

/** A JSON value drawn by `render`, with Copy giving its JSON text. */
function json(render: (value: Json, box: HTMLElement, ctx: ViewerContext) => HTMLElement, copy?: (value: Json) => string) {
  return fetched((box, f, ctx) => {
    const value = decodeJson(f);
    box.replaceChildren(render(value, box, ctx));
    addActions(box, { copy: () => (copy ? copy(value) : new TextDecoder().decode(f.bytes)) });
  });
}

function text(f: Fetched): string {
  const raw = new TextDecoder().decode(f.bytes);
  if (!f.mime.includes("json")) return raw;
  const value = decodeJson(f);
  return typeof value === "string" ? value : JSON.stringify(value, null, 1);
}

// -- pictures, sound, video, files --------------------------------------------------------------
function picture(box: HTMLElement, f: Fetched, ctx: ViewerContext): void {
  const url = ctx.media.urlFor(ctx.slot, ctx.target, f);
  const name = fileName(f, ctx.label);
  const img = mediaElement("image", url, ctx.preview?.name ?? name);
  const expand = () => openLightbox([{ kind: "image", name: ctx.preview?.name ?? name, load: () => Promise.resolve(url) }]);
  img.addEventListener("click", expand);
  const labels = ctx.preview?.labels ?? [];
  const legend = labels.length ? h("div", { class: "daggr-legend" }, ...labels.map((l, i) => h("span", { class: `daggr-legend-${i % 5}` }, l))) : "";
  box.replaceChildren(img, legend);
  addActions(box, { expand, download: { url, name } });
}

function player(kind: "audio" | "video") {
  return fetched((box, f, ctx) => {
    const url = ctx.media.urlFor(ctx.slot, ctx.target, f);
    const name = fileName(f, ctx.label);
    box.replaceChildren(mediaElement(kind, url, name));
    const expand = kind === "video" ? () => openLightbox([{ kind: "video", name, load: () => Promise.resolve(url) }]) : undefined;
    addActions(box, { expand, download: { url, name } });
  });
}

function file(noun: string, how = "") {
  return fetched((box, f, ctx) => {
    const url = ctx.media.urlFor(ctx.slot, ctx.target, f);
    const name = fileName(f, ctx.label);
    const link = mediaElement("file", url, name);
    box.replaceChildren(h("div", { class: "daggr-file" }, h("div", {}, `${noun}: `, link, ` (${formatBytes(f.bytes.byteLength)}${f.mime.includes("octet") ? "" : `, ${f.mime}`})`), how ? h("div", { class: "daggr-hint" }, how) : ""));
    addActions(box, { download: { url, name } });
  });
}

registerViewer("image", fetched(picture));
registerViewer("audio", player("audio"));
registerViewer("video", player("video"));
registerViewer("file", file("File"));
const modelFile = file("3D model", "Download it to open it in a 3D viewer (Blender, or any glTF / OBJ viewer).");

/** A 3D model: a wireframe that turns when dragged (OBJ, STL, glTF), else a download. */
registerViewer("model3d", (box, ctx) => {
  ctx.media
    .fetch(ctx.target)
    .then((f) => {
      if (!ctx.still()) return;
      const mesh = readModel(f.bytes, f.name || ctx.preview?.name || "");
      if (!mesh) return modelFile(box, ctx); // fetched once: the media client keeps it
      const url = ctx.media.urlFor(ctx.slot, ctx.target, f);
      const name = fileName(f, ctx.label);
      box.replaceChildren(meshView(mesh, name), h("div", { class: "daggr-hint" }, `3D model: ${name} (${formatBytes(f.bytes.byteLength)}); drag to turn it`));
      addActions(box, { download: { url, name } });
    })
    .catch(failed(box, ctx));
});

/** A chart: a picture (matplotlib, altair) or a self-contained interactive page (plotly),
 * run in a sandboxed frame with scripts but no access to the notebook or the app. */
registerViewer(
  "plot",
  fetched((box, f, ctx) => {
    if (f.mime.startsWith("image/")) return picture(box, f, ctx);
    const frame = h("iframe", { class: "daggr-html daggr-plot", sandbox: "allow-scripts", referrerpolicy: "no-referrer", title: ctx.label });
    frame.setAttribute("srcdoc", new TextDecoder().decode(f.bytes));
    box.replaceChildren(frame);
  }),
);

// -- galleries and chats: a list, then each picture or file fetched as an item ---------------------
interface Item {
  kind: string;
  name?: string;
  mime?: string;
  url?: string;
  caption?: string | null;
}

function itemElement(ctx: ViewerContext, index: number, item: Item, onUrl?: (url: string) => void): HTMLElement {
  const kind = ["image", "audio", "video"].includes(item.kind) ? item.kind : "file";
  if (item.url) {
    onUrl?.(item.url);
    return mediaElement(kind, item.url, item.name);
  }
  const holder = h("div", { class: "daggr-item-media" }, h("span", { class: "daggr-empty" }, item.name ?? "…"));
  const t: FetchTarget = { ...ctx.target, item: index };
  ctx.media.fetch(t).then(
    (f) => {
      if (!ctx.still()) return;
      const url = ctx.media.urlFor(`${ctx.slot}#${index}`, t, f);
      onUrl?.(url);
      holder.replaceChildren(mediaElement(kind, url, item.name ?? f.name));
    },
    (e: Error) => ctx.still() && holder.replaceChildren(h("span", { class: "daggr-fallback" }, e.message)),
  );
  return holder;
}

registerViewer(
  "gallery",
  fetched((box, f, ctx) => {
    const value = decodeJson(f) as { items?: Item[]; count?: number };
    const items = Array.isArray(value?.items) ? value.items : [];
    const urls = new Map<number, string>();
    const waiting = new Map<number, (url: string) => void>();
    const got = (i: number) => (url: string) => {
      urls.set(i, url);
      waiting.get(i)?.(url);
    };
    const shown: LightboxItem[] = items.map((item, i) => ({
      kind: item.kind === "video" ? "video" : "image",
      caption: item.caption,
      name: item.name,
      load: () => (urls.has(i) ? Promise.resolve(urls.get(i)!) : new Promise<string>((resolve) => waiting.set(i, resolve))),
    }));
    const grid = h("div", { class: "daggr-gallery" });
    items.forEach((item, i) => {
      const cell = h("figure", { class: "daggr-gallery-item", "data-index": i, tabindex: 0, title: item.caption ?? item.name ?? "" }, itemElement(ctx, i, item, got(i)));
      if (item.caption) cell.append(h("figcaption", {}, item.caption));
      cell.addEventListener("click", () => openLightbox(shown, i));
      cell.addEventListener("keydown", (e) => e.key === "Enter" && openLightbox(shown, i));
      grid.append(cell);
    });
    const more = (value?.count ?? items.length) - items.length;
    box.replaceChildren(grid, more > 0 ? h("div", { class: "daggr-empty" }, `… ${more} more`) : "");
    if (items.length) addActions(box, { expand: () => openLightbox(shown, 0) });
  }),
);

registerViewer(
  "chat",
  json(
    (value, _box, ctx) => renderChat(value, (part: ChatPart) => itemElement(ctx, part.file ?? -1, { kind: part.kind ?? "file", name: part.name, url: part.url })),
    (value) => {
      const messages = (value as { messages?: { role: string; parts: ChatPart[] }[] }).messages ?? [];
      return messages.map((m) => `${m.role}: ${m.parts.map((p) => p.text ?? `[${p.name ?? "file"}]`).join(" ")}`).join("\n\n");
    },
  ),
);

// -- text, documents, structured values ------------------------------------------------------
registerViewer(
  "text",
  fetched((box, f, ctx) => {
    const value = text(f);
    box.replaceChildren(h("pre", { class: `daggr-value daggr-value-${ctx.preview?.type === "json" ? "json" : "text"} daggr-value-full` }, value));
    addActions(box, { copy: () => value });
  }),
);
registerViewer("json", json((value) => jsonTree(value)));
registerViewer("markdown", fetched((box, f) => { const value = text(f); box.replaceChildren(renderMarkdown(value)); addActions(box, { copy: () => value }); }));
registerViewer("html", fetched((box, f) => { const value = text(f); box.replaceChildren(renderHtml(value)); addActions(box, { copy: () => value }); }));
registerViewer("code", fetched((box, f) => { const value = text(f); box.replaceChildren(h("pre", { class: "daggr-value daggr-code" }, h("code", {}, value))); addActions(box, { copy: () => value }); }));
registerViewer("label", json((value) => renderLabel(value)));
registerViewer("highlight", json((value) => renderHighlighted(value), (value) => (Array.isArray(value) ? value.map((s) => (Array.isArray(s) ? String(s[0]) : "")).join("") : "")));
registerViewer("dialogue", json((value) => renderDialogue(value)));
registerViewer(
  "table",
  json(
    (value) => renderTable(value, (value as { rows?: number })?.rows),
    (value) => {
      const { headers, rows } = tableRows(value);
      return [headers, ...rows].filter((r) => r.length).map((r) => r.map(cellText).join("\t")).join("\n");
    },
  ),
);
