// The canvas view: a toolbar over a stage where cards, wires and group frames sit on a
// CSS-transformed pane. Plain DOM: the graph is defined in Python, so the canvas never
// edits nodes or wires, and a status change touches only its own card (fields keep focus
// while runs update the view). This module wires the parts together and follows the
// model; each part lives in its own module.
import { Arrangement, SAVE_DEBOUNCE_MS } from "./arrange";
import { Board } from "./board";
import { Camera } from "./camera";
import type { Card } from "./card";
import { applyCardState, BUSY, renderOutputs, setRunMode, Ticker } from "./cardState";
import { CapturePanel } from "./capture";
import { h, Toast } from "./dom";
import { MediaClient } from "./fetcher";
import { groupSummary } from "./groups";
import { Gestures } from "./interactions";
import { handleKey } from "./keyboard";
import { Liveness, type Mode, STATIC_NOTICE } from "./liveness";
import { visibleBox } from "./minimap";
import { Overview } from "./overview";
import { Partials, type PartialOp } from "./partials";
import * as P from "./protocol";
import { Requests } from "./requests";
import type { Layout, LayoutPatch } from "./sheetLayout";
import { willRun } from "./stale";
import "./viewers"; // registers the viewer of every value kind
import { lockCard, thumbnailLookup } from "./staticCopy";
import { Toolbar } from "./toolbar";
import type { NodeStates, SheetsInfo, Topology } from "./types";
import { ViewportSync } from "./viewportSync";
import { wireInfo, WireTip } from "./wireTip";

export { INPUT_DEBOUNCE_MS, ITEM_DEBOUNCE_MS } from "./requests";
export { VIEW_DEBOUNCE_MS } from "./camera";
export { statusText } from "./cardState";
export const MOVE_DEBOUNCE_MS = SAVE_DEBOUNCE_MS;

/** The part of the anywidget model (AFM) API the canvas uses. */
export interface ModelLike {
  get(key: string): any;
  set(key: string, value: unknown): void;
  on(event: string, cb: (...args: any[]) => void): void;
  off(event: string, cb?: (...args: any[]) => void): void;
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[]): void;
}

export class CanvasView {
  readonly root: HTMLElement;
  readonly media: MediaClient;
  private stage: HTMLElement;
  private toast = new Toast();
  private toolbar: Toolbar;
  private board: Board;
  private camera: Camera;
  private overview: Overview;
  private sync: ViewportSync;
  private arrange: Arrangement;
  private requests: Requests;
  private tip: WireTip;
  private capture: CapturePanel;
  private ticker = new Ticker();
  private partials = new Partials();
  private streaming = new Set<string>(); // cards whose values so far changed since the last frame
  private drawing: number | null = null;
  private resyncs = 0;
  private states: NodeStates = {};
  private cleanups: (() => void)[] = [];
  private frame: ReturnType<typeof setTimeout> | null = null;
  private dragging = false;
  private lastInputs: Record<string, unknown> = {};
  private sheet = "";
  private liveness: Liveness;
  private notice = h("div", { class: "daggr-static-notice", role: "status", hidden: true }, STATIC_NOTICE);

  private lastFocus: HTMLElement | null = null;

