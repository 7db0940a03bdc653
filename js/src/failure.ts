// What a card says when its node did not produce a result: a failed node shows its error
// with the traceback (the text `result.errors` gives in code) behind a toggle and a copy
// button; a skipped node names the upstream node that failed or was cancelled.
import { h } from "./dom";
import type { NodeState, NodeStates, Topology } from "./types";

export interface SkipReason {
  node: string; // id of the upstream node that stopped this one
  status: string; // "error" | "cancelled"
}

/** The nearest upstream node that failed or was cancelled, looking through skipped ones
 * (a chain after a failure is skipped because of that one failure). */
export function skipReason(topology: Topology, states: NodeStates, id: string): SkipReason | null {
  const parents = new Map<string, string[]>();
  for (const e of topology.edges) {
    if (!parents.has(e.target)) parents.set(e.target, []);
    parents.get(e.target)!.push(e.source);
  }
  const seen = new Set([id]);
  let frontier = [id];
  while (frontier.length) {
    const next: string[] = [];
    for (const n of frontier) {
      for (const p of parents.get(n) ?? []) {
        if (seen.has(p)) continue;
        seen.add(p);
        const status = states[p]?.status;
        if (status === "error" || status === "cancelled") return { node: p, status };
        if (status === "skipped") next.push(p);
      }
    }
    frontier = next;
  }
  return null;
}

/** Whether the failure on display has a traceback the kernel keeps: "yes"; "none" when
 * the failure has none (a missing upstream result, say); "unknown" for a failure restored
 * from history (tracebacks are kept for this session's runs only). */
export function traceOf(state: NodeState | undefined): "yes" | "none" | "unknown" {
  const t = state?.trace;
  if (!t || t.rid !== (state?.rid ?? null)) return "unknown";
  return t.size > 0 ? "yes" : "none";
}

/** What "Copy" puts on the clipboard: the message, then the traceback. */
export function failureText(name: string, message: string, trace: string | null): string {
  return `Node '${name}' failed: ${message}${trace ? `\n\n${trace}` : ""}`;
}

export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // denied (no focus, no permission): fall back to a selection copy below
  }
  const area = h("textarea", { class: "daggr-offscreen", "aria-hidden": "true" });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand?.("copy") ?? false;
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

export interface FailureContext {
  nameOf(id: string): string;
  showNode(id: string): void; // move the view to a card
  traceback(node: string, rid: string | null): Promise<string>; // asked of the kernel
}

/** The failure box of one card (hidden while the node has not failed or been skipped). */
export class FailurePanel {
  readonly el: HTMLElement;
  private shown = "";

  constructor(private id: string, private name: string, private ctx: FailureContext) {
    this.el = h("div", { class: "daggr-error daggr-scroll", hidden: true });
  }

  update(state: NodeState | undefined, topology: Topology, states: NodeStates): void {
    const status = state?.status ?? "idle";
    if (status === "error") return this.failed(state);
    if (status === "skipped") return this.skipped(state, skipReason(topology, states, this.id));
    this.shown = "";
    this.el.hidden = true;
    this.el.replaceChildren();
  }

  private failed(state: NodeState | undefined): void {
    const message = state?.error ?? "failed";
    const has = traceOf(state);
    const rid = state?.trace?.rid ?? null;
    const key = `error\u0000${message}\u0000${has}\u0000${rid}`;
    if (key === this.shown) return; // keep the traceback open while states stream in
    this.shown = key;
    this.el.hidden = false;
    this.el.className = "daggr-error daggr-scroll";
    let text: Promise<string> | null = null;
    const load = () => (text ??= this.ctx.traceback(this.id, rid));
    const copy = h("button", { class: "daggr-btn daggr-copy-error", type: "button", title: "Copy the error and its traceback", "aria-label": "Copy error and traceback" }, "Copy");
    copy.addEventListener("click", () => {
      const trace = has === "yes" ? load().catch(() => null) : Promise.resolve(null);
      trace.then((t) => copyText(failureText(this.name, message, t))).then((ok) => (copy.textContent = ok ? "Copied" : "Copy failed"));
    });
    const head = h("div", { class: "daggr-error-head" }, h("b", {}, "Error"), copy);
    const body: HTMLElement[] = [head, h("div", { class: "daggr-error-text" }, message)];
    if (has === "yes") {
      const pre = h("pre", { class: "daggr-trace-text" }, "loading…");
      const details = h("details", { class: "daggr-trace" }, h("summary", {}, "Traceback"), pre);
      details.addEventListener("toggle", () => {
        if (details.open) load().then((t) => (pre.textContent = t), (e: Error) => (pre.textContent = e.message));
      });
      body.push(details);
    } else if (has === "unknown") {
      body.push(h("div", { class: "daggr-error-note" }, "No traceback: history keeps a failure's message only. Run the node again to see it."));
    }
    this.el.replaceChildren(...body);
  }

  private skipped(state: NodeState | undefined, why: SkipReason | null): void {
    const key = `skipped\u0000${why?.node ?? ""}\u0000${why?.status ?? ""}\u0000${state?.error ?? ""}`;
    if (key === this.shown) return;
    this.shown = key;
    this.el.hidden = false;
    this.el.className = "daggr-error daggr-skipped daggr-scroll";
    if (!why) {
      this.el.replaceChildren(h("b", {}, "Skipped"), h("div", { class: "daggr-error-text" }, state?.error ?? "an upstream node did not finish"));
      return;
    }
    const name = this.ctx.nameOf(why.node);
    const link = h("button", { class: "daggr-link daggr-skip-source", type: "button", "data-node": why.node, title: `Show '${name}'`, "aria-label": `Show node ${name}` }, name);
    link.addEventListener("click", () => this.ctx.showNode(why.node));
    const verb = why.status === "error" ? "failed" : "was cancelled";
    this.el.replaceChildren(h("b", {}, "Skipped"), h("div", { class: "daggr-error-text" }, "upstream node ", link, ` ${verb}`));
  }
}
