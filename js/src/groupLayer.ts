// Group frames on the pane, under the cards: a coloured frame with a title bar (drag it
// to move the group's cards together; collapse, recolour, rename, ungroup). A collapsed
// group is drawn as one card in its frame's corner, with the wires of its nodes.
import { h } from "./dom";
import { collapsedBox, frameBox } from "./groups";
import type { Group } from "./types";
import type { Box } from "./viewport";

export interface GroupHost {
  boxOf(id: string): Box | null;
  summary(group: Group): string; // "3 nodes · 1 running"
  onDrag(group: Group, e: PointerEvent): void;
  onCollapse(group: Group): void;
  onRename(group: Group, title: string): void;
  onColour(group: Group): void;
  onUngroup(group: Group): void;
}

interface Frame {
  group: Group;
  el: HTMLElement;
  summary: HTMLElement;
}

export class GroupLayer {
  readonly el: HTMLElement;
  private frames = new Map<string, Frame>();

  constructor(private host: GroupHost) {
    this.el = h("div", { class: "daggr-groups" });
  }

  render(groups: Group[]): void {
    this.el.replaceChildren();
    this.frames.clear();
    for (const g of groups) {
      const frame = this.build(g);
      this.frames.set(g.id, frame);
      this.el.append(frame.el);
    }
    this.place();
  }

  /** Where each group is drawn (its frame, or its card when collapsed). */
  boxes(): Map<string, Box> {
    const out = new Map<string, Box>();
    for (const { group } of this.frames.values()) {
      const frame = frameBox(group, (id) => this.host.boxOf(id));
      if (frame) out.set(group.id, group.collapsed ? collapsedBox(frame) : frame);
    }
    return out;
  }

  place(): void {
    const boxes = this.boxes();
    for (const f of this.frames.values()) {
      const b = boxes.get(f.group.id);
      f.el.hidden = !b;
      if (!b) continue;
      // left/top, not a transform: the frame then makes no stacking context, and its
      // title bar can sit above the cards (it stays grabbable next to a taller card).
      f.el.style.left = `${b.x}px`;
      f.el.style.top = `${b.y}px`;
      f.el.style.width = `${b.w}px`;
      f.el.style.height = `${b.h}px`;
      f.summary.textContent = this.host.summary(f.group);
    }
  }

  private build(g: Group): Frame {
    const collapse = h("button", { class: "daggr-btn daggr-group-collapse", type: "button", "aria-label": g.collapsed ? "Expand group" : "Collapse group", title: g.collapsed ? "Expand group" : "Collapse group to one card", "aria-expanded": String(!g.collapsed) }, g.collapsed ? "▸" : "▾");
    const title = h("span", { class: "daggr-group-name", title: "Double-click to rename" }, g.title);
    const colour = h("button", { class: "daggr-btn daggr-group-colour", type: "button", "aria-label": "Change group colour", title: "Change colour" }, "●");
    const remove = h("button", { class: "daggr-btn daggr-ungroup", type: "button", "aria-label": "Ungroup", title: "Ungroup (the cards stay)" }, "Ungroup");
    const summary = h("span", { class: "daggr-group-summary" });
    const bar = h("div", { class: "daggr-group-title" }, collapse, title, summary, colour, remove);
    const el = h("div", { class: `daggr-group${g.collapsed ? " daggr-group-collapsed" : ""}`, "data-group": g.id, role: "group", "aria-label": `Group ${g.title}`, style: `--daggr-group:${g.color}` }, bar);
    if (g.collapsed) {
      el.append(h("div", { class: "daggr-ports" }, h("div", { class: "daggr-port daggr-port-in" }, h("i", { class: "daggr-dot" }), "in"), h("div", { class: "daggr-port daggr-port-out" }, "out", h("i", { class: "daggr-dot" }))));
    }
    collapse.addEventListener("click", () => this.host.onCollapse(g));
    colour.addEventListener("click", () => this.host.onColour(g));
    remove.addEventListener("click", () => this.host.onUngroup(g));
    bar.addEventListener("pointerdown", (e) => {
      if ((e.target as HTMLElement).closest("button, input") || e.button !== 0) return;
      e.stopPropagation();
      this.host.onDrag(g, e);
    });
    title.addEventListener("dblclick", () => this.rename(g, title));
    return { group: g, el, summary };
  }

  private rename(g: Group, title: HTMLElement): void {
    const input = h("input", { class: "daggr-input daggr-group-input", type: "text", "aria-label": "Group title" });
    input.value = g.title;
    title.replaceChildren(input);
    input.focus();
    input.select();
    let done = false;
    const finish = (commit: boolean) => {
      if (done) return;
      done = true;
      const next = input.value.trim();
      title.textContent = g.title;
      if (commit && next && next !== g.title) this.host.onRename(g, next);
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") finish(true);
      else if (e.key === "Escape") finish(false);
    });
    input.addEventListener("blur", () => finish(true));
  }
}
