// Pan and zoom arithmetic for the pane transform `translate(x, y) scale(zoom)`.
import { CARD_W } from "./layout";
import type { Point } from "./types";

export const MIN_ZOOM = 0.2;
export const MAX_ZOOM = 3;

export interface View {
  x: number;
  y: number;
  zoom: number;
}

export function clampZoom(z: number): number {
  return Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z));
}

/** Zoom by `factor`, keeping the world point under screen point (cx, cy) fixed. */
export function zoomAt(v: View, factor: number, cx: number, cy: number): View {
  const zoom = clampZoom(v.zoom * factor);
  const wx = (cx - v.x) / v.zoom;
  const wy = (cy - v.y) / v.zoom;
  return { x: cx - wx * zoom, y: cy - wy * zoom, zoom };
}

export function toWorld(v: View, sx: number, sy: number): Point {
  return [(sx - v.x) / v.zoom, (sy - v.y) / v.zoom];
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The box around every card; `widths` (resized cards) default to CARD_W. */
export function bounds(
  positions: Record<string, Point>,
  heights: Record<string, number>,
  widths: Record<string, number> = {},
): Box | null {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [id, [x, y]] of Object.entries(positions)) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x + (widths[id] ?? CARD_W));
    y1 = Math.max(y1, y + (heights[id] ?? 100));
  }
  return x0 === Infinity ? null : { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** Below this zoom card text is too small to read: "fit" stops here and the rest of a
 * large graph is a pan (or a click on the minimap) away. */
export const LEGIBLE_ZOOM = 0.7;

/** The view that shows `box` in a width×height viewport: centred when it fits at a
 * legible zoom (never zooming in past `maxZoom`); otherwise at `minZoom`, centred along
 * an axis that fits and starting at the graph's top-left along one that does not. */
export function fit(
  box: Box | null,
  width: number,
  height: number,
  padding = 40,
  maxZoom = 1.5,
  minZoom = LEGIBLE_ZOOM,
): View {
  if (!box || width <= 0 || height <= 0) return { x: 0, y: 0, zoom: 1 };
  const zoom = clampZoom(
    Math.max(minZoom, Math.min(maxZoom, (width - 2 * padding) / Math.max(box.w, 1), (height - 2 * padding) / Math.max(box.h, 1))),
  );
  const along = (size: number, start: number, extent: number) =>
    extent * zoom + 2 * padding <= size ? (size - extent * zoom) / 2 - start * zoom : padding - start * zoom;
  return { x: along(width, box.x, box.w), y: along(height, box.y, box.h), zoom };
}

/** The view that puts the world point (wx, wy) at the middle of the viewport. */
export function centreOn(v: View, wx: number, wy: number, width: number, height: number, zoom = v.zoom): View {
  const z = clampZoom(zoom);
  return { x: width / 2 - wx * z, y: height / 2 - wy * z, zoom: z };
}
