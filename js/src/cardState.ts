// Applying a node's state to its card: status, timer, history ‹ i/N ›, freshness badge,
// per-item progress, ItemList editors, failure box and output boxes. Only the card's own
// elements are touched, so fields keep focus while runs update the canvas.
import type { Card } from "./card";
import type { MediaClient } from "./fetcher";
import { h } from "./dom";
import { formatSeconds } from "./format";
import { showOutput } from "./outputs";
import { partialPreview, type PartialValue, type Partials } from "./partials";
import type * as P from "./protocol";
import type { NodeState, NodeStates, OutPort, Topology } from "./types";

export const BUSY = new Set(["pending", "running"]);

const STATUS_TEXT: Record<string, string> = {
  idle: "",
  pending: "queued",
  running: "running",
  ok: "done",
  cached: "cached",
  error: "error",
  skipped: "skipped",
  cancelled: "cancelled",
};

const FRESH_TEXT: Record<string, string> = { stale: "stale", "never run": "not run" };

/** "running 12/64 (1 failed)" while a scattered node runs, what a running node reports
 * ("queue 3/7 · ~12 s", "40% · denoising"), else the status word. */
export function statusText(state: NodeState | undefined): string {
  const status = state?.status ?? "idle";
  const word = STATUS_TEXT[status] ?? status;
  if (status !== "running") return word;
  if (state?.items_total) {
    const failed = state.items_failed ? ` (${state.items_failed} failed)` : "";
    return `${word} ${state.items_done ?? 0}/${state.items_total}${failed}`;
  }
  return state?.progress?.text || word;
}

/** The thin bar under a running card: how much is done, when its node says. */
function renderProgress(card: Card, state: NodeState | undefined): void {
  const share = state?.status === "running" ? state.progress?.share : null;
  card.progress.hidden = typeof share !== "number";
  if (typeof share === "number") card.progress.style.setProperty("--daggr-share", String(Math.min(Math.max(share, 0), 1)));
  card.el.classList.toggle("daggr-queued", state?.status === "running" && (state.progress?.text ?? "").startsWith("queue"));
}

export interface StateContext {
  topology: Topology;
  states: NodeStates;
  media: MediaClient;
  partials: Partials; // running nodes' values so far
  pendingItems(node: string, port: string): Set<string>; // item edits not sent yet
  retry(card: Card): void; // re-run a scattered node's failed items
}

export function applyCardState(card: Card, state: NodeState | undefined, ctx: StateContext): void {
  card.state = state;
  card.el.classList.remove("daggr-requested");
  const status = state?.status ?? "idle";
  card.el.className = card.el.className.replace(/daggr-status-\w+/, `daggr-status-${status}`);
  card.status.textContent = statusText(state);
  renderProgress(card, state);
  // Advice on how the node ran (CPU-bound items on threads): a line in the footer, the
  // whole advice in its tooltip.
  const notice = state?.notice ?? "";
  card.el.classList.toggle("daggr-noticed", !!notice);
  card.notice.hidden = !notice;
  card.notice.textContent = notice ? `⚠ ${notice}` : "";
  card.notice.title = notice;
  card.el.classList.toggle("daggr-cached", status === "cached");
  const count = state?.count ?? 0;
  const index = state?.index ?? count - 1;
  card.history.hidden = count <= 1;
  card.historyLabel.textContent = count > 1 ? (index >= 0 ? `${index + 1}/${count}` : `–/${count}`) : "";
  card.history.title = count > 1 ? `result ${index + 1} of ${count} in history` : "";
  card.prev.disabled = index <= 0;
  card.next.disabled = index >= count - 1;
  const fresh = state?.fresh ?? "never run";
  card.el.classList.toggle("daggr-stale", fresh === "stale");
  card.el.classList.toggle("daggr-never-run", fresh === "never run");
  const badge = card.node.kind === "INPUT" ? "" : FRESH_TEXT[fresh] ?? "";
  card.fresh.hidden = !badge || BUSY.has(status);
  card.fresh.textContent = badge;
  card.fresh.title = fresh === "stale" ? "Inputs or upstream results changed since this result: a run would redo it" : "Never run on this sheet";
  if (card.items) renderItems(card, state, ctx);
  for (const [port, list] of card.lists) list.update(state?.lists?.[port], ctx.pendingItems(card.node.id, port));
  card.failure.update(state, ctx.topology, ctx.states);
  renderOutputs(card, state, ctx);
  renderRunButton(card);
  renderTime(card);
}

/** The output boxes: the node's values so far (while it runs, and next to its error),
 * else the selected result. A failed or skipped node without either shows why instead. */
export function renderOutputs(card: Card, state: NodeState | undefined, ctx: Pick<StateContext, "media" | "partials">): void {
  const status = state?.status ?? "idle";
  const partial = ctx.partials.of(card.node.id, state?.stream);
  const noResult = (status === "error" || status === "skipped") && !partial?.size && !Object.values(state?.preview ?? {}).some((p) => p && p.type !== "none");
  card.el.classList.toggle("daggr-no-result", noResult);
  card.el.classList.toggle("daggr-streaming", Boolean(partial?.size));
  for (const [port, box] of card.previews) {
    const out = card.node.outputs.find((o) => o.name === port);
    const slot = `${card.node.id}/${port}`;
    const value = partial?.get(port);
    if (value) showPartial(box, out, value, ctx.media, slot);
    else showOutput(box, out, state?.preview?.[port] ?? undefined, state?.rid ?? null, ctx.media, slot);
  }
}

