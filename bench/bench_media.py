"""A picture on the canvas: from a node finishing with a 1024×1024 PIL image to the
picture decoded in a real JupyterLab, and the bytes that travel.

    python bench/bench_media.py [--quick] [--runs N]     (or: python -m bench media)

Each run clicks the node's Run button; the node draws a new photo-like 1024×1024 RGB
image (smooth shapes and grain, as generated images are) and notes the time it returns.
The page notes when the card's <img> holding that picture has decoded (then the next
frame). Latency = decoded − returned, on the machine's one clock. Bytes: what the
kernel's websocket delivered to the page during each run, and how many of its frames
carried the picture (the image's bytes are sent once).

Needs Playwright, jupyterlab and Debian's chromium (skipped with a note when missing).
Raw numbers go to bench/out/media.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent
for path in (_REPO, _REPO / "tests" / "e2e"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench._baseline import apply_offline_env_to_this_process, mark, print_table, write_json  # noqa: E402
from bench._lab import lab_page  # noqa: E402

TARGET_P50_MS = 150  # node returned -> picture decoded on the canvas, median
SIZE = 1024

NOTEBOOK_CELL = """\
import itertools, os, time
import numpy as np
from PIL import Image
os.environ["DAGGR_HOME"] = {home!r}
from daggr import FnNode, Graph
from daggr.widget import Canvas

rng = np.random.default_rng(0)
y, x = np.mgrid[0:{size}, 0:{size}] / {size}
GRAIN = rng.normal(0, 6, ({size}, {size}, 3))
RETURNED = []
counter = itertools.count()

def paint() -> Image.Image:
    k = next(counter)
    base = np.stack([np.sin(6 * x + k) , np.cos(5 * y - k), np.sin(4 * (x + y) + k / 2)], -1)
    pixels = np.clip(127 + 100 * base + GRAIN, 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels)
    RETURNED.append(time.time() * 1000)
    return image

picture = FnNode(paint, name="paint", outputs={{"image": None}})
canvas = Canvas(Graph("media latency", nodes=[picture], persist_key=False), height=700)
canvas"""
REPORT_CELL = 'import json; print("RETURNED=" + json.dumps(RETURNED))'

RUNS_JS = """
async (n) => {
  const card = document.querySelector('.daggr-node[data-id="paint"]');
  const btn = card.querySelector(".daggr-run-btn");
  const box = card.querySelector('[data-port="image"]');
  const idle = () => !/daggr-status-(running|pending)/.test(card.className) && !card.classList.contains("daggr-requested");
  const settle = async () => { while (!idle()) await new Promise((r) => setTimeout(r, 5)); };
  const shown = [];
  for (let i = 0; i < n; i++) {
    await settle();
    await new Promise((r) => setTimeout(r, 200));
    const before = box.querySelector("img")?.src ?? null;
    const clicked = Date.now();
    btn.click();
    let img = null;
    while (!img) {
      const now = box.querySelector("img");
      if (now && now.src !== before) img = now;
      else await new Promise((r) => setTimeout(r, 1));
    }
    await img.decode();
    await new Promise((r) => requestAnimationFrame(() => r()));
    shown.push({clicked, decoded: Date.now(), width: img.naturalWidth, height: img.naturalHeight});
  }
  return shown;
}
"""


# Every message the page's websockets deliver, timed on the page's clock.
COUNT_FRAMES = """(() => {
  window.__frames = [];
  const Real = window.WebSocket;
  window.WebSocket = class extends Real {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (e) => {
        const d = e.data;
        const n = typeof d === "string" ? d.length : (d.byteLength ?? d.size ?? 0);
        window.__frames.push([Date.now(), n]);
      });
    }
  };
})()"""


def measure(runs: int) -> dict | None:
    from playwright.sync_api import expect

    def cells(tmp: Path) -> list[str]:
        return [NOTEBOOK_CELL.format(home=str(tmp / "home"), size=SIZE), REPORT_CELL]

    with lab_page(cells, "media", before=lambda page: page.add_init_script(COUNT_FRAMES)) as opened:
        if opened is None:
            return None
        page, located = opened
        expect(page.locator('.daggr-node[data-id="paint"]')).to_be_visible(timeout=60_000)
        page.evaluate(RUNS_JS, 3)  # warm up: kernel, comm, first fetches
        shown = page.evaluate(RUNS_JS, runs)
        frames = page.evaluate("() => window.__frames")
        located.nth(1).locator(".jp-InputArea-editor").click()
        page.keyboard.press("Control+Enter")
        out = located.nth(1).locator(".jp-OutputArea-output")
        expect(out).to_contain_text("RETURNED=", timeout=30_000)
        returned = json.loads(out.inner_text().split("RETURNED=", 1)[1])
    returned = returned[-len(shown) :]  # the warm-up runs came first
    return {"shown": shown, "returned": returned, "frames": frames}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="10 runs instead of 30")
    ap.add_argument("--runs", type=int, default=None)
    args = ap.parse_args(argv)
    quick = args.quick or os.environ.get("DAGGR_BENCH_QUICK") == "1"
    runs = args.runs or (10 if quick else 30)
    _tmp = apply_offline_env_to_this_process()  # noqa: F841 (kept alive for the run)
    got = measure(runs)
    if got is None:
        return 0
    shown, returned, frames = got["shown"], got["returned"], got["frames"]
    latency, sent, big_frames = [], [], []
    for run, done in zip(shown, returned, strict=False):
        latency.append(run["decoded"] - done)
        during = [n for t, n in frames if run["clicked"] <= t <= run["decoded"] + 1]
        sent.append(sum(during))
        big_frames.append(sum(1 for n in during if n > 100_000))
    ordered = sorted(latency)
    p50 = statistics.median(ordered)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    mb = statistics.median(sent) / 2**20
    print_table(
        [
            "returned -> decoded",
            "p50",
            "p95",
            "max",
            "bytes per run",
            "picture frames",
            f"target p50 ≤ {TARGET_P50_MS} ms",
        ],
        [
            [
                f"{len(latency)} runs, {SIZE}×{SIZE} PIL",
                f"{p50:.0f} ms",
                f"{p95:.0f} ms",
                f"{ordered[-1]:.0f} ms",
                f"{mb:.2f} MB",
                f"{min(big_frames)}–{max(big_frames)}",
                mark(p50 <= TARGET_P50_MS and max(big_frames) == 1),
            ]
        ],
        "A node's 1024×1024 PIL image shown on its card in JupyterLab (real kernel, headless Chromium)",
    )
    assert all(r["width"] == SIZE and r["height"] == SIZE for r in shown)
    path = write_json(
        "media",
        {
            "latency_ms": latency,
            "bytes": sent,
            "picture_frames": big_frames,
            "p50": p50,
            "p95": p95,
        },
    )
    print(f"\nraw numbers: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
