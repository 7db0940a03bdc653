// Pan and zoom of the pane: the view transform, zoom steps, fit (never below a legible
// zoom) and moving to a card. Every change is reported (for the minimap and lazily built
// cards) and saved with the sheet after a pause.
import { keyedDebounce, type KeyedDebouncer } from "./debounce";
import { type Box, centreOn, fit, type View, zoomAt } from "./viewport";

export const VIEW_DEBOUNCE_MS = 300;

export interface CameraHost {
  readonly root: HTMLElement;
  readonly viewportEl: HTMLElement;
  readonly pane: HTMLElement;
  save(v: View): void;
  moved(v: View): void;
}

export class Camera {
  view: View = { x: 0, y: 0, zoom: 1 };
  private saves: KeyedDebouncer<View>;
  private movingTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private host: CameraHost) {
    this.saves = keyedDebounce(VIEW_DEBOUNCE_MS, (_k, v) => host.save(v));
  }

  set(v: View, save = true): void {
    this.view = v;
    this.host.pane.style.transform = `translate(${v.x}px, ${v.y}px) scale(${v.zoom})`;
    // While the view moves, the pane gets its own compositor layer (panning then repaints
    // nothing); afterwards it is dropped so zoomed text is re-rasterised sharply.
    this.host.root.classList.add("daggr-moving");
    if (this.movingTimer) clearTimeout(this.movingTimer);
    this.movingTimer = setTimeout(() => this.host.root.classList.remove("daggr-moving"), 200);
    this.host.root.classList.toggle("daggr-far", v.zoom < 0.5);
    if (save) this.saves.push("view", v);
    this.host.moved(v);
  }

  size(): { width: number; height: number } {
    const r = this.host.viewportEl.getBoundingClientRect();
    return { width: r.width, height: r.height };
  }

  zoomBy(factor: number): void {
    const { width, height } = this.size();
    this.set(zoomAt(this.view, factor, width / 2, height / 2));
  }

  fit(box: Box | null, save = true): void {
    const { width, height } = this.size();
    if (width <= 0 || height <= 0) return;
    this.set(fit(box, width, height), save);
  }

  /** Moves the view to a box (a card found by name, a skipped card's cause), zooming in
   * to a legible size if needed. */
  show(box: Box): void {
    const { width, height } = this.size();
    const zoom = Math.max(this.view.zoom, 0.9);
    this.set(centreOn(this.view, box.x + box.w / 2, box.y + Math.min(box.h, height / zoom) / 2, width, height, zoom));
  }

  /** Fit once the element has a size: output areas attach (and unhide) it after render. */
  fitWhenSized(box: () => Box | null, cleanups: (() => void)[]): void {
    if (typeof ResizeObserver === "undefined") {
      requestAnimationFrame(() => this.fit(box(), false));
      return;
    }
    const observer = new ResizeObserver(() => {
      const { width, height } = this.size();
      if (width > 0 && height > 0) {
        observer.disconnect();
        this.fit(box(), false);
      }
    });
    observer.observe(this.host.viewportEl);
    cleanups.push(() => observer.disconnect());
  }

  flush(): void {
    this.saves.flush();
  }

  destroy(): void {
    this.saves.flush();
    if (this.movingTimer) clearTimeout(this.movingTimer);
  }
}
