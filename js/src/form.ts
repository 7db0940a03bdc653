// The app view: a served graph as a simple form for visitors who want an answer, not a
// canvas. The graph's inputs (every field of every node, as the cards have them), one Run
// button (run all: what is stale), and the final outputs (those of nodes nothing else
// consumes), each shown by the same output viewer as the cards (`showOutput`). It talks
// to the same model as the canvas, so the two views show one session.
import { h, Toast } from "./dom";
import { MediaClient } from "./fetcher";
import { createField, type FieldView } from "./fields";
import { showOutput } from "./outputs";
import * as P from "./protocol";
import { Requests } from "./requests";
import type { ModelLike } from "./view";
import type { NodeStates, TopoNode, Topology } from "./types";

const BUSY = new Set(["pending", "running"]);

/** Nodes whose outputs nothing in the graph consumes: what a run is for. */
export function finalNodes(topology: Topology): TopoNode[] {
  const consumed = new Set(topology.edges.map((e) => e.source));
  return topology.nodes.filter((n) => !consumed.has(n.id) && n.outputs.some((o) => !o.hidden));
}

export class FormView {
  readonly root: HTMLElement;
  readonly media: MediaClient;
  private requests: Requests;
  private toast = new Toast();
  private fields = new Map<string, FieldView>();
  private boxes: { node: string; port: string; box: HTMLElement }[] = [];
  private statusEl = h("span", { class: "daggr-form-status" });
  private runBtn = h("button", { type: "button", class: "daggr-form-run" }, "Run");
  private inputsEl = h("div", { class: "daggr-form-inputs" });
  private outputsEl = h("div", { class: "daggr-form-outputs" });
  private cleanups: (() => void)[] = [];

  constructor(private model: ModelLike, host: HTMLElement) {
    this.media = new MediaClient((content) => model.send(content));
    this.requests = new Requests(model, (m) => this.toast.show(m));
    this.root = h(
      "div",
      { class: "daggr-form" },
      h("section", { class: "daggr-form-panel" }, h("h2", {}, "Inputs"), this.inputsEl, h("div", { class: "daggr-form-actions" }, this.runBtn, this.statusEl)),
      h("section", { class: "daggr-form-panel" }, h("h2", {}, "Outputs"), this.outputsEl),
    );
    host.append(this.root);
    this.runBtn.addEventListener("click", () => {
      if (this.busy()) this.requests.send(P.stopAll());
      else this.requests.runAll();
    });
    const on = (event: string, fn: (...a: any[]) => void) => {
      model.on(event, fn);
      this.cleanups.push(() => model.off(event, fn));
    };
    on("change:topology", () => this.renderAll());
    on("change:node_state", () => this.updateStates());
    on("change:inputs", () => this.updateInputs());
    on("msg:custom", (msg: unknown, buffers?: DataView[]) => {
      if (this.media.onMessage(msg, buffers)) return;
      const u = P.parseUpdate(msg);
      if (u?.type === "error") this.toast.show(u.message);
    });
    this.renderAll();
  }

  destroy(): void {
    this.requests.flush();
    for (const c of this.cleanups) c();
    this.cleanups = [];
    this.toast.destroy();
    this.media.destroy();
    this.root.remove();
  }

  private topology(): Topology {
    return this.model.get("topology") ?? { name: "", nodes: [], edges: [] };
  }

  private states(): NodeStates {
    return this.model.get("node_state") ?? {};
  }

  private busy(): boolean {
    return Object.values(this.states()).some((s) => BUSY.has(s.status));
  }

  private renderAll(): void {
    const topology = this.topology();
    const states = this.states();
    const values: Record<string, unknown> = this.model.get("inputs") ?? {};
    this.fields.clear();
    this.inputsEl.replaceChildren();
    const ctx = { upload: (key: string, file: File) => this.requests.upload(key, file), media: this.media };
    for (const node of topology.nodes) {
      const variant = states[node.id]?.variant ?? 0;
      for (const field of node.fields) {
        if (field.variant !== undefined && field.variant !== variant) continue;
        const value = field.key in values ? values[field.key] : field.component.value;
        const view = createField(field, value, (v) => this.requests.input(field.key, v), ctx);
        view.el.style.height = "";
        this.fields.set(field.key, view);
        this.inputsEl.append(view.el);
      }
    }
    if (!this.fields.size) this.inputsEl.append(h("p", { class: "daggr-empty" }, "This workflow takes no inputs."));
    this.boxes = [];
    this.outputsEl.replaceChildren();
    for (const node of finalNodes(topology)) {
      for (const out of node.outputs) {
        if (out.hidden) continue;
        const label = String(out.component?.props?.label ?? (node.outputs.length > 1 ? `${node.name} · ${out.name}` : node.name));
        const box = h("div", { class: "daggr-form-value", "data-output": `${node.id}/${out.name}` });
        this.outputsEl.append(h("div", { class: "daggr-form-output" }, h("label", { class: "daggr-field-label" }, label), box));
        this.boxes.push({ node: node.id, port: out.name, box });
      }
    }
    this.updateStates();
  }

  private updateStates(): void {
    const topology = this.topology();
    const states = this.states();
    for (const { node, port, box } of this.boxes) {
      const state = states[node];
      const out = topology.nodes.find((n) => n.id === node)?.outputs.find((o) => o.name === port);
      if (state?.status === "error") {
        box.dataset.shown = "";
        box.replaceChildren(h("pre", { class: "daggr-error" }, state.error ?? "failed"));
        continue;
      }
      showOutput(box, out, state?.preview?.[port], state?.rid ?? null, this.media, `${node}/${port}`);
    }
    const busy = this.busy();
    this.runBtn.textContent = busy ? "Stop" : "Run";
    this.root.classList.toggle("daggr-form-busy", busy);
    const failed = Object.values(states).filter((s) => s.status === "error").length;
    this.statusEl.textContent = busy ? "running…" : failed ? `${failed} step${failed > 1 ? "s" : ""} failed` : "";
  }

  private updateInputs(): void {
    const values: Record<string, unknown> = this.model.get("inputs") ?? {};
    const editing = new Set(this.requests.editing());
    for (const [key, view] of this.fields) if (key in values && !editing.has(key)) view.setValue(values[key]);
  }
}
