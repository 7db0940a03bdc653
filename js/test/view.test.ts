// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import widget from "../src/index";
import type { Topology } from "../src/types";
import { INPUT_DEBOUNCE_MS } from "../src/view";
import { type MockModel, mountCanvas } from "./mock-model";

const textbox = { component: "Textbox", kind: "textbox", props: { label: "Text" }, value: "hello" };
const number = { component: "Number", kind: "number", props: { label: "n" }, value: 1 };
const image = { component: "Image", kind: "image", props: { label: "Photo" }, value: null };

const topology: Topology = {
  name: "demo",
  nodes: [
    {
      id: "form",
      name: "form",
      kind: "INPUT",
      url: null,
      inputs: [],
      outputs: [{ name: "text", hidden: false }],
      fields: [
        { key: "form__text", port: "text", component: textbox },
        { key: "form__photo", port: "photo", component: image },
      ],
    },
    {
      id: "shout",
      name: "shout",
      kind: "GRADIO",
      url: "https://huggingface.co/spaces/o/shout",
      inputs: [{ name: "text", wired: true }, { name: "n", wired: false }],
      outputs: [{ name: "output", hidden: true }, { name: "extra", hidden: true }],
      fields: [{ key: "shout__n", port: "n", component: number }],
    },
  ],
  edges: [{ source: "form", source_port: "text", target: "shout", target_port: "text", scatter: true, gather: false }],
};

function mount(extra: Record<string, unknown> = {}) {
  return mountCanvas(widget, {
    topology,
    node_state: { form: { status: "idle" }, shout: { status: "idle" } },
    inputs: { form__text: "hello", shout__n: 1 },
    viewport: {},
    height: 400,
    ...extra,
  });
}

const q = (el: HTMLElement, sel: string) => el.querySelector(sel) as HTMLElement;

