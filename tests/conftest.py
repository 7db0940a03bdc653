"""Every test runs offline, with daggr's home in a temporary directory."""

from __future__ import annotations

import os

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
