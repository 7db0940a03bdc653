"""Runs the canvas's JS unit tests (vitest) so that pytest, and so CI, executes them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

JS = Path(__file__).resolve().parents[2] / "js"


@pytest.mark.slow  # npm and vitest in a subprocess
@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
@pytest.mark.timeout(240)
def test_vitest_suite_passes():
    if not (JS / "node_modules").is_dir():
        # `pip install -e .` normally leaves node_modules behind; a wheel install does not.
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS, check=True)
    proc = subprocess.run(
        ["npm", "test", "--silent"], cwd=JS, capture_output=True, text=True, timeout=200
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "failed" not in proc.stdout.split("Tests")[-1].split("\n")[0]
