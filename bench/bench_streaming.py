"""Live feedback: how fast and how cheaply a streamed token reaches the canvas.

    python bench/bench_streaming.py [--quick] [--no-gradio]   (or: python -m bench streaming)

A loopback OpenAI-compatible chat server (tests/remote/apps/chat_server.py) streams
tokens to an InferenceNode through the real ``huggingface_hub`` client; the graph is
served (``daggr.app``) and shown in headless Chromium. Each token carries the time it was
sent, and the page notes when it shows it. Measures:

- token-to-canvas latency: from the server sending a token to the card's text showing it,
  at 50 tokens/s: p50, p95, max. The canvas draws values so far in the animation-frame
  callback, right before the browser paints, so "shown" is when the card's text changed;
  the time of the following frame is printed beside it;
- bytes per token: bytes of the ``partial`` messages per token of 4 characters, at 50
  and at 1000 tokens/s: the canvas message (as a notebook's comm carries it), the
  websocket frame of the served page, and that frame on the wire, compressed as the
  negotiated permessage-deflate does it (a delta, not the whole text again);
- a 1000-tokens/s stream held for 10 s (tokens of 4 characters, every tenth one
  stamped): the lag in its first and last second, the lag it adds over the stream (the
  trend of a least-squares line through every stamped token), and whether every token
  arrived;
- the same latency for a generator FnNode (the "app" is the function) and, unless
  ``--no-gradio``, a Gradio generator endpoint (gradio_client reads its event stream
  every 50 ms, which bounds what daggr can do).

Needs Playwright and Debian's chromium (skipped with a note when missing). Raw numbers go
to bench/out/streaming.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_REPO = Path(__file__).resolve().parent.parent
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

from bench._baseline import apply_offline_env_to_this_process, mark, print_table, write_json  # noqa: E402

TARGET_P95_MS = 50  # token sent -> shown on the card
TARGET_BYTES_RATIO = 2.0  # bytes sent per token / the token's own bytes, amortised
TARGET_LAG_GROWTH_MS = 50  # lag added over the held stream (its trend), at 1000 tokens/s

# In the page: note when each stamped token ("<i>@<epoch ms>;") first shows in a card's
# output box, at the DOM change and at the next animation frame.
WATCH = """([nid]) => {
  const box = document.querySelector(`.daggr-node[data-id='${nid}'] .daggr-preview`);
  const seen = (window.__seen = { dom: [], frame: [], count: 0 });
  let node = null, parsed = 0;  // the text node read so far, and how far
  const stamp = /(\\d+)@(\\d+\\.\\d);/g;
  new MutationObserver(() => {
    const now = performance.timeOrigin + performance.now();
    const first = box.querySelector("pre")?.firstChild;
    let fresh;  // only what is new: reading the whole text each time would cost O(n)
    if (first instanceof Text && first === node) {
      const from = Math.max(0, parsed - 24);
      fresh = first.substringData(from, first.length - from);
      parsed = first.length;
    } else {
      fresh = box.textContent || "";
      node = first instanceof Text ? first : null;
      parsed = node ? node.length : 0;
    }
    const found = [];
    stamp.lastIndex = 0;
    for (let m; (m = stamp.exec(fresh)); ) {
      const i = Number(m[1]);
      if (i >= seen.count) { found.push([i, Number(m[2])]); seen.count = i + 1; }
    }
    for (const [i, sent] of found) seen.dom.push([i, sent, now - sent]);
    requestAnimationFrame(() => {
      const shown = performance.timeOrigin + performance.now();
      for (const [i, sent] of found) seen.frame.push([i, sent, shown - sent]);
    });
  }).observe(box, { childList: true, subtree: true, characterData: true });
}"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1)))]


class Page:
    """The served canvas of a graph in headless Chromium, counting websocket bytes."""

    def __init__(self, p: Any, url: str):
        from tests.e2e.jupyter_harness import CHROMIUM, CHROMIUM_ARGS

        self.browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        self.page = self.browser.new_context(viewport={"width": 1200, "height": 800}).new_page()
        self.frames: list[str] = []
        self.extensions = ""
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._frame))
        cdp = self.page.context.new_cdp_session(self.page)
        cdp.send("Network.enable")
        cdp.on("Network.webSocketHandshakeResponseReceived", self._handshake)
        self.page.goto(url)
        self.page.wait_for_selector("body[data-daggr-ready='1']", timeout=60_000)

    def _handshake(self, event: dict[str, Any]) -> None:
        headers = {k.lower(): v for k, v in event["response"]["headers"].items()}
        self.extensions = headers.get("sec-websocket-extensions", "")

    def _frame(self, payload: Any) -> None:
        if isinstance(payload, str) and '"partial"' in payload:
            self.frames.append(payload)

    def run(self, nid: str, timeout: float = 120) -> dict[str, Any]:
        """Click the node's run button, wait until it is done; what the page saw."""
        self.frames.clear()
        self.page.evaluate(WATCH, [nid])
        card = self.page.locator(f".daggr-node[data-id='{nid}']")
        card.locator(".daggr-run-btn").click()
        # (A card still "ok" from its last run is not done with this one.)
        self.page.wait_for_function(
            f"""() => /daggr-status-(pending|running)/.test(
                 document.querySelector(".daggr-node[data-id='{nid}']").className)""",
            timeout=timeout * 1000,
        )
        self.page.wait_for_function(
            f"""() => document.querySelector(".daggr-node[data-id='{nid}']")
                 .classList.contains('daggr-status-ok')""",
            timeout=timeout * 1000,
        )
        self.page.wait_for_timeout(100)  # the last animation frame
        return self.page.evaluate("window.__seen")

    def close(self) -> None:
        self.browser.close()


