// The read-only canvas of a saved notebook opened without a kernel (see liveness.ts):
// cards show the results saved with the notebook, pictures come from the small
// thumbnails the kernel kept in the `thumbnails` trait (result id -> port -> bytes), and
// everything that would ask the kernel for something is disabled.
import type { Card } from "./card";
import type { Fetched, FetchTarget, OfflineLookup } from "./fetcher";

type Bytes = DataView | ArrayBuffer | Uint8Array;

function asBytes(b: Bytes): Uint8Array {
  if (b instanceof Uint8Array) return b;
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function mimeOf(bytes: Uint8Array): string {
  return bytes[0] === 0xff && bytes[1] === 0xd8 ? "image/jpeg" : "image/png";
}

/** Values a static copy can show: the kept thumbnail of a result's output, if any. */
export function thumbnailLookup(thumbnails: () => Record<string, Record<string, Bytes>> | undefined): OfflineLookup {
  return (t: FetchTarget): Fetched | undefined => {
    if (t.result === undefined || t.port === undefined || t.item !== undefined) return undefined;
    const kept = thumbnails()?.[t.result]?.[t.port];
    if (!kept) return undefined;
    const bytes = asBytes(kept);
    return bytes.byteLength ? { bytes, mime: mimeOf(bytes), name: "thumbnail" } : undefined;
  };
}

// Controls that ask the kernel for something. Collapsing a card, moving, zooming,
// copying a traceback that is on display and the minimap stay: they need no kernel.
const ASKS_THE_KERNEL = [
  ".daggr-run-btn",
  ".daggr-run-mode",
  ".daggr-hist-prev",
  ".daggr-hist-next",
  ".daggr-variant",
  "input",
  "textarea",
  "select",
].join(",");

/** Disables what a card cannot do without a kernel (the card is rebuilt when the kernel
 * answers again, which enables them as their state says). */
export function lockCard(card: Card): void {
  for (const el of card.el.querySelectorAll<HTMLInputElement>(ASKS_THE_KERNEL)) el.disabled = true;
  card.el.classList.add("daggr-locked");
}
