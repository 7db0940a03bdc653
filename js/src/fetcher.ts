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

let counter = 0;

export function targetKey(t: FetchTarget): string {
  return t.key !== undefined ? `in:${t.key}:${t.item ?? ""}` : `out:${t.result}:${t.port}:${t.item ?? ""}`;
}

export class MediaClient {
  private pending = new Map<string, { resolve: (f: Fetched) => void; reject: (e: Error) => void }>();
  private cache = new Map<string, Promise<Fetched>>();
  private urls = new Map<string, { url: string; refs: number }>();
  private slots = new Map<string, string>(); // element slot -> value key holding a URL

  constructor(private send: Send) {}

  /** The value's bytes; a value asked for twice is fetched once. Input values change
   * under the same key, so they are fetched afresh each time. */
  fetch(t: FetchTarget): Promise<Fetched> {
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

  /** Sends a request that the kernel answers with a "fetched" message (a value, a
   * traceback): `content` gets a fresh id. */
  ask(content: Record<string, unknown>): Promise<Fetched> {
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
  return JSON.parse(new TextDecoder().decode(f.bytes));
}
