"""Inside a real IPython kernel: launch() returns at once with a link, the canvas socket
works there, and export_space() rebuilds the graph from the notebook's cells."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time

import httpx
import pytest

from tests.app.app_helpers import LAUNCH_APP_PY, free_port

websockets = pytest.importorskip("websockets")

pytestmark = pytest.mark.slow  # a Jupyter kernel through nbclient

CELLS = [
    "import time\nfrom daggr import FnNode, Graph\nfrom daggr.app import launch, export_space",
    "BASE = 41\ng = Graph('in a kernel', nodes=[FnNode(lambda: BASE + 1, name='answer')], "
    "persist_key=False)",
    "t0 = time.perf_counter()\napp = launch(g, port=0)\n"
    "print('URL', app.url, 'returned after', round(time.perf_counter() - t0, 2))\napp",
    "print('EXPORTED', export_space(g, 'space'))",
    "t0 = time.perf_counter(); app.stop(); print('STOPPED', round(time.perf_counter() - t0, 2))",
]


def _text(cell) -> str:
    # One print() can reach the notebook as several stream messages (the kernel's output
    # thread flushes on a timer, possibly between the pieces of a line); a notebook shows
    # them run together, so they are joined without a separator here too.
    out = []
    for o in cell.outputs:
        if o.get("output_type") == "stream":
            out.append(o["text"])
            continue
        out.append("\n")
        out.extend(str(v) + "\n" for v in o.get("data", {}).values())
        out.extend(line + "\n" for line in o.get("traceback", []))
    return "".join(out)


async def _open_frame(url: str) -> dict:
    async with websockets.connect(url.replace("http://", "ws://") + "ws") as ws:
        return json.loads(await ws.recv())


def test_launch_and_export_in_a_kernel(tmp_path):
    # imported here: the Jupyter client stack takes seconds to import, even when deselected
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=60, resources={"metadata": {"path": str(tmp_path)}}
    )
    with client.setup_kernel():
        for i in range(3):
            client.execute_cell(nb.cells[i], i)
        text = _text(nb.cells[2])
        assert "running at http://127.0.0.1:" in text and "app.stop() to stop" in text
        assert "daggr app running at <a href=" in text  # the cell's value: a link
        url, took = re.search(r"URL (\S+) returned after ([\d.]+)", text).groups()
        assert float(took) < 10
        r = httpx.post(url + "api/call", json={"inputs": {}}, timeout=30)
        assert r.json()["outputs"] == {"answer": {"output": 42}}
        opened = asyncio.run(_open_frame(url))
        assert opened["state"]["topology"]["nodes"][0]["id"] == "answer"
        client.execute_cell(nb.cells[3], 3)
        assert "EXPORTED" in _text(nb.cells[3]), _text(nb.cells[3])
        client.execute_cell(nb.cells[4], 4)
        stopped = re.search(r"STOPPED ([\d.]+)", _text(nb.cells[4]))
        assert stopped and float(stopped.group(1)) < 5, nb.cells[4].outputs

    app_py = (tmp_path / "space" / "app.py").read_text()
    assert "BASE = 41" in app_py and "launch(g, port=0)" not in app_py
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH_APP_PY, "app.py"], cwd=tmp_path / "space", env=env
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.post(f"http://127.0.0.1:{port}/api/call", json={"inputs": {}})
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.2)
        assert r.json()["outputs"] == {"answer": {"output": 42}}
    finally:
        proc.terminate()
        proc.wait(10)
