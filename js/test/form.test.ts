// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { FormView, finalNodes } from "../src/form";
import type { Topology } from "../src/types";
import { createMockModel } from "./mock-model";

const text = (label: string) => ({ component: "Textbox", kind: "textbox", props: { label }, value: "hi" });
const topology: Topology = {
  name: "g",
  nodes: [
    { id: "a", name: "a", kind: "FN", url: null, inputs: [{ name: "x", wired: false }], outputs: [{ name: "out", hidden: false }], fields: [{ key: "a__x", port: "x", component: text("X") }] },
    { id: "b", name: "b", kind: "FN", url: null, inputs: [{ name: "y", wired: true }], outputs: [{ name: "out", hidden: false, component: text("Result") }], fields: [] },
    { id: "side", name: "side", kind: "FN", url: null, inputs: [], outputs: [{ name: "out", hidden: true }], fields: [] },
  ],
  edges: [{ source: "a", source_port: "out", target: "b", target_port: "y", scatter: false, gather: false }],
};

describe("the form view", () => {
  it("shows the outputs of the nodes nothing consumes, hidden ports left out", () => {
    expect(finalNodes(topology).map((n) => n.id)).toEqual(["b"]);
  });

  it("edits inputs, runs everything with one button, and shows the final output", () => {
    const model = createMockModel({ topology, node_state: {}, inputs: {} });
    const host = document.createElement("div");
    const view = new FormView(model, host);
    const input = host.querySelector<HTMLInputElement>("[data-key='a__x'] input")!;
    expect(input.value).toBe("hi");
    input.value = "owls";
    input.dispatchEvent(new Event("input"));
    host.querySelector<HTMLButtonElement>(".daggr-form-run")!.click();
    // The edit travels before the run, which runs all that is stale.
    expect(model.sent).toEqual([{ type: "set_input", key: "a__x", value: "owls" }, { type: "run_all" }]);
    model.set("node_state", { b: { status: "running" } });
    expect(host.querySelector(".daggr-form-run")!.textContent).toBe("Stop");
    model.set("node_state", { b: { status: "ok", rid: "r1", preview: { out: { type: "text", text: "OWLS!" } } } });
    expect(host.querySelector("[data-output='b/out']")!.textContent).toContain("OWLS!");
    expect(host.querySelector(".daggr-form-run")!.textContent).toBe("Run");
    model.set("node_state", { b: { status: "error", error: "ValueError: no owls" } });
    expect(host.querySelector("[data-output='b/out']")!.textContent).toContain("no owls");
    view.destroy();
    expect(model.listeners("change:node_state")).toBe(0);
  });
});