describe("canvas view", () => {
  let m: { model: MockModel; el: HTMLElement; cleanup: () => void };
  beforeEach(() => {
    vi.useFakeTimers();
    m = mount();
  });
  afterEach(() => {
    m.cleanup();
    vi.useRealTimers();
  });

  it("renders a card per node with badge, linked name, ports and an edge with a scatter fork", () => {
    const cards = m.el.querySelectorAll(".daggr-node");
    expect(cards).toHaveLength(2);
    expect(q(m.el, '[data-id="shout"] .daggr-badge').textContent).toBe("GRADIO");
    const link = q(m.el, '[data-id="shout"] a.daggr-node-name') as HTMLAnchorElement;
    expect(link.getAttribute("href")).toBe("https://huggingface.co/spaces/o/shout");
    expect(m.el.querySelectorAll('[data-id="shout"] .daggr-port-in')).toHaveLength(2);
    expect(m.el.querySelectorAll('[data-id="shout"] .daggr-hidden-port')).toHaveLength(2);
    expect(m.el.querySelectorAll(".daggr-edge")).toHaveLength(1);
    expect(m.el.querySelectorAll(".daggr-edge-scatter .daggr-fork")).toHaveLength(1);
    expect(q(m.el, '[data-id="form"] .daggr-run-btn')).toBeNull();
    expect(q(m.el, '[data-id="form"] .daggr-field-image .daggr-drop')).not.toBeNull();
    expect(q(m.el, ".daggr-root").style.height).toBe("400px");
  });

  it("sends each edited input after its own debounce; a run carries the ones not sent yet", () => {
    const text = q(m.el, '[data-key="form__text"] input') as HTMLInputElement;
    const num = q(m.el, '[data-key="shout__n"] input') as HTMLInputElement;
    text.value = "hi there";
    text.dispatchEvent(new Event("input"));
    vi.advanceTimersByTime(INPUT_DEBOUNCE_MS - 50);
    num.value = "3";
    num.dispatchEvent(new Event("input"));
    vi.advanceTimersByTime(50);
    expect(m.model.sent).toEqual([{ type: "set_input", key: "form__text", value: "hi there" }]);
    expect(m.model.get("inputs").form__text).toBe("hi there");
    q(m.el, '[data-id="shout"] .daggr-run-btn').click();
    // One message: the kernel may handle messages sent back to back out of order.
    expect(m.model.sent.slice(1)).toEqual([{ type: "run", node: "shout", mode: "to_here", inputs: { shout__n: 3 } }]);
    expect(m.model.get("inputs").shout__n).toBe(3);
    vi.advanceTimersByTime(INPUT_DEBOUNCE_MS * 2);
    expect(m.model.sent).toHaveLength(2); // the carried edit is not sent a second time
  });

  it("switches the run mode from the menu", () => {
    q(m.el, '[data-id="shout"] .daggr-run-mode').click();
    const menu = q(m.el, '[data-id="shout"] .daggr-run-menu');
    expect(menu.hidden).toBe(false);
    q(menu, '[data-mode="step"]').click();
    expect(menu.hidden).toBe(true);
    const btn = q(m.el, '[data-id="shout"] .daggr-run-btn');
    expect(btn.getAttribute("aria-label")).toBe("Run this step");
    btn.click();
    expect(m.model.sent.at(-1)).toEqual({ type: "run", node: "shout", mode: "step" });
  });

  it("applies kernel deltas: running shows Stop and a live timer, then the preview", () => {
    const now = Date.now() / 1000;
    m.model.emit("msg:custom", { type: "node_state", states: { shout: { status: "running", started: now - 2 } } });
    const card = q(m.el, '[data-id="shout"]');
    expect(card.classList.contains("daggr-status-running")).toBe(true);
    const btn = q(card, ".daggr-run-btn");
    expect(btn.getAttribute("aria-label")).toBe("Stop");
    expect(q(card, ".daggr-time").textContent).toBe("2.0s");
    vi.advanceTimersByTime(1000);
    expect(q(card, ".daggr-time").textContent).toBe("3.0s");
    btn.click();
    expect(m.model.sent.at(-1)).toEqual({ type: "stop", node: "shout" });
    m.model.emit("msg:custom", {
      type: "node_state",
      states: { shout: { status: "cached", started: null, duration: 0.25, preview: { output: { type: "text", text: "HI" }, extra: { type: "file", name: "a.png" } } } },
    });
    expect(card.classList.contains("daggr-cached")).toBe(true);
    expect(q(card, ".daggr-time").textContent).toBe("0.3s");
    expect(q(card, '[data-port="output"]').textContent).toBe("HI");
    expect(q(card, '[data-port="extra"]').textContent).toContain("a.png");
    expect(btn.getAttribute("aria-label")).toBe("Run to here");
  });

  it("shows an error box for a failed node and a toast for a rejected request", () => {
    m.model.emit("msg:custom", { type: "node_state", states: { shout: { status: "error", error: "ValueError: boom" } } });
    const box = q(m.el, '[data-id="shout"] .daggr-error');
    expect(box.hidden).toBe(false);
    expect(box.textContent).toContain("ValueError: boom");
    m.model.emit("msg:custom", { type: "error", message: "No node 'x' on this canvas." });
    expect(q(m.el, ".daggr-toast").textContent).toBe("No node 'x' on this canvas.");
  });

  it("shows input values set from code", () => {
    m.model.emit("msg:custom", { type: "inputs", values: { form__text: "from code" } });
    expect((q(m.el, '[data-key="form__text"] input') as HTMLInputElement).value).toBe("from code");
  });

  it("keeps key presses away from notebook shortcuts", () => {
    const outer = vi.fn();
    document.body.addEventListener("keydown", outer);
    q(m.el, '[data-key="form__text"] input').dispatchEvent(new KeyboardEvent("keydown", { key: "a", bubbles: true }));
    expect(outer).not.toHaveBeenCalled();
    document.body.removeEventListener("keydown", outer);
    expect(q(m.el, ".daggr-root").hasAttribute("data-lm-suppress-shortcuts")).toBe(true);
  });

  it("zooms with the buttons and reports the view debounced", () => {
    q(m.el, ".daggr-zoom-in").click();
    expect(q(m.el, ".daggr-zoom-label").textContent).toBe("120%");
    vi.advanceTimersByTime(1000);
    expect(m.model.sent.at(-1)).toMatchObject({ type: "viewport", zoom: 1.2 });
  });

  it("cleans up its listeners", () => {
    expect(m.model.listeners("change:node_state")).toBe(1);
    m.cleanup();
    expect(m.model.listeners("change:node_state")).toBe(0);
    expect(m.model.listeners("msg:custom")).toBe(0);
    m = mount();
  });
});

describe("saved viewport", () => {
  it("places cards at saved positions", () => {
    const { el, cleanup } = mount({ viewport: { x: 10, y: 20, zoom: 0.5, positions: { shout: [700, 80] } } });
    expect(q(el, '[data-id="shout"]').style.transform).toBe("translate(700px, 80px)");
    expect(q(el, ".daggr-pane").style.transform).toBe("translate(10px, 20px) scale(0.5)");
    cleanup();
  });
});
