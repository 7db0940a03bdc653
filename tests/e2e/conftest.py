"""Browser tests: a real JupyterLab / Notebook 7 in Debian's Chromium (see jupyter_harness)."""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

import pytest

from tests.e2e.jupyter_harness import CHROMIUM


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    for module in ("playwright", "jupyterlab", "notebook"):
        if importlib.util.find_spec(module) is None:  # found, not imported: that takes seconds
            missing.append(f"the '{module}' package (pip install -e '.[test]')")
    if missing:
        skip = pytest.mark.skip(reason="e2e needs " + ", ".join(missing))
        for item in items:
            if "e2e" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def e2e_out() -> Path:
    """Where screenshots and logs go: $E2E_OUT, else a fresh temporary directory."""
    out = Path(os.environ.get("E2E_OUT") or tempfile.mkdtemp(prefix="daggr-e2e-"))
    out.mkdir(parents=True, exist_ok=True)
    print(f"\ne2e screenshots and logs: {out}")
    return out
