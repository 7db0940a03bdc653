// The pane: cards, wires and group frames placed from the sheet's layout. Geometry comes
// from the layout alone (positions, sizes, estimated heights), never from the DOM, so
// cards far from the view need not exist: on large graphs they are built when the view
// comes near them, a few per frame.
import { buildCard, type Card, type CardHost } from "./card";
import { h } from "./dom";
import { EdgeLayer, type EdgeHover } from "./edges";
import { inputAnchor, outputAnchor } from "./geometry";
import { groupAnchor, hiddenMembers } from "./groups";
import { GroupLayer, type GroupHost } from "./groupLayer";
import { portKinds, type ValueKind } from "./kinds";
import { CARD_W, cardHeight, collapsedHeight, scatteredNodes } from "./layout";
import type { Layout } from "./sheetLayout";
import { edgeFresh } from "./stale";
import type { NodeStates, Point, TopoEdge, TopoNode, Topology } from "./types";
import type { Box } from "./viewport";

/** Graphs up to this size get every card at once; larger ones as the view nears them. */
export const EAGER_CARDS = 150;
const BUILD_MS_PER_FRAME = 5;
const NEAR = 400; // world pixels around the view where cards are built ahead

export class Board {
  readonly pane: HTMLElement;
  readonly edges: EdgeLayer;
  readonly groups: GroupLayer;
  readonly cards = new Map<string, Card>();
  topology: Topology = { name: "", nodes: [], edges: [] };
  layout: Layout = { positions: {}, sizes: {}, collapsed: new Set(), groups: [] };
  private nodes = new Map<string, TopoNode>();
  private heights: Record<string, number> = {};
  private scattered = new Set<string>();
  private hidden = new Map<string, string>(); // node -> collapsed group hiding it
  private kinds = new Map<string, ValueKind>();
  private ports = new Map<string, number>(); // "id.port" / "id<port" -> row
  private queue: string[] = []; // cards still to build, nearest first

  constructor(
    private cardHost: Omit<CardHost, "kindOf">,
    groupHost: Omit<GroupHost, "boxOf">,
    hover: EdgeHover,
    private onBuilt: (card: Card) => void,
  ) {
    this.edges = new EdgeLayer(hover);
    this.groups = new GroupLayer({ ...groupHost, boxOf: (id) => this.cardBox(id) });
    this.pane = h("div", { class: "daggr-pane" }, this.groups.el, this.edges.svg);
  }

  setTopology(topology: Topology, states: NodeStates): void {
    for (const card of this.cards.values()) card.el.remove();
    this.cards.clear();
    this.queue = [];
    this.ensured = null;
    this.topology = topology;
    this.nodes = new Map(topology.nodes.map((n) => [n.id, n]));
    this.scattered = scatteredNodes(topology);
    this.ports.clear();
    for (const n of topology.nodes) {
      this.heights[n.id] = cardHeight(n, states[n.id]?.variant ?? 0, this.scattered.has(n.id));
      n.inputs.forEach((p, i) => this.ports.set(`${n.id}<${p.name}`, i));
      n.outputs.forEach((p, i) => this.ports.set(`${n.id}.${p.name}`, i));
    }
    this.kinds = portKinds(topology, states);
  }

  kindOf = (port: string): ValueKind => this.kinds.get(port) ?? "any";

  /** A card's box as laid out: its size if resized, else the estimate of its rows. */
  cardBox(id: string): Box | null {
    const p = this.layout.positions[id];
    const node = this.nodes.get(id);
    if (!p || !node) return null;
    const size = this.layout.sizes[id];
    const hgt = this.layout.collapsed.has(id) ? collapsedHeight(node) : size?.[1] ?? this.heights[id];
    return { x: p[0], y: p[1], w: size?.[0] ?? CARD_W, h: hgt };
  }

  /** Boxes of what is drawn: visible cards, and collapsed groups in place of their cards. */
  *boxes(): Iterable<[string, Box]> {
    for (const id of this.nodes.keys()) {
      if (this.hidden.has(id)) continue;
      const b = this.cardBox(id);
      if (b) yield [id, b];
    }
  }

  private ensured: Box | null = null; // the area whose cards were built or queued last

  /** Builds the cards meeting `area` now and queues those near it; a small graph gets
   * all its cards at once; `area` null (no size yet): only a small graph's. A view that
   * moved less than half the margin since the last call needs nothing new. */
  ensureCards(area: Box | null, states: NodeStates): void {
    const eager = this.nodes.size <= EAGER_CARDS;
    if (!eager && !area) return;
    const last = this.ensured;
    if (!eager && area && last && area.w === last.w && Math.abs(area.x - last.x) < NEAR / 2 && Math.abs(area.y - last.y) < NEAR / 2) return;
    this.ensured = area;
    const near: [number, string][] = [];
    for (const id of this.nodes.keys()) {
      if (this.cards.has(id)) continue;
      const b = this.cardBox(id);
      if (eager || !b || !area) {
        this.build(id, states);
        continue;
      }
      const dx = Math.max(area.x - (b.x + b.w), b.x - (area.x + area.w), 0);
      const dy = Math.max(area.y - (b.y + b.h), b.y - (area.y + area.h), 0);
      if (dx === 0 && dy === 0) this.build(id, states);
      else if (dx < NEAR && dy < NEAR) near.push([dx + dy, id]);
    }
    near.sort((a, b) => a[0] - b[0]);
    this.queue = near.map((n) => n[1]);
  }

