// The sheet's saved view and layout (the model's `viewport` trait) kept in step with the
// board and the camera: loaded on a new topology or sheet, saved (to the model and the
// kernel, which stores it with the sheet) after pans, zooms and layout changes.
import { layoutRequest } from "./arrange";
import type { Board } from "./board";
import type { Camera } from "./camera";
import { keepKnown } from "./groups";
import { resolvePositions } from "./layout";
import type { Overview } from "./overview";
import * as P from "./protocol";
import { type LayoutPatch, layoutFrom, viewportWith } from "./sheetLayout";
import type { Viewport } from "./types";
import type { View } from "./viewport";

export interface ViewportModel {
  get(key: string): any;
  set(key: string, value: unknown): void;
}

export class ViewportSync {
  /** True while this view sets the trait itself (its change event is not a new sheet). */
  own = false;

  constructor(
    private model: ViewportModel,
    private send: (req: P.Request) => void,
    private board: Board,
    private camera: Camera,
    private overview: Overview,
    private cleanups: (() => void)[],
  ) {}

  saved(): Viewport {
    const vp = this.model.get("viewport") ?? {};
    // Defaults are the view on screen: saving a move must not reset an unsaved pan/zoom.
    const v = this.camera.view;
    return { ...vp, x: vp.x ?? v.x, y: vp.y ?? v.y, zoom: vp.zoom ?? v.zoom, positions: vp.positions ?? {} };
  }

  private save(vp: Viewport, req: P.Request): void {
    this.own = true;
    this.model.set("viewport", vp);
    this.own = false;
    this.send(req);
  }

  saveView(v: View): void {
    this.save({ ...this.saved(), x: v.x, y: v.y, zoom: v.zoom }, P.viewport(v.x, v.y, v.zoom));
  }

  saveLayout(patch: LayoutPatch): void {
    this.save(viewportWith(this.saved(), patch), layoutRequest(patch));
  }

  /** The minimap shown or hidden by hand (missing: shown when the graph overflows). */
  minimapChoice(): boolean | undefined {
    return (this.model.get("viewport") ?? {}).minimap;
  }

  setMinimap(minimap: boolean): void {
    this.save({ ...this.saved(), minimap }, { type: "layout", minimap });
  }

  /** Shows the sheet's saved layout and view (a new topology, a sheet switch, a reload);
   * `fresh`: a first render, whose size may not be known yet. */
  load(fresh: boolean): void {
    const vp = this.model.get("viewport") ?? {};
    const topology = this.board.topology;
    const layout = layoutFrom(vp, resolvePositions(topology, vp.positions));
    layout.groups = keepKnown(layout.groups, new Set(topology.nodes.map((n) => n.id)));
    this.board.layout = layout;
    const states = this.model.get("node_state") ?? {};
    this.board.relayout(states);
    if (fresh) this.board.ensureCards(null, states);
    if (typeof vp.zoom === "number") this.camera.set({ x: vp.x ?? 0, y: vp.y ?? 0, zoom: vp.zoom }, false);
    else if (fresh) {
      this.camera.set({ x: 0, y: 0, zoom: 1 }, false);
      this.camera.fitWhenSized(() => this.overview.world(), this.cleanups);
    } else this.camera.fit(this.overview.world(), false); // a sheet never panned or zoomed: all of it
  }
}
