// The whole graph at a glance: its bounds (what "fit" shows) and the minimap, shown when
// the graph overflows the view unless the user chose otherwise (saved with the sheet).
import type { Board } from "./board";
import type { Camera } from "./camera";
import { Minimap, overflows, visibleBox } from "./minimap";
import type { NodeStates } from "./types";
import { type Box, bounds, centreOn } from "./viewport";

const COLOURS: Record<string, string> = { ok: "#22c55e", cached: "#3b82f6", error: "#ef4444", running: "#f59e0b", pending: "#f59e0b" };

export class Overview {
  readonly minimap: Minimap;

  constructor(private board: Board, private camera: Camera, private choice: () => boolean | undefined) {
    this.minimap = new Minimap((x, y) => {
      const { width, height } = camera.size();
      camera.set(centreOn(camera.view, x, y, width, height));
    });
  }

  /** The box around every drawn card and group frame. */
  world(): Box | null {
    const positions: Record<string, [number, number]> = {};
    const heights: Record<string, number> = {};
    const widths: Record<string, number> = {};
    for (const [id, b] of [...this.board.boxes(), ...this.board.groups.boxes()]) {
      positions[id] = [b.x, b.y];
      heights[id] = b.h;
      widths[id] = b.w;
    }
    return bounds(positions, heights, widths);
  }

  private stale = true; // the cards on the map need drawing again

  /** The cards, their states or the groups changed: the map draws them again. */
  invalidate(): void {
    this.stale = true;
  }

  /** Redraws the minimap (its cards only when they changed); returns whether it is shown. */
  draw(states: NodeStates): boolean {
    const { width, height } = this.camera.size();
    const choice = this.choice();
    const world = this.stale || !this.lastWorld ? this.world() : this.lastWorld;
    const shown = world !== null && width > 0 && (typeof choice === "boolean" ? choice : overflows(world, this.camera.view, width, height));
    this.minimap.el.hidden = !shown;
    if (!shown || !world) return shown;
    if (this.stale || !this.lastWorld) {
      const cards = [...this.board.boxes()].map(([id, box]) => ({ box, colour: COLOURS[states[id]?.status ?? ""] ?? "#94a3b8" }));
      const colourOf = new Map(this.board.layout.groups.map((g) => [g.id, g.color]));
      const frames = [...this.board.groups.boxes()].map(([id, box]) => ({ box, colour: colourOf.get(id) ?? "#64748b" }));
      this.minimap.drawCards(world, cards, frames);
      this.stale = false;
      this.lastWorld = world;
    }
    this.minimap.drawView(visibleBox(this.camera.view, width, height));
    return true;
  }

  private lastWorld: Box | null = null;
}