  constructor(readonly model: ModelLike, host: HTMLElement) {
    this.media = new MediaClient((content) => model.send(content));
    this.requests = new Requests(model, (m) => this.showError(m));
    this.capture = new CapturePanel((key, file) => this.requests.upload(key, file));
    this.tip = new WireTip(this.media);
    this.toolbar = new Toolbar({
      runAll: () => this.requests.runAll(),
      stopAll: () => this.requests.send(P.stopAll()),
      undo: () => this.arrange.undo(),
      redo: () => this.arrange.redo(),
      group: () => this.arrange.group(),
      zoomBy: (f) => this.camera.zoomBy(f),
      fit: () => this.camera.fit(this.overview.world()),
      toggleMinimap: () => this.toggleMinimap(),
      find: (id) => this.showNode(id),
      sheet: (req) => {
        // Pans, moves and item edits still waiting belong to the sheet being left.
        this.arrange.flush();
        this.camera.flush();
        this.requests.flush(false);
        this.requests.send(req);
      },
    });
    const traceback = (node: string, rid: string | null) => this.media.ask({ type: "traceback", node, result: rid }).then((f) => new TextDecoder().decode(f.bytes));
    this.board = new Board(
      {
        inputValues: () => this.model.get("inputs") ?? {},
        fieldContext: { upload: (k, f) => this.requests.upload(k, f), media: this.media, capture: (k, label, kind) => void this.capture.start(k, label, kind) },
        failure: { nameOf: (id) => this.board.nodeName(id), showNode: (id) => this.showNode(id), traceback },
        onInput: (key, value) => this.requests.input(key, value),
        onRun: (card) => this.requests.run(card),
        onMode: (card, mode) => setRunMode(card, mode),
        onBrowse: (card, step) => this.requests.browse(card, step),
        onVariant: (card, i) => this.requests.send(P.variant(card.node.id, i)),
        onEditItem: (n, p, i, f, v) => this.requests.editItem(n, p, i, f, v),
        onCollapse: (card) => this.arrange.toggleCard(card.node.id),
        highlightRun: (card, mode) => this.highlightRun(card, mode),
      },
      {
        summary: (g) => groupSummary(g, this.states),
        onDrag: (g, e) => gestures.moveGroup(e, g),
        onCollapse: (g) => this.arrange.toggleGroup(g.id),
        onRename: (g, title) => this.arrange.rename(g.id, title),
        onColour: (g) => this.arrange.recolour(g.id),
        onUngroup: (g) => this.arrange.ungroup(g.id),
      },
      { enter: (e, x, y) => this.tip.show(wireInfo(this.board, this.states, e), x, y, this.stage.getBoundingClientRect()), leave: () => this.tip.hide() },
      (card) => this.applyState(card),
    );
    this.arrange = new Arrangement({
      sheet: () => this.sheet,
      layout: () => this.board.layout,
      show: (layout, patch) => this.showLayout(layout, patch),
      save: (patch) => this.sync.saveLayout(patch),
      changed: () => this.refreshTools(),
    });
    const viewportEl = h("div", { class: "daggr-viewport" }, this.board.pane);
    const band = h("div", { class: "daggr-band", hidden: true });
    this.root = h("div", { class: "daggr-root", tabindex: -1, "data-lm-suppress-shortcuts": "true" }, this.toolbar.el);
    this.camera = new Camera({
      root: this.root,
      viewportEl,
      pane: this.board.pane,
      save: (v) => this.sync.saveView(v),
      moved: (v) => {
        this.toolbar.setZoom(v.zoom);
        this.schedule(true);
      },
    });
    this.overview = new Overview(this.board, this.camera, () => this.sync.minimapChoice());
    this.sync = new ViewportSync(model, (req) => this.requests.send(req), this.board, this.camera, this.overview, this.cleanups);
    this.stage = h("div", { class: "daggr-stage" }, viewportEl, band, this.overview.minimap.el, this.tip.el, this.capture.el, this.toast.el, this.notice);
    this.root.append(this.stage);
    const gestures = new Gestures(viewportEl, band, this.board, this.camera, this.arrange, (on) => (this.dragging = on));
    host.append(this.root);
    this.applyHeight();
    this.listen(this.root, "focusin", (e) => (this.lastFocus = e.target as HTMLElement));

    this.listen(this.root, "keydown", (e) =>
      handleKey(e as KeyboardEvent, {
        close: () => this.closeMenus(null),
        run: (id) => this.board.cards.get(id) && this.requests.run(this.board.cards.get(id)!),
        undo: () => this.arrange.undo(),
        redo: () => this.arrange.redo(),
        find: () => this.toolbar.find.focus(),
        group: () => this.arrange.group(),
        fit: () => this.camera.fit(this.overview.world()),
        hint: (m) => this.toast.show(m, true),
      }),
    );
    this.listen(viewportEl, "wheel", (e) => gestures.wheel(e as WheelEvent), { passive: false });
    this.listen(viewportEl, "pointerdown", (e) => gestures.pointerDown(e as PointerEvent));
    this.listen(document, "click", (e) => this.closeMenus(e.target as Node));
    const on = (event: string, fn: (...a: any[]) => void) => {
      model.on(event, fn);
      this.cleanups.push(() => model.off(event, fn));
    };
    on("change:topology", () => this.renderAll());
    on("change:node_state", () => this.updateStates());
    on("change:inputs", () => this.updateInputs());
    on("change:viewport", () => !this.sync.own && !this.dragging && this.loadLayout(false));
    on("change:height", () => this.applyHeight());
    on("change:sheets", () => this.updateSheets(this.model.get("sheets")));
    on("msg:custom", (msg: unknown, buffers?: DataView[]) => {
      if (this.media.onMessage(msg, buffers)) return;
      const u = P.parseUpdate(msg);
      if (u?.type === "error") this.showError(u.message);
      else if (u?.type === "partial") this.applyPartial(u.nodes);
    });
    this.updateSheets(this.model.get("sheets"));
    this.liveness = new Liveness(model, (mode) => this.setMode(mode));
    if (this.liveness.mode === "static") this.setMode("static", false);
    this.renderAll();
  }

  /** Live (a kernel answers) or a static copy of a saved notebook (read-only). */
  get mode(): Mode {
    return this.liveness.mode;
  }

