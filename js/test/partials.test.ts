// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import widget from "../src/index";
import { Partials } from "../src/partials";
import { parseUpdate } from "../src/protocol";
import type { Topology } from "../src/types";
import { statusText } from "../src/view";
import { type MockModel, mountCanvas } from "./mock-model";

describe("partial deltas", () => {
  it("rebuild growing text from appends", () => {
    const p = new Partials();
    p.follow("n", "~1");
    p.apply({ n: { out: [0, "Once"] } });
    p.apply({ n: { out: [4, " upon"] } });
    expect(p.of("n", "~1")?.get("out")?.text).toBe("Once upon");
  });

  it("ask for the whole text when the start was missed, then carry on", () => {
    const p = new Partials();
    p.follow("n", "~1");
    const first = p.apply({ n: { out: [9, " a"] } });
    expect(first.resync).toEqual([["n", "out"]]);
    p.apply({ n: { out: [11, " time"] } }); // held until the whole text arrives
    expect(p.resynced("n", "out", "Once upon a")).toBe(true); // overlaps the first delta
    expect(p.of("n", "~1")?.get("out")?.text).toBe("Once upon a time");
  });

  it("replace values and forget them when the node runs again", () => {
    const p = new Partials();
    p.follow("n", "~1");
    p.apply({ n: { img: { set: { type: "file", name: "frame.png" }, rid: "~1.3" } } });
    expect(p.of("n", "~1")?.get("img")?.rid).toBe("~1.3");
    p.follow("n", null);
    expect(p.of("n", null)).toBeUndefined();
    p.follow("n", "~2");
    expect(p.of("n", "~2")?.size ?? 0).toBe(0);
  });

  it("parse only well-formed partial messages", () => {
    expect(parseUpdate({ type: "partial", nodes: { n: { out: [0, "x"] } } })?.type).toBe("partial");
    expect(parseUpdate({ type: "partial", nodes: { n: { out: [-1, "x"] } } })).toBeNull();
    expect(parseUpdate({ type: "partial", nodes: { n: { out: { set: {} } } } })).toBeNull();
  });
});

describe("a running card", () => {
  it("says where its node stands", () => {
    expect(statusText({ status: "running", progress: { text: "queue 3/7 · ~12 s", share: null } })).toBe("queue 3/7 · ~12 s");
    expect(statusText({ status: "running", progress: { text: "40% · denoising", share: 0.4 } })).toBe("40% · denoising");
    expect(statusText({ status: "ok", progress: { text: "40%", share: 0.4 } })).toBe("done");
  });
});

const textbox = { component: "Textbox", kind: "textbox", props: { label: "Story" }, value: null };
const topology: Topology = {
  name: "demo",
  nodes: [{ id: "tell", name: "tell", kind: "FN", url: null, inputs: [], outputs: [{ name: "output", hidden: false, component: textbox }], fields: [] }],
  edges: [],
};

describe("a card of a streaming node", () => {
  let m: { model: MockModel; el: HTMLElement; cleanup: () => void };
  const box = () => m.el.querySelector('.daggr-preview[data-port="output"]') as HTMLElement;
  const card = () => m.el.querySelector('.daggr-node[data-id="tell"]') as HTMLElement;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date", "requestAnimationFrame", "cancelAnimationFrame"] });
    m = mountCanvas(widget, { topology, node_state: { tell: { status: "idle" } }, inputs: {}, viewport: {}, height: 400 });
  });
  afterEach(() => {
    m.cleanup();
    vi.useRealTimers();
  });

  it("shows text as it grows, its progress, then the final value", () => {
    m.model.emit("msg:custom", { type: "node_state", states: { tell: { status: "running", started: Date.now() / 1000, stream: "~1", progress: { text: "40% · writing", share: 0.4 } } } });
    m.model.emit("msg:custom", { type: "partial", nodes: { tell: { output: [0, "Once"] } } });
    m.model.emit("msg:custom", { type: "partial", nodes: { tell: { output: [4, " upon"] } } });
    vi.advanceTimersToNextFrame(); // values so far are drawn once per frame
    expect(box().textContent).toBe("Once upon");
    const value = () => box().querySelector(":scope > :not(.daggr-out-actions)");
    const pre = value();
    m.model.emit("msg:custom", { type: "partial", nodes: { tell: { output: [9, " a"] } } });
    vi.advanceTimersToNextFrame();
    expect(box().textContent).toBe("Once upon a");
    expect(value()).toBe(pre); // grown in place, not laid out again
    expect(card().querySelector(".daggr-status")!.textContent).toBe("40% · writing");
    expect((card().querySelector(".daggr-progress") as HTMLElement).hidden).toBe(false);
    m.model.emit("msg:custom", { type: "node_state", states: { tell: { status: "ok", stream: null, progress: null, rid: "r1", preview: { output: { type: "text", text: "Once upon a time" } } } } });
    expect(box().textContent).toBe("Once upon a time");
    expect((card().querySelector(".daggr-progress") as HTMLElement).hidden).toBe(true);
  });

  it("keeps the text so far next to the error when its app dies", () => {
    m.model.emit("msg:custom", { type: "node_state", states: { tell: { status: "running", stream: "~2" } } });
    m.model.emit("msg:custom", { type: "partial", nodes: { tell: { output: [0, "half a sto"] } } });
    vi.advanceTimersToNextFrame();
    m.model.emit("msg:custom", { type: "node_state", states: { tell: { status: "error", error: "the app went away", preview: null } } });
    expect(box().textContent).toBe("half a sto");
    expect(card().classList.contains("daggr-no-result")).toBe(false);
    m.model.emit("msg:custom", { type: "node_state", states: { tell: { status: "running", stream: null, error: null } } });
    expect(box().textContent).not.toContain("half a sto");
  });

  it("asks for the whole text when it opened mid-stream", () => {
    m.model.emit("msg:custom", { type: "node_state", states: { tell: { status: "running", stream: "~3" } } });
    m.model.emit("msg:custom", { type: "partial", nodes: { tell: { output: [120, "more"] } } });
    const ask = m.model.sent.find((c) => c.type === "fetch");
    expect(ask).toMatchObject({ type: "fetch", port: "output" });
    expect(ask.result.startsWith("~3.")).toBe(true);
  });
});
