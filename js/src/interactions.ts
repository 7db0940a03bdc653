// Pointer gestures on the canvas: wheel to pan (Ctrl+wheel or a pinch to zoom), drag the
// background to pan or, with Shift, to select cards; drag a card's header to move it (and
// the other selected cards), its corner to resize it, a group's title to move the group.
// Each gesture previews its change while the pointer moves and commits it once (one undo
// step, one save) when the pointer is released.
import type { Arrangement } from "./arrange";
import type { Board } from "./board";
import type { Camera } from "./camera";
import { cardsIn, movedMembers } from "./groups";
import { type Layout, type LayoutPatch, clampSize } from "./sheetLayout";
import type { Group, Point } from "./types";
import { type Box, type View, toWorld, zoomAt } from "./viewport";

/** What gestures work on: the board's layout, the camera's view, the arrangement's
 * selection and changes. */
class GestureHost {
  constructor(
    readonly viewportEl: HTMLElement,
    readonly band: HTMLElement, // the rubber-band rectangle
    private board: Board,
    private camera: Camera,
    private arrange: Arrangement,
    readonly setDragging: (on: boolean) => void,
  ) {}
  view = (): View => this.camera.view;
  setView = (v: View) => this.camera.set(v);
  layout = (): Layout => this.board.layout;
  boxOf = (id: string) => this.board.cardBox(id);
  boxes = () => this.board.boxes();
  get selection(): Set<string> {
    return this.arrange.selection;
  }
  select = (ids: string[], add: boolean) => this.arrange.select(ids, add);
  preview = (patch: LayoutPatch) => this.arrange.preview(patch);
  commit = (before: Layout, patch: LayoutPatch, label: string) => this.arrange.commit(before, patch, label);
}

/** Calls `move(dx, dy)` with the pointer's offset in screen pixels until it is released,
 * then `end(moved)`. */
export function trackDrag(e: PointerEvent, move: (dx: number, dy: number) => void, end: (moved: boolean) => void): void {
  const [x0, y0] = [e.clientX, e.clientY];
  let moved = false;
  const onMove = (ev: PointerEvent) => {
    const dx = ev.clientX - x0;
    const dy = ev.clientY - y0;
    if (!moved && Math.abs(dx) + Math.abs(dy) < 3) return; // a click, not a drag
    moved = true;
    move(dx, dy);
  };
  const onUp = () => {
    window.removeEventListener("pointermove", onMove);
    window.removeEventListener("pointerup", onUp);
    window.removeEventListener("pointercancel", onUp);
    end(moved);
  };
  window.addEventListener("pointermove", onMove);
  window.addEventListener("pointerup", onUp);
  window.addEventListener("pointercancel", onUp);
}

export function canScroll(el: HTMLElement, dy: number): boolean {
  if (el.scrollHeight <= el.clientHeight) return false;
  return dy < 0 ? el.scrollTop > 0 : el.scrollTop + el.clientHeight < el.scrollHeight;
}

const NO_DRAG = "button, a, input, textarea, select, label, .daggr-run-menu, .daggr-preview, .daggr-error, .daggr-minimap";

export class Gestures {
  private host: GestureHost;

  constructor(viewportEl: HTMLElement, band: HTMLElement, board: Board, camera: Camera, arrange: Arrangement, setDragging: (on: boolean) => void) {
    this.host = new GestureHost(viewportEl, band, board, camera, arrange, setDragging);
  }

  wheel(e: WheelEvent): void {
    const scrollable = (e.target as HTMLElement).closest?.(".daggr-scroll") as HTMLElement | null;
    if (scrollable && !e.ctrlKey && !e.metaKey && canScroll(scrollable, e.deltaY)) return;
    e.preventDefault();
    const v = this.host.view();
    const r = this.host.viewportEl.getBoundingClientRect();
    if (e.ctrlKey || e.metaKey) {
      // Trackpad pinches arrive as many small ctrl+wheel deltas: scale smoothly with them.
      const factor = Math.exp(-Math.max(-50, Math.min(50, e.deltaY)) * 0.01);
      this.host.setView(zoomAt(v, factor, e.clientX - r.left, e.clientY - r.top));
    } else {
      this.host.setView({ ...v, x: v.x - e.deltaX, y: v.y - e.deltaY });
    }
  }

