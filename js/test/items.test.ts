// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import widget from "../src/index";
import { controlValue, editKey, editMessages, ItemListView } from "../src/items";
import { cardHeight, TALL_PREVIEW_H } from "../src/layout";
import { isValidRequest } from "../src/protocol";
import type { ItemListField, Topology } from "../src/types";
import { ITEM_DEBOUNCE_MS } from "../src/view";
import { createMockModel, type MockModel } from "./mock-model";

const speaker = { component: "Dropdown", kind: "dropdown", props: { choices: [["Alice", "A"], ["Bob", "B"]] }, value: null };
const text = { component: "Textbox", kind: "textbox", props: { lines: 2 }, value: "" };
const num = { component: "Number", kind: "number", props: { minimum: 0, maximum: 10 }, value: null };
const check = { component: "Checkbox", kind: "checkbox", props: {}, value: false };
const fields: ItemListField[] = [
  { field: "speaker", component: speaker },
  { field: "text", component: text },
  { field: "n", component: num },
  { field: "ok", component: check },
];
const list = (texts: string[]) => ({ n: texts.length, rows: texts.map((t, i) => ({ speaker: i % 2 ? "B" : "A", text: t, n: i, ok: true })), clipped: [] as [number, string][] });

describe("item edit messages", () => {
  it("a burst is one message per edited field, all but the last marked more", () => {
    const edits = new Map<string, unknown>([[editKey(0, "text"), "hi"], [editKey(2, "speaker"), "B"]]);
    const msgs = editMessages("lines", "items", edits);
    expect(msgs).toEqual([
      { type: "edit_items", node: "lines", port: "items", index: 0, field: "text", value: "hi", more: true },
      { type: "edit_items", node: "lines", port: "items", index: 2, field: "speaker", value: "B" },
    ]);
    expect(msgs.every(isValidRequest)).toBe(true);
    expect(editMessages("a", "b", new Map())).toEqual([]);
    expect(isValidRequest({ type: "edit_items", node: "a", port: "b", index: -1, field: "f", value: 1 })).toBe(false);
  });

  it("controls give only values their component accepts", () => {
    expect(controlValue(num, "3")).toBe(3);
    expect(controlValue(num, "")).toBeUndefined();
    expect(controlValue(num, "11")).toBeUndefined();
    expect(controlValue(speaker, "1")).toBe("B");
    expect(controlValue(speaker, "")).toBeUndefined();
    expect(controlValue(check, true)).toBe(true);
    expect(controlValue(text, "x")).toBe("x");
  });

  it("item lists get a tall box in the layout", () => {
    const node = { id: "l", name: "l", kind: "FN", url: null, inputs: [], fields: [], outputs: [{ name: "items", hidden: false, item_list: fields }] };
    const plain = { ...node, outputs: [{ name: "items", hidden: false }] };
    expect(cardHeight(node) - cardHeight(plain)).toBe(TALL_PREVIEW_H - 56);
  });
});

describe("ItemListView", () => {
  it("renders Items (N) with a control per field, keeps focus on value updates", () => {
    const edits: unknown[][] = [];
    const v = new ItemListView(fields, (...a) => edits.push(a));
    document.body.append(v.el);
    v.update(list(["one", "two"]));
    expect(v.el.querySelector(".daggr-items-head")!.textContent).toBe("Items (2)");
    const sel = v.el.querySelectorAll("select");
    expect(sel.length).toBe(2);
    expect([...sel[1].options].map((o) => o.textContent)).toEqual(["—", "Alice", "Bob"]);
    expect(sel[1].value).toBe("1");
    expect(v.el.querySelectorAll("textarea").length).toBe(2);
    const ta = v.el.querySelector<HTMLTextAreaElement>('[data-field="text"]')!;
    ta.focus();
    ta.value = "typing";
    ta.dispatchEvent(new Event("input"));
    expect(edits).toEqual([[0, "text", "typing"]]);
    // the edit's new row arrives: the focused control keeps the user's text, others update
    v.update({ ...list(["typed", "TWO"]) });
    expect(ta.value).toBe("typing");
    expect(v.el.querySelectorAll<HTMLTextAreaElement>("textarea")[1].value).toBe("TWO");
    expect(v.el.querySelector('[data-field="text"]')).toBe(ta);
    v.el.remove();
  });

  it("controls with edits not sent yet keep the user's value", () => {
    const v = new ItemListView(fields, () => undefined);
    v.update(list(["one", "two"]));
    const second = v.el.querySelectorAll<HTMLTextAreaElement>("textarea")[1];
    second.value = "mine";
    v.update(list(["ONE", "TWO"]), new Set([editKey(1, "text")]));
    expect(second.value).toBe("mine");
    expect(v.el.querySelectorAll<HTMLTextAreaElement>("textarea")[0].value).toBe("ONE");
    // another number of items: rebuilt
    v.update(list(["a", "b", "c"]));
    expect(v.el.querySelectorAll(".daggr-edit-item").length).toBe(3);
  });

  it("clipped fields are read-only and a note says when items are left out", () => {
    const v = new ItemListView(fields, () => undefined);
    v.update({ ...list(["x…"]), n: 500, clipped: [[0, "text"]], note: "first 200 of 500 items shown" });
    expect(v.el.querySelector<HTMLInputElement>('[data-field="text"]')!.readOnly).toBe(true);
    expect(v.el.textContent).toContain("Items (500)");
    expect(v.el.textContent).toContain("first 200 of 500");
    v.update(null);
    expect(v.el.textContent).toContain("—");
  });
});

