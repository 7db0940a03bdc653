// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import widget from "../src/index";
import { MediaClient } from "../src/fetcher";
import { parseJsonField } from "../src/fields";
import { renderMarkdown } from "../src/markdown";
import { renderHtml, renderValue, tableRows } from "../src/renderers";
import { edgeKey, willRun } from "../src/stale";
import type { Topology } from "../src/types";
import { type MockModel, mountCanvas } from "./mock-model";

const text = (label: string) => ({ component: "Textbox", kind: "textbox", props: { label }, value: "" });
const image = { component: "Image", kind: "image", props: { label: "Picture" }, value: null };

const topology: Topology = {
  name: "feat",
  nodes: [
    { id: "a", name: "a", kind: "INPUT", url: null, inputs: [], outputs: [{ name: "x", hidden: false }], fields: [{ key: "a__x", port: "x", component: text("x") }, { key: "a__pic", port: "pic", component: image }] },
    { id: "b", name: "b", kind: "FN", url: null, inputs: [{ name: "x", wired: true }], outputs: [{ name: "img", hidden: false, component: image }], fields: [] },
    { id: "c", name: "c", kind: "FN", url: null, inputs: [{ name: "y", wired: true }], outputs: [{ name: "output", hidden: false }], fields: [] },
    {
      id: "ch", name: "ch", kind: "CHOICE", url: null, inputs: [], outputs: [{ name: "output", hidden: false }], variants: ["one", "two"],
      fields: [{ key: "one__t", port: "t", component: text("first"), variant: 0 }, { key: "two__t", port: "t", component: text("second"), variant: 1 }],
    },
  ],
  edges: [
    { source: "a", source_port: "x", target: "b", target_port: "x", scatter: false, gather: false },
    { source: "b", source_port: "img", target: "c", target_port: "y", scatter: false, gather: false },
  ],
};

function mount(states: Record<string, unknown> = {}) {
  return mountCanvas(widget, {
    topology,
    node_state: {
      a: { status: "ok", fresh: "fresh", edges: {} },
      b: { status: "ok", fresh: "stale", count: 3, index: 2, edges: { "a.x>x": false }, rid: "r1", preview: { img: { type: "file", name: "cat.png", mime: "image/png" } } },
      c: { status: "idle", fresh: "never run", edges: { "b.img>y": false } },
      ch: { status: "idle", variant: 0 },
      ...states,
    },
    inputs: { a__x: "hi" },
    viewport: {},
    sheets: { current: "Sheet 1", names: ["Sheet 1", "Other"] },
    height: 400,
  });
}

const q = (el: HTMLElement, sel: string) => el.querySelector(sel) as HTMLElement;

