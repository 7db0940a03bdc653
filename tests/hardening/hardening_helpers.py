"""Helpers for the hardening tests (``from tests.hardening.hardening_helpers import ...``;
fixtures stay in conftest.py, which tests never import)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from comm.base_comm import BaseComm

HERE = Path(__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppProcess:
    """``apps/fault_app.py`` in a subprocess on a fixed port, so it can be killed and
    restarted."""

    def __init__(self, port: int, log: Path):
        self.port, self.log = port, log
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> AppProcess:
        env = dict(
            os.environ,
            GRADIO_ANALYTICS_ENABLED="False",
            HF_HUB_OFFLINE="1",
            HF_HUB_DISABLE_TELEMETRY="1",
            NO_PROXY="127.0.0.1,localhost",
        )
        env.pop("HF_TOKEN", None)
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(
                [sys.executable, str(HERE / "apps" / "fault_app.py"), str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until_serving(self.proc, self.url + "/", 90, self.log, "fault app")
        return self

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        kill_group(self.proc)

    def ensure_running(self) -> AppProcess:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        return self


def wait_until_serving(
    proc: subprocess.Popen, url: str, timeout: float, log: Path, what: str
) -> None:
    """Wait until ``url`` answers; RuntimeError with the end of ``log`` if ``proc`` dies
    or ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    text = log.read_text(errors="replace") if log.exists() else ""
    raise RuntimeError(f"{what} did not start:\n{text[-3000:]}")


def kill_group(proc: subprocess.Popen | None, sig: int = signal.SIGKILL) -> None:
    """Signal a process started with ``start_new_session=True`` and all it started
    (SIGKILL by default, as a crash would; then waited for)."""
    if proc is not None and proc.poll() is None:
        os.killpg(proc.pid, sig)
        if sig == signal.SIGKILL:
            proc.wait()


class RecordingComm(BaseComm):
    """A comm that keeps what the kernel would send to the browser."""

    kernel = "fake"  # ipywidgets sends nothing through a comm whose kernel is None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.log: list[tuple[str, dict | None, list | None]] = []
        super().__init__(*args, **kwargs)

    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):  # noqa: ANN001
        self.log.append((msg_type, data, buffers))


def from_front(widget: Any, content: Any, buffers: list | None = None) -> None:
    """Deliver a custom message as the browser would."""
    widget._handle_msg(
        {"content": {"data": {"method": "custom", "content": content}}, "buffers": buffers or []}
    )


def custom(widget: Any, type_: str | None = None) -> list[dict]:
    out = [
        d["content"]
        for kind, d, _ in widget.comm.log
        if kind == "comm_msg" and d.get("method") == "custom"
    ]
    return [c for c in out if type_ is None or c.get("type") == type_]


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")
