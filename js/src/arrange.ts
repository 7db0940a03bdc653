// Layout changes made by hand: each is one patch, applied to the view at once, recorded
// as one undo step of the current sheet, and saved with the sheet (patches within a short
// window go out as one "layout" message). Grouping and collapsing are layout changes too.
import { cycleColour, groupOf, makeGroup, ungroup, updateGroup } from "./groups";
import type * as P from "./protocol";
import { type Layout, type LayoutPatch, applyPatch, inversePatch, isEmptyPatch, mergePatches } from "./sheetLayout";
import { UndoHistory } from "./undo";

export const SAVE_DEBOUNCE_MS = 250;

export interface ArrangeHost {
  sheet(): string;
  layout(): Layout;
  /** Show a new layout; `patch` says what changed (its cards and groups). */
  show(layout: Layout, patch: LayoutPatch): void;
  save(patch: LayoutPatch): void; // tell the kernel (and the model's viewport trait)
  changed(): void; // undo / redo / selection availability may have changed
}

export class Arrangement {
  readonly history = new UndoHistory<LayoutPatch>();
  readonly selection = new Set<string>();
  private unsaved: LayoutPatch = {};
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private host: ArrangeHost) {}

  /** Shown while a gesture goes on; neither recorded nor saved. */
  preview(patch: LayoutPatch): void {
    this.host.show(applyPatch(this.host.layout(), patch), patch);
  }

  /** A finished change made from `before`: one undo step, saved. */
  commit(before: Layout, patch: LayoutPatch, label: string): void {
    if (isEmptyPatch(patch)) return;
    this.history.record(this.host.sheet(), { label, undo: inversePatch(before, patch), redo: patch });
    this.host.show(applyPatch(this.host.layout(), patch), patch);
    this.queueSave(patch);
    this.host.changed();
  }

  change(patch: LayoutPatch, label: string): void {
    this.commit(this.host.layout(), patch, label);
  }

  undo(): boolean {
    const step = this.history.undo(this.host.sheet());
    if (step) this.replay(step.undo);
    return step !== null;
  }

  redo(): boolean {
    const step = this.history.redo(this.host.sheet());
    if (step) this.replay(step.redo);
    return step !== null;
  }

  private replay(patch: LayoutPatch): void {
    this.host.show(applyPatch(this.host.layout(), patch), patch);
    this.queueSave(patch);
    this.host.changed();
  }

  private queueSave(patch: LayoutPatch): void {
    this.unsaved = mergePatches(this.unsaved, patch);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), SAVE_DEBOUNCE_MS);
  }

  /** Saves what is waiting now (before a sheet switch, or when the view goes away). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const patch = this.unsaved;
    this.unsaved = {};
    if (!isEmptyPatch(patch)) this.host.save(patch);
  }

  // -- selection and groups -----------------------------------------------------------------
  select(ids: string[], add: boolean): void {
    if (!add) this.selection.clear();
    for (const id of ids) {
      if (add && ids.length === 1 && this.selection.has(id)) this.selection.delete(id);
      else this.selection.add(id);
    }
    this.host.changed();
  }

  group(): void {
    if (!this.selection.size) return;
    const { groups } = makeGroup(this.host.layout().groups, [...this.selection]);
    this.selection.clear();
    this.change({ groups }, "grouping");
  }

  ungroup(id: string): void {
    this.change({ groups: ungroup(this.host.layout().groups, id) }, "ungrouping");
  }

  toggleGroup(id: string): void {
    const g = this.host.layout().groups.find((x) => x.id === id);
    if (g) this.change({ groups: updateGroup(this.host.layout().groups, id, { collapsed: !g.collapsed }) }, g.collapsed ? "group expand" : "group collapse");
  }

  recolour(id: string): void {
    const g = this.host.layout().groups.find((x) => x.id === id);
    if (g) this.change({ groups: updateGroup(this.host.layout().groups, id, { color: cycleColour(g.color) }) }, "group colour");
  }

  rename(id: string, title: string): void {
    this.change({ groups: updateGroup(this.host.layout().groups, id, { title }) }, "group rename");
  }

  toggleCard(id: string): void {
    const on = !this.host.layout().collapsed.has(id);
    this.change({ collapsed: { [id]: on } }, on ? "collapse" : "expand");
  }

  groupOf(id: string) {
    return groupOf(this.host.layout().groups, id);
  }

  destroy(): void {
    this.flush();
  }
}

/** The "layout" request for a patch (see protocol.ts). */
export function layoutRequest(patch: LayoutPatch): P.Request {
  return { type: "layout", ...patch };
}
