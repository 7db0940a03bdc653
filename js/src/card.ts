// One node's card: header (collapse, kind, name, freshness, time, run), port rows with
// dots coloured by value kind, the node's input fields, one box per output (filled by
// outputs.ts), the failure box, a footer with status and history, and a resize corner.
// Building only: cardState.ts applies the node's state to it.
import { h } from "./dom";
import { FailurePanel, type FailureContext } from "./failure";
import { createField, type FieldContext, type FieldView } from "./fields";
import { ItemListView } from "./items";
import { KIND_COLOURS, type ValueKind } from "./kinds";
import { previewHeight, visibleFields } from "./layout";
import type * as P from "./protocol";
import type { NodeState, TopoNode } from "./types";

export interface Card {
  node: TopoNode;
  el: HTMLElement;
  time: HTMLElement;
  status: HTMLElement;
  progress: HTMLElement; // a thin bar: how much of a running node's work is done
  notice: HTMLElement; // advice on how the node ran (NodeState.notice)
  history: HTMLElement;
  historyLabel: HTMLElement;
  prev: HTMLButtonElement;
  next: HTMLButtonElement;
  fresh: HTMLElement;
  collapse: HTMLButtonElement;
  items: HTMLElement | null;
  variant: number;
  failure: FailurePanel;
  runBtn: HTMLButtonElement | null;
  menu: HTMLElement | null;
  previews: Map<string, HTMLElement>;
  lists: Map<string, ItemListView>; // ItemList output port -> its editor
  fields: Map<string, FieldView>;
  mode: P.RunMode;
  state: NodeState | undefined;
}

/** What a card asks of the view it sits in. */
export interface CardHost {
  inputValues(): Record<string, unknown>;
  fieldContext: FieldContext;
  failure: FailureContext;
  kindOf(port: string): ValueKind; // "node.port" (output) or "node<port" (input)
  onInput(key: string, value: unknown): void;
  onRun(card: Card): void;
  onMode(card: Card, mode: P.RunMode): void;
  onBrowse(card: Card, step: number): void;
  onVariant(card: Card, index: number): void;
  onEditItem(node: string, port: string, index: number, field: string, value: unknown): void;
  onCollapse(card: Card): void;
  highlightRun(card: Card | null, mode?: P.RunMode): void;
}

const RUN_MODES: [P.RunMode, string][] = [["to_here", "Run to here"], ["step", "Run this step"]];

function runControls(card: Card, host: CardHost): HTMLElement {
  const runBtn = h("button", { class: "daggr-btn daggr-run-btn", type: "button" });
  const modeBtn = h("button", { class: "daggr-btn daggr-run-mode", type: "button", title: "Run mode", "aria-label": "Run mode", "aria-haspopup": "menu" }, "▾");
  const menu = h("div", { class: "daggr-run-menu", hidden: true, role: "menu" });
  for (const [mode, label] of RUN_MODES) {
    const item = h("button", { class: "daggr-run-menu-item", type: "button", role: "menuitem", "data-mode": mode }, label);
    item.addEventListener("click", (e) => {
      e.stopPropagation();
      menu.hidden = true;
      host.onMode(card, mode);
    });
    item.addEventListener("pointerenter", () => host.highlightRun(card, mode));
    item.addEventListener("pointerleave", () => host.highlightRun(null));
    menu.append(item);
  }
  runBtn.addEventListener("click", () => host.onRun(card));
  runBtn.addEventListener("pointerenter", () => host.highlightRun(card, card.mode));
  runBtn.addEventListener("pointerleave", () => host.highlightRun(null));
  modeBtn.addEventListener("click", (e) => {
    e.stopPropagation();
    menu.hidden = !menu.hidden;
  });
  card.runBtn = runBtn;
  card.menu = menu;
  return h("div", { class: "daggr-run" }, runBtn, modeBtn, menu);
}

function dot(kind: ValueKind): HTMLElement {
  return h("i", { class: "daggr-dot", "data-kind": kind, style: `--daggr-kind:${KIND_COLOURS[kind]}` });
}

function ports(node: TopoNode, host: CardHost): HTMLElement {
  const ins = h("div", { class: "daggr-ports-in" });
  for (const p of node.inputs) {
    const kind = host.kindOf(`${node.id}<${p.name}`);
    ins.append(h("div", { class: `daggr-port daggr-port-in${p.wired ? " daggr-wired" : ""}`, "data-in": p.name, title: `${p.name} (${kind})` }, dot(kind), p.name));
  }
  const outs = h("div", { class: "daggr-ports-out" });
  for (const p of node.outputs) {
    const kind = host.kindOf(`${node.id}.${p.name}`);
    const title = p.hidden ? `${p.name} (${kind}, not displayed)` : `${p.name} (${kind})`;
    outs.append(h("div", { class: `daggr-port daggr-port-out${p.hidden ? " daggr-hidden-port" : ""}`, "data-out": p.name, title }, p.name, dot(kind)));
  }
  return h("div", { class: "daggr-ports" }, ins, outs);
}