def partial_bytes(frames: list[str], deflate: bool) -> tuple[int, int, int]:
    """(canvas message bytes, websocket frame bytes, on-the-wire bytes) of partial frames.

    On the wire, a frame has a 2-byte header (4 past 125 bytes) and, with
    permessage-deflate, its payload compressed with the context of the frames before it
    (the server's window of 2**12 and memory level 5, websockets' defaults), minus the
    4-byte tail the extension strips.
    """
    import json
    import zlib

    content = sum(
        len(json.dumps(json.loads(f)["data"]["content"], separators=(",", ":")).encode())
        for f in frames
    )
    frame = sum(len(f.encode()) for f in frames)
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -12, 5)
    wire = 0
    for f in frames:
        data = f.encode()
        if deflate:
            data = (compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH))[:-4]
        wire += len(data) + (2 if len(data) < 126 else 4)
    return content, frame, wire


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="shorter streams")
    ap.add_argument("--no-gradio", action="store_true", help="skip the Gradio endpoint")
    args = ap.parse_args(argv)
    quick = args.quick or os.environ.get("DAGGR_BENCH_QUICK") == "1"
    _tmp = apply_offline_env_to_this_process()  # noqa: F841 (kept alive for the run)
    try:
        from playwright.sync_api import sync_playwright

        from tests.e2e.jupyter_harness import CHROMIUM
    except ImportError as exc:
        print(f"{exc.name} is not installed: streaming bench skipped")
        return 0
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: streaming bench skipped")
        return 0
    # huggingface_hub refuses every request offline, loopback ones too; nothing here
    # leaves 127.0.0.1.
    os.environ["HF_HUB_OFFLINE"] = "0"
    import huggingface_hub.constants as hub_constants

    hub_constants.HF_HUB_OFFLINE = False

    from daggr import FnNode, GradioNode, Graph, InferenceNode
    from daggr import components as gr
    from daggr.app.serve import launch
    from tests.remote.loopback import CHAT_SERVER, AppProcess, free_port

    # The server in its own process, as a real one is: it does not share this GIL.
    out = Path(tempfile.mkdtemp(prefix="daggr-bench-chat-"))
    server = AppProcess(free_port(), out, out / "server.log", CHAT_SERVER).start()
    chat_url = server.url
    seconds = 3 if quick else 5
    held = 5 if quick else 10

    def chat(name: str, prompt: str) -> InferenceNode:
        return InferenceNode(
            chat_url, name=name, inputs={"prompt": gr.Textbox(value=prompt)}, outputs=["reply"]
        )

    def stamped(rate: float, n: int):
        def generate():
            text, start = "", time.perf_counter()
            for i in range(n):
                wait = start + i / rate - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                text += f"{i}@{time.time() * 1000:.1f};"
                yield text

        return generate

    nodes = [
        chat("latency", f"n={50 * seconds} rate=50 stamp=1"),
        chat("bytes_slow", f"n={50 * seconds} rate=50 size=4"),
        chat("bytes_fast", f"n={1000 * seconds} rate=1000 size=4"),
        chat("held", f"n={1000 * held} rate=1000 stamp=10"),
        FnNode(stamped(50, 50 * seconds), name="function"),
    ]
    gradio_app = None
    if not args.no_gradio:
        gradio_app = _start_gradio()
        if gradio_app is not None:
            nodes.append(
                GradioNode(
                    gradio_app.url,
                    api_name="/stamped",
                    name="gradio",
                    inputs={"n": 50 * seconds, "rate": 50},
                )
            )
    graph = Graph("Streaming bench", nodes=nodes, persist_key=False)
    app = launch(graph, block=False, port=0, open_browser=False, quiet=True)
    results: dict[str, Any] = {}
    rows = []
    try:
        with sync_playwright() as p:
            page = Page(p, app.url)
            try:
                page.run("function")  # warm up: imports, first messages
                for nid, label in (
                    ("latency", "chat model (InferenceNode), 50 tokens/s"),
                    ("function", "generator FnNode, 50 tokens/s"),
                    ("gradio", "Gradio generator endpoint, 50 tokens/s"),
                ):
                    if nid not in graph.nodes:
                        continue
                    seen = page.run(nid)
                    shown = [lag for _, _, lag in seen["dom"]]
                    after = [lag for _, _, lag in seen["frame"]]
                    results[nid] = {"frame": seen["frame"], "dom": seen["dom"]}
                    rows.append(
                        [
                            label,
                            f"{len(shown)}",
                            f"{statistics.median(shown):.1f} ms",
                            f"{pct(shown, 0.95):.1f} ms",
                            f"{max(shown):.1f} ms",
                            f"{pct(after, 0.95):.1f} ms",
                            mark(pct(shown, 0.95) <= TARGET_P95_MS) if nid != "gradio" else "—",
                        ]
                    )
                print_table(
                    [
                        "token sent -> shown on the card",
                        "tokens",
                        "p50",
                        "p95",
                        "max",
                        "p95 next frame",
                        f"p95 ≤ {TARGET_P95_MS} ms",
                    ],
                    rows,
                    "Token-to-canvas latency (served canvas, headless Chromium)",
                )

                byte_rows = []
                deflate = "permessage-deflate" in page.extensions
                for nid, label, tokens in (
                    ("bytes_slow", "50 tokens/s", 50 * seconds),
                    ("bytes_fast", "1000 tokens/s", 1000 * seconds),
                ):
                    page.run(nid)
                    content, frame, wire = partial_bytes(page.frames, deflate)
                    results[nid] = {
                        "messages": len(page.frames),
                        "content": content,
                        "frame": frame,
                        "wire": wire,
                    }
                    byte_rows.append(
                        [
                            label,
                            f"{len(page.frames)}",
                            f"{content / tokens / 4:.2f}×",
                            f"{frame / tokens / 4:.2f}×",
                            f"{wire / tokens / 4:.2f}×",
                            mark(wire / tokens / 4 <= TARGET_BYTES_RATIO),
                        ]
                    )
                print_table(
                    [
                        "4-character tokens",
                        "messages",
                        "canvas message",
                        "websocket frame",
                        "on the wire" + (" (deflate)" if deflate else ""),
                        f"wire ≤ {TARGET_BYTES_RATIO:g}×",
                    ],
                    byte_rows,
                    f"Bytes sent per token, as a multiple of the token's own 4 bytes "
                    f"(websocket extensions: {page.extensions or 'none'})",
                )

                seen = page.run("held", timeout=held * 6 + 60)
                frame = seen["dom"]
                total = 1000 * held
                first = [lag for i, _, lag in frame if i < 1000]
                last = [lag for i, _, lag in frame if i >= total - 1000]
                # A lag that grows is a line that climbs: its slope over the whole stream
                # (least squares through every stamped token), in ms per second.
                slope = statistics.linear_regression(
                    [i / 1000 for i, _, _ in frame], [lag for _, _, lag in frame]
                ).slope
                growth = slope * held
                results["held"] = {"frame": frame, "slope_ms_per_s": slope}
                print_table(
                    [
                        f"1000 tokens/s for {held} s",
                        "stamped tokens shown",
                        "first second p95",
                        "last second p95",
                        "trend over the stream",
                        f"≤ {TARGET_LAG_GROWTH_MS} ms",
                    ],
                    [
                        [
                            "chat model",
                            f"{len(frame)}/{total // 10}",
                            f"{pct(first, 0.95):.1f} ms",
                            f"{pct(last, 0.95):.1f} ms",
                            f"{growth:+.1f} ms ({slope:+.2f} ms/s)",
                            mark(growth <= TARGET_LAG_GROWTH_MS and len(frame) == total // 10),
                        ]
                    ],
                    "A fast stream held: lag must not grow",
                )
            finally:
                page.close()
    finally:
        app.stop(timeout=2)
        server.stop()
        if gradio_app is not None:
            gradio_app.stop()
    path = write_json("streaming", results)
    print(f"\nraw numbers: {path}")
    return 0


def _start_gradio() -> Any:
    """The test app with generator endpoints (``/stamped``), in a subprocess."""
    from tests.remote.loopback import STREAM_APP, AppProcess, free_port

    app_file = STREAM_APP
    out = Path(tempfile.mkdtemp(prefix="daggr-bench-gradio-"))
    try:
        return AppProcess(free_port(), out, out / "app.log", app_file).start()
    except RuntimeError as exc:
        print(f"the Gradio app did not start ({exc}): its line is skipped")
        return None


if __name__ == "__main__":
    sys.exit(main())