  private setMode(mode: Mode, rerender = true): void {
    const still = mode === "static";
    this.root.classList.toggle("daggr-static-copy", still);
    this.requests.enabled = !still;
    this.media.setOffline(still ? thumbnailLookup(() => this.model.get("thumbnails")) : null, STATIC_NOTICE);
    this.toolbar.setReadOnly(still);
    this.notice.hidden = !still;
    // Cards are rebuilt: their boxes fetch again (thumbnails, or the kernel's values), and
    // their controls follow the mode.
    if (rerender) this.renderAll();
  }

  /** Moves the whole view into another host element (a re-render of the same output);
   * the field that had the focus gets it back. */
  moveTo(host: HTMLElement): void {
    host.append(this.root);
    const focus = this.lastFocus;
    if (focus && this.root.contains(focus) && (document.activeElement === document.body || !document.activeElement)) {
      focus.focus({ preventScroll: true });
    }
    this.schedule(true);
  }

  destroy(): void {
    this.liveness?.destroy();
    this.requests.flush();
    this.arrange.destroy();
    this.camera.destroy();
    for (const c of this.cleanups) c();
    this.cleanups = [];
    this.ticker.stop();
    if (this.drawing !== null) cancelAnimationFrame(this.drawing);
    this.toast.destroy();
    if (this.frame) clearTimeout(this.frame);
    this.capture.close();
    this.media.destroy();
    this.root.remove();
  }

  private listen(target: EventTarget, type: string, fn: (e: Event) => void, opts?: AddEventListenerOptions) {
    target.addEventListener(type, fn, opts);
    this.cleanups.push(() => target.removeEventListener(type, fn, opts));
  }

  private applyHeight(): void {
    this.root.style.height = `${Number(this.model.get("height")) || 520}px`;
  }

  private showError(message: string): void {
    this.toast.show(message);
    for (const card of this.board.cards.values()) card.el.classList.remove("daggr-requested");
  }

  // -- topology, layout and state ----------------------------------------------------------
  private renderAll(): void {
    const topology: Topology = this.model.get("topology") ?? { name: "", nodes: [], edges: [] };
    this.states = this.model.get("node_state") ?? {};
    this.toolbar.title.textContent = topology.name;
    this.toolbar.find.setNodes(topology.nodes);
    this.board.setTopology(topology, this.states);
    this.loadLayout(true);
  }

  private loadLayout(fresh: boolean): void {
    this.overview.invalidate();
    this.sync.load(fresh);
    this.refreshTools();
  }

  private showLayout(layout: Layout, patch: LayoutPatch): void {
    this.board.layout = layout;
    this.overview.invalidate();
    if (patch.groups) this.board.relayout(this.states);
    else this.board.moved(new Set([...Object.keys(patch.positions ?? {}), ...Object.keys(patch.sizes ?? {}), ...Object.keys(patch.collapsed ?? {})]));
    this.schedule(false);
  }

  private updateStates(): void {
    const states: NodeStates = this.model.get("node_state") ?? {};
    this.states = states;
    for (const [id, st] of Object.entries(states)) this.partials.follow(id, st?.stream);
    for (const [id, card] of this.board.cards) {
      const st = states[id];
      if (st === card.state) continue;
      if (card.node.variants?.length && (st?.variant ?? 0) !== card.variant) {
        for (const port of card.previews.keys()) this.media.release(`${id}/${port}`);
        this.board.build(id, states); // a ChoiceNode shows the fields of its variant
        this.board.moved(new Set([id]));
      } else this.applyState(card);
    }
    for (const id of Object.keys(states)) this.board.edges.refresh(id, states[id]);
    this.board.updateKinds(states);
    if (this.board.layout.groups.length) this.board.groups.place();
    this.ticker.sync(() => this.board.cards.values());
    this.refreshTools();
    this.overview.invalidate();
    this.schedule(false);
  }

  /** A running node's values so far: only its output boxes change, once per frame. */
  private applyPartial(nodes: Record<string, Record<string, PartialOp>>): void {
    const ctx = { media: this.media, partials: this.partials };
    const applied = this.partials.apply(nodes);
    for (const id of applied.changed) this.streaming.add(id);
    if (applied.changed.size && this.drawing === null) {
      this.drawing = requestAnimationFrame(() => {
        this.drawing = null;
        for (const id of this.streaming) {
          const card = this.board.cards.get(id);
          if (card) renderOutputs(card, this.states[id], ctx);
        }
        this.streaming.clear();
      });
    }
    for (const [id, port] of applied.resync) {
      const stream = this.states[id]?.stream;
      if (!stream) continue;
      // The whole text so far (this view missed the start): named by the node's stream.
      this.media
        .ask({ type: "fetch", result: `${stream}.r${++this.resyncs}`, port })
        .then((f) => {
          const value = f.mime.includes("json") ? JSON.parse(new TextDecoder().decode(f.bytes)) : new TextDecoder().decode(f.bytes);
          const card = this.board.cards.get(id);
          if (this.partials.resynced(id, port, typeof value === "string" ? value : JSON.stringify(value)) && card) renderOutputs(card, this.states[id], ctx);
        })
        .catch(() => undefined);
    }
  }