export function buildCard(node: TopoNode, variant: number, scattered: boolean, host: CardHost): Card {
  const kind = node.kind.toLowerCase();
  const name = node.url
    ? h("a", { class: "daggr-node-name", href: node.url, target: "_blank", rel: "noopener", title: node.url }, node.name)
    : h("span", { class: "daggr-node-name", title: node.name }, node.name);
  const collapse = h("button", { class: "daggr-btn daggr-collapse", type: "button", title: "Collapse card", "aria-label": "Collapse card", "aria-expanded": "true" }, "▾");
  const time = h("span", { class: "daggr-time" });
  const fresh = h("span", { class: "daggr-fresh-badge", hidden: true });
  const header = h("div", { class: "daggr-node-header" }, collapse, h("span", { class: `daggr-badge daggr-badge-${kind}` }, node.kind), name, fresh, time);
  const prev = h("button", { class: "daggr-btn daggr-hist-prev", type: "button", title: "Previous result", "aria-label": "Previous result" }, "‹");
  const next = h("button", { class: "daggr-btn daggr-hist-next", type: "button", title: "Next result", "aria-label": "Next result" }, "›");
  const historyLabel = h("span", { class: "daggr-history-label" });
  const card: Card = {
    node,
    el: h("div", { class: `daggr-node daggr-kind-${kind} daggr-status-idle`, "data-id": node.id, tabindex: 0, role: "group", "aria-label": `${node.kind} node ${node.name}` }),
    time,
    status: h("span", { class: "daggr-status", role: "status" }),
    progress: h("div", { class: "daggr-progress", hidden: true, "aria-hidden": "true" }, h("i")),
    notice: h("span", { class: "daggr-notice", hidden: true }),
    history: h("span", { class: "daggr-history", hidden: true }, prev, historyLabel, next),
    historyLabel,
    prev,
    next,
    fresh,
    collapse,
    items: null,
    variant,
    failure: new FailurePanel(node.id, node.name, host.failure),
    runBtn: null,
    menu: null,
    previews: new Map(),
    lists: new Map(),
    fields: new Map(),
    mode: "to_here",
    state: undefined,
  };
  if (node.kind !== "INPUT") header.append(runControls(card, host));
  collapse.addEventListener("click", () => host.onCollapse(card));
  prev.addEventListener("click", () => host.onBrowse(card, -1));
  next.addEventListener("click", () => host.onBrowse(card, 1));

  const body = h("div", { class: "daggr-card-body" });
  if (node.variants?.length) {
    const radios = h("div", { class: "daggr-variants", role: "radiogroup" });
    node.variants.forEach((v, i) => {
      const b = h("button", { class: `daggr-variant${i === variant ? " daggr-active" : ""}`, type: "button", role: "radio", "aria-checked": String(i === variant), "data-index": i }, i === variant ? "● " : "○ ", v);
      b.addEventListener("click", () => i !== card.variant && host.onVariant(card, i));
      radios.append(b);
    });
    body.append(radios);
  }
  const fields = h("div", { class: "daggr-fields" });
  const values = host.inputValues();
  for (const f of visibleFields(node, variant)) {
    const view = createField(f, f.key in values ? values[f.key] : f.component.value, (v) => host.onInput(f.key, v), host.fieldContext);
    card.fields.set(f.key, view);
    fields.append(view.el);
  }
  if (fields.childElementCount) body.append(fields);
  if (node.kind !== "INPUT" && node.outputs.length) body.append(outputs(card, host));
  if (scattered) {
    card.items = h("div", { class: "daggr-items daggr-scroll" });
    body.append(card.items);
  }
  body.append(card.failure.el);
  const resize = h("div", { class: "daggr-resize", title: "Drag to resize the card", "aria-label": "Resize card", role: "separator" });
  card.el.append(header, ports(node, host), body, card.progress, h("div", { class: "daggr-footer" }, card.status, card.notice, card.history), resize);
  return card;
}

function outputs(card: Card, host: CardHost): HTMLElement {
  const node = card.node;
  const box = h("div", { class: "daggr-outputs" });
  for (const p of node.outputs) {
    if (p.item_list) {
      const list = new ItemListView(p.item_list, (i, field, v) => host.onEditItem(node.id, p.name, i, field, v));
      list.el.setAttribute("data-port", p.name);
      card.lists.set(p.name, list);
      const out = h("div", { class: "daggr-output daggr-output-items" }, list.el);
      out.style.flexBasis = `${previewHeight(p)}px`;
      box.append(out);
      continue;
    }
    const preview = h("div", { class: "daggr-preview daggr-scroll", "data-port": p.name, tabindex: 0, "aria-label": `Output ${p.name}` });
    card.previews.set(p.name, preview);
    const label = p.component ? String(p.component.props.label ?? p.name) : p.name;
    const out = h("div", { class: "daggr-output" }, h("div", { class: "daggr-output-label" }, label), preview);
    out.style.flexBasis = `${previewHeight(p)}px`;
    box.append(out);
  }
  return box;
}
