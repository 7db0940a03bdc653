// Pure logic of the working canvas: layout patches and undo, groups, the minimap's
// arithmetic, finding nodes, value kinds, keys and why a node was skipped.
import { describe, expect, it } from "vitest";
import { skipReason, traceOf } from "../src/failure";
import { findNodes, matchRank } from "../src/find";
import { cardsIn, collapsedBox, frameBox, GROUP_PAD, GROUP_TITLE_H, groupSummary, hiddenMembers, keepKnown, makeGroup, movedMembers, ungroup } from "../src/groups";
import { keyAction } from "../src/keyboard";
import { KIND_COLOURS, kindOfPreview, portKinds } from "../src/kinds";
import { autoLayout, gridColumns, isolatedNodes } from "../src/layout";
import { fromMap, mapTransform, overflows, toMap, visibleBox } from "../src/minimap";
import { applyPatch, clampSize, inversePatch, layoutFrom, mergePatches, viewportWith } from "../src/sheetLayout";
import type { Topology } from "../src/types";
import { UndoHistory } from "../src/undo";

const fn = (id: string, inputs: string[] = [], outputs = ["output"]) => ({
  id,
  name: id,
  kind: "FN",
  url: null,
  inputs: inputs.map((name) => ({ name, wired: true })),
  outputs: outputs.map((name) => ({ name, hidden: false })),
  fields: [],
});
const edge = (source: string, target: string, target_port = "x") => ({ source, source_port: "output", target, target_port, scatter: false, gather: false });

describe("layout for graphs with unconnected nodes", () => {
  it("puts nodes with no edge in a landscape grid beside the connected ones", () => {
    const topo: Topology = { name: "t", nodes: [fn("a"), fn("b", ["x"]), fn("l1"), fn("l2"), fn("l3"), fn("l4")], edges: [edge("a", "b")] };
    expect([...isolatedNodes(topo)]).toEqual(["l1", "l2", "l3", "l4"]);
    const pos = autoLayout(topo);
    expect(pos.a[0]).toBeLessThan(pos.b[0]);
    // four loose cards: three columns right of the two connected ones, then a second row
    expect(pos.l1[0]).toBeGreaterThan(pos.b[0]);
    expect([pos.l1[1], pos.l2[1], pos.l3[1]]).toEqual([40, 40, 40]);
    expect(pos.l4).toEqual([pos.l1[0], pos.l4[1]]);
    expect(pos.l4[1]).toBeGreaterThan(40);
    expect([1, 2, 3, 4, 8, 20].map(gridColumns)).toEqual([1, 2, 3, 3, 4, 7]);
  });
});

describe("layout patches and undo", () => {
  const base = layoutFrom({ sizes: { a: [300, 200] }, collapsed: ["b"], groups: [] }, { a: [0, 0], b: [400, 0] });

  it("apply and invert: undoing a patch gives back the layout it changed", () => {
    const patch = { positions: { a: [50, 60] as [number, number] }, sizes: { a: null, b: [320, 240] as [number, number] }, collapsed: { b: false } };
    const after = applyPatch(base, patch);
    expect(after.positions.a).toEqual([50, 60]);
    expect(after.sizes).toEqual({ b: [320, 240] });
    expect(after.collapsed.has("b")).toBe(false);
    expect(base.positions.a).toEqual([0, 0]); // unchanged
    const back = applyPatch(after, inversePatch(base, patch));
    expect(back.positions).toEqual(base.positions);
    expect(back.sizes).toEqual(base.sizes);
    expect([...back.collapsed]).toEqual(["b"]);
  });

  it("merges patches for one save, the later winning, and keeps the saved viewport whole", () => {
    const merged = mergePatches({ positions: { a: [1, 1] } }, { positions: { a: [2, 2], b: [3, 3] }, collapsed: { a: true } });
    expect(merged).toEqual({ positions: { a: [2, 2], b: [3, 3] }, collapsed: { a: true } });
    const vp = viewportWith({ x: 5, y: 6, zoom: 0.8, positions: {}, minimap: false }, merged);
    expect(vp).toMatchObject({ x: 5, y: 6, zoom: 0.8, minimap: false, collapsed: ["a"] });
  });

  it("keeps sizes within bounds", () => {
    expect(clampSize([10, 99999])).toEqual([200, 2400]);
  });

  it("undo and redo per sheet; a new change drops what was undone", () => {
    const h = new UndoHistory<string>();
    h.record("S1", { label: "move", undo: "u1", redo: "r1" });
    h.record("S1", { label: "resize", undo: "u2", redo: "r2" });
    h.record("S2", { label: "collapse", undo: "x", redo: "y" });
    expect(h.undo("S1")?.undo).toBe("u2");
    expect(h.peekRedo("S1")?.label).toBe("resize");
    expect(h.redo("S1")?.redo).toBe("r2");
    expect(h.undo("S1")?.label).toBe("resize");
    h.record("S1", { label: "move", undo: "u3", redo: "r3" });
    expect(h.redo("S1")).toBeNull();
    expect(h.peekUndo("S2")?.label).toBe("collapse"); // other sheets untouched
    h.rename("S1", "Renamed");
    expect(h.peekUndo("Renamed")?.label).toBe("move");
    expect(h.undo("S1")).toBeNull();
  });
});

