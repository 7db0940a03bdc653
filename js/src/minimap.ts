// The minimap: the whole graph in a small box, with the part on screen outlined. A click
// or drag on it moves the view there. The arithmetic is pure (tested); `Minimap` draws
// on a <canvas> (one draw call per card, cheap for thousands of nodes).
import { h } from "./dom";
import type { Point } from "./types";
import type { Box, View } from "./viewport";

export const MAP_W = 180;
export const MAP_H = 110;

export interface MapTransform {
  scale: number;
  ox: number; // map x of world x = 0
  oy: number;
}

/** Scale and offset that fit `world` into a w×h map, centred, with a margin. */
export function mapTransform(world: Box, w = MAP_W, h = MAP_H, pad = 6): MapTransform {
  const scale = Math.min((w - 2 * pad) / Math.max(world.w, 1), (h - 2 * pad) / Math.max(world.h, 1));
  return {
    scale,
    ox: (w - world.w * scale) / 2 - world.x * scale,
    oy: (h - world.h * scale) / 2 - world.y * scale,
  };
}

export function toMap(t: MapTransform, x: number, y: number): Point {
  return [t.ox + x * t.scale, t.oy + y * t.scale];
}

export function fromMap(t: MapTransform, mx: number, my: number): Point {
  return [(mx - t.ox) / t.scale, (my - t.oy) / t.scale];
}

/** The part of the world a view shows in a vw×vh viewport. */
export function visibleBox(v: View, vw: number, vh: number): Box {
  return { x: -v.x / v.zoom, y: -v.y / v.zoom, w: vw / v.zoom, h: vh / v.zoom };
}

/** True when the graph is larger than the view (by more than a sliver): the minimap then
 * earns the corner it covers. */
export function overflows(world: Box | null, v: View, vw: number, vh: number, slack = 1.15): boolean {
  if (!world) return false;
  const seen = visibleBox(v, vw, vh);
  return world.w > seen.w * slack || world.h > seen.h * slack;
}

export interface MapCard {
  box: Box;
  colour: string;
}

export class Minimap {
  readonly el: HTMLElement;
  private canvas: HTMLCanvasElement;
  private cache: HTMLCanvasElement | null = null; // the cards, drawn once per change
  private t: MapTransform = { scale: 1, ox: 0, oy: 0 };

  /** `navigate(x, y)`: centre the view on this world point. */
  constructor(private navigate: (x: number, y: number) => void) {
    this.canvas = h("canvas", { class: "daggr-minimap-canvas", width: MAP_W, height: MAP_H });
    this.el = h("div", { class: "daggr-minimap", role: "img", "aria-label": "Minimap: click to move the view" }, this.canvas);
    this.el.hidden = true;
    this.canvas.addEventListener("pointerdown", (e) => {
      e.stopPropagation();
      e.preventDefault();
      const go = (ev: PointerEvent) => {
        const r = this.canvas.getBoundingClientRect();
        const sx = r.width ? MAP_W / r.width : 1;
        this.navigate(...fromMap(this.t, (ev.clientX - r.left) * sx, (ev.clientY - r.top) * sx));
      };
      go(e);
      const up = () => {
        window.removeEventListener("pointermove", go);
        window.removeEventListener("pointerup", up);
      };
      window.addEventListener("pointermove", go);
      window.addEventListener("pointerup", up);
    });
  }

  private rect(b: Box): [number, number, number, number] {
    const [x, y] = toMap(this.t, b.x, b.y);
    return [x, y, Math.max(1, b.w * this.t.scale), Math.max(1, b.h * this.t.scale)];
  }

  /** Draws the graph's cards and frames (when they changed: call again with new ones). */
  drawCards(world: Box, cards: MapCard[], frames: MapCard[]): void {
    this.t = mapTransform(world);
    const cache = this.cache ?? (this.cache = h("canvas", { width: MAP_W, height: MAP_H }));
    const ctx = cache.getContext?.("2d");
    if (!ctx) return;
    ctx.clearRect(0, 0, MAP_W, MAP_H);
    for (const f of frames) {
      ctx.strokeStyle = f.colour;
      ctx.strokeRect(...this.rect(f.box));
    }
    for (const c of cards) {
      ctx.fillStyle = c.colour;
      ctx.fillRect(...this.rect(c.box));
    }
  }

  /** Draws the cards (as last given) and the outline of the part of the world on screen:
   * all that changes while the view moves. */
  drawView(seen: Box): void {
    const ctx = this.canvas.getContext?.("2d");
    if (!ctx) return;
    ctx.clearRect(0, 0, MAP_W, MAP_H);
    if (this.cache) ctx.drawImage(this.cache, 0, 0);
    ctx.strokeStyle = "#f97316";
    ctx.lineWidth = 1.5;
    ctx.strokeRect(...this.rect(seen));
    ctx.lineWidth = 1;
  }
}
