// What cards ask of the kernel: input edits (debounced per input), runs and stops, history
// browsing, variants, ItemList edits (debounced per output: one burst, one history row)
// and uploads. Requests are checked before sending; the kernel checks them again.
import type { Card } from "./card";
import { BUSY } from "./cardState";
import { keyedDebounce, type KeyedDebouncer } from "./debounce";
import { editKey, editMessages } from "./items";
import * as P from "./protocol";

export const INPUT_DEBOUNCE_MS = 300;
export const ITEM_DEBOUNCE_MS = 400;

export interface RequestModel {
  get(key: string): any;
  set(key: string, value: unknown): void;
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[]): void;
}

export class Requests {
  private inputs: KeyedDebouncer<unknown>;
  // Item edits, debounced per ItemList output ("node\0port"): each burst is one history row.
  private itemEdits: KeyedDebouncer<Map<string, unknown>>;
  private itemPending = new Map<string, Map<string, unknown>>();

  constructor(private model: RequestModel, private error: (message: string) => void) {
    this.inputs = keyedDebounce(INPUT_DEBOUNCE_MS, (key, value) => {
      this.model.set("inputs", { ...(this.model.get("inputs") ?? {}), [key]: value });
      this.send(P.setInput(key, value));
    });
    this.itemEdits = keyedDebounce(ITEM_DEBOUNCE_MS, (key, edits) => {
      this.itemPending.delete(key);
      const [node, port] = key.split("\u0000");
      for (const req of editMessages(node, port, edits)) this.send(req);
    });
  }

  /** A static copy (no kernel) sends nothing: a request would go nowhere, silently. */
  enabled = true;

  send(req: P.Request): void {
    if (this.enabled && P.isValidRequest(req)) this.model.send(req);
  }

  input(key: string, value: unknown): void {
    this.inputs.push(key, value);
  }

  /** Input keys edited but not sent yet (a value from the kernel must not overwrite them). */
  editing(): string[] {
    return this.inputs.pending();
  }

  run(card: Card, mode: P.RunMode = card.mode): void {
    if (BUSY.has(card.state?.status ?? "idle")) {
      this.send(P.stop(card.node.id));
      return;
    }
    card.el.classList.add("daggr-requested");
    this.send(P.run(card.node.id, mode, this.carry()));
  }

  runAll(): void {
    const carried = this.carry();
    // A run request carries edits; "run_all" has no room for them, so they go just before.
    for (const [key, value] of Object.entries(carried)) this.send(P.setInput(key, value));
    this.send(P.runAll());
  }

  /** Edits still waiting for their debounce must reach the kernel before the run does.
   * Input values travel inside the run request itself: a kernel may handle comm messages
   * sent back to back out of order (ipykernel dispatches them concurrently while busy),
   * and the run must use what the card shows. */
  private carry(): Record<string, unknown> {
    this.itemEdits.flush();
    const carried = Object.fromEntries(this.inputs.take());
    if (Object.keys(carried).length) this.model.set("inputs", { ...(this.model.get("inputs") ?? {}), ...carried });
    return carried;
  }

  browse(card: Card, step: number): void {
    const count = card.state?.count ?? 0;
    const index = card.state?.index ?? count - 1;
    const target = index + step;
    if (target < 0 || target >= count) return;
    this.itemEdits.flush(); // edits belong to the result they were made on
    this.send(P.select(card.node.id, target));
  }

  editItem(node: string, port: string, index: number, field: string, value: unknown): void {
    const key = `${node}\u0000${port}`;
    const edits = this.itemPending.get(key) ?? new Map<string, unknown>();
    const k = editKey(index, field);
    edits.delete(k); // re-inserted last: the burst's order is the order of last edits
    edits.set(k, value);
    this.itemPending.set(key, edits);
    this.itemEdits.push(key, edits);
  }

  pendingItems(node: string, port: string): Set<string> {
    return new Set(this.itemPending.get(`${node}\u0000${port}`)?.keys() ?? []);
  }

  upload(key: string, file: File): void {
    file
      .arrayBuffer()
      .then((buf) => this.enabled && this.model.send(P.upload(key, file.name), undefined, [buf]))
      .catch((e: Error) => this.error(`Could not read ${file.name}: ${e.message}`));
  }

  /** Sends what waits; `inputs` false: item edits only (before a sheet switch: they
   * belong to the result on the sheet being left). */
  flush(inputs = true): void {
    this.itemEdits.flush();
    if (inputs) this.inputs.flush();
  }
}
