// Media and full values on demand: the view asks the kernel for one value by request id
// and gets it back as a binary buffer (widget-practice §0.3). Nothing fetched is kept in
// a trait. Blob URLs are shared per value and revoked when no element shows it anymore.

export interface FetchTarget {
  result?: string;
  port?: string;
  key?: string;
  item?: number;
}

export interface Fetched {
  bytes: Uint8Array;
  mime: string;
  name: string;
}

type Send = (content: unknown, buffers?: ArrayBuffer[]) => void;

/** Where a kernel-less copy finds values: the thumbnails a saved notebook kept. */
export type OfflineLookup = (t: FetchTarget) => Fetched | undefined;

let counter = 0;

export function targetKey(t: FetchTarget): string {
  return t.key !== undefined ? `in:${t.key}:${t.item ?? ""}` : `out:${t.result}:${t.port}:${t.item ?? ""}`;
}

export class MediaClient {
  private pending = new Map<string, { resolve: (f: Fetched) => void; reject: (e: Error) => void }>();
  private cache = new Map<string, Promise<Fetched>>();
  private urls = new Map<string, { url: string; refs: number }>();
  private slots = new Map<string, string>(); // element slot -> value key holding a URL
  private offline: OfflineLookup | null = null;
  private offlineMessage = "";

  constructor(private send: Send) {}

  /** Without a kernel (a saved notebook's static copy) values come from `lookup`; a value
   * it does not have is never answered, so its box keeps the preview. `null`: the kernel
   * answers again. Either way, what was fetched before is forgotten. */
  setOffline(lookup: OfflineLookup | null, message = ""): void {
    this.offline = lookup;
    this.offlineMessage = message;
    this.cache.clear();
  }

  /** The value's bytes; a value asked for twice is fetched once. Input values change
   * under the same key, so they are fetched afresh each time. */
  fetch(t: FetchTarget): Promise<Fetched> {
    if (this.offline) {
      const kept = this.offline(t);
      return kept ? Promise.resolve(kept) : new Promise<Fetched>(() => undefined);
    }
    const key = targetKey(t);
    const cached = t.key === undefined ? this.cache.get(key) : undefined;
    if (cached) return cached;
    const p = this.ask({ type: "fetch", ...t });
    if (t.key === undefined) {
      this.cache.set(key, p);
      p.catch(() => this.cache.delete(key));
    }
    return p;
  }

  /** Drops a fetched value from the cache (a running node's frame that was replaced). */
  forget(t: FetchTarget): void {
    this.cache.delete(targetKey(t));
  }

  /** Sends a request that the kernel answers with a "fetched" message (a value, a
   * traceback): `content` gets a fresh id. */
  ask(content: Record<string, unknown>): Promise<Fetched> {
    if (this.offline) return Promise.reject(new Error(this.offlineMessage));
    const id = `f${++counter}-${Date.now().toString(36)}`;
    const p = new Promise<Fetched>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.send({ ...content, id });
    return p;
  }

  /** Handles a kernel message; true when it was an answer to one of our fetches. */
  onMessage(msg: any, buffers?: (DataView | ArrayBuffer)[]): boolean {
    if (!msg || msg.type !== "fetched") return false;
    const waiter = this.pending.get(msg.id);
    if (!waiter) return false;
    this.pending.delete(msg.id);
    if (typeof msg.error === "string") {
      waiter.reject(new Error(msg.error));
      return true;
    }
    const buf = buffers?.[0];
    const bytes = !buf
      ? new Uint8Array()
      : buf instanceof ArrayBuffer
        ? new Uint8Array(buf)
        : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    waiter.resolve({ bytes, mime: msg.mime ?? "application/octet-stream", name: msg.name ?? "" });
    return true;
  }

  /** A blob: URL for the fetched value, owned by `slot` (say "node/port"): the slot's
   * previous URL is released, and revoked once nothing uses it. */
  urlFor(slot: string, t: FetchTarget, f: Fetched): string {
    const key = `${targetKey(t)}#${f.bytes.byteLength}`;
    this.release(slot);
    let entry = this.urls.get(key);
    if (!entry) {
      const copy = new Uint8Array(f.bytes); // a Blob may not keep a view into a shared buffer
      entry = { url: URL.createObjectURL(new Blob([copy], { type: f.mime })), refs: 0 };
      this.urls.set(key, entry);
    }
    entry.refs++;
    this.slots.set(slot, key);
    return entry.url;
  }

  /** Releases `slot` and the slots of its items (`slot#0`, `slot#1`, ...). */
  releaseAll(slot: string): void {
    for (const owned of [...this.slots.keys()]) if (owned === slot || owned.startsWith(`${slot}#`)) this.release(owned);
  }

  release(slot: string): void {
    const key = this.slots.get(slot);
    if (key === undefined) return;
    this.slots.delete(slot);
    const entry = this.urls.get(key);
    if (entry && --entry.refs <= 0) {
      URL.revokeObjectURL(entry.url);
      this.urls.delete(key);
    }
  }

  /** Forget everything (the view is going away): revoke every URL, drop waiters. */
  destroy(): void {
    for (const { url } of this.urls.values()) URL.revokeObjectURL(url);
    this.urls.clear();
    this.slots.clear();
    this.cache.clear();
    for (const w of this.pending.values()) w.reject(new Error("canvas closed"));
    this.pending.clear();
  }

  liveUrls(): number {
    return this.urls.size;
  }
}

export function decodeJson(f: Fetched): unknown {
  return parseJson(new TextDecoder().decode(f.bytes));
}

const MARK = "__daggr_number__";
// A string, or a number JSON cannot say (NaN, ±Infinity, written bare as Python's json
// module does), or an integer too long for a float (16+ digits, not part of a decimal).
const SPECIAL = /"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)|(?<![\w.+-])(-?\d{16,})(?![\w.])/g;
const MAYBE_SPECIAL = /NaN|Infinity|\d{16}/;

function revive(_key: string, value: unknown): unknown {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === MARK) {
      const text = (value as Record<string, string>)[MARK];
      if (/^-?\d+$/.test(text)) {
        const n = Number(text);
        return Number.isSafeInteger(n) ? n : BigInt(text);
      }
      return Number(text);
    }
  }
  return value;
}

/** JSON.parse that keeps big integers exact (as BigInt) and reads NaN and ±Infinity. */
export function parseJson(text: string): unknown {
  if (!MAYBE_SPECIAL.test(text)) return JSON.parse(text);
  const marked = text.replace(SPECIAL, (m, bare?: string, big?: string) => (bare || big ? `{"${MARK}":"${bare ?? big}"}` : m));
  return JSON.parse(marked, revive);
}
