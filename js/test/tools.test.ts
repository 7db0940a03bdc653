// @vitest-environment happy-dom
// The working canvas in a DOM: toolbar, keys, layout changes with undo, groups, failures,
// wire tooltips, accessible names.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SAVE_DEBOUNCE_MS } from "../src/arrange";
import widget from "../src/index";
import type { Topology } from "../src/types";
import { type MockModel, mountCanvas } from "./mock-model";

const text = (label: string, value = "") => ({ component: "Textbox", kind: "textbox", props: { label }, value });

const topology: Topology = {
  name: "tools",
  nodes: [
    { id: "form", name: "form", kind: "INPUT", url: null, inputs: [], outputs: [{ name: "text", hidden: true }], fields: [{ key: "form__text", port: "text", component: text("Text", "hi") }] },
    { id: "parse", name: "parse", kind: "FN", url: null, inputs: [{ name: "text", wired: true }], outputs: [{ name: "output", hidden: false, component: text("Parsed") }], fields: [] },
    { id: "sum", name: "summarise", kind: "FN", url: null, inputs: [{ name: "x", wired: true }], outputs: [{ name: "output", hidden: false }], fields: [{ key: "sum__n", port: "n", component: { component: "Number", kind: "number", props: {}, value: 1 } }] },
  ],
  edges: [
    { source: "form", source_port: "text", target: "parse", target_port: "text", scatter: false, gather: false },
    { source: "parse", source_port: "output", target: "sum", target_port: "x", scatter: false, gather: false },
  ],
};

const failed = {
  form: { status: "ok", fresh: "fresh" },
  parse: { status: "error", rid: "r9", error: "JSONDecodeError: Expecting value", trace: { rid: "r9", size: 300 }, fresh: "stale", edges: { "form.text>text": true } },
  sum: { status: "skipped", error: "upstream node 'parse' failed: JSONDecodeError", fresh: "never run" },
};

function mount(extra: Record<string, unknown> = {}) {
  return mountCanvas(widget, { topology, node_state: failed, inputs: { form__text: "hi", sum__n: 1 }, viewport: {}, sheets: { current: "Sheet 1", names: ["Sheet 1"] }, height: 500, ...extra });
}

const q = (el: ParentNode, sel: string) => el.querySelector(sel) as HTMLElement;
const key = (target: Element, k: string, mods: KeyboardEventInit = {}) => target.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true, ...mods }));
const sent = (m: MockModel, type: string) => m.sent.filter((r) => r.type === type);

function drag(target: Element, dx: number, dy: number, mods: PointerEventInit = {}) {
  target.dispatchEvent(new PointerEvent("pointerdown", { bubbles: true, button: 0, clientX: 100, clientY: 100, ...mods }));
  window.dispatchEvent(new PointerEvent("pointermove", { clientX: 100 + dx, clientY: 100 + dy }));
  window.dispatchEvent(new PointerEvent("pointerup", { clientX: 100 + dx, clientY: 100 + dy }));
}