/** Text on display that grows with its value so far (a long answer is not laid out
 * again for every few tokens). */
const growing = new WeakMap<HTMLElement, { value: PartialValue; gen: number; length: number; text: Text }>();

function grow(box: HTMLElement, value: PartialValue): boolean {
  const shown = growing.get(box);
  const text = value.text;
  if (!shown || text === undefined || shown.value !== value || shown.gen !== (value.gen ?? 0) || !box.contains(shown.text) || text.length < shown.length) return false;
  if (text.length > shown.length) shown.text.appendData(text.slice(shown.length));
  shown.length = text.length;
  return true;
}

/** A value so far in an output box: text as it grows (kept scrolled to its end when it
 * was), a replaced value once its bytes are here (no flash of its preview between
 * frames); the frame it replaces is forgotten. */
function showPartial(box: HTMLElement, out: OutPort | undefined, value: PartialValue, media: MediaClient, slot: string): void {
  const preview = partialPreview(value);
  if (value.text !== undefined || !value.rid || !out) {
    const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
    if (!grow(box, value)) {
      showOutput(box, out, preview, null, media, slot);
      // The value's own element, not the Copy / Download bar that outputs.ts puts first.
      const text = box.querySelector(":scope > :not(.daggr-out-actions)")?.firstChild;
      if (value.text !== undefined && text instanceof Text) growing.set(box, { value, gen: value.gen ?? 0, length: value.text.length, text });
    }
    if (atEnd) box.scrollTop = box.scrollHeight;
    return;
  }
  const rid = value.rid;
  if (box.dataset.partial === rid) return;
  box.dataset.partial = rid;
  const target = { result: rid, port: out.name };
  const shown = box.dataset.shownPartial;
  media.fetch(target).then(
    () => {
      if (box.dataset.partial !== rid) return;
      showOutput(box, out, preview, rid, media, slot);
      if (shown) media.forget({ result: shown, port: out.name });
      box.dataset.shownPartial = rid;
    },
    () => undefined,
  );
}

export function renderRunButton(card: Card): void {
  const btn = card.runBtn;
  if (!btn) return;
  const busy = BUSY.has(card.state?.status ?? "idle");
  btn.classList.toggle("daggr-stop", busy);
  btn.textContent = busy ? "■" : card.mode === "to_here" ? "▶▶" : "▶";
  const title = busy ? "Stop" : card.mode === "to_here" ? "Run to here" : "Run this step";
  btn.title = `${title}${busy ? "" : " (Shift+Enter)"}`;
  btn.setAttribute("aria-label", title);
  card.menu?.querySelectorAll<HTMLElement>(".daggr-run-menu-item").forEach((item) => {
    item.classList.toggle("daggr-active", item.dataset.mode === card.mode);
  });
}

export function setRunMode(card: Card, mode: P.RunMode): void {
  card.mode = mode;
  renderRunButton(card);
}

export function renderTime(card: Card): void {
  const st = card.state;
  if (st?.status === "running" && typeof st.started === "number") {
    card.time.textContent = formatSeconds(Date.now() / 1000 - st.started);
  } else if (st && (st.status === "ok" || st.status === "cached" || st.status === "error") && typeof st.duration === "number") {
    card.time.textContent = formatSeconds(st.duration);
  } else {
    card.time.textContent = "";
  }
}

function renderItems(card: Card, state: NodeState | undefined, ctx: StateContext): void {
  const el = card.items!;
  const items = state?.items;
  if (!items) {
    el.replaceChildren(h("div", { class: "daggr-items-head" }, "Items"), h("span", { class: "daggr-empty" }, "—"));
    return;
  }
  const head = h("div", { class: "daggr-items-head" }, `Items (${items.n})`);
  if (items.failed && !BUSY.has(state?.status ?? "idle")) {
    const retry = h("button", { class: "daggr-btn daggr-retry", type: "button", title: "Run the node again: only failed items re-run" }, `↻ re-run ${items.failed} failed`);
    retry.addEventListener("click", () => ctx.retry(card));
    head.append(retry);
  }
  const rows = items.list.map((r, i) =>
    h("div", { class: `daggr-item daggr-item-${r.s === "ok" ? "ok" : "error"}`, title: r.t }, h("span", { class: "daggr-item-n" }, `${i + 1}`), h("span", { class: "daggr-item-mark" }, r.s === "ok" ? "✓" : "✗"), h("span", { class: "daggr-item-text" }, r.t)),
  );
  if (items.n > items.list.length) rows.push(h("div", { class: "daggr-empty" }, `… ${items.n - items.list.length} more`));
  el.replaceChildren(head, ...rows);
}

/** Ticks the timers of running cards, while any card runs. */
export class Ticker {
  private timer: ReturnType<typeof setInterval> | null = null;

  sync(cards: () => Iterable<Card>): void {
    const running = [...cards()].some((c) => c.state?.status === "running");
    if (running && !this.timer) {
      this.timer = setInterval(() => {
        for (const c of cards()) if (c.state?.status === "running") renderTime(c);
      }, 100);
    } else if (!running) this.stop();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
