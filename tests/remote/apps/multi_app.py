"""A real Gradio app with one endpoint per behaviour the remote tests need.

Run as ``python multi_app.py PORT``; prints ``READY`` once it serves.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time

import gradio as gr
from PIL import Image, ImageOps

EVENTS: list[str] = []
BARRIER = threading.Barrier(8, timeout=20)
CALLS = {"flaky": 0}


def echo(text: str) -> str:
    return f"echo:{text}"


def add(a: float, b: float = 1.0) -> float:
    return a + b


def divmod_(a: float, b: float) -> tuple[float, float]:
    return a // b, a % b


def invert(image: str) -> str:
    out = image.rsplit(".", 1)[0] + "-inverted.png"
    ImageOps.invert(Image.open(image).convert("RGB")).save(out)
    return out


def slow(x: str) -> str:
    start = time.time()
    time.sleep(0.2)
    EVENTS.append(f"slow {x} {start:.3f} {time.time():.3f}")
    return f"slow:{x}"


def barrier(x: str) -> str:
    # Eight calls must be in flight at once, or the barrier times out and this raises.
    BARRIER.wait()
    return f"met:{x}"


def fail(x: str) -> str:
    raise gr.Error(f"the app refused {x!r}")


def words(n: float) -> list[str]:
    return [f"w{i}" for i in range(int(n))]


def gallery(n: float) -> list[str]:
    paths = []
    for i in range(int(n)):
        path = f"{OUT_DIR}/g{i}.png"
        Image.new("RGB", (4, 4), (i * 40, 0, 0)).save(path)
        paths.append(path)
    return paths


async def hang(x: str) -> str:
    EVENTS.append(f"hang-start {x}")
    try:
        await asyncio.sleep(60)
    except asyncio.CancelledError:
        EVENTS.append(f"hang-cancelled {x}")
        raise
    return "finished"


def events() -> list[str]:
    return list(EVENTS)


def auth_seen(x: str, request: gr.Request) -> str:
    # Reports whether a token arrived, never the token itself.
    headers = {k.lower() for k in request.headers.keys()}
    return "token" if ("x-hf-authorization" in headers or "authorization" in headers) else "none"


def headers_seen(x: str, request: gr.Request) -> str:
    # The credentials a call arrived with (test tokens only): whose token, whose ZeroGPU id.
    auth = request.headers.get("x-hf-authorization") or request.headers.get("authorization")
    token = auth.split(" ", 1)[1] if auth and " " in auth else None
    return json.dumps({"token": token, "ip_token": request.headers.get("x-ip-token")})


def leak(x: str, request: gr.Request) -> str:
    # A careless app that echoes credentials in its errors: daggr must redact them.
    raise gr.Error(f"rejected credentials {request.headers.get('x-hf-authorization')}")


OUT_DIR = sys.argv[2] if len(sys.argv) > 2 else "/tmp"

with gr.Blocks() as demo:
    t_in, t_out = gr.Textbox(), gr.Textbox()
    a, b, n_out, n_out2 = gr.Number(), gr.Number(value=1), gr.Number(), gr.Number()
    img_in, img_out = gr.Image(type="filepath"), gr.Image(type="filepath")
    js = gr.JSON()
    gal = gr.Gallery()
    btn = gr.Button()
    btn.click(echo, t_in, t_out, api_name="echo")
    btn.click(add, [a, b], n_out, api_name="add")
    btn.click(divmod_, [a, b], [n_out, n_out2], api_name="divmod")
    btn.click(invert, img_in, img_out, api_name="invert")
    btn.click(slow, t_in, t_out, api_name="slow", concurrency_limit=None)
    btn.click(barrier, t_in, t_out, api_name="barrier", concurrency_limit=None)
    btn.click(fail, t_in, t_out, api_name="fail")
    btn.click(words, a, js, api_name="words")
    btn.click(gallery, a, gal, api_name="gallery")
    btn.click(hang, t_in, t_out, api_name="hang", concurrency_limit=None)
    btn.click(events, None, js, api_name="events", concurrency_limit=None)
    btn.click(auth_seen, t_in, t_out, api_name="auth_seen")
    btn.click(leak, t_in, t_out, api_name="leak")
    btn.click(headers_seen, t_in, t_out, api_name="headers_seen")

if __name__ == "__main__":
    demo.queue(default_concurrency_limit=4).launch(
        server_name="127.0.0.1",
        server_port=int(sys.argv[1]),
        prevent_thread_lock=True,
        show_error=True,
        allowed_paths=[OUT_DIR],
    )
    print("READY", flush=True)
    demo.block_thread()
