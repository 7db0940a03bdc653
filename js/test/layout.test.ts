import { describe, expect, it } from "vitest";
import { autoLayout, cardHeight, depths, fieldHeight, resolvePositions } from "../src/layout";
import type { Topology } from "../src/types";
import fixture from "./fixtures/layout.json";

describe("autoLayout", () => {
  it.each(fixture.cases)("matches the golden positions shared with Python ($topology.name)", (c) => {
    expect(autoLayout(c.topology as Topology)).toEqual(c.positions);
  });

  it("puts a node in the column of its longest path from a source", () => {
    const t = fixture.cases[1].topology as Topology;
    expect(depths(t)).toEqual({ a: 0, b: 1, c: 1, d: 2, lonely: 0 });
  });

  it("keeps saved positions and lays out only new nodes", () => {
    const t = fixture.cases[0].topology as Topology;
    const pos = resolvePositions(t, { shout: [5, 6] });
    expect(pos.shout).toEqual([5, 6]);
    expect(pos.form).toEqual(fixture.cases[0].positions.form);
  });
});

describe("card height estimate", () => {
  const comp = (kind: string, props: Record<string, unknown> = {}) => ({ component: kind, kind, props, value: null });

  it("grows multi-line text fields up to six lines", () => {
    expect(fieldHeight(comp("textbox"))).toBe(52);
    expect(fieldHeight(comp("textbox", { lines: 3 }))).toBe(52 + 2 * 18);
    expect(fieldHeight(comp("textarea"))).toBe(52 + 5 * 18);
    expect(fieldHeight(comp("textbox", { lines: 40 }))).toBe(52 + 5 * 18);
    expect(fieldHeight(comp("checkbox"))).toBe(30);
  });

  it("counts previews on every card but input cards", () => {
    const node = { id: "n", name: "n", kind: "FN", url: null, inputs: [], outputs: [{ name: "o", hidden: true }], fields: [] };
    expect(cardHeight(node)).toBe(36 + 8 + 22 + 56 + 26);
    expect(cardHeight({ ...node, kind: "INPUT" })).toBe(36 + 8 + 22 + 26);
  });
});
