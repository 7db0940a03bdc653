import { describe, expect, it } from "vitest";
import { bounds, clampZoom, fit, toWorld, zoomAt } from "../src/viewport";

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

  it("shrinks a large graph into the viewport with padding", () => {
    const v = fit({ x: 0, y: 0, w: 2000, h: 500 }, 1000, 500);
    expect(v.zoom).toBeCloseTo(920 / 2000);
  });

  it("falls back to the identity view when there is nothing to fit", () => {
    expect(fit(null, 100, 100)).toEqual({ x: 0, y: 0, zoom: 1 });
  });
});
