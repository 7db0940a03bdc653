"""A real Gradio app for the hardening tests: slow, hanging and misbehaving endpoints.

Run as ``python fault_app.py PORT``; prints ``READY`` once it serves.
"""

from __future__ import annotations

import asyncio
import sys
import time

import gradio as gr


def echo(text: str) -> str:
    return f"echo:{text}"


def slow(text: str) -> str:
    time.sleep(30)  # long enough to be killed mid-call
    return f"slow:{text}"


async def hang(text: str) -> str:
    await asyncio.sleep(60)
    return "finished"


def one_value(text: str) -> str:
    # declared by daggr as two outputs: the endpoint returns only one
    return f"only:{text}"


def not_a_file(text: str) -> str:
    # a Textbox output that daggr is told is a File
    return "/etc/passwd"


def weird_json(text: str) -> dict:
    return {"nested": [[1, 2], {"x": None}], "text": text}


with gr.Blocks() as demo:
    t_in, t_out = gr.Textbox(), gr.Textbox()
    js = gr.JSON()
    btn = gr.Button()
    btn.click(echo, t_in, t_out, api_name="echo", concurrency_limit=None)
    btn.click(slow, t_in, t_out, api_name="slow", concurrency_limit=None)
    btn.click(hang, t_in, t_out, api_name="hang", concurrency_limit=None)
    btn.click(one_value, t_in, t_out, api_name="one_value")
    btn.click(not_a_file, t_in, t_out, api_name="not_a_file")
    btn.click(weird_json, t_in, js, api_name="weird_json")

if __name__ == "__main__":
    demo.queue(default_concurrency_limit=8).launch(
        server_name="127.0.0.1",
        server_port=int(sys.argv[1]),
        prevent_thread_lock=True,
        show_error=True,
    )
    print("READY", flush=True)
    demo.block_thread()