  /** Builds queued cards for a few milliseconds (a frame stays smooth while the view
   * moves); true while more are waiting. */
  buildSome(states: NodeStates): boolean {
    const until = performance.now() + BUILD_MS_PER_FRAME;
    while (this.queue.length && performance.now() < until) {
      const id = this.queue.shift()!;
      if (!this.cards.has(id)) this.build(id, states);
    }
    return this.queue.length > 0;
  }

  build(id: string, states: NodeStates): Card | undefined {
    const node = this.nodes.get(id);
    if (!node) return undefined;
    const card = buildCard(node, states[id]?.variant ?? 0, this.scattered.has(id), { ...this.cardHost, kindOf: this.kindOf });
    const old = this.cards.get(id);
    if (old) old.el.replaceWith(card.el);
    else this.pane.insertBefore(card.el, this.nextBuilt(id));
    this.cards.set(id, card);
    this.shape(id);
    this.onBuilt(card);
    return card;
  }

  /** The first built card after `id` in graph order: cards keep graph order in the DOM
   * whatever order they are built in, which lets the browser draw them as one layer
   * while the view moves (built out of order, panning a zoomed-out graph took twice as
   * long per frame). */
  private nextBuilt(id: string): Node | null {
    const ids = [...this.nodes.keys()];
    for (let i = ids.indexOf(id) + 1; i < ids.length; i++) {
      const card = this.cards.get(ids[i]);
      if (card) return card.el;
    }
    return null;
  }

  /** A card's place, size and collapsed state from the layout. */
  shape(id: string): void {
    const card = this.cards.get(id);
    const p = this.layout.positions[id];
    if (!card || !p) return;
    card.el.style.transform = `translate(${p[0]}px, ${p[1]}px)`;
    const size = this.layout.sizes[id];
    const collapsed = this.layout.collapsed.has(id);
    card.el.style.width = size ? `${size[0]}px` : "";
    card.el.style.height = size && !collapsed ? `${size[1]}px` : "";
    card.el.classList.toggle("daggr-sized", Boolean(size) && !collapsed);
    card.el.classList.toggle("daggr-collapsed", collapsed);
    card.el.hidden = this.hidden.has(id);
    card.collapse.textContent = collapsed ? "▸" : "▾";
    card.collapse.setAttribute("aria-expanded", String(!collapsed));
    const label = collapsed ? "Expand card" : "Collapse card";
    card.collapse.setAttribute("aria-label", label);
    card.collapse.title = label;
  }

  /** Everything placed anew (a new layout, groups changed). */
  relayout(states: NodeStates): void {
    this.ensured = null;
    this.hidden = hiddenMembers(this.layout.groups);
    for (const id of this.cards.keys()) this.shape(id);
    this.groups.render(this.layout.groups);
    this.edges.draw(this.topology.edges, this.anchors, (e) => this.kindOf(`${e.source}.${e.source_port}`), (e) => edgeFresh(e, states));
  }

  /** Some cards moved or were resized: only they and their wires are placed again. */
  moved(ids: Set<string>): void {
    for (const id of ids) this.shape(id);
    this.edges.move(ids, this.anchors);
    if (this.layout.groups.length) {
      this.groups.place();
      // Wires into collapsed groups hang on the group's card, which moves with them.
      const grouped = new Set(this.layout.groups.filter((g) => g.collapsed).flatMap((g) => g.members));
      if ([...ids].some((id) => grouped.has(id))) this.edges.move(grouped, this.anchors);
    }
  }

  /** Kinds learnt from a result (ports without a component take their value's kind). */
  updateKinds(states: NodeStates): void {
    const next = portKinds(this.topology, states);
    let changed = false;
    for (const [k, v] of next) if (this.kinds.get(k) !== v) changed = true;
    if (!changed) return;
    this.kinds = next;
    this.edges.recolour((e) => this.kindOf(`${e.source}.${e.source_port}`));
  }

  anchors = (e: TopoEdge): { from: Point; to: Point } | null => {
    const hs = this.hidden.get(e.source);
    const ht = this.hidden.get(e.target);
    if (hs && hs === ht) return null;
    const boxes = hs || ht ? this.groups.boxes() : null;
    const src = this.layout.positions[e.source];
    const dst = this.layout.positions[e.target];
    const oi = this.ports.get(`${e.source}.${e.source_port}`);
    const ii = this.ports.get(`${e.target}<${e.target_port}`);
    if (!src || !dst || oi === undefined || ii === undefined) return null;
    const sb = hs ? boxes!.get(hs) : undefined;
    const tb = ht ? boxes!.get(ht) : undefined;
    const from = sb ? groupAnchor(sb, "out") : outputAnchor(src, oi, this.layout.sizes[e.source]?.[0] ?? CARD_W);
    const to = tb ? groupAnchor(tb, "in") : inputAnchor(dst, ii);
    return { from, to };
  };

  nodeName(id: string): string {
    return this.nodes.get(id)?.name ?? id;
  }

  node(id: string): TopoNode | undefined {
    return this.nodes.get(id);
  }

  isHidden(id: string): boolean {
    return this.hidden.has(id);
  }
}
