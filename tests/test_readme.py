"""The README's examples must keep working: its first code block and the quickstart script."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_first_example_runs_and_gives_what_it_says():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["result"]["count"] == {"output": 9}  # the value the README promises


def test_quickstart_script_runs_offline(daggr_home):
    env = {**os.environ, "DAGGR_HOME": str(daggr_home)}
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert "Summary: 3 sentences, 1 exclamations" in out.stdout
    assert "second run reused: ['split', 'score', 'summarise']" in out.stdout
