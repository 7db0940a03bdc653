// The message protocol between the canvas and the kernel (mirrors daggr/widget/protocol.py).
//
// Front end -> kernel: requests the kernel validates, answering {type: "error"} when one is
// malformed. Kernel -> front end: small deltas, so that a node status change costs the
// same bytes whatever the size of the graph.
import type { PartialOp } from "./partials";
import type { Group, NodeState, NodeStates, Point, Size } from "./types";

export type RunMode = "to_here" | "step";
export const RUN_MODES: RunMode[] = ["to_here", "step"];

export type Request =
  | { type: "run"; node: string; mode: RunMode; inputs?: Record<string, unknown> }
  | { type: "stop"; node: string }
  | { type: "set_input"; key: string; value: unknown }
  | { type: "move"; node: string; x: number; y: number }
  | { type: "viewport"; x: number; y: number; zoom: number }
  | { type: "select"; node: string; index: number }
  | { type: "variant"; node: string; index: number }
  | { type: "sheet"; action: SheetAction; name?: string; new_name?: string }
  | { type: "fetch"; id: string; result?: string; port?: string; key?: string; item?: number }
  | { type: "upload"; key: string; name: string }
  | { type: "edit_items"; node: string; port: string; index: number; field: string; value: unknown; more?: boolean }
  | { type: "traceback"; id: string; node: string; result: string | null }
  | { type: "run_all" }
  | { type: "stop_all" }
  | LayoutRequest;

/** A change of the sheet's hand-made layout, saved with the sheet: moved cards, resized
 * ones (null: back to the automatic size), collapsed ones, the whole group list. */
export interface LayoutRequest {
  type: "layout";
  positions?: Record<string, Point>;
  sizes?: Record<string, Size | null>;
  collapsed?: Record<string, boolean>;
  groups?: Group[];
  minimap?: boolean | null;
}

export type SheetAction = "new" | "switch" | "rename" | "delete";
export const select = (node: string, index: number): Request => ({ type: "select", node, index });
export const variant = (node: string, index: number): Request => ({ type: "variant", node, index });
export const sheet = (action: SheetAction, name?: string, newName?: string): Request => {
  const r: Request = { type: "sheet", action };
  if (name !== undefined) r.name = name;
  if (newName !== undefined) r.new_name = newName;
  return r;
};

/** `inputs`: edits not sent yet, applied by the kernel just before the run starts. */
export const run = (node: string, mode: RunMode, inputs?: Record<string, unknown>): Request =>
  inputs && Object.keys(inputs).length ? { type: "run", node, mode, inputs } : { type: "run", node, mode };
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
  | { type: "partial"; nodes: Record<string, Record<string, PartialOp>> } // running nodes' values so far
  | { type: "error"; message: string; request?: string }
  | { type: "fetched"; id: string; mime?: string; name?: string; error?: string };

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
    case "partial": {
      if (!isObject(msg.nodes)) return null;
      for (const ports of Object.values(msg.nodes)) {
        if (!isObject(ports)) return null;
        for (const op of Object.values(ports)) if (!isPartialOp(op)) return null;
      }
      return { type: "partial", nodes: msg.nodes as Record<string, Record<string, PartialOp>> };
    }
    case "fetched":
      if (typeof msg.id !== "string") return null;
      return {
        type: "fetched",
        id: msg.id,
        mime: typeof msg.mime === "string" ? msg.mime : undefined,
        name: typeof msg.name === "string" ? msg.name : undefined,
        error: typeof msg.error === "string" ? msg.error : undefined,
      };
    case "error":
      return typeof msg.message === "string"
        ? { type: "error", message: msg.message, request: typeof msg.request === "string" ? msg.request : undefined }
        : null;
    default:
      return null;
  }
}

function isPartialOp(op: unknown): op is PartialOp {
  if (Array.isArray(op)) return op.length === 2 && Number.isInteger(op[0]) && op[0] >= 0 && typeof op[1] === "string";
  return isObject(op) && isObject(op.set) && typeof op.rid === "string";
}

/** Node states with patches applied; untouched nodes keep their identity so views can
 * update only what changed. Python applies the same merge (bridge.merge_states_into). */
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
      return typeof r.node === "string" && RUN_MODES.includes(r.mode) && (r.inputs === undefined || isObject(r.inputs));
    case "stop":
      return typeof r.node === "string";
    case "set_input":
      return typeof r.key === "string" && r.value !== undefined;
    case "move":
      return typeof r.node === "string" && finite(r.x) && finite(r.y);
    case "viewport":
      return finite(r.x) && finite(r.y) && finite(r.zoom) && r.zoom > 0;
    case "select":
    case "variant":
      return typeof r.node === "string" && Number.isInteger(r.index);
    case "sheet":
      return ["new", "switch", "rename", "delete"].includes(r.action);
    case "fetch":
      return typeof r.id === "string" && (typeof r.key === "string" || (typeof r.result === "string" && typeof r.port === "string"));
    case "upload":
      return typeof r.key === "string" && typeof r.name === "string";
    case "edit_items":
      return typeof r.node === "string" && typeof r.port === "string" && typeof r.field === "string" && Number.isInteger(r.index) && r.index >= 0 && r.value !== undefined;
    case "run_all":
    case "stop_all":
      return true;
    case "traceback":
      return typeof r.id === "string" && typeof r.node === "string";
    case "layout":
      return (
        Object.values(r.positions ?? {}).every((p) => Array.isArray(p) && p.length === 2 && p.every(finite)) &&
        Object.values(r.sizes ?? {}).every((sz) => sz === null || (Array.isArray(sz) && sz.length === 2 && sz.every((v) => finite(v) && v > 0))) &&
        Object.values(r.collapsed ?? {}).every((c) => typeof c === "boolean") &&
        (r.groups === undefined || (Array.isArray(r.groups) && r.groups.every((g) => typeof g.id === "string" && Array.isArray(g.members))))
      );
    default:
      return false;
  }
}

export const upload = (key: string, name: string): Request => ({ type: "upload", key, name });
export const runAll = (): Request => ({ type: "run_all" });
export const stopAll = (): Request => ({ type: "stop_all" });