  private applyState(card: Card): void {
    applyCardState(card, this.states[card.node.id], {
      topology: this.board.topology,
      states: this.states,
      media: this.media,
      partials: this.partials,
      pendingItems: (n, p) => this.requests.pendingItems(n, p),
      retry: (c) => this.requests.run(c, "step"),
    });
    card.el.classList.toggle("daggr-selected", this.arrange?.selection.has(card.node.id) ?? false);
    if (this.liveness?.mode === "static") lockCard(card);
  }

  private updateInputs(): void {
    const values = this.model.get("inputs") ?? {};
    const editing = this.requests.editing();
    for (const card of this.board.cards.values()) {
      for (const [key, view] of card.fields) {
        if (key in values && values[key] !== this.lastInputs[key] && !editing.includes(key)) view.setValue(values[key]);
      }
    }
    this.lastInputs = values;
  }

  private updateSheets(info: SheetsInfo | undefined): void {
    if (!info) return;
    if (this.sheet && this.sheet !== info.current && !info.names.includes(this.sheet)) this.arrange.history.rename(this.sheet, info.current);
    this.sheet = info.current;
    this.toolbar.sheets.update(info);
    this.refreshTools();
  }

  // -- what follows the view and the states -------------------------------------------------
  /** Builds cards coming into view now, then once per frame the ones near it, and
   * redraws the minimap. */
  private schedule(cardsNow: boolean): void {
    const { width, height } = this.camera.size();
    if (cardsNow && width > 0) this.board.ensureCards(visibleBox(this.camera.view, width, height), this.states);
    if (this.frame) return;
    this.frame = setTimeout(() => {
      this.frame = null;
      if (this.board.buildSome(this.states)) this.schedule(false);
      this.toolbar.setMinimap(this.overview.draw(this.states));
    }, 16);
  }

  private toggleMinimap(): void {
    this.sync.setMinimap(this.overview.minimap.el.hidden);
    this.toolbar.setMinimap(this.overview.draw(this.states));
  }

  private refreshTools(): void {
    const nodes = this.board.topology.nodes;
    const busy = nodes.some((n) => BUSY.has(this.states[n.id]?.status ?? "idle"));
    const stale = nodes.filter((n) => n.kind !== "INPUT" && this.states[n.id]?.fresh !== "fresh").length;
    this.toolbar.setRuns(stale, busy);
    this.toolbar.setUndo(this.arrange?.history.peekUndo(this.sheet)?.label, this.arrange?.history.peekRedo(this.sheet)?.label);
    const selection = this.arrange?.selection ?? new Set();
    this.toolbar.setSelection(selection.size);
    for (const [id, card] of this.board.cards) card.el.classList.toggle("daggr-selected", selection.has(id));
  }

  /** Moves the view to a node (found by name, or named by a skipped card) and focuses it. */
  showNode(id: string): void {
    const group = this.arrange.groupOf(id);
    if (group?.collapsed) this.arrange.toggleGroup(group.id);
    const card = this.board.cards.get(id) ?? this.board.build(id, this.states);
    const box = this.board.cardBox(id);
    if (!card || !box) return;
    this.camera.show(box);
    card.el.focus({ preventScroll: true });
    card.el.classList.add("daggr-found");
    setTimeout(() => card.el.classList.remove("daggr-found"), 1500);
  }

  private highlightRun(card: Card | null, mode: P.RunMode = "to_here"): void {
    const ids = card ? willRun(this.board.topology, this.states, card.node.id, mode) : new Set<string>();
    for (const [id, c] of this.board.cards) c.el.classList.toggle("daggr-will-run", ids.has(id));
    this.board.edges.highlight(ids);
  }

  /** Closes open menus; a click inside a menu (or on its button) keeps that one open. */
  private closeMenus(target: Node | null): void {
    for (const card of this.board.cards.values()) {
      if (card.menu && !card.menu.hidden && !(target && card.menu.parentElement?.contains(target))) card.menu.hidden = true;
    }
    if (!target || !this.toolbar.sheets.el.contains(target)) this.toolbar.sheets.close();
    if (!target || !this.toolbar.find.el.contains(target)) this.toolbar.find.close();
    if (!target) {
      this.capture.close();
      this.tip.hide();
      if (this.arrange.selection.size) this.arrange.select([], false);
    }
  }
}
