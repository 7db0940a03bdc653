"""Every test runs offline, with daggr's home in a temporary directory."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DAGGR_DEPENDENCY_CHECK", "skip")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(autouse=True)
def daggr_home(tmp_path, monkeypatch):
    home = tmp_path / "daggr-home"
    monkeypatch.setenv("DAGGR_HOME", str(home))
    monkeypatch.delenv("DAGGR_DB_PATH", raising=False)
    return home


_STOPPING: list[Any] = []


@pytest.fixture
def serve() -> Iterator[Callable[..., Any]]:
    """``serve(graph, **launch_kwargs)`` serves it on 127.0.0.1 and a free port; it is
    told to stop after the test and finishes shutting down while the next tests run."""
    from daggr.app.serve import launch

    running: list[Any] = []

    def start(graph, **kwargs):
        kwargs.setdefault("port", 0)
        app = launch(graph, block=False, open_browser=False, quiet=True, **kwargs)
        running.append(app)
        return app

    yield start
    for app in running:
        app.stop(timeout=0)  # uvicorn notices within its 0.1 s tick: no need to wait here
    _STOPPING.extend(running)


def pytest_sessionfinish(session: pytest.Session) -> None:
    for app in _STOPPING:
        app.stop()
