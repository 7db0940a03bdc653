// The wires: one SVG layer under the cards. A wire takes the colour of the kind of value
// it carries, is solid when fresh and dashed when stale, and shows what it carries when
// hovered. Moving a card re-draws only the wires that touch it.
import { s } from "./dom";
import { edgePath, forkPath } from "./geometry";
import { KIND_COLOURS, type ValueKind } from "./kinds";
import { edgeKey } from "./stale";
import type { NodeState, Point, TopoEdge } from "./types";

/** Where a wire starts and ends (null: not drawn, e.g. inside a collapsed group). */
export type Anchors = (e: TopoEdge) => { from: Point; to: Point } | null;

interface Wire {
  edge: TopoEdge;
  g: SVGElement;
  path: SVGElement;
  hit: SVGElement;
  fork: SVGElement | null;
}

export interface EdgeHover {
  enter(e: TopoEdge, x: number, y: number): void;
  leave(): void;
}

export class EdgeLayer {
  readonly svg: SVGElement;
  private wires: Wire[] = [];
  private byTarget = new Map<string, Wire[]>();

  constructor(private hover: EdgeHover) {
    this.svg = s("svg", { class: "daggr-edges", width: 1, height: 1 });
  }

  /** Draws every wire anew (a new topology, a sheet's layout, a group collapsed). */
  draw(edges: TopoEdge[], anchors: Anchors, kindOf: (e: TopoEdge) => ValueKind, fresh: (e: TopoEdge) => boolean): void {
    this.svg.replaceChildren();
    this.wires = [];
    this.byTarget.clear();
    for (const e of edges) {
      const ends = anchors(e);
      if (!ends) continue;
      const kind = kindOf(e);
      const cls = `daggr-edge${e.scatter ? " daggr-edge-scatter" : ""}${e.gather ? " daggr-edge-gather" : ""}`;
      const g = s("g", { class: cls, "data-source": e.source, "data-target": e.target, "data-key": edgeKey(e), "data-kind": kind, style: `--daggr-kind:${KIND_COLOURS[kind]}` });
      const path = s("path", { class: "daggr-wire" });
      const hit = s("path", { class: "daggr-edge-hit" });
      hit.addEventListener("pointerenter", (ev) => this.hover.enter(e, (ev as PointerEvent).clientX, (ev as PointerEvent).clientY));
      hit.addEventListener("pointerleave", () => this.hover.leave());
      const fork = e.scatter || e.gather ? s("path", { class: "daggr-fork" }) : null;
      g.append(path, ...(fork ? [fork] : []), hit);
      const wire: Wire = { edge: e, g, path, hit, fork };
      this.place(wire, ends);
      this.setFresh(wire, fresh(e));
      this.wires.push(wire);
      if (!this.byTarget.has(e.target)) this.byTarget.set(e.target, []);
      this.byTarget.get(e.target)!.push(wire);
      this.svg.append(g);
    }
  }

  private place(w: Wire, ends: { from: Point; to: Point }): void {
    const d = edgePath(ends.from, ends.to);
    w.path.setAttribute("d", d);
    w.hit.setAttribute("d", d);
    if (w.fork) w.fork.setAttribute("d", w.edge.scatter ? forkPath(ends.to, "target") : forkPath(ends.from, "source"));
  }

  private setFresh(w: Wire, fresh: boolean): void {
    w.g.classList.toggle("daggr-edge-fresh", fresh);
    w.g.classList.toggle("daggr-edge-stale", !fresh);
  }

  /** Re-draws the wires touching these nodes (a card moved or was resized). */
  move(ids: Set<string>, anchors: Anchors): void {
    for (const w of this.wires) {
      if (!ids.has(w.edge.source) && !ids.has(w.edge.target)) continue;
      const ends = anchors(w.edge);
      if (ends) this.place(w, ends);
    }
  }

  /** A node's in-wires after its state changed (freshness comes with the target). */
  refresh(target: string, state: NodeState | undefined): void {
    for (const w of this.byTarget.get(target) ?? []) this.setFresh(w, state?.edges?.[edgeKey(w.edge)] === true);
  }

  /** Colours wires whose kind became known (a first result of a port without component). */
  recolour(kindOf: (e: TopoEdge) => ValueKind): void {
    for (const w of this.wires) {
      const kind = kindOf(w.edge);
      if (w.g.getAttribute("data-kind") === kind) continue;
      w.g.setAttribute("data-kind", kind);
      (w.g as SVGElement).style.setProperty("--daggr-kind", KIND_COLOURS[kind]);
    }
  }

  /** Lights the wires between nodes a run would execute. */
  highlight(ids: Set<string>): void {
    for (const w of this.wires) w.g.classList.toggle("daggr-will-run", ids.has(w.edge.target) && ids.has(w.edge.source));
  }
}
