"""Pictures models return (PIL images, float arrays in 0..1) through a served app: the REST
answer gives each as a PNG file URL, and the served canvas fetches each as a PNG, as the
notebook canvas does (one value registry for every view)."""

from __future__ import annotations

import asyncio
import io
import json

import httpx
import numpy as np
import pytest
from PIL import Image

from daggr import FnNode, Graph
from daggr import components as gr

websockets = pytest.importorskip("websockets")
W, H = 40, 30


def make_pictures() -> tuple:
    return (
        Image.new("RGB", (W, H), (200, 30, 30)),
        np.linspace(0.0, 1.0, W * H * 3).reshape(H, W, 3),  # floats in 0..1
        Image.new("RGBA", (W, H), (0, 200, 0, 128)),
    )


def picture_graph() -> Graph:
    make = FnNode(
        make_pictures,
        name="make",
        outputs={"pil": gr.Image(), "floats": gr.Image(), "bare": None},
    )
    return Graph("rest pictures", nodes=[make], persist_key=False)


def test_pictures_come_back_as_png_file_urls(serve):
    app = serve(picture_graph())
    with httpx.Client(base_url=app.url, timeout=30) as client:
        r = client.post("/api/call", json={"inputs": {}})
        assert r.status_code == 200, r.text
        outputs = r.json()["outputs"]["make"]
        assert set(outputs) == {"pil", "floats", "bare"}
        for port, url in outputs.items():
            assert isinstance(url, str) and "/file/" in url and url.endswith(".png"), port
            picture = client.get(url)
            assert picture.status_code == 200
            assert picture.headers["content-type"] == "image/png"
            assert Image.open(io.BytesIO(picture.content)).size == (W, H)
        # the visitor's sheet answers with the same URLs
        sheet = client.get("/api/sheets").json()["current"]
        state = client.get(f"/api/sheets/{sheet}").json()
        assert state["results"]["make"]["outputs"] == outputs


def test_the_served_canvas_fetches_the_same_pictures_as_png(serve):
    app = serve(picture_graph())
    ws_url = app.url.replace("http://", "ws://") + "ws"

    async def visit() -> dict[str, tuple[dict, bytes]]:
        async with websockets.connect(ws_url) as ws:
            opened = json.loads(await ws.recv())
            assert opened["type"] == "open"

            async def send(content: dict) -> None:
                frame = {"type": "comm", "data": {"method": "custom", "content": content}}
                await ws.send(json.dumps(frame))

            async def next_message() -> tuple[dict, list[bytes]]:
                frame = json.loads(await ws.recv())
                buffers = [await ws.recv() for _ in range(frame.get("buffers", 0))]
                return frame.get("data", {}).get("content") or {}, buffers

            await send({"type": "run", "node": "make", "mode": "to_here"})
            rid = None
            async with asyncio.timeout(20):
                while rid is None:
                    content, _ = await next_message()
                    state = (content.get("states") or {}).get("make") or {}
                    if state.get("status") == "ok":
                        rid = state["rid"]
            answers = {}
            for port in ("pil", "floats", "bare"):
                await send({"type": "fetch", "id": port, "result": rid, "port": port})
            async with asyncio.timeout(20):
                while len(answers) < 3:
                    content, buffers = await next_message()
                    if content.get("type") == "fetched":
                        answers[content["id"]] = (content, buffers[0] if buffers else b"")
            return answers

    for port, (reply, data) in asyncio.run(visit()).items():
        assert reply["mime"] == "image/png", (port, reply)
        assert Image.open(io.BytesIO(data)).size == (W, H)
