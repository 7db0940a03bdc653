// The canvas view: cards in a CSS-transformed pane over one SVG layer of edges.
// Plain DOM: the graph is defined in Python, so the canvas never edits edges, and a
// status change touches only its own card (fields keep focus while runs update the view).
import { keyedDebounce, type KeyedDebouncer } from "./debounce";
import { h, s } from "./dom";
import { decodeJson, type FetchTarget, MediaClient } from "./fetcher";
import { createField, type FieldContext, type FieldView } from "./fields";
import { formatBytes, formatSeconds } from "./format";
import { editKey, editMessages, ItemListView } from "./items";
import { edgePath, forkPath, inputAnchor, outputAnchor } from "./geometry";
import { CARD_W, cardHeight, previewHeight, resolvePositions, scatteredNodes, visibleFields } from "./layout";
import * as P from "./protocol";
import { mediaElement, renderValue, rendererFor } from "./renderers";
import { SheetBar } from "./sheets";
import { edgeFresh, edgeKey, willRun } from "./stale";
import type { NodeState, NodeStates, OutPort, Point, Preview, TopoNode, Topology, Viewport } from "./types";
import { bounds, fit, type View, zoomAt } from "./viewport";

/** The part of the anywidget model (AFM) API the canvas uses. */
export interface ModelLike {
  get(key: string): any;
  set(key: string, value: unknown): void;
  on(event: string, cb: (...args: any[]) => void): void;
  off(event: string, cb?: (...args: any[]) => void): void;
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[]): void;
}

export const INPUT_DEBOUNCE_MS = 300;
export const MOVE_DEBOUNCE_MS = 250;
export const VIEW_DEBOUNCE_MS = 300;
export const ITEM_DEBOUNCE_MS = 400;

const BUSY = new Set(["pending", "running"]);
/** "running 12/64 (1 failed)" while a scattered node runs, else the status word. */
export function statusText(state: NodeState | undefined): string {
  const status = state?.status ?? "idle";
  const word = STATUS_TEXT[status] ?? status;
  if (status !== "running" || !state?.items_total) return word;
  const failed = state.items_failed ? ` (${state.items_failed} failed)` : "";
  return `${word} ${state.items_done ?? 0}/${state.items_total}${failed}`;
}

const STATUS_TEXT: Record<string, string> = {
  idle: "",
  pending: "queued",
  running: "running",
  ok: "done",
  cached: "cached",
  error: "error",
  skipped: "skipped",
  cancelled: "cancelled",
};

const FRESH_TEXT: Record<string, string> = { stale: "stale", "never run": "not run" };

interface Card {
  node: TopoNode;
  el: HTMLElement;
  time: HTMLElement;
  status: HTMLElement;
  history: HTMLElement;
  historyLabel: HTMLElement;
  prev: HTMLButtonElement;
  next: HTMLButtonElement;
  fresh: HTMLElement;
  items: HTMLElement | null;
  variant: number;
  error: HTMLElement;
  runBtn: HTMLButtonElement | null;
  menu: HTMLElement | null;
  previews: Map<string, HTMLElement>;
  lists: Map<string, ItemListView>; // ItemList output port -> its editor
  fields: Map<string, FieldView>;
  mode: P.RunMode;
  state: NodeState | undefined;
}

export class CanvasView {
  readonly root: HTMLElement;
  private viewportEl: HTMLElement;
  private pane: HTMLElement;
  private edgesSvg: SVGElement;
  private zoomLabel: HTMLElement;
  private toast: HTMLElement;
  private cards = new Map<string, Card>();
  private positions: Record<string, Point> = {};
  private heights: Record<string, number> = {};
  private view: View = { x: 0, y: 0, zoom: 1 };
  private topology: Topology = { name: "", nodes: [], edges: [] };
  private inputs: KeyedDebouncer<unknown>;
  private moves: KeyedDebouncer<Point>;
  private views: KeyedDebouncer<View>;
  // Item edits, debounced per ItemList output ("node\0port"): each burst is one history row.
  private itemEdits: KeyedDebouncer<Map<string, unknown>>;
  private itemPending = new Map<string, Map<string, unknown>>();
  private ticker: ReturnType<typeof setInterval> | null = null;
  private toastTimer: ReturnType<typeof setTimeout> | null = null;
  private cleanups: (() => void)[] = [];
  private dragging = false;
  private edgeEls = new Map<string, SVGElement[]>(); // target id -> its in-edges
  private scattered = new Set<string>();
  private sheetBar: SheetBar;
  readonly media: MediaClient;
  private fieldCtx: FieldContext;

