// Freshness on the canvas. Python computes it (graph.staleness(), sent in node states);
// this module only reads it: which edges to colour, and which nodes a run button would
// execute, for the hover highlight.
import type { NodeStates, TopoEdge, Topology } from "./types";
import type { RunMode } from "./protocol";

/** The key an edge has in its target's `edges` state (bridge.edge_key in Python). */
export function edgeKey(e: TopoEdge): string {
  return `${e.source}.${e.source_port}>${e.target_port}`;
}

export function edgeFresh(e: TopoEdge, states: NodeStates): boolean {
  return states[e.target]?.edges?.[edgeKey(e)] === true;
}

/** Nodes a run from `target` would execute: the target, plus (for "Run to here") every
 * ancestor that is not fresh; fresh ancestors are reused from history. */
export function willRun(topology: Topology, states: NodeStates, target: string, mode: RunMode): Set<string> {
  const out = new Set([target]);
  if (mode === "step") return out;
  const parents = new Map<string, string[]>();
  for (const e of topology.edges) {
    if (!parents.has(e.target)) parents.set(e.target, []);
    parents.get(e.target)!.push(e.source);
  }
  const seen = new Set([target]);
  const stack = [target];
  while (stack.length) {
    const id = stack.pop()!;
    for (const p of parents.get(id) ?? []) {
      if (seen.has(p)) continue;
      seen.add(p);
      stack.push(p);
      if (states[p]?.fresh !== "fresh") out.add(p);
    }
  }
  return out;
}
