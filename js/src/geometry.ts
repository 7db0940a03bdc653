// Where port dots sit on a card and how edges are drawn between them. Port rows have a
// fixed height, so anchors follow from the card position alone (no DOM measuring), and
// the Python SVG fallback (daggr/widget/svg.py) uses the same numbers.
import { CARD_W, HEADER_H, PORT_PAD, PORT_ROW_H } from "./layout";
import type { Point } from "./types";

export function inputAnchor(pos: Point, index: number): Point {
  return [pos[0], pos[1] + HEADER_H + PORT_PAD / 2 + index * PORT_ROW_H + PORT_ROW_H / 2];
}

/** `width`: the card's, when it was resized. */
export function outputAnchor(pos: Point, index: number, width = CARD_W): Point {
  return [pos[0] + width, pos[1] + HEADER_H + PORT_PAD / 2 + index * PORT_ROW_H + PORT_ROW_H / 2];
}

/** A horizontal cubic bezier from an output dot to an input dot. */
export function edgePath(from: Point, to: Point): string {
  const dx = Math.max(40, Math.abs(to[0] - from[0]) / 2);
  return `M${r(from[0])},${r(from[1])} C${r(from[0] + dx)},${r(from[1])} ${r(to[0] - dx)},${r(to[1])} ${r(to[0])},${r(to[1])}`;
}

const FORK_LEN = 14;
const FORK_SPREAD = 6;

/** Three prongs meeting at `at`: pointing into the dot for a scatter (the consumer runs
 * once per item), out of it for a gather. */
export function forkPath(at: Point, side: "target" | "source"): string {
  const [x, y] = at;
  const base = side === "target" ? x - FORK_LEN : x + FORK_LEN;
  return [-FORK_SPREAD, 0, FORK_SPREAD].map((d) => `M${r(base)},${r(y)} L${r(x)},${r(y + d)}`).join(" ");
}

function r(v: number): number {
  return Math.round(v * 10) / 10;
}