  constructor(private model: ModelLike, host: HTMLElement) {
    this.media = new MediaClient((content) => this.model.send(content));
    this.fieldCtx = { upload: (key, file) => this.upload(key, file), media: this.media };
    this.inputs = keyedDebounce(INPUT_DEBOUNCE_MS, (key, value) => {
      this.model.set("inputs", { ...(this.model.get("inputs") ?? {}), [key]: value });
      this.send(P.setInput(key, value));
    });
    this.moves = keyedDebounce(MOVE_DEBOUNCE_MS, (id, [x, y]) => {
      const vp = this.savedViewport();
      this.model.set("viewport", { ...vp, positions: { ...vp.positions, [id]: [x, y] } });
      this.send(P.move(id, x, y));
    });
    this.views = keyedDebounce(VIEW_DEBOUNCE_MS, (_k, v) => {
      this.model.set("viewport", { ...this.savedViewport(), x: v.x, y: v.y, zoom: v.zoom });
      this.send(P.viewport(v.x, v.y, v.zoom));
    });

    this.itemEdits = keyedDebounce(ITEM_DEBOUNCE_MS, (key, edits) => {
      this.itemPending.delete(key);
      const [node, port] = key.split("\u0000");
      for (const req of editMessages(node, port, edits)) this.send(req);
    });

    this.edgesSvg = s("svg", { class: "daggr-edges", width: 1, height: 1 });
    this.pane = h("div", { class: "daggr-pane" });
    this.pane.append(this.edgesSvg);
    this.viewportEl = h("div", { class: "daggr-viewport" }, this.pane);
    this.zoomLabel = h("span", { class: "daggr-zoom-label" }, "100%");
    const btn = (label: string, title: string, cls: string, fn: () => void) => {
      const b = h("button", { class: `daggr-btn ${cls}`, title, "aria-label": title, type: "button" }, label);
      b.addEventListener("click", fn);
      return b;
    };
    const zoombar = h(
      "div",
      { class: "daggr-zoombar" },
      btn("−", "Zoom out", "daggr-zoom-out", () => this.zoomBy(1 / 1.2)),
      this.zoomLabel,
      btn("+", "Zoom in", "daggr-zoom-in", () => this.zoomBy(1.2)),
      btn("⤢", "Fit to view", "daggr-fit", () => this.fitView()),
    );
    this.toast = h("div", { class: "daggr-toast", role: "alert", hidden: true });
    this.sheetBar = new SheetBar((req) => {
      // Pans and moves still waiting for their debounce belong to the sheet being left.
      this.moves.flush();
      this.views.flush();
      this.itemEdits.flush();
      this.send(req);
    });
    this.root = h(
      "div",
      { class: "daggr-root", tabindex: -1, "data-lm-suppress-shortcuts": "true" },
      h("div", { class: "daggr-titlebar" }, h("span", { class: "daggr-title" }), this.sheetBar.el),
      this.viewportEl,
      zoombar,
      this.toast,
    );
    host.append(this.root);
    this.applyHeight();

    this.listen(this.root, "keydown", (e) => e.stopPropagation());
    this.listen(this.viewportEl, "wheel", (e) => this.onWheel(e as WheelEvent), { passive: false });
    this.listen(this.viewportEl, "pointerdown", (e) => this.onPointerDown(e as PointerEvent));
    this.listen(document, "click", (e) => {
      this.closeMenus(e.target as Node);
      if (!this.sheetBar.el.contains(e.target as Node)) this.sheetBar.close();
    });

    const on = (event: string, fn: (...a: any[]) => void) => {
      model.on(event, fn);
      this.cleanups.push(() => model.off(event, fn));
    };
    on("change:topology", () => this.renderAll());
    on("change:node_state", () => this.updateStates());
    on("change:inputs", () => this.updateInputs());
    on("change:viewport", () => this.onViewportChange());
    on("change:height", () => this.applyHeight());
    on("change:sheets", () => this.sheetBar.update(this.model.get("sheets")));
    on("msg:custom", (msg: unknown, buffers?: DataView[]) => {
      if (this.media.onMessage(msg, buffers)) return;
      const u = P.parseUpdate(msg);
      if (u?.type === "error") this.showError(u.message);
    });
    this.sheetBar.update(this.model.get("sheets"));
    this.renderAll();
  }

  destroy(): void {
    this.itemEdits.flush();
    this.inputs.flush();
    this.moves.flush();
    this.views.flush();
    for (const c of this.cleanups) c();
    this.cleanups = [];
    if (this.ticker) clearInterval(this.ticker);
    if (this.toastTimer) clearTimeout(this.toastTimer);
    if (this.movingTimer) clearTimeout(this.movingTimer);
    this.media.destroy();
    this.root.remove();
  }

  private upload(key: string, file: File): void {
    file
      .arrayBuffer()
      .then((buf) => this.model.send(P.upload(key, file.name), undefined, [buf]))
      .catch((e: Error) => this.showError(`Could not read ${file.name}: ${e.message}`));
  }

