// Auto-layout shared with daggr/widget/layout.py (the static SVG fallback): both must give
// the same positions, which js/test/fixtures/layout.json pins for both test suites.
//
// Rules: a node's column is its longest path from a source (as in the original daggr);
// cards are stacked per column in topological order with a fixed gap; nodes with no edge
// at all form a grid beside the connected ones (a column of them would force a tiny
// zoom to fit); card heights are estimated from their rows, so no DOM measuring is needed.
import type { ComponentSpec, OutPort, Point, TopoNode, Topology } from "./types";

export const CARD_W = 280;
export const COL_GAP = 80;
export const ROW_GAP = 30;
export const X0 = 40;
export const Y0 = 40;
export const HEADER_H = 36;
export const PORT_PAD = 8;
export const PORT_ROW_H = 22;
export const FIELD_H = 52;
export const LINE_H = 18;
export const CHECK_H = 30;
export const PREVIEW_H = 56;
export const FOOTER_H = 26;
export const MEDIA_FIELD_H = 84; // a drop zone with a thumbnail
export const CODE_FIELD_H = FIELD_H + 3 * LINE_H;
export const TALL_PREVIEW_H = 170; // images, video, tables, rendered documents
export const AUDIO_PREVIEW_H = 72;
export const ITEMS_H = 110; // "Items (N)" list of a scattered node
export const VARIANT_ROW_H = 22;

export const MEDIA_KINDS = ["image", "audio", "video", "file", "gallery", "model3d"];
const TALL_OUTPUTS = [
  "image", "video", "gallery", "model3d", "html", "markdown", "dataframe", "json", "code",
  "label", "highlightedtext", "dialogue", "plot", "annotatedimage",
];

export function fieldHeight(c: ComponentSpec): number {
  if (c.kind === "checkbox") return CHECK_H;
  if (MEDIA_KINDS.includes(c.kind)) return MEDIA_FIELD_H;
  if (c.kind === "json" || c.kind === "code" || c.kind === "dataframe") return CODE_FIELD_H;
  const lines = Number(c.props?.lines ?? (c.kind === "textarea" ? 7 : 1)) || 1;
  if (c.kind === "textarea" || (c.kind === "textbox" && lines > 1)) {
    return FIELD_H + LINE_H * (Math.min(Math.max(lines, 1), 6) - 1);
  }
  return FIELD_H;
}

/** Fields shown on a card: a ChoiceNode shows those of its selected variant. */
export function visibleFields(node: TopoNode, variant = 0) {
  return node.fields.filter((f) => f.variant === undefined || f.variant === null || f.variant === variant);
}

export function portRows(node: TopoNode): number {
  return Math.max(node.inputs.length, node.outputs.length, 1);
}

/** Height of an output's box: media and documents get room to be seen. */
export function previewHeight(output: OutPort): number {
  if (output.item_list) return TALL_PREVIEW_H; // "Items (N)" with editable fields
  const kind = output.component?.kind;
  if (kind === "audio") return AUDIO_PREVIEW_H;
  const lines = Number(output.component?.props?.lines ?? 1) || 1;
  if ((kind === "textbox" || kind === "textarea") && lines > 1) return PREVIEW_H + LINE_H * (Math.min(lines, 8) - 1);
  return kind && TALL_OUTPUTS.includes(kind) ? TALL_PREVIEW_H : PREVIEW_H;
}

export function cardHeight(node: TopoNode, variant = 0, scattered = false): number {
  let h = HEADER_H + PORT_PAD + PORT_ROW_H * portRows(node);
  h += VARIANT_ROW_H * (node.variants?.length ?? 0);
  for (const f of visibleFields(node, variant)) h += fieldHeight(f.component);
  if (node.kind !== "INPUT") for (const o of node.outputs) h += previewHeight(o);
  if (scattered) h += ITEMS_H;
  return h + FOOTER_H;
}

