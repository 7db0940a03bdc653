// The tooltip of a hovered wire: which output feeds which input, the kind of value, whether
// it is fresh, and the value itself (the source's result, through the output viewer).
import type { Board } from "./board";
import { h } from "./dom";
import type { MediaClient } from "./fetcher";
import type { ValueKind } from "./kinds";
import { showOutput } from "./outputs";
import { edgeFresh } from "./stale";
import type { NodeState, NodeStates, OutPort, TopoEdge } from "./types";

export interface WireInfo {
  edge: TopoEdge;
  from: string; // "node.port"
  to: string;
  kind: ValueKind;
  fresh: boolean;
  output: OutPort | undefined;
  source: NodeState | undefined;
}

/** What the tooltip of wire `e` says, from the board and the node states. */
export function wireInfo(board: Board, states: NodeStates, e: TopoEdge): WireInfo {
  const src = board.node(e.source);
  return {
    edge: e,
    from: `${src?.name ?? e.source}.${e.source_port}`,
    to: `${board.nodeName(e.target)}.${e.target_port}`,
    kind: board.kindOf(`${e.source}.${e.source_port}`),
    fresh: edgeFresh(e, states),
    output: src?.outputs.find((o) => o.name === e.source_port),
    source: states[e.source],
  };
}

export class WireTip {
  readonly el: HTMLElement;

  constructor(private media: MediaClient) {
    this.el = h("div", { class: "daggr-wire-tip", role: "tooltip", hidden: true });
  }

  /** Shows a hovered wire's tooltip at screen point (x, y), kept within `within`. */
  show(info: WireInfo, x: number, y: number, within: DOMRect): void {
    const { edge } = info;
    const how = edge.scatter ? " (one item per run)" : edge.gather ? " (all items, gathered)" : "";
    const box = h("div", { class: "daggr-wire-value daggr-preview" });
    const rid = info.source?.rid ?? null;
    const preview = info.source?.preview?.[edge.source_port] ?? undefined;
    if (rid || preview) showOutput(box, info.output ?? { name: edge.source_port, hidden: false }, preview, rid, this.media, "wire-tip");
    else box.append(h("span", { class: "daggr-empty" }, "no value yet: run the source node"));
    this.el.replaceChildren(
      h("div", { class: "daggr-wire-head" }, h("b", {}, info.from), " → ", h("b", {}, info.to), how),
      h("div", { class: "daggr-wire-meta" }, h("span", { class: "daggr-kind-chip", "data-kind": info.kind }, info.kind), info.fresh ? " · fresh" : " · stale: a run would recompute it"),
      box,
    );
    this.el.hidden = false;
    const left = Math.min(x - within.left + 12, within.width - 260);
    this.el.style.left = `${Math.max(4, left)}px`;
    this.el.style.top = `${Math.max(4, y - within.top + 12)}px`;
  }

  hide(): void {
    this.el.hidden = true;
    this.media.release("wire-tip");
  }
}