  // -- plumbing --------------------------------------------------------------------------
  private listen(target: EventTarget, type: string, fn: (e: Event) => void, opts?: AddEventListenerOptions) {
    target.addEventListener(type, fn, opts);
    this.cleanups.push(() => target.removeEventListener(type, fn, opts));
  }

  private send(req: P.Request): void {
    if (P.isValidRequest(req)) this.model.send(req);
  }

  private savedViewport(): Viewport {
    const vp = this.model.get("viewport") ?? {};
    // Defaults are the view on screen: saving a move must not reset an unsaved pan/zoom.
    return { x: vp.x ?? this.view.x, y: vp.y ?? this.view.y, zoom: vp.zoom ?? this.view.zoom, positions: vp.positions ?? {} };
  }

  private applyHeight(): void {
    const height = Number(this.model.get("height")) || 520;
    this.root.style.height = `${height}px`;
  }

  private showError(message: string): void {
    this.toast.textContent = message;
    this.toast.hidden = false;
    for (const card of this.cards.values()) card.el.classList.remove("daggr-requested");
    if (this.toastTimer) clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => (this.toast.hidden = true), 8000);
  }

  // -- rendering ---------------------------------------------------------------------------
  private renderAll(): void {
    this.topology = this.model.get("topology") ?? { name: "", nodes: [], edges: [] };
    const title = this.root.querySelector(".daggr-title") as HTMLElement;
    title.textContent = this.topology.name;
    for (const card of this.cards.values()) card.el.remove();
    this.cards.clear();
    this.scattered = scatteredNodes(this.topology);
    const saved = this.model.get("viewport") ?? {};
    this.positions = resolvePositions(this.topology, saved.positions);
    const states: NodeStates = this.model.get("node_state") ?? {};
    for (const node of this.topology.nodes) {
      const card = this.renderCard(node, states[node.id]?.variant ?? 0);
      this.cards.set(node.id, card);
      this.pane.append(card.el);
      this.placeCard(node.id);
      this.applyState(card, states[node.id]);
    }
    this.drawEdges();
    if (typeof saved.zoom === "number") {
      this.setView({ x: saved.x ?? 0, y: saved.y ?? 0, zoom: saved.zoom }, false);
    } else {
      this.setView({ x: 0, y: 0, zoom: 1 }, false);
      this.fitWhenSized();
    }
  }

  private renderCard(node: TopoNode, variant = 0): Card {
    const kind = node.kind.toLowerCase();
    const name = node.url
      ? h("a", { class: "daggr-node-name", href: node.url, target: "_blank", rel: "noopener", title: node.url }, node.name)
      : h("span", { class: "daggr-node-name", title: node.name }, node.name);
    const time = h("span", { class: "daggr-time" });
    const fresh = h("span", { class: "daggr-fresh-badge", hidden: true });
    const header = h("div", { class: "daggr-node-header" }, h("span", { class: `daggr-badge daggr-badge-${kind}` }, node.kind), name, fresh, time);
    const prev = h("button", { class: "daggr-btn daggr-hist-prev", type: "button", title: "Previous result", "aria-label": "Previous result" }, "‹");
    const next = h("button", { class: "daggr-btn daggr-hist-next", type: "button", title: "Next result", "aria-label": "Next result" }, "›");
    const historyLabel = h("span", { class: "daggr-history-label" });
    let runBtn: HTMLButtonElement | null = null;
    let menu: HTMLElement | null = null;
    const card: Card = {
      node,
      el: h("div", { class: `daggr-node daggr-kind-${kind} daggr-status-idle`, "data-id": node.id }),
      time,
      status: h("span", { class: "daggr-status" }),
      history: h("span", { class: "daggr-history", hidden: true }, prev, historyLabel, next),
      historyLabel,
      prev,
      next,
      fresh,
      items: null,
      variant,
      error: h("div", { class: "daggr-error", hidden: true }),
      runBtn: null,
      menu: null,
      previews: new Map(),
      lists: new Map(),
      fields: new Map(),
      mode: "to_here",
      state: undefined,
    };
    if (node.kind !== "INPUT") {
      runBtn = h("button", { class: "daggr-btn daggr-run-btn", type: "button" });
      const modeBtn = h("button", { class: "daggr-btn daggr-run-mode", type: "button", title: "Run mode", "aria-label": "Run mode" }, "▾");
      menu = h("div", { class: "daggr-run-menu", hidden: true, role: "menu" });
      for (const [mode, label] of [["to_here", "Run to here"], ["step", "Run this step"]] as const) {
        const item = h("button", { class: "daggr-run-menu-item", type: "button", role: "menuitem", "data-mode": mode }, label);
        item.addEventListener("click", (e) => {
          e.stopPropagation();
          card.mode = mode;
          (menu as HTMLElement).hidden = true;
          this.renderRunButton(card);
        });
        menu.append(item);
      }
      runBtn.addEventListener("click", () => this.onRunClick(card));
      modeBtn.addEventListener("click", (e) => {
        e.stopPropagation();
        (menu as HTMLElement).hidden = !(menu as HTMLElement).hidden;
      });
      header.append(h("div", { class: "daggr-run" }, runBtn, modeBtn, menu));
    }
    card.runBtn = runBtn;
    card.menu = menu;
    prev.addEventListener("click", () => this.browse(card, -1));
    next.addEventListener("click", () => this.browse(card, 1));
    if (runBtn) {
      runBtn.addEventListener("pointerenter", () => this.highlightRun(card, card.mode));
      runBtn.addEventListener("pointerleave", () => this.highlightRun(null));
      menu?.querySelectorAll<HTMLElement>(".daggr-run-menu-item").forEach((item) => {
        item.addEventListener("pointerenter", () => this.highlightRun(card, item.dataset.mode as P.RunMode));
        item.addEventListener("pointerleave", () => this.highlightRun(null));
      });
    }

    const ins = h("div", { class: "daggr-ports-in" });
    for (const p of node.inputs) {
      ins.append(h("div", { class: `daggr-port daggr-port-in${p.wired ? " daggr-wired" : ""}`, title: p.name }, h("i", { class: "daggr-dot" }), p.name));
    }
    const outs = h("div", { class: "daggr-ports-out" });
    for (const p of node.outputs) {
      outs.append(
        h("div", { class: `daggr-port daggr-port-out${p.hidden ? " daggr-hidden-port" : ""}`, title: p.hidden ? `${p.name} (not displayed)` : p.name }, p.name, h("i", { class: "daggr-dot" })),
      );
    }
    const body: HTMLElement[] = [header, h("div", { class: "daggr-ports" }, ins, outs)];

    if (node.variants?.length) {
      const radios = h("div", { class: "daggr-variants", role: "radiogroup" });
      node.variants.forEach((v, i) => {
        const b = h("button", { class: `daggr-variant${i === variant ? " daggr-active" : ""}`, type: "button", role: "radio", "aria-checked": String(i === variant), "data-index": i }, i === variant ? "● " : "○ ", v);
        b.addEventListener("click", () => {
          if (i !== card.variant) this.send(P.variant(node.id, i));
        });
        radios.append(b);
      });
      body.push(radios);
    }

    const fields = h("div", { class: "daggr-fields" });
    const values = this.model.get("inputs") ?? {};
    for (const f of visibleFields(node, variant)) {
      const value = f.key in values ? values[f.key] : f.component.value;
      const view = createField(f, value, (v) => this.inputs.push(f.key, v), this.fieldCtx);
      card.fields.set(f.key, view);
      fields.append(view.el);
    }
    if (fields.childElementCount) body.push(fields);

    if (node.kind !== "INPUT" && node.outputs.length) {
      const previews = h("div", { class: "daggr-outputs" });
      for (const p of node.outputs) {
        if (p.item_list) {
          const list = new ItemListView(p.item_list, (i, field, v) => this.editItem(node.id, p.name, i, field, v));
          list.el.setAttribute("data-port", p.name);
          card.lists.set(p.name, list);
          const out = h("div", { class: "daggr-output daggr-output-items" }, list.el);
          out.style.height = `${previewHeight(p)}px`;
          previews.append(out);
          continue;
        }
        const box = h("div", { class: "daggr-preview daggr-scroll", "data-port": p.name });
        card.previews.set(p.name, box);
        const label = p.component ? String(p.component.props.label ?? p.name) : p.name;
        const out = h("div", { class: "daggr-output" }, h("div", { class: "daggr-output-label" }, label), box);
        out.style.height = `${previewHeight(p)}px`;
        previews.append(out);
      }
      body.push(previews);
    }
    if (this.scattered.has(node.id)) {
      card.items = h("div", { class: "daggr-items daggr-scroll" });
      body.push(card.items);
    }
    body.push(card.error, h("div", { class: "daggr-footer" }, card.status, card.history));
    card.el.append(...body);
    this.heights[node.id] = cardHeight(node, variant, this.scattered.has(node.id));
    this.renderRunButton(card);
    return card;
  }

  private renderRunButton(card: Card): void {
    const btn = card.runBtn;
    if (!btn) return;
    const busy = BUSY.has(card.state?.status ?? "idle");
    btn.classList.toggle("daggr-stop", busy);
    btn.textContent = busy ? "■" : card.mode === "to_here" ? "▶▶" : "▶";
    const title = busy ? "Stop" : card.mode === "to_here" ? "Run to here" : "Run this step";
    btn.title = title;
    btn.setAttribute("aria-label", title);
    card.menu?.querySelectorAll<HTMLElement>(".daggr-run-menu-item").forEach((item) => {
      item.classList.toggle("daggr-active", item.dataset.mode === card.mode);
    });
  }

  private onRunClick(card: Card): void {
    if (BUSY.has(card.state?.status ?? "idle")) {
      this.send(P.stop(card.node.id));
      return;
    }
    // Edits still waiting for their debounce must reach the kernel before the run does.
    // Input values travel inside the run request itself: a kernel may handle comm
    // messages sent back to back out of order (ipykernel dispatches them concurrently
    // while it is busy), and the run must use what the card shows.
    this.itemEdits.flush();
    const carried = Object.fromEntries(this.inputs.take());
    if (Object.keys(carried).length) this.model.set("inputs", { ...(this.model.get("inputs") ?? {}), ...carried });
    card.el.classList.add("daggr-requested");
    this.send(P.run(card.node.id, card.mode, carried));
  }

  private closeMenus(target: Node | null): void {
    for (const card of this.cards.values()) {
      if (card.menu && !card.menu.hidden && !(target && card.menu.parentElement?.contains(target))) card.menu.hidden = true;
    }
  }

  private placeCard(id: string): void {
    const card = this.cards.get(id);
    const pos = this.positions[id];
    if (card && pos) card.el.style.transform = `translate(${pos[0]}px, ${pos[1]}px)`;
  }

  private drawEdges(): void {
    const index = new Map(this.topology.nodes.map((n) => [n.id, n]));
    const states: NodeStates = this.model.get("node_state") ?? {};
    this.edgesSvg.replaceChildren();
    this.edgeEls.clear();
    for (const e of this.topology.edges) {
      const src = index.get(e.source);
      const dst = index.get(e.target);
      if (!src || !dst) continue;
      const oi = src.outputs.findIndex((p) => p.name === e.source_port);
      const ii = dst.inputs.findIndex((p) => p.name === e.target_port);
      if (oi < 0 || ii < 0) continue;
      const from = outputAnchor(this.positions[e.source], oi);
      const to = inputAnchor(this.positions[e.target], ii);
      const fresh = edgeFresh(e, states) ? " daggr-edge-fresh" : " daggr-edge-stale";
      const cls = `daggr-edge${fresh}${e.scatter ? " daggr-edge-scatter" : ""}${e.gather ? " daggr-edge-gather" : ""}`;
      const g = s("g", { class: cls, "data-source": e.source, "data-target": e.target, "data-key": edgeKey(e) });
      if (!this.edgeEls.has(e.target)) this.edgeEls.set(e.target, []);
      this.edgeEls.get(e.target)!.push(g);
      g.append(s("path", { d: edgePath(from, to) }));
      if (e.scatter) g.append(s("path", { class: "daggr-fork", d: forkPath(to, "target") }));
      if (e.gather) g.append(s("path", { class: "daggr-fork", d: forkPath(from, "source") }));
      this.edgesSvg.append(g);
    }
  }

  // -- state ------------------------------------------------------------------------------
  private updateStates(): void {
    const states: NodeStates = this.model.get("node_state") ?? {};
    let redraw = false;
    for (const [id, card] of this.cards) {
      const st = states[id];
      if (st === card.state) continue;
      if (card.node.variants?.length && (st?.variant ?? 0) !== card.variant) {
        this.replaceCard(card, st?.variant ?? 0, st);
        redraw = true;
        continue;
      }
      this.applyState(this.cards.get(id)!, st);
    }
    if (redraw) this.drawEdges();
  }

  /** A ChoiceNode shows the fields of its selected variant: rebuild its card. */
  private replaceCard(old: Card, variant: number, state: NodeState | undefined): void {
    const card = this.renderCard(old.node, variant);
    old.el.replaceWith(card.el);
    for (const port of old.previews.keys()) this.media.release(`${old.node.id}/${port}`);
    this.cards.set(old.node.id, card);
    this.placeCard(old.node.id);
    this.applyState(card, state);
  }

  private editItem(node: string, port: string, index: number, field: string, value: unknown): void {
    const key = `${node}\u0000${port}`;
    const edits = this.itemPending.get(key) ?? new Map<string, unknown>();
    const k = editKey(index, field);
    edits.delete(k); // re-inserted last: the burst's order is the order of last edits
    edits.set(k, value);
    this.itemPending.set(key, edits);
    this.itemEdits.push(key, edits);
  }

  private browse(card: Card, step: number): void {
    const count = card.state?.count ?? 0;
    const index = card.state?.index ?? count - 1;
    const target = index + step;
    if (target < 0 || target >= count) return;
    this.itemEdits.flush(); // edits belong to the result they were made on
    this.send(P.select(card.node.id, target));
  }

  private highlightRun(card: Card | null, mode: P.RunMode = "to_here"): void {
    const states: NodeStates = this.model.get("node_state") ?? {};
    const ids = card ? willRun(this.topology, states, card.node.id, mode) : new Set<string>();
    for (const [id, c] of this.cards) c.el.classList.toggle("daggr-will-run", ids.has(id));
    for (const [target, els] of this.edgeEls) {
      for (const g of els) g.classList.toggle("daggr-will-run", ids.has(target) && ids.has(g.getAttribute("data-source") ?? ""));
    }
  }

  private applyState(card: Card, state: NodeState | undefined): void {
    card.state = state;
    card.el.classList.remove("daggr-requested");
    const status = state?.status ?? "idle";
    card.el.className = card.el.className.replace(/daggr-status-\w+/, `daggr-status-${status}`);
    card.status.textContent = statusText(state);
    card.el.classList.toggle("daggr-cached", status === "cached");
    const count = state?.count ?? 0;
    const index = state?.index ?? count - 1;
    card.history.hidden = count <= 1;
    card.historyLabel.textContent = count > 1 ? (index >= 0 ? `${index + 1}/${count}` : `–/${count}`) : "";
    card.history.title = count > 1 ? `result ${index + 1} of ${count} in history` : "";
    card.prev.disabled = index <= 0;
    card.next.disabled = index >= count - 1;
    const fresh = state?.fresh ?? "never run";
    card.el.classList.toggle("daggr-stale", fresh === "stale");
    card.el.classList.toggle("daggr-never-run", fresh === "never run");
    const badge = card.node.kind === "INPUT" ? "" : FRESH_TEXT[fresh] ?? "";
    card.fresh.hidden = !badge || BUSY.has(status);
    card.fresh.textContent = badge;
    card.fresh.title = fresh === "stale" ? "Inputs or upstream results changed since this result: a run would redo it" : "Never run on this sheet";
    for (const g of this.edgeEls.get(card.node.id) ?? []) {
      const ok = state?.edges?.[g.getAttribute("data-key") ?? ""] === true;
      g.classList.toggle("daggr-edge-fresh", ok);
      g.classList.toggle("daggr-edge-stale", !ok);
    }
    if (card.items) this.renderItems(card, state);
    for (const [port, list] of card.lists) {
      const pending = this.itemPending.get(`${card.node.id}\u0000${port}`);
      list.update(state?.lists?.[port], new Set(pending?.keys() ?? []));
    }
    const error = status === "error" ? state?.error ?? "failed" : null;
    card.error.hidden = !error;
    card.error.replaceChildren(...(error ? [h("b", {}, "Error"), h("div", { class: "daggr-error-text" }, error)] : []));
    this.renderPreviews(card, state?.preview ?? null, state?.rid ?? null);
    this.renderRunButton(card);
    this.renderTime(card);
    this.syncTicker();
  }

  private renderPreviews(card: Card, previews: Record<string, Preview> | null, rid: string | null): void {
    for (const [port, box] of card.previews) {
      const p = previews?.[port];
      const out = card.node.outputs.find((o) => o.name === port) as OutPort;
      const key = `${rid}/${port}`;
      if (box.dataset.shown === key && rid) continue; // same result: keep players and scroll
      box.dataset.shown = key;
      const kind = rendererFor(out?.component?.kind, out?.component?.component, p?.mime);
      const slot = `${card.node.id}/${port}`;
      const rich = rid && p && p.type !== "none" && kind !== "text";
      box.classList.toggle("daggr-rich", Boolean(rich));
      if (!rich || !rid) {
        this.media.release(slot);
        box.replaceChildren(renderPreview(p, out?.component?.component));
        continue;
      }
      box.replaceChildren(renderPreview(p, out?.component?.component));
      this.renderRich(box, slot, kind, { result: rid, port }, key);
    }
  }

  /** Fetches the full value (or file) and renders it; the text preview stays meanwhile. */
  private renderRich(box: HTMLElement, slot: string, kind: string, target: FetchTarget, key: string): void {
    const still = () => box.dataset.shown === key;
    if (kind === "gallery") {
      this.media
        .fetch(target)
        .then((f) => {
          const list = decodeJson(f);
          if (!still() || !Array.isArray(list)) return;
          const grid = h("div", { class: "daggr-gallery" });
          box.replaceChildren(grid);
          list.slice(0, 24).forEach((_, i) => {
            const t = { ...target, item: i };
            this.media.fetch(t).then((img) => {
              if (still()) grid.append(mediaElement("image", this.media.urlFor(`${slot}#${i}`, t, img), img.name));
            }, () => undefined);
          });
        })
        .catch((e: Error) => still() && box.replaceChildren(h("span", { class: "daggr-fallback" }, e.message)));
      return;
    }
    this.media
      .fetch(target)
      .then((f) => {
        if (!still()) return;
        if (["image", "audio", "video", "file"].includes(kind) || !f.mime.includes("json")) {
          const k = f.mime.startsWith("image/") ? "image" : kind;
          box.replaceChildren(mediaElement(k, this.media.urlFor(slot, target, f), f.name));
        } else {
          this.media.release(slot);
          box.replaceChildren(renderValue(kind, decodeJson(f)));
        }
      })
      .catch((e: Error) => still() && box.replaceChildren(h("span", { class: "daggr-fallback" }, e.message)));
  }

  private renderItems(card: Card, state: NodeState | undefined): void {
    const el = card.items!;
    const items = state?.items;
    if (!items) {
      el.replaceChildren(h("div", { class: "daggr-items-head" }, "Items"), h("span", { class: "daggr-empty" }, "—"));
      return;
    }
    const head = h("div", { class: "daggr-items-head" }, `Items (${items.n})`);
    if (items.failed && !BUSY.has(state?.status ?? "idle")) {
      const retry = h("button", { class: "daggr-btn daggr-retry", type: "button", title: "Run the node again: only failed items re-run" }, `↻ re-run ${items.failed} failed`);
      retry.addEventListener("click", () => this.send(P.run(card.node.id, "step")));
      head.append(retry);
    }
    const rows = items.list.map((r, i) =>
      h("div", { class: `daggr-item daggr-item-${r.s === "ok" ? "ok" : "error"}`, title: r.t }, h("span", { class: "daggr-item-n" }, `${i + 1}`), h("span", { class: "daggr-item-mark" }, r.s === "ok" ? "✓" : "✗"), h("span", { class: "daggr-item-text" }, r.t)),
    );
    if (items.n > items.list.length) rows.push(h("div", { class: "daggr-empty" }, `… ${items.n - items.list.length} more`));
    el.replaceChildren(head, ...rows);
  }

  private renderTime(card: Card): void {
    const st = card.state;
    if (!st) {
      card.time.textContent = "";
      return;
    }
    if (st.status === "running" && typeof st.started === "number") {
      card.time.textContent = formatSeconds(Date.now() / 1000 - st.started);
    } else if ((st.status === "ok" || st.status === "cached" || st.status === "error") && typeof st.duration === "number") {
      card.time.textContent = formatSeconds(st.duration);
    } else {
      card.time.textContent = "";
    }
  }

  private syncTicker(): void {
    const running = [...this.cards.values()].some((c) => c.state?.status === "running");
    if (running && !this.ticker) {
      this.ticker = setInterval(() => {
        for (const c of this.cards.values()) if (c.state?.status === "running") this.renderTime(c);
      }, 100);
    } else if (!running && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = null;
    }
  }

  private lastInputs: Record<string, unknown> = {};

  private updateInputs(): void {
    const values = this.model.get("inputs") ?? {};
    for (const card of this.cards.values()) {
      for (const [key, view] of card.fields) {
        if (key in values && values[key] !== this.lastInputs[key] && !this.inputs.pending().includes(key)) view.setValue(values[key]);
      }
    }
    this.lastInputs = values;
  }

  private onViewportChange(): void {
    if (this.dragging) return;
    const vp = this.savedViewport();
    let moved = false;
    for (const [id, pos] of Object.entries(vp.positions)) {
      const cur = this.positions[id];
      if (this.cards.has(id) && (!cur || cur[0] !== pos[0] || cur[1] !== pos[1])) {
        this.positions[id] = pos;
        this.placeCard(id);
        moved = true;
      }
    }
    // A sheet switch brings another sheet's layout: cards it has no position for go back
    // to their automatic place.
    const auto = resolvePositions(this.topology, vp.positions);
    for (const id of this.cards.keys()) {
      const cur = this.positions[id];
      if (!(id in vp.positions) && cur && (cur[0] !== auto[id][0] || cur[1] !== auto[id][1])) {
        this.positions[id] = auto[id];
        this.placeCard(id);
        moved = true;
      }
    }
    if (moved) this.drawEdges();
    if (typeof (this.model.get("viewport") ?? {}).zoom !== "number") {
      this.fitView(false); // a sheet never panned or zoomed: show all of it
      return;
    }
    if (vp.x !== this.view.x || vp.y !== this.view.y || vp.zoom !== this.view.zoom) {
      this.setView({ x: vp.x, y: vp.y, zoom: vp.zoom }, false);
    }
  }

  // -- navigation --------------------------------------------------------------------------
  private movingTimer: ReturnType<typeof setTimeout> | null = null;

  private setView(v: View, save = true): void {
    this.view = v;
    this.pane.style.transform = `translate(${v.x}px, ${v.y}px) scale(${v.zoom})`;
    // While the view moves, the pane gets its own compositor layer (panning then repaints
    // nothing); afterwards it is dropped so zoomed text is re-rasterised sharply.
    this.root.classList.add("daggr-moving");
    if (this.movingTimer) clearTimeout(this.movingTimer);
    this.movingTimer = setTimeout(() => this.root.classList.remove("daggr-moving"), 200);
    this.zoomLabel.textContent = `${Math.round(v.zoom * 100)}%`;
    this.root.classList.toggle("daggr-far", v.zoom < 0.5);
    if (save) this.views.push("view", v);
  }

  private zoomBy(factor: number): void {
    const r = this.viewportEl.getBoundingClientRect();
    this.setView(zoomAt(this.view, factor, r.width / 2, r.height / 2));
  }

  /** Fit once the element has a size: output areas attach (and unhide) it after render. */
  private fitWhenSized(): void {
    if (typeof ResizeObserver === "undefined") {
      requestAnimationFrame(() => this.fitView(false));
      return;
    }
    const observer = new ResizeObserver(() => {
      const r = this.viewportEl.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) {
        observer.disconnect();
        this.fitView(false);
      }
    });
    observer.observe(this.viewportEl);
    this.cleanups.push(() => observer.disconnect());
  }

  fitView(save = true): void {
    const r = this.viewportEl.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) return;
    this.setView(fit(bounds(this.positions, this.heights), r.width, r.height), save);
  }

  private onWheel(e: WheelEvent): void {
    const scrollable = (e.target as HTMLElement).closest?.(".daggr-scroll") as HTMLElement | null;
    if (scrollable && !e.ctrlKey && !e.metaKey && canScroll(scrollable, e.deltaY)) return;
    e.preventDefault();
    const r = this.viewportEl.getBoundingClientRect();
    if (e.ctrlKey || e.metaKey) {
      // Trackpad pinches arrive as many small ctrl+wheel deltas: scale smoothly with them.
      const factor = Math.exp(-Math.max(-50, Math.min(50, e.deltaY)) * 0.01);
      this.setView(zoomAt(this.view, factor, e.clientX - r.left, e.clientY - r.top));
    } else {
      this.setView({ ...this.view, x: this.view.x - e.deltaX, y: this.view.y - e.deltaY });
    }
  }

  private onPointerDown(e: PointerEvent): void {
    if (e.button !== 0) return;
    const target = e.target as HTMLElement;
    if (target.closest("button, a, input, textarea, select, label, .daggr-run-menu, .daggr-preview, .daggr-error")) return;
    const cardEl = target.closest(".daggr-node") as HTMLElement | null;
    if (cardEl && !target.closest(".daggr-node-header")) return;
    e.preventDefault();
    const start = [e.clientX, e.clientY];
    const id = cardEl?.dataset.id;
    const origin: Point = id ? [...this.positions[id]] as Point : [this.view.x, this.view.y];
    this.dragging = true;
    cardEl?.classList.add("daggr-dragging");
    const move = (ev: PointerEvent) => {
      const dx = ev.clientX - start[0];
      const dy = ev.clientY - start[1];
      if (id) {
        this.positions[id] = [origin[0] + dx / this.view.zoom, origin[1] + dy / this.view.zoom];
        this.placeCard(id);
        this.drawEdges();
        this.moves.push(id, this.positions[id]);
      } else {
        this.setView({ ...this.view, x: origin[0] + dx, y: origin[1] + dy });
      }
    };
    const up = () => {
      this.dragging = false;
      cardEl?.classList.remove("daggr-dragging");
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      window.removeEventListener("pointercancel", up);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
    window.addEventListener("pointercancel", up);
  }
}

