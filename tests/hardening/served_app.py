"""A daggr app served by its own Python process, for black-box tests: the test talks to it
only over HTTP and websockets (or kills it), as a visitor or an attacker would.

``ServedApp(script, tmp_path).start()`` runs
``script`` (Python text defining ``graph``) with ``graph.launch(port=...)`` appended.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.hardening.hardening_helpers import free_port, kill_group, wait_until_serving

LAUNCH = """
if __name__ == "__main__":
    import sys
    graph.launch(port=int(sys.argv[1]), open_browser=False)
"""


class ServedApp:
    """``script`` served on 127.0.0.1 by ``python script.py PORT``, with its own DAGGR_HOME."""

    def __init__(
        self,
        script: str,
        tmp: Path,
        env: dict[str, str] | None = None,
        preexec: Callable[[], None] | None = None,
    ) -> None:
        self.dir = tmp
        self.home = tmp / "home"
        self.script = tmp / "app.py"
        self.script.write_text(textwrap.dedent(script) + LAUNCH)
        self.log_path = tmp / "app.log"
        self.env = env or {}
        self.preexec = preexec
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc: subprocess.Popen | None = None

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "ws"

    def start(self, timeout: float = 90) -> ServedApp:
        env = dict(
            os.environ,
            DAGGR_HOME=str(self.home),
            HF_HUB_OFFLINE="1",
            GRADIO_ANALYTICS_ENABLED="False",
            DAGGR_DEPENDENCY_CHECK="skip",
            NO_PROXY="127.0.0.1,localhost",
            PYTHONUNBUFFERED="1",
        )
        env.pop("HF_TOKEN", None)
        env.update(self.env)
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(
                [sys.executable, str(self.script), str(self.port)],
                env=env,
                cwd=self.dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=self.preexec,
            )
        wait_until_serving(self.proc, self.url + "api/user", timeout, self.log_path, "the app")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (SIGKILL by default, as a crash would)."""
        kill_group(self.proc, sig)

    def __enter__(self) -> ServedApp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()


def visitor(app: ServedApp, **kwargs: Any) -> httpx.Client:
    """An HTTP client with its own cookie (a new visitor), sending JSON like the page does."""
    client = httpx.Client(base_url=app.url, timeout=kwargs.pop("timeout", 60), **kwargs)
    client.get("api/user")
    return client


def cookie_header(client: httpx.Client | httpx.AsyncClient) -> str:
    return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


async def frames_until(ws: Any, until: Callable[[dict], bool], timeout: float = 30) -> list[dict]:
    """Text frames from ``ws`` (binary ones skipped) up to the first ``until`` accepts."""
    seen = []
    async with asyncio.timeout(timeout):
        while True:
            raw = await ws.recv()
            if isinstance(raw, bytes):
                continue
            frame = json.loads(raw)
            seen.append(frame)
            if until(frame):
                return seen


def content(frame: dict) -> dict:
    """The canvas message inside a ``comm`` frame (``{}`` for other frames)."""
    data = frame.get("data") or {}
    return data.get("content") or {} if frame.get("type") == "comm" else {}


def custom_frame(message: dict, buffers: int = 0) -> str:
    return json.dumps(
        {"type": "comm", "data": {"method": "custom", "content": message}, "buffers": buffers}
    )


def node_status(frame: dict, node: str) -> str | None:
    return (content(frame).get("states") or {}).get(node, {}).get("status")


async def upload_and_run(app: ServedApp, cookie: str, name: str, data: bytes) -> None:
    """Upload ``data`` as ``name`` through the canvas (as a visitor dropping a file on the
    ``keep`` node's card) and run that node, which hands the file back as its output."""
    import websockets

    async with websockets.connect(app.ws_url, additional_headers={"Cookie": cookie}) as ws:
        await frames_until(ws, lambda f: f["type"] == "open")
        await ws.send(custom_frame({"type": "upload", "key": "keep__doc", "name": name}, 1))
        await ws.send(data)
        await ws.send(custom_frame({"type": "run", "node": "keep", "mode": "to_here"}))
        await frames_until(ws, lambda f: node_status(f, "keep") == "ok")


def stored_file_url(client: httpx.Client) -> str:
    """The /file/ URL of the ``keep`` node's output on the visitor's current sheet."""
    current = client.get("api/sheets").json()["current"]
    state = client.get(f"api/sheets/{current}").json()
    return state["results"]["keep"]["outputs"]["copy"]
