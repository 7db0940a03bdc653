"""What daggr reports as finished is in the history file, and a damaged history file is
never silently replaced: scripts in their own processes, killed, starved of disk, or
pointed at a damaged file."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
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


HOLDER = """
import pathlib, sys, time
from daggr.store import Store

store = Store()
store.sheets("other notebook").list()
# A long piece of work in another daggr process (a big SQL query, a long transaction):
# it holds the file the whole time.
with store._db.lease(timeout=None):
    pathlib.Path(sys.argv[1]).write_text("holding")
    time.sleep(float(sys.argv[2]))
"""
QUEUER = """
import pathlib, sys, time
from daggr.records import ResultRecord
from daggr.store import Store

store = Store()
sheet = store.sheets("queued").open_or_create()
pathlib.Path(sys.argv[1]).write_text("open")
while not pathlib.Path(sys.argv[2]).exists():
    time.sleep(0.02)
for n in range(50):  # returns at once: the rows are written in the background
    sheet.append(ResultRecord("double", f"k{n}", {"output": n * 2}, {"n": n}))
print("queued 50", flush=True)
"""


def test_an_exiting_process_waits_for_another_holder_and_saves_every_row(tmp_path):
    """Rows still queued when a script ends are written even while another process
    holds the file past the old 10 s exit limit, and the wait says why it waits."""
    env = {**os.environ, "DAGGR_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1"}
    opened, holding = tmp_path / "opened", tmp_path / "holding"
    queuer = subprocess.Popen(
        [sys.executable, "-c", QUEUER, str(opened), str(holding)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not opened.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(holding), "14"], env=env)
    out, err = queuer.communicate(timeout=180)
    assert holder.wait(timeout=60) == 0
    assert queuer.returncode == 0 and "queued 50" in out, err[-2000:]
    assert "waiting up to" in err and "to let go of the file" in err, err[-2000:]
    assert "not saved" not in err and "dropped" not in err, err[-2000:]

    read = subprocess.run(
        [
            sys.executable,
            "-c",
            "from daggr.store import Store\n"
            "s = Store().sheets('queued').open_or_create()\n"
            "print(sorted(r.outputs['output'] for r in s.history('double')))",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert read.stdout.strip() == str([n * 2 for n in range(50)]), read.stderr[-2000:]
