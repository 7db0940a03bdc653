"""What daggr reports as finished is in the history file, and a damaged history file is
never silently replaced: scripts in their own processes, killed, starved of disk, or
pointed at a damaged file."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every test runs Python processes

SCRIPT = """
import sys
from daggr import FnNode, Graph
graph = Graph("kept", nodes=[FnNode(lambda n: n * 2, name="double")], persist_key="kept")
{body}
"""


def run_script(
    home: Path, body: str, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess:
    """``body`` after SCRIPT's graph, in its own Python process with ``home`` as DAGGR_HOME."""
    code = textwrap.dedent(SCRIPT).format(body=textwrap.dedent(body))
    env = {"DAGGR_HOME": str(home), "HF_HUB_OFFLINE": "1", "DAGGR_DEPENDENCY_CHECK": "skip"}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def history_of(home: Path) -> list:
    done = run_script(home, "print([r.outputs['output'] for r in graph.history('double')])")
    assert done.returncode == 0, done.stderr[-2000:]
    return eval(done.stdout.strip().splitlines()[-1])  # noqa: S307 (a list of ints we printed)


@pytest.mark.parametrize("damage", ["a third", "half", "header only", "garbage"])
def test_a_damaged_history_file_says_what_happened_and_how_to_recover(tmp_path, damage):
    home = tmp_path / "home"
    made = run_script(home, "for n in range(40): graph.run(n=n, progress=False)")
    assert made.returncode == 0, made.stderr[-2000:]
    db = home / "daggr.duckdb"
    data = db.read_bytes()
    damaged = {
        "a third": data[: len(data) // 3],
        "half": data[: len(data) // 2],
        "header only": data[: 12_288 + 4_096],
        "garbage": data[:4096] + b"\xde\xad" * 20_000,
    }[damage]
    db.write_bytes(damaged)

    opened = run_script(home, "graph.run(n=1, progress=False)")
    assert opened.returncode != 0
    last = opened.stderr.strip().splitlines()[-1]
    assert last.startswith("daggr.store.errors.CorruptDatabaseError: The daggr history"), last
    assert f"{db} is damaged" in last
    assert "will not start a new, empty history" in last
    assert f"mv '{db}' '{db}.damaged'" in last and "DAGGR_DB_PATH" in last
    assert db.read_bytes() == damaged  # nothing written into it

    # following the advice: the damaged file is kept aside, a new history starts
    db.rename(db.with_name("daggr.duckdb.damaged"))
    assert run_script(home, "graph.run(n=21, progress=False)").returncode == 0
    assert history_of(home) == [42]


def test_integers_beyond_64_bits_are_kept_exactly(tmp_path):
    """10**5000 was reported ok and then dropped by the writer (Python will not write it
    as decimal JSON); 2**70 would have come back as a rounded float from DuckDB."""
    home = tmp_path / "home"
    body = """
    big = FnNode(lambda: 10**5000, name="big")
    wide = FnNode(lambda: [-(2**70), 2**63 - 1, -(2**63)], name="wide")
    graph = Graph("ints", nodes=[big, wide], persist_key="ints")
    if sys.argv[1:] == []:
        print(graph.run(progress=False).status)
    else:
        print(graph.history("big")[-1].outputs["output"] == 10**5000)
        print(graph.history("wide")[-1].outputs["output"])
    """
    ran = run_script(home, body)
    assert ran.returncode == 0 and "'big': 'ok'" in ran.stdout, ran.stderr[-2000:]
    assert "dropped" not in ran.stderr
    again = run_script(home, body, "read")
    assert again.returncode == 0, again.stderr[-2000:]
    exact, wide = again.stdout.strip().splitlines()
    assert exact == "True"
    assert wide == "[-1180591620717411303424, 9223372036854775807, -9223372036854775808]"