/** A collapsed card: its header and port rows (wires keep their dots). */
export function collapsedHeight(node: TopoNode): number {
  return HEADER_H + PORT_PAD + PORT_ROW_H * portRows(node) + 2;
}

/** Ids of nodes that run once per item (a scattered edge leads into them). */
export function scatteredNodes(topology: Topology): Set<string> {
  return new Set(topology.edges.filter((e) => e.scatter).map((e) => e.target));
}

/** Column of every node: the longest path from a source (Kahn order, stable). */
export function depths(topology: Topology): Record<string, number> {
  const indeg: Record<string, number> = {};
  const out: Record<string, string[]> = {};
  for (const n of topology.nodes) {
    indeg[n.id] = 0;
    out[n.id] = [];
  }
  for (const e of topology.edges) {
    if (!(e.source in out) || !(e.target in indeg)) continue;
    out[e.source].push(e.target);
    indeg[e.target] += 1;
  }
  const depth: Record<string, number> = {};
  const queue = topology.nodes.filter((n) => indeg[n.id] === 0).map((n) => n.id);
  for (const id of queue) depth[id] = 0;
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i];
    for (const t of out[id]) {
      depth[t] = Math.max(depth[t] ?? 0, depth[id] + 1);
      indeg[t] -= 1;
      if (indeg[t] === 0) queue.push(t);
    }
  }
  // A cycle never comes from Python; still, give stray nodes a column rather than NaN.
  for (const n of topology.nodes) if (!(n.id in depth)) depth[n.id] = 0;
  return depth;
}

/** Ids of nodes with no edge at all: they get a grid of their own (see autoLayout). */
export function isolatedNodes(topology: Topology): Set<string> {
  const wired = new Set<string>();
  for (const e of topology.edges) {
    wired.add(e.source);
    wired.add(e.target);
  }
  return new Set(topology.nodes.filter((n) => !wired.has(n.id)).map((n) => n.id));
}

/** Columns of the grid of `count` unconnected cards: about twice as wide as tall, which
 * fills a landscape view (3 cards make one row rather than a column of 3). */
export function gridColumns(count: number): number {
  return Math.max(1, Math.min(count, Math.ceil(Math.sqrt(2 * count))));
}

/** Positions (top-left corners) for every node, by the rules above. Nodes with no edge
 * are placed in a grid to the right of the connected ones, row by row in graph order. */
export function autoLayout(topology: Topology): Record<string, Point> {
  const depth = depths(topology);
  const scattered = scatteredNodes(topology);
  const isolated = isolatedNodes(topology);
  const nextY: number[] = [];
  const pos: Record<string, Point> = {};
  let columns = 0;
  for (const n of topology.nodes) {
    if (isolated.has(n.id)) continue;
    const d = depth[n.id];
    const y = nextY[d] ?? Y0;
    pos[n.id] = [X0 + d * (CARD_W + COL_GAP), y];
    nextY[d] = y + cardHeight(n, 0, scattered.has(n.id)) + ROW_GAP;
    columns = Math.max(columns, d + 1);
  }
  const loose = topology.nodes.filter((n) => isolated.has(n.id));
  const cols = gridColumns(loose.length);
  let y = Y0;
  for (let row = 0; row * cols < loose.length; row++) {
    const cards = loose.slice(row * cols, row * cols + cols);
    cards.forEach((n, i) => (pos[n.id] = [X0 + (columns + i) * (CARD_W + COL_GAP), y]));
    y += Math.max(...cards.map((n) => cardHeight(n))) + ROW_GAP;
  }
  return pos;
}

/** Saved positions win; nodes without one (new since the save) get their auto position. */
export function resolvePositions(
  topology: Topology,
  saved: Record<string, Point> | undefined,
): Record<string, Point> {
  const auto = autoLayout(topology);
  const out: Record<string, Point> = {};
  for (const n of topology.nodes) out[n.id] = saved?.[n.id] ?? auto[n.id];
  return out;
}
