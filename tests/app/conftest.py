"""App tests: real uvicorn servers on 127.0.0.1, real HTTP and websocket clients."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from daggr.app.serve import RunningApp, launch


@pytest.fixture
def serve() -> Iterator[Callable[..., RunningApp]]:
    """``serve(graph)`` launches it on a free port (stopped after the test)."""
    running: list[RunningApp] = []

    def start(graph, **kwargs) -> RunningApp:
        kwargs.setdefault("port", 0)
        app = launch(graph, block=False, open_browser=False, quiet=True, **kwargs)
        running.append(app)
        return app

    yield start
    for app in running:
        app.stop()


@pytest.fixture(scope="session")
def e2e_out() -> Path:
    out = Path(os.environ.get("E2E_OUT") or tempfile.mkdtemp(prefix="daggr-app-e2e-"))
    out.mkdir(parents=True, exist_ok=True)
    return out