describe("history, freshness and run preview", () => {
  let m: { model: MockModel; el: HTMLElement; cleanup: () => void };
  beforeEach(() => {
    vi.useFakeTimers();
    m = mount();
  });
  afterEach(() => {
    m.cleanup();
    vi.useRealTimers();
  });

  it("browses history with ‹ › disabled at the ends", () => {
    const card = q(m.el, '[data-id="b"]');
    expect(q(card, ".daggr-history").hidden).toBe(false);
    expect(q(card, ".daggr-history-label").textContent).toBe("3/3");
    expect((q(card, ".daggr-hist-next") as HTMLButtonElement).disabled).toBe(true);
    q(card, ".daggr-hist-prev").click();
    expect(m.model.sent.at(-1)).toEqual({ type: "select", node: "b", index: 1 });
    m.model.emit("msg:custom", { type: "node_state", states: { b: { index: 0 } } });
    expect(q(card, ".daggr-history-label").textContent).toBe("1/3");
    expect((q(card, ".daggr-hist-prev") as HTMLButtonElement).disabled).toBe(true);
    expect(q(m.el, '[data-id="c"] .daggr-history').hidden).toBe(true);
  });

  it("shows a run's advice (CPU-bound items on threads) on the card, and clears it", () => {
    const card = q(m.el, '[data-id="c"]');
    expect(q(card, ".daggr-notice").hidden).toBe(true);
    const notice = "CPU-bound items on threads: ... Pass executor=ProcessPoolExecutor() ...";
    m.model.emit("msg:custom", { type: "node_state", states: { c: { status: "ok", notice } } });
    expect(q(card, ".daggr-notice").hidden).toBe(false);
    expect(q(card, ".daggr-notice").textContent).toContain("CPU-bound items on threads");
    expect(q(card, ".daggr-notice").title).toContain("executor=");
    m.model.emit("msg:custom", { type: "node_state", states: { c: { notice: null } } });
    expect(q(card, ".daggr-notice").hidden).toBe(true);
  });

  it("colours edges from the kernel's staleness and badges stale / never-run nodes", () => {
    const edge = q(m.el, '.daggr-edge[data-key="a.x>x"]');
    expect(edge.classList.contains("daggr-edge-stale")).toBe(true);
    expect(q(m.el, '[data-id="b"] .daggr-fresh-badge').textContent).toBe("stale");
    expect(q(m.el, '[data-id="c"] .daggr-fresh-badge').textContent).toBe("not run");
    expect(q(m.el, '[data-id="a"] .daggr-fresh-badge').hidden).toBe(true);
    m.model.emit("msg:custom", { type: "node_state", states: { b: { fresh: "fresh", edges: { "a.x>x": true } } } });
    expect(edge.classList.contains("daggr-edge-fresh")).toBe(true);
    expect(q(m.el, '[data-id="b"] .daggr-fresh-badge').hidden).toBe(true);
  });

  it("highlights the nodes a run would execute while the run button is hovered", () => {
    const btn = q(m.el, '[data-id="c"] .daggr-run-btn');
    btn.dispatchEvent(new Event("pointerenter"));
    const lit = [...m.el.querySelectorAll(".daggr-node.daggr-will-run")].map((e) => (e as HTMLElement).dataset.id);
    expect(lit.sort()).toEqual(["b", "c"]); // a is fresh: reused
    btn.dispatchEvent(new Event("pointerleave"));
    expect(m.el.querySelectorAll(".daggr-will-run")).toHaveLength(0);
  });

  it("fetches an image output by result id and shows it from a blob: URL", async () => {
    const fetch = m.model.sent.find((r) => r.type === "fetch");
    expect(fetch).toMatchObject({ result: "r1", port: "img" });
    expect(fetch).not.toHaveProperty("path");
    const png = new Uint8Array([137, 80, 78, 71]);
    m.model.emit("msg:custom", { type: "fetched", id: fetch.id, mime: "image/png", name: "cat.png" }, [new DataView(png.buffer)]);
    await vi.runAllTimersAsync();
    const img = q(m.el, '[data-id="b"] [data-port="img"] img') as HTMLImageElement;
    expect(img.src.startsWith("blob:")).toBe(true);
  });

  it("uploads a picked file as one binary buffer", async () => {
    const input = q(m.el, '[data-key="a__pic"] input[type="file"]') as HTMLInputElement;
    const file = new File([new Uint8Array([1, 2, 3])], "me.png", { type: "image/png" });
    Object.defineProperty(input, "files", { value: [file] });
    vi.useRealTimers();
    input.dispatchEvent(new Event("change"));
    await vi.waitFor(() => expect(m.model.sent.some((r) => r.type === "upload")).toBe(true));
    const i = m.model.sent.findIndex((r) => r.type === "upload");
    expect(m.model.sent[i]).toEqual({ type: "upload", key: "a__pic", name: "me.png" });
    expect(new Uint8Array(m.model.buffers[i]![0])).toEqual(new Uint8Array([1, 2, 3]));
  });

  it("shows the chosen variant's fields and asks for another", () => {
    const card = () => q(m.el, '[data-id="ch"]');
    expect(card().querySelector('[data-key="one__t"]')).not.toBeNull();
    expect(card().querySelector('[data-key="two__t"]')).toBeNull();
    q(card(), '.daggr-variant[data-index="1"]').click();
    expect(m.model.sent.at(-1)).toEqual({ type: "variant", node: "ch", index: 1 });
    m.model.emit("msg:custom", { type: "node_state", states: { ch: { variant: 1 } } });
    expect(card().querySelector('[data-key="two__t"]')).not.toBeNull();
  });

  it("switches, creates, renames and deletes sheets from the title bar", () => {
    q(m.el, ".daggr-sheet-toggle").click();
    expect(q(m.el, ".daggr-sheet-menu").hidden).toBe(false);
    q(m.el, '[data-sheet="Other"]').click();
    expect(m.model.sent.at(-1)).toEqual({ type: "sheet", action: "switch", name: "Other" });
    q(m.el, ".daggr-sheet-new").click();
    expect(m.model.sent.at(-1)).toEqual({ type: "sheet", action: "new" });
    q(m.el, ".daggr-sheet-name").dispatchEvent(new Event("dblclick"));
    const input = q(m.el, ".daggr-sheet-input") as HTMLInputElement;
    input.value = "Renamed";
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));
    expect(m.model.sent.at(-1)).toEqual({ type: "sheet", action: "new" });
    q(m.el, ".daggr-sheet-rename").click();
    const again = q(m.el, ".daggr-sheet-input") as HTMLInputElement;
    again.value = "Renamed";
    again.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    expect(m.model.sent.at(-1)).toEqual({ type: "sheet", action: "rename", name: "Sheet 1", new_name: "Renamed" });
    window.confirm = () => true;
    q(m.el, '.daggr-sheet-delete[aria-label="Delete sheet Other"]').click();
    expect(m.model.sent.at(-1)).toEqual({ type: "sheet", action: "delete", name: "Other" });
    m.model.set("sheets", { current: "Other", names: ["Other"] });
    expect(q(m.el, ".daggr-sheet-name").textContent).toBe("Other");
    expect(m.el.querySelectorAll(".daggr-sheet-delete")).toHaveLength(0);
  });
});