describe("groups", () => {
  const box = (x: number, y: number) => ({ x, y, w: 280, h: 100 });
  const boxes: Record<string, ReturnType<typeof box>> = { a: box(0, 0), b: box(400, 200), c: box(0, 400) };

  it("a node is in one group at most; empty groups go away", () => {
    const first = makeGroup([], ["a", "b"]).groups;
    expect(first).toEqual([{ id: "g1", title: "Group 1", color: expect.any(String), members: ["a", "b"] }]);
    const { groups, group } = makeGroup(first, ["a", "b", "c"], "All");
    expect(groups).toHaveLength(1);
    expect(group).toMatchObject({ title: "All", members: ["a", "b", "c"] });
    expect(ungroup(groups, group.id)).toEqual([]);
    expect(keepKnown(first, new Set(["a"]))).toMatchObject([{ members: ["a"] }]);
  });

  it("a frame wraps its cards with padding and a title; collapsed, it is one card in its corner", () => {
    const g = { id: "g1", title: "G", color: "#6366f1", members: ["a", "b"] };
    const frame = frameBox(g, (id) => boxes[id] ?? null)!;
    expect(frame).toEqual({ x: -GROUP_PAD, y: -GROUP_PAD - GROUP_TITLE_H, w: 680 + 2 * GROUP_PAD, h: 300 + 2 * GROUP_PAD + GROUP_TITLE_H });
    expect(collapsedBox(frame)).toMatchObject({ x: frame.x, y: frame.y, w: 280 });
    expect([...hiddenMembers([{ ...g, collapsed: true }]).keys()]).toEqual(["a", "b"]);
    expect(movedMembers(g, { a: [0, 0], b: [400, 200] }, 10, -5)).toEqual({ a: [10, -5], b: [410, 195] });
  });

  it("a rubber band selects the cards it touches; the title counts busy and failed nodes", () => {
    expect(cardsIn({ x: 250, y: 50, w: 200, h: 200 }, Object.entries(boxes))).toEqual(["a", "b"]);
    const g = { id: "g", title: "G", color: "#000000", members: ["a", "b", "c"] };
    expect(groupSummary(g, { a: { status: "running" } })).toBe("3 nodes · 1 running");
    expect(groupSummary(g, { b: { status: "error" } })).toBe("3 nodes · 1 failed");
  });
});

describe("minimap", () => {
  it("maps the world into the box and back", () => {
    const t = mapTransform({ x: 100, y: 50, w: 2000, h: 500 }, 200, 130, 0);
    expect(t.scale).toBeCloseTo(0.1);
    const [mx, my] = toMap(t, 1100, 300);
    expect(fromMap(t, mx, my).map((v) => Math.round(v))).toEqual([1100, 300]);
    expect(toMap(t, 100, 50)[0]).toBeCloseTo(0);
  });

  it("knows what the view shows and when the graph is larger than it", () => {
    const v = { x: -100, y: -50, zoom: 0.5 };
    expect(visibleBox(v, 800, 600)).toEqual({ x: 200, y: 100, w: 1600, h: 1200 });
    expect(overflows({ x: 300, y: 200, w: 1000, h: 500 }, v, 800, 600)).toBe(false);
    expect(overflows({ x: 0, y: 200, w: 1700, h: 500 }, v, 800, 600)).toBe(false); // a sliver
    expect(overflows({ x: 0, y: 200, w: 2000, h: 500 }, v, 800, 600)).toBe(true);
  });
});

