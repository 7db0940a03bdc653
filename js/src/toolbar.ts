// The canvas toolbar: title and sheet switcher, find, Run all / Stop all, undo / redo of
// layout changes, grouping, zoom, fit and the minimap toggle. Every button has a visible
// label or an accessible name (and a tooltip naming its shortcut).
import { h } from "./dom";
import { FindBox } from "./find";
import type * as P from "./protocol";
import { SheetBar } from "./sheets";

export interface ToolbarActions {
  runAll(): void;
  stopAll(): void;
  undo(): void;
  redo(): void;
  group(): void;
  zoomBy(factor: number): void;
  fit(): void;
  toggleMinimap(): void;
  find(id: string): void;
  sheet(req: P.Request): void;
}

function button(cls: string, label: string, name: string, title: string, fn: () => void): HTMLButtonElement {
  const b = h("button", { class: `daggr-btn daggr-tool ${cls}`, type: "button", title, "aria-label": name }, label);
  b.addEventListener("click", fn);
  return b;
}

export class Toolbar {
  readonly el: HTMLElement;
  readonly title: HTMLElement;
  readonly sheets: SheetBar;
  readonly find: FindBox;
  private runAll: HTMLButtonElement;
  private stopAll: HTMLButtonElement;
  private undoBtn: HTMLButtonElement;
  private redoBtn: HTMLButtonElement;
  private groupBtn: HTMLButtonElement;
  private zoomLabel: HTMLElement;
  private mapBtn: HTMLButtonElement;
  private readOnly = false;

  constructor(a: ToolbarActions) {
    this.title = h("span", { class: "daggr-title" });
    this.sheets = new SheetBar((req) => a.sheet(req));
    this.find = new FindBox((id) => a.find(id));
    this.runAll = button("daggr-run-all", "▶ Run all", "Run all stale nodes", "Run every node that is stale or never ran (fresh results are reused)", () => a.runAll());
    this.stopAll = button("daggr-stop-all", "■ Stop", "Stop all runs", "Stop every run started from this canvas", () => a.stopAll());
    this.undoBtn = button("daggr-undo", "↶", "Undo layout change", "Undo (Ctrl+Z)", () => a.undo());
    this.redoBtn = button("daggr-redo", "↷", "Redo layout change", "Redo (Ctrl+Shift+Z)", () => a.redo());
    this.groupBtn = button("daggr-group-btn", "Group", "Group selected cards", "Group the selected cards into a frame (Ctrl+G); Shift+click cards to select them", () => a.group());
    this.zoomLabel = h("span", { class: "daggr-zoom-label", "aria-live": "polite" }, "100%");
    this.mapBtn = button("daggr-minimap-toggle", "Map", "Show minimap", "Show or hide the minimap", () => a.toggleMinimap());
    const zoom = h(
      "div",
      { class: "daggr-zoombar", role: "group", "aria-label": "Zoom" },
      button("daggr-zoom-out", "−", "Zoom out", "Zoom out (Ctrl+wheel)", () => a.zoomBy(1 / 1.2)),
      this.zoomLabel,
      button("daggr-zoom-in", "+", "Zoom in", "Zoom in (Ctrl+wheel)", () => a.zoomBy(1.2)),
      button("daggr-fit", "Fit", "Fit to view", "Show the whole graph at a legible zoom (0)", () => a.fit()),
      this.mapBtn,
    );
    this.el = h(
      "div",
      { class: "daggr-toolbar", role: "toolbar", "aria-label": "Canvas" },
      h("div", { class: "daggr-titlebar" }, this.title, this.sheets.el),
      this.find.el,
      h("div", { class: "daggr-tool-group" }, this.runAll, this.stopAll),
      h("div", { class: "daggr-tool-group" }, this.undoBtn, this.redoBtn, this.groupBtn),
      zoom,
    );
    this.setRuns(0, false);
    this.setUndo(undefined, undefined);
    this.setSelection(0);
  }

  setZoom(zoom: number): void {
    this.zoomLabel.textContent = `${Math.round(zoom * 100)}%`;
  }

  /** `stale`: nodes a "Run all" would execute; `busy`: something is queued or running. */
  setRuns(stale: number, busy: boolean): void {
    this.runAll.disabled = stale === 0 || busy || this.readOnly;
    this.runAll.title = stale ? `Run the ${stale} node${stale === 1 ? "" : "s"} that are stale or never ran (fresh results are reused)` : "Every node is fresh";
    this.stopAll.disabled = !busy || this.readOnly;
  }

  /** A static copy: Run all, Stop and the sheet menu are off. */
  setReadOnly(on: boolean): void {
    this.readOnly = on;
    for (const b of this.sheets.el.querySelectorAll<HTMLButtonElement>("button")) b.disabled = this.readOnly;
    if (this.readOnly) this.runAll.disabled = this.stopAll.disabled = true;
  }

  /** Labels of what undo / redo would do, or undefined when there is nothing. */
  setUndo(undo: string | undefined, redo: string | undefined): void {
    this.undoBtn.disabled = !undo;
    this.redoBtn.disabled = !redo;
    this.undoBtn.title = undo ? `Undo ${undo} (Ctrl+Z)` : "Nothing to undo";
    this.redoBtn.title = redo ? `Redo ${redo} (Ctrl+Shift+Z)` : "Nothing to redo";
  }

  setSelection(count: number): void {
    this.groupBtn.disabled = count === 0;
    this.groupBtn.textContent = count > 1 ? `Group ${count}` : "Group";
  }

  setMinimap(shown: boolean): void {
    this.mapBtn.setAttribute("aria-pressed", String(shown));
    this.mapBtn.setAttribute("aria-label", shown ? "Hide minimap" : "Show minimap");
  }
}