describe("pure logic", () => {
  it("runs to here: target plus non-fresh ancestors; step: the target only", () => {
    const states = { a: { status: "ok" as const, fresh: "fresh" as const }, b: { status: "ok" as const, fresh: "stale" as const } };
    expect([...willRun(topology, states, "c", "to_here")].sort()).toEqual(["b", "c"]);
    expect([...willRun(topology, states, "c", "step")]).toEqual(["c"]);
    expect(edgeKey(topology.edges[0])).toBe("a.x>x");
  });

  it("renders markdown without ever running HTML", () => {
    const el = renderMarkdown('# Title\n\n**bold** <img src=x onerror="alert(1)"> [ok](https://hf.co) [bad](javascript:alert(1))\n\n- one\n- two');
    expect(el.querySelector("img")).toBeNull();
    expect(el.textContent).toContain('<img src=x onerror="alert(1)">');
    expect(el.querySelector("strong")?.textContent).toBe("bold");
    expect(el.querySelectorAll("a")).toHaveLength(1);
    expect(el.querySelectorAll("li")).toHaveLength(2);
  });

  it("puts HTML output in a sandboxed iframe with no permissions", () => {
    const frame = renderHtml("<script>parent.x=1</script>") as HTMLIFrameElement;
    expect(frame.tagName).toBe("IFRAME");
    expect(frame.getAttribute("sandbox")).toBe("");
    expect(frame.getAttribute("srcdoc")).toContain("<script>");
  });

  it("renders labels as bars, tables, chat and a collapsible JSON tree", () => {
    const label = renderValue("label", { label: "cat", confidences: [{ label: "cat", confidence: 0.9 }, { label: "dog", confidence: 0.1 }] });
    expect(label.querySelectorAll(".daggr-conf")).toHaveLength(2);
    expect(tableRows({ headers: ["a"], data: [[1], [2]] }).rows).toHaveLength(2);
    expect(tableRows([{ a: 1, b: 2 }]).headers).toEqual(["a", "b"]);
    const chat = renderValue("chatbot", [{ role: "user", content: "hi" }, { role: "assistant", content: "yo" }]);
    expect(chat.querySelectorAll(".daggr-msg")).toHaveLength(2);
    const tree = renderValue("json", { a: { b: { c: [1] } } });
    expect(tree.tagName).toBe("DETAILS");
    expect(tree.querySelectorAll("details")).toHaveLength(3);
  });

  it("validates JSON fields before sending", () => {
    expect(parseJsonField('{"a": 1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonField("{oops").ok).toBe(false);
  });

  it("revokes a blob URL once no element shows it", async () => {
    const sent: any[] = [];
    const client = new MediaClient((c) => sent.push(c));
    const revoke = vi.spyOn(URL, "revokeObjectURL");
    const t = { result: "r", port: "p" };
    const p = client.fetch(t);
    expect(client.fetch(t)).toBe(p); // asked twice, fetched once
    expect(sent).toHaveLength(1);
    client.onMessage({ type: "fetched", id: sent[0].id, mime: "image/png", name: "x" }, [new DataView(new ArrayBuffer(4))]);
    const f = await p;
    client.urlFor("slot", t, f);
    expect(client.liveUrls()).toBe(1);
    client.release("slot");
    expect(client.liveUrls()).toBe(0);
    expect(revoke).toHaveBeenCalled();
    const failing = client.fetch({ result: "nope", port: "p" });
    client.onMessage({ type: "fetched", id: sent[1].id, error: "No result" });
    await expect(failing).rejects.toThrow("No result");
  });
});
