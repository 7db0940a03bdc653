// Groups: a titled, coloured frame around some cards. Pure functions over the group list
// (a sheet keeps it in its layout); the view draws frames and collapsed group cards
// from what these return. A node is in at most one group.
import { CARD_W, HEADER_H, PORT_PAD, PORT_ROW_H } from "./layout";
import type { Group, NodeStates, Point } from "./types";
import type { Box } from "./viewport";

export const GROUP_COLOURS = ["#6366f1", "#0ea5e9", "#10b981", "#f59e0b", "#ef4444", "#ec4899", "#64748b"];
// Pad and title fill the 30 px between two stacked cards (layout.ROW_GAP): a frame around
// a card does not cover the card above it.
export const GROUP_PAD = 8;
export const GROUP_TITLE_H = 22;
/** A collapsed group shows as one card: a header and one row for its wires. */
export const GROUP_CARD_H = HEADER_H + PORT_PAD + PORT_ROW_H + 26;

export function groupOf(groups: Group[], id: string): Group | undefined {
  return groups.find((g) => g.members.includes(id));
}

function nextColour(groups: Group[]): string {
  const used = new Set(groups.map((g) => g.color));
  return GROUP_COLOURS.find((c) => !used.has(c)) ?? GROUP_COLOURS[groups.length % GROUP_COLOURS.length];
}

function nextId(groups: Group[]): string {
  const ids = new Set(groups.map((g) => g.id));
  let i = groups.length + 1;
  while (ids.has(`g${i}`)) i++;
  return `g${i}`;
}

/** The groups with a new one made of `members` (taken out of their old groups; groups
 * left empty are dropped). */
export function makeGroup(groups: Group[], members: string[], title?: string): { groups: Group[]; group: Group } {
  const taken = new Set(members);
  const rest = groups
    .map((g) => ({ ...g, members: g.members.filter((m) => !taken.has(m)) }))
    .filter((g) => g.members.length > 0);
  const id = nextId(groups);
  const group: Group = { id, title: title ?? `Group ${id.slice(1)}`, color: nextColour(rest), members: [...members] };
  return { groups: [...rest, group], group };
}

export function ungroup(groups: Group[], id: string): Group[] {
  return groups.filter((g) => g.id !== id);
}

export function updateGroup(groups: Group[], id: string, change: Partial<Omit<Group, "id">>): Group[] {
  return groups.map((g) => (g.id === id ? { ...g, ...change } : g));
}

export function cycleColour(color: string): string {
  const i = GROUP_COLOURS.indexOf(color);
  return GROUP_COLOURS[(i + 1) % GROUP_COLOURS.length];
}

/** Groups without nodes the graph no longer has (the code changed since the save). */
export function keepKnown(groups: Group[], nodes: Set<string>): Group[] {
  return groups.map((g) => ({ ...g, members: g.members.filter((m) => nodes.has(m)) })).filter((g) => g.members.length > 0);
}

/** The frame around a group's cards: their bounds, padded, with room for the title. */
export function frameBox(group: Group, boxOf: (id: string) => Box | null): Box | null {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const id of group.members) {
    const b = boxOf(id);
    if (!b) continue;
    x0 = Math.min(x0, b.x);
    y0 = Math.min(y0, b.y);
    x1 = Math.max(x1, b.x + b.w);
    y1 = Math.max(y1, b.y + b.h);
  }
  if (x0 === Infinity) return null;
  return { x: x0 - GROUP_PAD, y: y0 - GROUP_PAD - GROUP_TITLE_H, w: x1 - x0 + 2 * GROUP_PAD, h: y1 - y0 + 2 * GROUP_PAD + GROUP_TITLE_H };
}

/** Where a collapsed group's card sits: the top-left corner of its frame. */
export function collapsedBox(frame: Box): Box {
  return { x: frame.x, y: frame.y, w: CARD_W, h: GROUP_CARD_H };
}

/** Node id -> id of the collapsed group hiding it. */
export function hiddenMembers(groups: Group[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const g of groups) if (g.collapsed) for (const m of g.members) out.set(m, g.id);
  return out;
}

/** The dot where a wire meets a collapsed group's card (one row for all its wires). */
export function groupAnchor(box: Box, side: "in" | "out"): Point {
  const y = box.y + HEADER_H + PORT_PAD / 2 + PORT_ROW_H / 2;
  return [side === "in" ? box.x : box.x + box.w, y];
}

/** Positions after moving every member of a group by (dx, dy). */
export function movedMembers(group: Group, positions: Record<string, Point>, dx: number, dy: number): Record<string, Point> {
  const out: Record<string, Point> = {};
  for (const m of group.members) {
    const p = positions[m];
    if (p) out[m] = [Math.round(p[0] + dx), Math.round(p[1] + dy)];
  }
  return out;
}

/** Cards whose box meets the rectangle (a rubber-band selection). */
export function cardsIn(rect: Box, boxes: Iterable<[string, Box]>): string[] {
  const out: string[] = [];
  for (const [id, b] of boxes) {
    if (b.x < rect.x + rect.w && b.x + b.w > rect.x && b.y < rect.y + rect.h && b.y + b.h > rect.y) out.push(id);
  }
  return out;
}

/** What a group's title says about its nodes: "3 nodes · 1 running". */
export function groupSummary(g: Group, states: NodeStates): string {
  const busy = g.members.filter((m) => ["pending", "running"].includes(states[m]?.status ?? "")).length;
  const failed = g.members.filter((m) => states[m]?.status === "error").length;
  const extra = busy ? ` · ${busy} running` : failed ? ` · ${failed} failed` : "";
  return `${g.members.length} node${g.members.length === 1 ? "" : "s"}${extra}`;
}
