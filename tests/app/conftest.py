"""App tests: real uvicorn servers on 127.0.0.1 (the ``serve`` fixture of tests/conftest.py),
real HTTP and websocket clients."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def e2e_out() -> Path:
    out = Path(os.environ.get("E2E_OUT") or tempfile.mkdtemp(prefix="daggr-app-e2e-"))
    out.mkdir(parents=True, exist_ok=True)
    return out
