import { describe, expect, it } from "vitest";
import { edgePath, forkPath, inputAnchor, outputAnchor } from "../src/geometry";

describe("port anchors", () => {
  it("sit on the card edges, one 22px row per port", () => {
    expect(inputAnchor([100, 200], 0)).toEqual([100, 200 + 36 + 4 + 11]);
    expect(inputAnchor([100, 200], 2)).toEqual([100, 200 + 36 + 4 + 44 + 11]);
    expect(outputAnchor([100, 200], 1)).toEqual([380, 200 + 36 + 4 + 22 + 11]);
  });
});

describe("edgePath", () => {
  it("is a horizontal bezier between the two dots", () => {
    expect(edgePath([0, 0], [200, 50])).toBe("M0,0 C100,0 100,50 200,50");
  });

  it("keeps a minimum bend for close or backward edges", () => {
    expect(edgePath([100, 0], [110, 0])).toBe("M100,0 C140,0 70,0 110,0");
  });
});

describe("forkPath", () => {
  it("draws three prongs meeting at the target dot for a scatter", () => {
    const d = forkPath([50, 10], "target");
    expect(d.split("M")).toHaveLength(4);
    expect(d).toContain("M36,10 L50,4");
    expect(d).toContain("M36,10 L50,16");
  });

  it("opens away from the source dot for a gather", () => {
    expect(forkPath([50, 10], "source")).toContain("M64,10 L50,4");
  });
});