const topology: Topology = {
  name: "items",
  nodes: [
    { id: "lines", name: "lines", kind: "FN", url: null, inputs: [], fields: [], outputs: [{ name: "items", hidden: false, item_list: fields }] },
    { id: "join", name: "join", kind: "FN", url: null, inputs: [{ name: "items", wired: true }], fields: [], outputs: [{ name: "output", hidden: false }] },
  ],
  edges: [{ source: "lines", source_port: "items", target: "join", target_port: "items", scatter: false, gather: false }],
};

describe("editing items on the canvas", () => {
  let model: MockModel;
  let el: HTMLElement;
  let cleanup: () => void;
  beforeEach(() => {
    vi.useFakeTimers();
    model = createMockModel({
      topology,
      node_state: { lines: { status: "ok", rid: "r1", count: 1, index: 0, lists: { items: list(["one", "two", "three"]) } }, join: { status: "ok", fresh: "fresh" } },
      inputs: {},
      viewport: {},
      sheets: { current: "Sheet 1", names: ["Sheet 1"] },
      height: 400,
    });
    el = document.createElement("div");
    document.body.append(el);
    const c1 = widget.initialize({ model });
    const c2 = widget.render({ model, el });
    cleanup = () => (c2(), c1(), el.remove());
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  const control = (i: number, f: string) => el.querySelector(`.daggr-edit-item[data-index="${i}"] [data-field="${f}"]`) as HTMLInputElement;
  const edits = () => model.sent.filter((m) => m.type === "edit_items");

  it("debounces a burst over several fields and items into one burst of messages", () => {
    const t = control(0, "text");
    for (const s of ["h", "he", "hey"]) {
      t.value = s;
      t.dispatchEvent(new Event("input"));
    }
    const sel = control(1, "speaker") as unknown as HTMLSelectElement;
    sel.value = "0";
    sel.dispatchEvent(new Event("change"));
    const n = control(2, "n");
    n.value = "";
    n.dispatchEvent(new Event("input")); // not a number yet: nothing to send
    vi.advanceTimersByTime(ITEM_DEBOUNCE_MS - 50);
    expect(edits()).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(edits()).toEqual([
      { type: "edit_items", node: "lines", port: "items", index: 0, field: "text", value: "hey", more: true },
      { type: "edit_items", node: "lines", port: "items", index: 1, field: "speaker", value: "A" },
    ]);
  });

  it("a run flushes pending edits first and the new row shows its values", () => {
    const t = control(2, "text");
    t.value = "edited";
    t.dispatchEvent(new Event("input"));
    (el.querySelector('[data-id="join"] .daggr-run-btn') as HTMLElement).click();
    const types = model.sent.map((m) => m.type);
    expect(types.slice(-2)).toEqual(["edit_items", "run"]);
    model.set("node_state", {
      ...model.get("node_state"),
      lines: { status: "ok", rid: "r2", count: 2, index: 1, lists: { items: list(["one", "two", "edited"]) } },
      join: { status: "ok", fresh: "stale" },
    });
    expect(el.querySelector('[data-id="lines"] .daggr-history-label')!.textContent).toBe("2/2");
    expect(control(2, "text").value).toBe("edited");
    expect(el.querySelector('[data-id="join"]')!.classList.contains("daggr-stale")).toBe(true);
  });
});
