import { describe, expect, it } from "vitest";
import { autoLayout, cardHeight } from "../src/layout";
import { bounds, centreOn, clampZoom, fit, LEGIBLE_ZOOM, toWorld, zoomAt } from "../src/viewport";

describe("zoomAt", () => {
  it("keeps the world point under the cursor fixed", () => {
    const v = { x: 30, y: -20, zoom: 0.8 };
    const before = toWorld(v, 200, 150);
    const after = zoomAt(v, 1.5, 200, 150);
    expect(after.zoom).toBeCloseTo(1.2);
    const w = toWorld(after, 200, 150);
    expect(w[0]).toBeCloseTo(before[0]);
    expect(w[1]).toBeCloseTo(before[1]);
  });

  it("clamps zoom to 0.2..3", () => {
    expect(zoomAt({ x: 0, y: 0, zoom: 2.5 }, 10, 0, 0).zoom).toBe(3);
    expect(clampZoom(0.01)).toBe(0.2);
  });
});

describe("fit", () => {
  it("centres the graph and never zooms in past 1.5", () => {
    const box = bounds({ a: [0, 0], b: [400, 100] }, { a: 100, b: 100 });
    expect(box).toEqual({ x: 0, y: 0, w: 680, h: 200 });
    const v = fit(box, 2000, 1000);
    expect(v.zoom).toBe(1.5);
    expect(v.x).toBeCloseTo((2000 - 680 * 1.5) / 2);
  });

  it("shrinks a graph into the viewport with padding, down to a legible zoom", () => {
    const v = fit({ x: 0, y: 0, w: 1200, h: 300 }, 1000, 500);
    expect(v.zoom).toBeCloseTo(920 / 1200);
    expect(v.x).toBeCloseTo((1000 - 1200 * v.zoom) / 2);
  });

  it("stops at the legible zoom and starts at the top-left of a graph too large for it", () => {
    const v = fit({ x: 40, y: 40, w: 4000, h: 300 }, 1000, 500);
    expect(v.zoom).toBe(LEGIBLE_ZOOM);
    expect(v.x).toBeCloseTo(40 - 40 * LEGIBLE_ZOOM); // left edge at the padding
    expect(v.y).toBeCloseTo((500 - 300 * LEGIBLE_ZOOM) / 2 - 40 * LEGIBLE_ZOOM); // fits: centred
  });

  it("three unconnected cards in a row fit a notebook-wide canvas at a readable zoom", () => {
    const topo = { name: "t", nodes: ["a", "b", "c"].map((id) => ({ id, name: id, kind: "FN", url: null, inputs: [], outputs: [{ name: "output", hidden: false }], fields: [] })), edges: [] };
    const pos = autoLayout(topo);
    const heights = Object.fromEntries(topo.nodes.map((n) => [n.id, cardHeight(n)]));
    expect(new Set(Object.values(pos).map((p) => p[1])).size).toBe(1); // one row
    expect(fit(bounds(pos, heights), 1100, 480).zoom).toBeGreaterThan(0.9);
  });

  it("falls back to the identity view when there is nothing to fit", () => {
    expect(fit(null, 100, 100)).toEqual({ x: 0, y: 0, zoom: 1 });
  });
});

describe("centreOn", () => {
  it("puts a world point at the middle of the viewport", () => {
    const v = centreOn({ x: 0, y: 0, zoom: 1 }, 500, 300, 800, 600, 2);
    expect(toWorld(v, 400, 300)).toEqual([500, 300]);
    expect(v.zoom).toBe(2);
  });
});
