// A running node's values so far, rebuilt from the kernel's `partial` deltas (see
// daggr/widget/partials.py). Text grows from appends; other values are replaced and
// fetched by the id the delta names. A view that missed deltas (it opened mid-stream)
// fetches the whole text so far by the node's stream id (its state's `stream`) and
// carries on from there. Only values: cards show them with showOutput (cardState.ts).
import type { Preview } from "./types";

/** `[at, text]`: text appended at character `at`; or a value replaced, fetched by `rid`. */
export type PartialOp = [number, string] | { set: Preview; rid: string };

export interface PartialValue {
  text?: string; // the whole text so far, when known
  preview?: Preview; // a replaced value's preview
  rid?: string; // ... and the id to fetch it by
  resyncing?: boolean; // the whole text was asked for; deltas wait in `held`
  held?: [number, string][];
  gen?: number; // bumped when the value is replaced rather than grown
}

/** What `apply` found: cards to refresh, and texts to fetch whole ([node, port]). */
export interface Applied {
  changed: Set<string>;
  resync: [string, string][];
}

export class Partials {
  private nodes = new Map<string, Map<string, PartialValue>>();
  private streams = new Map<string, string>(); // node -> the stream its values belong to

  /** The node's values so far, while its state names a stream (else none). */
  of(node: string, stream: string | null | undefined): Map<string, PartialValue> | undefined {
    if (!stream) return undefined;
    return this.streams.get(node) === stream ? this.nodes.get(node) : undefined;
  }

  /** Keeps only values of the stream a node's state names (a new run starts afresh). */
  follow(node: string, stream: string | null | undefined): void {
    if (this.streams.get(node) === (stream ?? undefined)) return;
    this.nodes.delete(node);
    if (stream) this.streams.set(node, stream);
    else this.streams.delete(node);
  }

  apply(nodes: Record<string, Record<string, PartialOp>>): Applied {
    const out: Applied = { changed: new Set(), resync: [] };
    for (const [node, ports] of Object.entries(nodes)) {
      let values = this.nodes.get(node);
      if (!values) this.nodes.set(node, (values = new Map()));
      for (const [port, op] of Object.entries(ports)) {
        const v = values.get(port) ?? {};
        values.set(port, v);
        if (!Array.isArray(op)) {
          const whole = op.set.type === "text" && !op.set.truncated;
          Object.assign(v, { preview: op.set, rid: op.rid, text: whole ? op.set.text ?? "" : undefined, resyncing: false, held: undefined, gen: (v.gen ?? 0) + 1 });
        } else if (v.resyncing) {
          (v.held ??= []).push(op);
          continue;
        } else if (!append(v, op[0], op[1])) {
          v.resyncing = true;
          v.held = [op];
          out.resync.push([node, port]);
          continue;
        }
        out.changed.add(node);
      }
    }
    return out;
  }

  /** The whole text so far arrived (a resync): deltas held meanwhile apply on top. */
  resynced(node: string, port: string, text: string): boolean {
    const v = this.nodes.get(node)?.get(port);
    if (!v?.resyncing) return false;
    v.text = text;
    v.preview = undefined;
    v.rid = undefined;
    v.resyncing = false;
    v.gen = (v.gen ?? 0) + 1;
    for (const [at, add] of v.held ?? []) append(v, at, add);
    v.held = undefined;
    return true;
  }
}

/** Text `add` placed at character `at` of the known text: appended, or the part not yet
 * known when the two overlap. False when text before `at` is missing. */
function append(v: PartialValue, at: number, add: string): boolean {
  const text = v.text ?? (at === 0 ? "" : undefined);
  if (text === undefined || at > text.length) return false;
  const end = at + add.length;
  if (end > text.length) v.text = text + add.slice(text.length - at);
  else v.text = text;
  v.preview = undefined;
  v.rid = undefined;
  return true;
}

/** The preview a card shows for a value so far. */
export function partialPreview(v: PartialValue): Preview | undefined {
  if (v.text !== undefined) return { type: "text", text: v.text };
  return v.preview;
}
