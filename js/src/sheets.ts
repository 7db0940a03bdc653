// The sheet menu in the title bar: current sheet, switch, new, rename (inline: Enter
// commits, Escape cancels, double-click the name to start), delete with confirmation.
// It only sends requests; the kernel answers by updating the `sheets` trait.
import { h } from "./dom";
import * as P from "./protocol";
import type { SheetsInfo } from "./types";

export class SheetBar {
  readonly el: HTMLElement;
  private name: HTMLElement;
  private toggle: HTMLButtonElement;
  private menu: HTMLElement;
  private info: SheetsInfo = { current: "", names: [] };
  private editing: HTMLInputElement | null = null;

  constructor(
    private send: (req: P.Request) => void,
    private confirmDelete: (name: string) => boolean = (name) =>
      typeof window.confirm === "function" ? window.confirm(`Delete sheet "${name}" with its results? This cannot be undone.`) : false,
  ) {
    this.name = h("span", { class: "daggr-sheet-name", title: "Double-click to rename" });
    this.toggle = h("button", { class: "daggr-btn daggr-sheet-toggle", type: "button", title: "Sheets", "aria-label": "Sheets", "aria-haspopup": "menu" }, "▾");
    const rename = h("button", { class: "daggr-btn daggr-sheet-rename", type: "button", title: "Rename sheet", "aria-label": "Rename sheet" }, "✎");
    this.menu = h("div", { class: "daggr-sheet-menu", role: "menu", hidden: true });
    this.el = h("div", { class: "daggr-sheets" }, h("span", { class: "daggr-sep" }, "|"), this.name, this.toggle, rename, this.menu);
    this.el.hidden = true;
    this.name.addEventListener("dblclick", () => this.startRename());
    rename.addEventListener("click", () => this.startRename());
    this.toggle.addEventListener("click", (e) => {
      e.stopPropagation();
      this.menu.hidden = !this.menu.hidden;
    });
  }

  update(info: SheetsInfo | undefined): void {
    if (!info || typeof info.current !== "string") return;
    this.info = info;
    this.el.hidden = false;
    if (!this.editing) this.name.textContent = info.current;
    const items: HTMLElement[] = [];
    for (const n of info.names) {
      const row = h("div", { class: `daggr-sheet-item${n === info.current ? " daggr-active" : ""}`, role: "menuitem" });
      const pick = h("button", { class: "daggr-sheet-pick", type: "button", "data-sheet": n }, n);
      pick.addEventListener("click", () => {
        this.close();
        if (n !== this.info.current) this.send(P.sheet("switch", n));
      });
      row.append(pick);
      if (info.names.length > 1) {
        const del = h("button", { class: "daggr-sheet-delete", type: "button", title: `Delete "${n}"`, "aria-label": `Delete sheet ${n}` }, "×");
        del.addEventListener("click", (e) => {
          e.stopPropagation();
          if (this.confirmDelete(n)) {
            this.close();
            this.send(P.sheet("delete", n));
          }
        });
        row.append(del);
      }
      items.push(row);
    }
    const add = h("button", { class: "daggr-sheet-new", type: "button" }, "+ New sheet");
    add.addEventListener("click", () => {
      this.close();
      this.send(P.sheet("new"));
    });
    this.menu.replaceChildren(...items, add);
  }

  close(): void {
    this.menu.hidden = true;
  }

  startRename(): void {
    if (this.editing) return;
    const input = h("input", { class: "daggr-input daggr-sheet-input", type: "text", "aria-label": "Sheet name" });
    input.value = this.info.current;
    this.editing = input;
    this.name.replaceChildren(input);
    input.focus();
    input.select();
    const finish = (commit: boolean) => {
      if (this.editing !== input) return;
      this.editing = null;
      const next = input.value.trim();
      this.name.textContent = this.info.current;
      if (commit && next && next !== this.info.current) {
        this.name.textContent = next; // optimistic; the kernel's answer settles it
        this.send(P.sheet("rename", this.info.current, next));
      }
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") finish(true);
      else if (e.key === "Escape") finish(false);
    });
    input.addEventListener("blur", () => finish(true));
  }
}
