// @vitest-environment happy-dom
// A saved notebook opened without a kernel: the canvas says it is a static copy, sends
// nothing, shows the thumbnails the notebook kept; and a re-rendered output keeps its view.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import widget from "../src/index";
import { HELLO_WAIT_MS, STATIC_NOTICE } from "../src/liveness";
import type { Topology } from "../src/types";
import { createMockModel, type MockModel } from "./mock-model";

const topology: Topology = {
  name: "saved",
  nodes: [
    {
      id: "paint",
      name: "paint",
      kind: "FN",
      url: null,
      inputs: [{ name: "colour", wired: false }],
      outputs: [{ name: "picture", hidden: false, component: { component: "Image", kind: "image", props: {}, value: null } }],
      fields: [{ key: "paint__colour", port: "colour", component: { component: "Textbox", kind: "textbox", props: { label: "colour" }, value: "red" } }],
    },
  ],
  edges: [],
};
// A 1×1 PNG, as the kernel keeps thumbnails: result id -> port -> bytes.
const PNG = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"), (c) => c.charCodeAt(0));
const traits = () => ({
  topology,
  node_state: { paint: { status: "ok", rid: "r1", count: 1, index: 0, fresh: "fresh", preview: { picture: { type: "image", name: "image 640×480", mime: "image/png" } } } },
  inputs: { paint__colour: "red" },
  viewport: {},
  sheets: { current: "Sheet 1", names: ["Sheet 1"] },
  thumbnails: { r1: { picture: new DataView(PNG.buffer) } },
  height: 400,
});

/** A model whose kernel is gone: a hello goes nowhere. */
function savedModel(extra: Record<string, unknown> = {}): MockModel {
  const model = createMockModel({ ...traits(), ...extra });
  const send = model.send.bind(model);
  model.send = (content, callbacks, buffers) => {
    if ((content as { type?: string }).type !== "hello") send(content, callbacks, buffers);
  };
  return model;
}

function mount(model: MockModel) {
  const el = document.createElement("div");
  document.body.append(el);
  const stop = [widget.initialize({ model }), widget.render({ model, el })];
  return { el, cleanup: () => (stop.reverse().forEach((f) => f()), el.remove()) };
}

const q = (el: HTMLElement, sel: string) => el.querySelector(sel) as HTMLElement;

describe("a saved notebook's static copy", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    let n = 0;
    URL.createObjectURL = vi.fn(() => `blob:thumb-${++n}`);
    URL.revokeObjectURL = vi.fn();
  });
  afterEach(() => vi.useRealTimers());

  it("without an answer from a kernel: says so, disables runs and sends nothing", async () => {
    const model = savedModel();
    const m = mount(model);
    expect(q(m.el, ".daggr-static-notice").hidden).toBe(true); // optimistic while waiting
    vi.advanceTimersByTime(HELLO_WAIT_MS);
    const notice = q(m.el, ".daggr-static-notice");
    expect(notice.hidden).toBe(false);
    expect(notice.textContent).toBe(STATIC_NOTICE);
    const run = q(m.el, '[data-id="paint"] .daggr-run-btn') as HTMLButtonElement;
    expect(run.disabled).toBe(true);
    expect((q(m.el, '[data-key="paint__colour"] input') as HTMLInputElement).disabled).toBe(true);
    expect((q(m.el, ".daggr-run-all") as HTMLButtonElement).disabled).toBe(true);
    const before = model.sent.length; // the optimistic wait fetched the picture (unanswered)
    run.click();
    q(m.el, ".daggr-run-all").click();
    expect(model.sent.slice(before)).toEqual([]);
    // the picture's box shows the kept thumbnail, not a request to a kernel
    await vi.waitFor(() => expect(q(m.el, '[data-id="paint"] [data-port="picture"] img')).not.toBeNull());
    expect((q(m.el, '[data-port="picture"] img') as HTMLImageElement).src).toMatch(/^blob:thumb-/);
    m.cleanup();
  });

  it("a late answer from the kernel makes it live again", () => {
    const model = savedModel();
    const m = mount(model);
    vi.advanceTimersByTime(HELLO_WAIT_MS);
    expect(q(m.el, ".daggr-static-notice").hidden).toBe(false);
    model.emit("msg:custom", { type: "hello" });
    expect(q(m.el, ".daggr-static-notice").hidden).toBe(true);
    const run = q(m.el, '[data-id="paint"] .daggr-run-btn') as HTMLButtonElement;
    expect(run.disabled).toBe(false);
    run.click();
    expect(model.sent.at(-1)).toEqual({ type: "run", node: "paint", mode: "to_here" });
    m.cleanup();
  });

  it("is read-only at once where the host says it has no kernel", () => {
    const model = savedModel({});
    (model as unknown as { widget_manager: unknown }).widget_manager = { kernel: null };
    const m = mount(model);
    expect(q(m.el, ".daggr-static-notice").hidden).toBe(false);
    m.cleanup();
  });

  it("waits while the host's kernel is busy (a running cell holds the hello)", () => {
    const model = savedModel();
    const kernel = { status: "busy" };
    (model as unknown as { widget_manager: unknown }).widget_manager = { kernel };
    const m = mount(model);
    vi.advanceTimersByTime(HELLO_WAIT_MS * 5);
    expect(q(m.el, ".daggr-static-notice").hidden).toBe(true);
    kernel.status = "idle";
    vi.advanceTimersByTime(HELLO_WAIT_MS);
    expect(q(m.el, ".daggr-static-notice").hidden).toBe(false);
    m.cleanup();
  });

  it("asks again when the widget manager says the kernel connection changed", () => {
    const model = createMockModel(traits()); // answered: live
    const manager: { kernel: unknown } = { kernel: { status: "idle" } };
    (model as unknown as { widget_manager: unknown }).widget_manager = manager;
    const m = mount(model);
    expect(q(m.el, ".daggr-static-notice").hidden).toBe(true);
    manager.kernel = { status: "dead" }; // the kernel died under a live canvas
    model.emit("comm_live_update");
    expect(q(m.el, ".daggr-static-notice").hidden).toBe(false);
    m.cleanup();
  });

  it("a live canvas answered by its kernel never shows the notice", () => {
    const model = createMockModel(traits()); // the mock kernel answers the hello
    const m = mount(model);
    vi.advanceTimersByTime(HELLO_WAIT_MS * 3);
    expect(q(m.el, ".daggr-static-notice").hidden).toBe(true);
    m.cleanup();
  });
});

describe("an output re-rendered by its notebook", () => {
  it("moves the view it emptied into the new one (cards, focus and all)", () => {
    const model = createMockModel(traits());
    const first = document.createElement("div");
    const output = document.createElement("div");
    output.append(first);
    document.body.append(output);
    widget.initialize({ model });
    const dropFirst = widget.render({ model, el: first });
    const root = q(first, ".daggr-root");
    const input = q(first, '[data-key="paint__colour"] input') as HTMLInputElement;
    input.focus();
    // What JupyterLab does on update_display_data: empty the output, render a new view.
    output.textContent = "Loading widget...";
    const second = document.createElement("div");
    output.textContent = "";
    output.append(second);
    const dropSecond = widget.render({ model, el: second });
    expect(q(second, ".daggr-root")).toBe(root);
    expect(document.activeElement).toBe(input);
    dropFirst(); // the thrown-away view's cleanup leaves the moved canvas alone
    expect(root.isConnected).toBe(true);
    dropSecond();
    expect(root.isConnected).toBe(false);
    output.remove();
  });
});
