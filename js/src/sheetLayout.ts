// What a person arranges by hand on a sheet: card positions, sizes, collapsed cards and
// groups. Changes are patches, so that one change is one undo step, one message to the
// kernel (saved with the sheet) and one update of the view.
import type { Group, Point, Size, Viewport } from "./types";

export interface Layout {
  positions: Record<string, Point>;
  sizes: Record<string, Size>;
  collapsed: Set<string>;
  groups: Group[];
}

/** New values for some entries; a size of null (or collapsed false) is the default. */
export interface LayoutPatch {
  positions?: Record<string, Point>;
  sizes?: Record<string, Size | null>;
  collapsed?: Record<string, boolean>;
  groups?: Group[];
}

export const MIN_CARD_W = 200;
export const MAX_CARD_W = 1200;
export const MIN_CARD_H = 60;
export const MAX_CARD_H = 2400;

export function clampSize([w, h]: Size): Size {
  const clamp = (v: number, lo: number, hi: number) => Math.round(Math.min(hi, Math.max(lo, v)));
  return [clamp(w, MIN_CARD_W, MAX_CARD_W), clamp(h, MIN_CARD_H, MAX_CARD_H)];
}

/** The hand-made layout saved in a viewport (positions resolved by the caller). */
export function layoutFrom(vp: Partial<Viewport> | undefined, positions: Record<string, Point>): Layout {
  return {
    positions: { ...positions },
    sizes: { ...(vp?.sizes ?? {}) },
    collapsed: new Set(vp?.collapsed ?? []),
    groups: (vp?.groups ?? []).map((g) => ({ ...g, members: [...g.members] })),
  };
}

export function isEmptyPatch(p: LayoutPatch): boolean {
  return !p.groups && [p.positions, p.sizes, p.collapsed].every((m) => !m || Object.keys(m).length === 0);
}

/** The layout with the patch applied (a new object; the argument is left unchanged). */
export function applyPatch(layout: Layout, patch: LayoutPatch): Layout {
  const sizes = { ...layout.sizes };
  for (const [id, size] of Object.entries(patch.sizes ?? {})) {
    if (size) sizes[id] = size;
    else delete sizes[id];
  }
  const collapsed = new Set(layout.collapsed);
  for (const [id, on] of Object.entries(patch.collapsed ?? {})) {
    if (on) collapsed.add(id);
    else collapsed.delete(id);
  }
  return {
    positions: { ...layout.positions, ...(patch.positions ?? {}) },
    sizes,
    collapsed,
    groups: patch.groups ?? layout.groups,
  };
}

/** The patch that takes the layout after `patch` back to `layout` (what undo applies). */
export function inversePatch(layout: Layout, patch: LayoutPatch): LayoutPatch {
  const out: LayoutPatch = {};
  if (patch.positions) {
    out.positions = {};
    for (const id of Object.keys(patch.positions)) if (layout.positions[id]) out.positions[id] = layout.positions[id];
  }
  if (patch.sizes) {
    out.sizes = {};
    for (const id of Object.keys(patch.sizes)) out.sizes[id] = layout.sizes[id] ?? null;
  }
  if (patch.collapsed) {
    out.collapsed = {};
    for (const id of Object.keys(patch.collapsed)) out.collapsed[id] = layout.collapsed.has(id);
  }
  if (patch.groups) out.groups = layout.groups;
  return out;
}

/** Two patches as one (the later wins): what a debounced save sends. */
export function mergePatches(a: LayoutPatch, b: LayoutPatch): LayoutPatch {
  const out: LayoutPatch = {};
  for (const k of ["positions", "sizes", "collapsed"] as const) {
    if (a[k] || b[k]) (out as Record<string, unknown>)[k] = { ...(a[k] ?? {}), ...(b[k] ?? {}) };
  }
  if (a.groups || b.groups) out.groups = b.groups ?? a.groups;
  return out;
}

/** The viewport to keep in the model after a patch (what the kernel saves as well). */
export function viewportWith(vp: Viewport, patch: LayoutPatch): Viewport {
  const next = applyPatch(layoutFrom(vp, vp.positions ?? {}), patch);
  const out: Viewport = { ...vp, positions: next.positions, sizes: next.sizes, collapsed: [...next.collapsed] };
  if (patch.groups) out.groups = next.groups;
  return out;
}