  pointerDown(e: PointerEvent): void {
    if (e.button !== 0) return;
    const target = e.target as HTMLElement;
    if (target.closest(".daggr-resize")) return this.resize(e, target.closest(".daggr-node") as HTMLElement);
    if (target.closest(NO_DRAG)) return;
    const cardEl = target.closest(".daggr-node") as HTMLElement | null;
    if (cardEl && !target.closest(".daggr-node-header")) return;
    e.preventDefault();
    // No default focus change on a drag: give the keys (Ctrl+Z, Delete, ...) to the canvas.
    const focus = cardEl ?? (this.host.viewportEl.closest(".daggr-root") as HTMLElement | null);
    focus?.focus({ preventScroll: true });
    const id = cardEl?.dataset.id;
    if (id && (e.shiftKey || e.ctrlKey || e.metaKey)) return this.host.select([id], true);
    if (id) return this.moveCards(e, id, cardEl!);
    if (e.shiftKey) return this.band(e);
    this.host.select([], false);
    this.pan(e);
  }

  private pan(e: PointerEvent): void {
    const v0 = this.host.view();
    this.host.setDragging(true);
    trackDrag(e, (dx, dy) => this.host.setView({ ...v0, x: v0.x + dx, y: v0.y + dy }), () => this.host.setDragging(false));
  }

  /** A layout change made by dragging: `patchAt(dx, dy)` (world units) is previewed as
   * the pointer moves and committed once, as one undo step, when it is released. */
  private edit(e: PointerEvent, label: string, patchAt: (dx: number, dy: number, before: Layout) => LayoutPatch, done?: () => void): void {
    const before = this.host.layout();
    const zoom = this.host.view().zoom;
    let patch: LayoutPatch = {};
    this.host.setDragging(true);
    trackDrag(
      e,
      (dx, dy) => {
        patch = patchAt(dx / zoom, dy / zoom, before);
        this.host.preview(patch);
      },
      (moved) => {
        done?.();
        this.host.setDragging(false);
        if (moved) this.host.commit(before, patch, label);
      },
    );
  }

  /** Drags a card's header: it moves, with the other selected cards. */
  private moveCards(e: PointerEvent, id: string, cardEl: HTMLElement): void {
    const ids = this.host.selection.has(id) ? [...this.host.selection] : [id];
    cardEl.classList.add("daggr-dragging");
    const moveBy = (dx: number, dy: number, before: Layout) => {
      const positions: Record<string, Point> = {};
      for (const n of ids) {
        const p = before.positions[n];
        if (p) positions[n] = [Math.round(p[0] + dx), Math.round(p[1] + dy)];
      }
      return { positions };
    };
    this.edit(e, ids.length > 1 ? `move of ${ids.length} cards` : "move", moveBy, () => cardEl.classList.remove("daggr-dragging"));
  }

  /** Drags a group's title: all its cards move together. */
  moveGroup(e: PointerEvent, group: Group): void {
    e.preventDefault();
    this.edit(e, "group move", (dx, dy, before) => ({ positions: movedMembers(group, before.positions, dx, dy) }));
  }

  /** Drags a card's corner: its size (a collapsed card opens: a size is for its content). */
  private resize(e: PointerEvent, cardEl: HTMLElement | null): void {
    const id = cardEl?.dataset.id;
    const box = id ? this.host.boxOf(id) : null;
    if (!id || !box) return;
    e.preventDefault();
    e.stopPropagation();
    this.edit(e, "resize", (dx, dy, before) => {
      const patch: LayoutPatch = { sizes: { [id]: clampSize([box.w + dx, box.h + dy]) } };
      if (before.collapsed.has(id)) patch.collapsed = { [id]: false };
      return patch;
    });
  }

  /** Shift+drag on the background: select the cards the rectangle touches. */
  private band(e: PointerEvent): void {
    const r = this.host.viewportEl.getBoundingClientRect();
    const v = this.host.view();
    const [sx, sy] = [e.clientX - r.left, e.clientY - r.top];
    const band = this.host.band;
    let rect: Box = { x: sx, y: sy, w: 0, h: 0 };
    band.hidden = false;
    const draw = () => Object.assign(band.style, { left: `${rect.x}px`, top: `${rect.y}px`, width: `${rect.w}px`, height: `${rect.h}px` });
    draw();
    trackDrag(
      e,
      (dx, dy) => {
        rect = { x: Math.min(sx, sx + dx), y: Math.min(sy, sy + dy), w: Math.abs(dx), h: Math.abs(dy) };
        draw();
      },
      () => {
        band.hidden = true;
        const [wx, wy] = toWorld(v, rect.x, rect.y);
        const world = { x: wx, y: wy, w: rect.w / v.zoom, h: rect.h / v.zoom };
        this.host.select(cardsIn(world, this.host.boxes()), true);
      },
    );
  }
}