function canScroll(el: HTMLElement, dy: number): boolean {
  if (el.scrollHeight <= el.clientHeight) return false;
  return dy < 0 ? el.scrollTop > 0 : el.scrollTop + el.clientHeight < el.scrollHeight;
}

const MEDIA = new Set(["Image", "Audio", "Video", "File", "Gallery", "Model3D"]);

export function renderPreview(p: Preview | undefined, component?: string): HTMLElement {
  if (p?.type === "file" && component && !MEDIA.has(component)) component = undefined;
  if (!p || p.type === "none") return h("span", { class: "daggr-empty" }, "—");
  switch (p.type) {
    case "text":
    case "json":
      return h("pre", { class: `daggr-value daggr-value-${p.type}` }, (p.text ?? "") + (p.truncated ? "…" : ""));
    case "number":
      return h("span", { class: "daggr-value daggr-value-number" }, p.text ?? "");
    case "file": {
      const what = component && MEDIA.has(component) ? component : "File";
      return h("span", { class: "daggr-value daggr-value-file", title: p.name ?? "" }, `${what}: ${p.name ?? "?"}`);
    }
    case "binary":
      return h("span", { class: "daggr-value daggr-fallback" }, `binary data, ${formatBytes(p.size ?? 0)}`);
    default:
      return h("span", { class: "daggr-value daggr-fallback" }, `${p.name ?? "object"} (no preview)`);
  }
}

export { CARD_W };
