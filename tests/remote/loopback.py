"""Loopback helpers: free ports and the test Gradio app as a restartable subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).parent
APP = HERE / "apps" / "multi_app.py"
STREAM_APP = HERE / "apps" / "stream_app.py"
CHAT_SERVER = HERE / "apps" / "chat_server.py"
CHILD_ENV = {
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppProcess:
    """A test Gradio app (``app``: its script) in a subprocess, on a fixed port so it can
    be restarted."""

    def __init__(self, port: int, out_dir: Path, log: Path, app: Path = APP):
        self.app = app
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.out_dir = out_dir
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self, wait: bool = True) -> AppProcess:
        env = dict(os.environ, **CHILD_ENV)
        env.pop("HF_TOKEN", None)
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(
                [sys.executable, str(self.app), str(self.port), str(self.out_dir)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if wait:
            self.wait_ready()
        return self

    def ensure_running(self) -> AppProcess:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        else:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/", timeout=2)
                return
            except OSError:
                if self.proc is not None and self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        raise RuntimeError(
            f"test app did not start; see {self.log}:\n{self.log.read_text()[-3000:]}"
        )

    def kill(self) -> None:
        """Die at once, as a crashed app does (no goodbye to open streams)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