describe("the working canvas", () => {
  let m: ReturnType<typeof mount>;
  beforeEach(() => {
    vi.useFakeTimers();
    m = mount();
  });
  afterEach(() => {
    m.cleanup();
    vi.useRealTimers();
  });

  it("gives every button a visible label or an accessible name", () => {
    const nameless = [...m.el.querySelectorAll("button")].filter((b) => !b.getAttribute("aria-label") && !/[a-z]{2}/i.test(b.textContent ?? ""));
    expect(nameless.map((b) => b.outerHTML)).toEqual([]);
    expect(q(m.el, ".daggr-run-all").textContent).toContain("Run all");
    expect(q(m.el, ".daggr-zoom-in").getAttribute("aria-label")).toBe("Zoom in");
  });

  it("Run all carries unsent edits; Stop all is there while something runs", () => {
    const num = q(m.el, '[data-key="sum__n"] input') as HTMLInputElement;
    num.value = "4";
    num.dispatchEvent(new Event("input"));
    q(m.el, ".daggr-run-all").click();
    expect(m.model.sent.slice(-2)).toEqual([{ type: "set_input", key: "sum__n", value: 4 }, { type: "run_all" }]);
    const stop = q(m.el, ".daggr-stop-all") as HTMLButtonElement;
    expect(stop.disabled).toBe(true);
    m.model.emit("msg:custom", { type: "node_state", states: { sum: { status: "running" } } });
    expect(stop.disabled).toBe(false);
    expect((q(m.el, ".daggr-run-all") as HTMLButtonElement).disabled).toBe(true);
    stop.click();
    expect(m.model.sent.at(-1)).toEqual({ type: "stop_all" });
  });

  it("a failed card shows its message, a traceback fetched when opened, and copy", async () => {
    const box = q(m.el, '[data-id="parse"] .daggr-error');
    expect(box.hidden).toBe(false);
    expect(box.textContent).toContain("JSONDecodeError: Expecting value");
    expect(q(box, ".daggr-copy-error").getAttribute("aria-label")).toBe("Copy error and traceback");
    const details = q(box, "details") as HTMLDetailsElement;
    details.open = true;
    details.dispatchEvent(new Event("toggle"));
    const ask = m.model.sent.find((r) => r.type === "traceback");
    expect(ask).toMatchObject({ node: "parse", result: "r9" });
    const trace = 'Traceback (most recent call last):\n  File "<string>", line 3, in parse\nJSONDecodeError: Expecting value';
    m.model.emit("msg:custom", { type: "fetched", id: ask.id, mime: "text/plain", name: "" }, [new DataView(new TextEncoder().encode(trace).buffer)]);
    await vi.waitFor(() => expect(q(box, ".daggr-trace-text").textContent).toBe(trace));
  });

  it("a skipped card names the failed upstream node and moves the view to it", () => {
    const skipped = q(m.el, '[data-id="sum"] .daggr-error');
    expect(skipped.textContent).toBe("Skippedupstream node parse failed");
    q(skipped, ".daggr-skip-source").click();
    expect(document.activeElement).toBe(q(m.el, '.daggr-node[data-id="parse"]'));
  });

  it("Escape closes menus; Shift+Enter runs the focused card with its unsent edit; Delete deletes nothing", () => {
    q(m.el, '[data-id="sum"] .daggr-run-mode').click();
    const menu = q(m.el, '[data-id="sum"] .daggr-run-menu');
    expect(menu.hidden).toBe(false);
    key(menu, "Escape");
    expect(menu.hidden).toBe(true);
    const num = q(m.el, '[data-key="sum__n"] input') as HTMLInputElement;
    num.value = "2";
    num.dispatchEvent(new Event("input"));
    key(num, "Enter", { shiftKey: true });
    expect(m.model.sent.at(-1)).toEqual({ type: "run", node: "sum", mode: "to_here", inputs: { sum__n: 2 } });
    const before = m.model.sent.length;
    key(q(m.el, '.daggr-node[data-id="parse"]'), "Delete");
    expect(m.model.sent.length).toBe(before);
    expect(m.el.querySelectorAll(".daggr-node")).toHaveLength(3);
    expect(q(m.el, ".daggr-toast").textContent).toContain("Nothing was deleted");
  });

  it("collapse and resize are saved per sheet and undone with Ctrl+Z", () => {
    const card = q(m.el, '.daggr-node[data-id="parse"]');
    q(card, ".daggr-collapse").click();
    expect(card.classList.contains("daggr-collapsed")).toBe(true);
    expect(q(card, ".daggr-collapse").getAttribute("aria-label")).toBe("Expand card");
    drag(q(m.el, '.daggr-node[data-id="sum"] .daggr-resize'), 60, 40);
    vi.advanceTimersByTime(SAVE_DEBOUNCE_MS + 10);
    const [save] = sent(m.model, "layout");
    expect(save.collapsed).toEqual({ parse: true });
    expect(save.sizes.sum[0]).toBe(340);
    expect(q(m.el, '.daggr-node[data-id="sum"]').style.width).toBe("340px");
    expect(m.model.get("viewport").sizes.sum[0]).toBe(340);
    key(m.el.querySelector(".daggr-root")!, "z", { ctrlKey: true });
    expect(q(m.el, '.daggr-node[data-id="sum"]').style.width).toBe("");
    key(m.el.querySelector(".daggr-root")!, "z", { ctrlKey: true });
    expect(card.classList.contains("daggr-collapsed")).toBe(false);
    key(m.el.querySelector(".daggr-root")!, "y", { ctrlKey: true });
    expect(card.classList.contains("daggr-collapsed")).toBe(true);
    vi.advanceTimersByTime(SAVE_DEBOUNCE_MS + 10);
    expect(sent(m.model, "layout").at(-1)).toEqual({ type: "layout", sizes: { sum: null }, collapsed: { parse: true } });
  });

  it("moving a card is one undo step; the card and its wires follow", () => {
    const header = q(m.el, '.daggr-node[data-id="parse"] .daggr-node-name');
    const before = q(m.el, '.daggr-node[data-id="parse"]').style.transform;
    const wire = q(m.el, '.daggr-edge[data-key="form.text>text"] .daggr-wire').getAttribute("d");
    drag(header, 30, 20);
    expect(q(m.el, '.daggr-node[data-id="parse"]').style.transform).not.toBe(before);
    expect(q(m.el, '.daggr-edge[data-key="form.text>text"] .daggr-wire').getAttribute("d")).not.toBe(wire);
    expect(q(m.el, ".daggr-undo").title).toBe("Undo move (Ctrl+Z)");
    q(m.el, ".daggr-undo").click();
    expect(q(m.el, '.daggr-node[data-id="parse"]').style.transform).toBe(before);
  });

  it("groups selected cards in a frame that moves them together, collapses, and persists", () => {
    for (const id of ["parse", "sum"]) drag(q(m.el, `.daggr-node[data-id="${id}"] .daggr-node-name`), 0, 0, { shiftKey: true });
    expect(q(m.el, ".daggr-group-btn").textContent).toBe("Group 2");
    q(m.el, ".daggr-group-btn").click();
    const frame = q(m.el, ".daggr-group");
    expect(frame.getAttribute("aria-label")).toBe("Group Group 1");
    expect(q(frame, ".daggr-group-summary").textContent).toBe("2 nodes · 1 failed");
    const parse = () => q(m.el, '.daggr-node[data-id="parse"]').style.transform;
    const start = parse();
    drag(q(frame, ".daggr-group-title"), 50, 0);
    expect(parse()).not.toBe(start);
    q(frame, ".daggr-group-collapse").click();
    expect(q(m.el, '.daggr-node[data-id="parse"]').hidden).toBe(true);
    expect(q(m.el, ".daggr-group").classList.contains("daggr-group-collapsed")).toBe(true);
    // the wire into the group now ends on the group's card; the one inside it is not drawn
    expect(m.el.querySelectorAll(".daggr-edge")).toHaveLength(1);
    vi.advanceTimersByTime(SAVE_DEBOUNCE_MS + 10);
    const saved = m.model.get("viewport");
    expect(saved.groups).toEqual([expect.objectContaining({ members: ["parse", "sum"], collapsed: true })]);
    // A reload (or this sheet opened again) draws the group from the saved viewport.
    m.cleanup();
    m = mount({ viewport: saved });
    expect(q(m.el, ".daggr-group.daggr-group-collapsed")).not.toBeNull();
    expect(q(m.el, '.daggr-node[data-id="sum"]').hidden).toBe(true);
  });

  it("Shift+drag on the background selects the cards it touches; Escape clears it", () => {
    drag(q(m.el, ".daggr-viewport"), 400, 50, { shiftKey: true });
    expect([...m.el.querySelectorAll(".daggr-node.daggr-selected")].map((e) => (e as HTMLElement).dataset.id)).toEqual(["form", "parse"]);
    expect(q(m.el, ".daggr-group-btn").textContent).toBe("Group 2");
    key(m.el.querySelector(".daggr-root")!, "Escape");
    expect(m.el.querySelectorAll(".daggr-node.daggr-selected")).toHaveLength(0);
  });

  it("finds a node by name and focuses its card", () => {
    const input = q(m.el, ".daggr-find-input") as HTMLInputElement;
    key(m.el.querySelector(".daggr-root")!, "f", { ctrlKey: true });
    expect(document.activeElement).toBe(input);
    input.value = "summ";
    input.dispatchEvent(new Event("input"));
    expect([...m.el.querySelectorAll(".daggr-find-item")].map((b) => b.textContent)).toEqual(["FNsummarise"]);
    key(input, "Enter");
    expect(document.activeElement).toBe(q(m.el, '.daggr-node[data-id="sum"]'));
  });

  it("hovering a wire shows what it carries", () => {
    m.model.emit("msg:custom", { type: "node_state", states: { form: { status: "ok", preview: { text: { type: "text", text: "hello world" } }, rid: null } } });
    const hit = q(m.el, '.daggr-edge[data-key="form.text>text"] .daggr-edge-hit');
    hit.dispatchEvent(new PointerEvent("pointerenter", { clientX: 10, clientY: 10 }));
    const tip = q(m.el, ".daggr-wire-tip");
    expect(tip.hidden).toBe(false);
    expect(tip.textContent).toContain("form.text → parse.text");
    expect(tip.textContent).toContain("hello world");
    expect(q(m.el, '.daggr-edge[data-key="form.text>text"]').getAttribute("data-kind")).toBe("text");
    hit.dispatchEvent(new PointerEvent("pointerleave"));
    expect(tip.hidden).toBe(true);
  });

  it("the minimap toggle is saved with the sheet", () => {
    q(m.el, ".daggr-minimap-toggle").click();
    expect(sent(m.model, "layout").at(-1)).toEqual({ type: "layout", minimap: true });
    expect(m.model.get("viewport").minimap).toBe(true);
  });
});

