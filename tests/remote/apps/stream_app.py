"""A real Gradio app whose endpoints take time and say so: generators (text and image),
an endpoint that serves one caller at a time (so that others queue), one reporting
``gr.Progress``, and one that streams until it is cancelled.

Run as ``python stream_app.py PORT OUT_DIR``; serves until killed.
"""

from __future__ import annotations

import sys
import time

import gradio as gr
from PIL import Image

EVENTS: list[str] = []


def tokens(n: float, delay: float) -> object:
    """Words of a story, one at a time: each yield is the whole text so far."""
    text = ""
    for i in range(int(n)):
        time.sleep(delay)
        text += f"word{i} "
        yield text


def frames(n: float, delay: float) -> object:
    """A picture getting brighter, frame by frame."""
    for i in range(int(n)):
        time.sleep(delay)
        level = int(255 * (i + 1) / int(n))
        yield Image.new("RGB", (24, 16), (level, 64, 255 - level))


def busy(x: str) -> str:
    time.sleep(1.5)
    return f"served:{x}"


def steps(n: float, progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008 (gradio's idiom)
    for i in range(int(n)):
        progress((i, int(n)), desc="denoising", unit="steps")
        time.sleep(0.3)
    progress(1.0, desc="decoding")
    time.sleep(0.3)
    return f"{int(n)} steps"


def endless(x: str) -> object:
    text = ""
    try:
        for i in range(100_000):
            text += f"t{i} "
            EVENTS.append(f"endless {x} {i}")
            yield text
            time.sleep(0.05)
    finally:
        EVENTS.append(f"endless-closed {x}")


def stamped(n: float, rate: float) -> object:
    """Tokens carrying the time they were sent ("<i>@<epoch ms>;"), ``rate`` a second."""
    text, start = "", time.perf_counter()
    for i in range(int(n)):
        wait = start + i / rate - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        text += f"{i}@{time.time() * 1000:.1f};"
        yield text


def events() -> list[str]:
    return list(EVENTS)


with gr.Blocks() as demo:
    n, delay, t_in, t_out = gr.Number(), gr.Number(value=0.02), gr.Textbox(), gr.Textbox()
    picture = gr.Image(type="pil")
    js = gr.JSON()
    btn = gr.Button()
    btn.click(tokens, [n, delay], t_out, api_name="tokens", concurrency_limit=None)
    btn.click(frames, [n, delay], picture, api_name="frames", concurrency_limit=None)
    btn.click(busy, t_in, t_out, api_name="busy", concurrency_limit=1)
    btn.click(steps, n, t_out, api_name="steps", concurrency_limit=None)
    btn.click(endless, t_in, t_out, api_name="endless", concurrency_limit=None)
    btn.click(events, None, js, api_name="events", concurrency_limit=None)
    rate = gr.Number(value=50)
    btn.click(stamped, [n, rate], t_out, api_name="stamped", concurrency_limit=None)

if __name__ == "__main__":
    demo.queue(default_concurrency_limit=8).launch(
        server_name="127.0.0.1",
        server_port=int(sys.argv[1]),
        prevent_thread_lock=True,
        show_error=True,
        allowed_paths=[sys.argv[2] if len(sys.argv) > 2 else "/tmp"],
    )
    print("READY", flush=True)
    demo.block_thread()
