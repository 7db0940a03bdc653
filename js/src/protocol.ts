// The message protocol between the canvas and the kernel (mirrors daggr/widget/protocol.py).
//
// Front end -> kernel: requests the kernel validates, answering {type: "error"} when one is
// malformed. Kernel -> front end: small deltas, so that a node status change costs the
// same bytes whatever the size of the graph.
import type { NodeState, NodeStates } from "./types";

export type RunMode = "to_here" | "step";
export const RUN_MODES: RunMode[] = ["to_here", "step"];

export type Request =
  | { type: "run"; node: string; mode: RunMode }
  | { type: "stop"; node: string }
  | { type: "set_input"; key: string; value: unknown }
  | { type: "move"; node: string; x: number; y: number }
  | { type: "viewport"; x: number; y: number; zoom: number };

export const run = (node: string, mode: RunMode): Request => ({ type: "run", node, mode });
export const stop = (node: string): Request => ({ type: "stop", node });
export const setInput = (key: string, value: unknown): Request => ({ type: "set_input", key, value });
export const move = (node: string, x: number, y: number): Request => ({
  type: "move",
  node,
  x: round(x),
  y: round(y),
});
export const viewport = (x: number, y: number, zoom: number): Request => ({
  type: "viewport",
  x: round(x),
  y: round(y),
  zoom: Math.round(zoom * 1000) / 1000,
});

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

export type Update =
  | { type: "node_state"; states: Record<string, Partial<NodeState>> }
  | { type: "inputs"; values: Record<string, unknown> }
  | { type: "error"; message: string; request?: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A kernel message as an Update, or null when it is not one we understand (ignored,
 * so that an older bundle keeps working against a newer kernel). */
export function parseUpdate(msg: unknown): Update | null {
  if (!isObject(msg)) return null;
  switch (msg.type) {
    case "node_state":
      if (!isObject(msg.states)) return null;
      for (const s of Object.values(msg.states)) if (!isObject(s)) return null;
      return { type: "node_state", states: msg.states as Record<string, Partial<NodeState>> };
    case "inputs":
      return isObject(msg.values) ? { type: "inputs", values: msg.values } : null;
    case "error":
      return typeof msg.message === "string"
        ? { type: "error", message: msg.message, request: typeof msg.request === "string" ? msg.request : undefined }
        : null;
    default:
      return null;
  }
}

/** Node states with patches applied; untouched nodes keep their identity so views can
 * update only what changed. Python applies the same merge (bridge.merge_states). */
export function applyStatePatches(states: NodeStates, patches: Record<string, Partial<NodeState>>): NodeStates {
  const out: NodeStates = { ...states };
  for (const [id, patch] of Object.entries(patches)) {
    out[id] = { ...(states[id] ?? { status: "idle" }), ...patch } as NodeState;
  }
  return out;
}

/** Checks a request before sending (the kernel checks again: this only catches our bugs early). */
export function isValidRequest(r: Request): boolean {
  const finite = (v: unknown) => typeof v === "number" && Number.isFinite(v);
  switch (r.type) {
    case "run":
      return typeof r.node === "string" && RUN_MODES.includes(r.mode);
    case "stop":
      return typeof r.node === "string";
    case "set_input":
      return typeof r.key === "string" && r.value !== undefined;
    case "move":
      return typeof r.node === "string" && finite(r.x) && finite(r.y);
    case "viewport":
      return finite(r.x) && finite(r.y) && finite(r.zoom) && r.zoom > 0;
    default:
      return false;
  }
}