describe("find a node", () => {
  const nodes = ["summarise", "parse_meta", "poster", "story", "post_process"].map((n) => ({ id: n, name: n, kind: "FN" }));
  it("ranks exact, prefix, substring, then letters in order", () => {
    expect(findNodes("post", nodes).map((n) => n.id)).toEqual(["poster", "post_process"]);
    expect(findNodes("meta", nodes).map((n) => n.id)).toEqual(["parse_meta"]);
    expect(findNodes("smrs", nodes).map((n) => n.id)).toEqual(["summarise"]);
    expect(findNodes("STORY", nodes)[0].id).toBe("story");
    expect(matchRank("", "x")).toBeNull();
    expect(findNodes("zzz", nodes)).toEqual([]);
  });
});

describe("value kinds", () => {
  const topo: Topology = {
    name: "k",
    nodes: [
      { id: "form", name: "form", kind: "INPUT", url: null, inputs: [], outputs: [{ name: "pic", hidden: true }], fields: [{ key: "form__pic", port: "pic", component: { component: "Image", kind: "image", props: {}, value: null } }] },
      { id: "f", name: "f", kind: "FN", url: null, inputs: [{ name: "img", wired: true }], outputs: [{ name: "output", hidden: false }], fields: [] },
    ],
    edges: [{ source: "form", source_port: "pic", target: "f", target_port: "img", scatter: false, gather: false }],
  };
  it("ports take their component's kind, inputs the kind wired into them, others their value's", () => {
    const kinds = portKinds(topo, { f: { status: "ok", preview: { output: { type: "number", text: "3" } } } });
    expect(kinds.get("form.pic")).toBe("image");
    expect(kinds.get("f<img")).toBe("image");
    expect(kinds.get("f.output")).toBe("number");
    expect(kindOfPreview({ type: "file", mime: "audio/wav" })).toBe("audio");
    expect(kindOfPreview(undefined)).toBe("any");
    expect(new Set(Object.values(KIND_COLOURS)).size).toBe(Object.keys(KIND_COLOURS).length);
  });
});

describe("keys", () => {
  it("Escape closes, Shift+Enter runs, Delete only explains, editing keys stay with text fields", () => {
    expect(keyAction({ key: "Escape" }, true)).toBe("close");
    expect(keyAction({ key: "Enter", shiftKey: true }, true)).toBe("run");
    expect(keyAction({ key: "Enter" }, false)).toBeNull();
    expect(keyAction({ key: "Delete" }, false)).toBe("delete");
    expect(keyAction({ key: "Backspace" }, true)).toBeNull();
    expect(keyAction({ key: "z", ctrlKey: true }, false)).toBe("undo");
    expect(keyAction({ key: "Z", ctrlKey: true, shiftKey: true }, false)).toBe("redo");
    expect(keyAction({ key: "z", ctrlKey: true }, true)).toBeNull(); // the text field's undo
    expect(keyAction({ key: "f", metaKey: true }, true)).toBe("find");
    expect(keyAction({ key: "g", ctrlKey: true }, false)).toBe("group");
  });
});

describe("failures", () => {
  const topo: Topology = { name: "f", nodes: [fn("a"), fn("b", ["x"]), fn("c", ["x"]), fn("d", ["x"])], edges: [edge("a", "b"), edge("b", "c"), edge("c", "d")] };
  it("a skipped node names the nearest upstream node that failed or was cancelled", () => {
    const states = { a: { status: "ok" as const }, b: { status: "error" as const }, c: { status: "skipped" as const }, d: { status: "skipped" as const } };
    expect(skipReason(topo, states, "d")).toEqual({ node: "b", status: "error" });
    expect(skipReason(topo, { ...states, b: { status: "cancelled" as const } }, "c")).toEqual({ node: "b", status: "cancelled" });
    expect(skipReason(topo, { a: { status: "ok" } }, "b")).toBeNull();
  });

  it("a traceback belongs to the result on display", () => {
    expect(traceOf({ status: "error", rid: "r1", trace: { rid: "r1", size: 120 } })).toBe("yes");
    expect(traceOf({ status: "error", rid: "r2", trace: { rid: "r1", size: 120 } })).toBe("unknown");
    expect(traceOf({ status: "error", rid: null, trace: { rid: null, size: 0 } })).toBe("none");
  });
});
