// ItemList outputs on a card: "Items (N)" with one editable control per field per item.
//
// Edits are debounced per output (node + port): every field of every item edited within
// the window goes out as one burst of edit_items messages, all but the last marked
// "more", which the kernel applies as ONE history row (daggr/widget/canvas.py).
import { h } from "./dom";
import type { Request } from "./protocol";
import type { ComponentSpec, ItemListField, ItemListState } from "./types";

export const ITEM_EDITABLE = ["dropdown", "radio", "textbox", "textarea", "number", "checkbox"];

/** Key of one item field among a burst's edits. */
export const editKey = (index: number, field: string) => `${index}\u0000${field}`;

/** The burst of edit_items messages for an output's pending edits (in edit order). */
export function editMessages(node: string, port: string, edits: Map<string, unknown>): Request[] {
  const out: Request[] = [];
  for (const [k, value] of edits) {
    const [i, field] = k.split("\u0000");
    out.push({ type: "edit_items", node, port, index: Number(i), field, value, more: true });
  }
  if (out.length) delete (out[out.length - 1] as { more?: boolean }).more;
  return out;
}

function choiceValues(c: ComponentSpec): unknown[] {
  const raw = c.props.choices;
  if (!Array.isArray(raw)) return [];
  return raw.map((p) => (Array.isArray(p) && p.length === 2 ? p[1] : p));
}

function choiceLabels(c: ComponentSpec): string[] {
  const raw = c.props.choices;
  if (!Array.isArray(raw)) return [];
  return raw.map((p) => String(Array.isArray(p) && p.length === 2 ? p[0] : p));
}

/** The value a control's text stands for, or undefined when it is not one (an empty or
 * partial number): the kernel only gets values its component accepts. */
export function controlValue(c: ComponentSpec, raw: string | boolean): unknown {
  switch (c.kind) {
    case "checkbox":
      return Boolean(raw);
    case "number": {
      if (raw === "" || typeof raw !== "string") return undefined;
      const v = Number(raw);
      if (!Number.isFinite(v)) return undefined;
      const lo = c.props.minimum, hi = c.props.maximum;
      if ((typeof lo === "number" && v < lo) || (typeof hi === "number" && v > hi)) return undefined;
      return v;
    }
    case "dropdown":
    case "radio": {
      if (raw === "" || typeof raw !== "string") return undefined; // the "—" entry
      const i = Number(raw);
      const values = choiceValues(c);
      return Number.isInteger(i) && i >= 0 && i < values.length ? values[i] : undefined;
    }
    default:
      return String(raw);
  }
}

type Control = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

function setControl(ctl: Control, c: ComponentSpec, v: unknown): void {
  if (c.kind === "checkbox") (ctl as HTMLInputElement).checked = v === true;
  else if (c.kind === "dropdown" || c.kind === "radio") {
    const i = choiceValues(c).findIndex((x) => x === v);
    (ctl as HTMLSelectElement).value = i >= 0 ? String(i) : "";
  } else ctl.value = v == null ? "" : String(v);
}

function makeControl(c: ComponentSpec, v: unknown, editable: boolean, onEdit: (value: unknown) => void): Control {
  let ctl: Control;
  if (!editable || !ITEM_EDITABLE.includes(c.kind)) {
    ctl = h("input", { class: "daggr-input daggr-item-input", type: "text", readonly: true });
    ctl.value = typeof v === "string" ? v : JSON.stringify(v ?? null);
    ctl.title = "Not editable on the canvas (too long or not a text, number or choice)";
    return ctl;
  }
  if (c.kind === "dropdown" || c.kind === "radio") {
    ctl = h("select", { class: "daggr-input daggr-item-input" });
    // A value outside the choices (set from code) shows as an empty, unselectable entry.
    ctl.append(h("option", { value: "", disabled: true }, "—"));
    choiceLabels(c).forEach((label, i) => ctl.append(h("option", { value: String(i) }, label)));
  } else if (c.kind === "checkbox") {
    ctl = h("input", { class: "daggr-item-check", type: "checkbox" });
  } else if (c.kind === "number") {
    ctl = h("input", { class: "daggr-input daggr-item-input daggr-number", type: "number", step: "any" });
  } else {
    const lines = Number(c.props.lines ?? (c.kind === "textarea" ? 3 : 1)) || 1;
    ctl = lines > 1 || c.kind === "textarea" ? h("textarea", { class: "daggr-input daggr-item-input daggr-scroll", rows: Math.min(lines, 3) }) : h("input", { class: "daggr-input daggr-item-input", type: "text" });
  }
  setControl(ctl, c, v);
  const fire = () => {
    const value = controlValue(c, ctl instanceof HTMLInputElement && ctl.type === "checkbox" ? ctl.checked : ctl.value);
    if (value !== undefined) onEdit(value);
  };
  ctl.addEventListener(ctl instanceof HTMLSelectElement || c.kind === "checkbox" ? "change" : "input", fire);
  return ctl;
}

/** The "Items (N)" editor of one ItemList output. */
export class ItemListView {
  readonly el: HTMLElement;
  private controls = new Map<string, Control>();
  private shape = "";

  constructor(
    private fields: ItemListField[],
    private onEdit: (index: number, field: string, value: unknown) => void,
  ) {
    this.el = h("div", { class: "daggr-itemlist daggr-scroll" });
    this.update(null);
  }

  /** Show a result's items; `pending`: edit keys not sent yet (their controls keep the
   * user's text). Controls keep focus when only values changed (an edit's new row). */
  update(list: ItemListState | null | undefined, pending: Set<string> = new Set()): void {
    if (!list) {
      this.shape = "";
      this.controls.clear();
      this.el.replaceChildren(h("div", { class: "daggr-items-head" }, "Items"), h("span", { class: "daggr-empty" }, "—"));
      return;
    }
    const clipped = new Set((list.clipped ?? []).map(([i, f]) => editKey(i, f)));
    const shape = JSON.stringify([list.n, list.rows.length, [...clipped].sort(), list.note ?? ""]);
    if (shape === this.shape) {
      const active = document.activeElement;
      list.rows.forEach((row, i) => {
        for (const f of this.fields) {
          const k = editKey(i, f.field);
          const ctl = this.controls.get(k);
          if (ctl && ctl !== active && !pending.has(k)) setControl(ctl, f.component, row[f.field]);
        }
      });
      return;
    }
    this.shape = shape;
    this.controls.clear();
    const head = h("div", { class: "daggr-items-head" }, `Items (${list.n})`);
    const body: HTMLElement[] = [head];
    list.rows.forEach((row, i) => {
      const item = h("div", { class: "daggr-edit-item", "data-index": i }, h("span", { class: "daggr-item-n" }, `${i + 1}`));
      const cols = h("div", { class: "daggr-edit-fields" });
      for (const f of this.fields) {
        const k = editKey(i, f.field);
        const ctl = makeControl(f.component, row[f.field], !clipped.has(k), (v) => this.onEdit(i, f.field, v));
        ctl.setAttribute("data-field", f.field);
        ctl.setAttribute("aria-label", `item ${i + 1} ${f.field}`);
        this.controls.set(k, ctl);
        const label = String(f.component.props.label ?? f.field);
        cols.append(h("label", { class: "daggr-edit-field" }, h("span", { class: "daggr-edit-label" }, label), ctl));
      }
      item.append(cols);
      body.push(item);
    });
    if (list.note) body.push(h("div", { class: "daggr-empty daggr-items-note" }, `${list.note}`));
    else if (list.n === 0) body.push(h("span", { class: "daggr-empty" }, "no items"));
    this.el.replaceChildren(...body);
  }
}