describe("capture", () => {
  it("offers the webcam for an Image input and the microphone for an Audio input where the browser has them", async () => {
    const media = { getUserMedia: vi.fn(() => Promise.reject(Object.assign(new Error("Permission denied"), { name: "NotAllowedError" }))) };
    Object.defineProperty(navigator, "mediaDevices", { value: media, configurable: true });
    (globalThis as any).MediaRecorder = class {};
    const image = { component: "Image", kind: "image", props: { label: "Photo" }, value: null };
    const audio = { component: "Audio", kind: "audio", props: { label: "Voice" }, value: null };
    const topo: Topology = {
      name: "cap",
      nodes: [{ id: "form", name: "form", kind: "INPUT", url: null, inputs: [], outputs: [], fields: [{ key: "form__photo", port: "photo", component: image }, { key: "form__voice", port: "voice", component: audio }] }],
      edges: [],
    };
    const m = mount({ topology: topo, node_state: {} });
    try {
      const photo = q(m.el, '[data-key="form__photo"] .daggr-capture-btn');
      expect(photo.getAttribute("aria-label")).toBe("Take a photo for Photo");
      expect(q(m.el, '[data-key="form__voice"] .daggr-capture-btn').getAttribute("aria-label")).toBe("Record audio for Voice");
      expect(m.el.querySelectorAll('input[type="file"]')).toHaveLength(2); // uploads stay
      photo.click();
      const panel = q(m.el, ".daggr-capture");
      expect(panel.hidden).toBe(false);
      await vi.waitFor(() => expect(q(panel, ".daggr-capture-status").textContent).toContain("No camera available: Permission denied"));
      expect(media.getUserMedia).toHaveBeenCalledWith({ video: true });
      key(panel, "Escape");
      expect(panel.hidden).toBe(true);
    } finally {
      m.cleanup();
      delete (navigator as any).mediaDevices;
      delete (globalThis as any).MediaRecorder;
    }
  });
});
