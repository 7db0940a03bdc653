import { describe, expect, it } from "vitest";
import * as P from "../src/protocol";

describe("requests", () => {
  it("encode the shapes the kernel validates", () => {
    expect(P.run("b", "step")).toEqual({ type: "run", node: "b", mode: "step" });
    expect(P.run("b", "step", {})).toEqual({ type: "run", node: "b", mode: "step" });
    expect(P.run("b", "step", { b__n: 2 })).toEqual({ type: "run", node: "b", mode: "step", inputs: { b__n: 2 } });
    expect(P.stop("b")).toEqual({ type: "stop", node: "b" });
    expect(P.setInput("form__text", "hi")).toEqual({ type: "set_input", key: "form__text", value: "hi" });
    expect(P.move("b", 10.04, 20.06)).toEqual({ type: "move", node: "b", x: 10, y: 20.1 });
    expect(P.viewport(1, 2, 0.12345)).toEqual({ type: "viewport", x: 1, y: 2, zoom: 0.123 });
  });

  it("reject what the kernel would reject", () => {
    expect(P.isValidRequest(P.run("b", "to_here"))).toBe(true);
    expect(P.isValidRequest({ type: "run", node: "b", mode: "all" } as any)).toBe(false);
    expect(P.isValidRequest({ type: "run", node: "b", mode: "step", inputs: [1] } as any)).toBe(false);
    expect(P.isValidRequest(P.move("b", NaN, 0))).toBe(false);
    expect(P.isValidRequest(P.viewport(0, 0, 0))).toBe(false);
    expect(P.isValidRequest({ type: "set_input", key: "k" } as any)).toBe(false);
    expect(P.isValidRequest({ type: "explode" } as any)).toBe(false);
  });
});

describe("updates", () => {
  it("parse node-state deltas, input values and errors", () => {
    expect(P.parseUpdate({ type: "node_state", states: { a: { status: "running" } } })).toEqual({
      type: "node_state",
      states: { a: { status: "running" } },
    });
    expect(P.parseUpdate({ type: "inputs", values: { k: 1 } })).toEqual({ type: "inputs", values: { k: 1 } });
    expect(P.parseUpdate({ type: "error", message: "no", request: "run" })).toEqual({
      type: "error",
      message: "no",
      request: "run",
    });
  });

  it("ignore anything malformed or unknown", () => {
    for (const bad of [null, 3, "x", {}, { type: "node_state" }, { type: "node_state", states: { a: 1 } }, { type: "error" }, { type: "future" }]) {
      expect(P.parseUpdate(bad)).toBeNull();
    }
  });

  it("merge patches into node states, keeping untouched nodes identical", () => {
    const a = { status: "ok" as const, preview: { output: { type: "text" as const, text: "x" } } };
    const b = { status: "idle" as const };
    const next = P.applyStatePatches({ a, b }, { a: { status: "running", started: 5 }, c: { status: "pending" } });
    expect(next.a).toEqual({ status: "running", started: 5, preview: a.preview });
    expect(next.b).toBe(b);
    expect(next.c).toEqual({ status: "pending" });
  });
});
