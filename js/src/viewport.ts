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

export function bounds(positions: Record<string, Point>, heights: Record<string, number>): Box | null {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [id, [x, y]] of Object.entries(positions)) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x + CARD_W);
    y1 = Math.max(y1, y + (heights[id] ?? 100));
  }
  return x0 === Infinity ? null : { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** The view that shows `box` centred in a width×height viewport (never zooming in past 1.5). */
export function fit(box: Box | null, width: number, height: number, padding = 40, maxZoom = 1.5): View {
  if (!box || width <= 0 || height <= 0) return { x: 0, y: 0, zoom: 1 };
  const zoom = clampZoom(
    Math.min(maxZoom, (width - 2 * padding) / Math.max(box.w, 1), (height - 2 * padding) / Math.max(box.h, 1)),
  );
  return {
    x: (width - box.w * zoom) / 2 - box.x * zoom,
    y: (height - box.h * zoom) / 2 - box.y * zoom,
    zoom,
  };
}
