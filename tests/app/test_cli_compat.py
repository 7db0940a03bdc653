"""The original daggr's command-line options: --state-db-path, --delete-sheets [--force],
--watch-daggr / --no-watch-daggr. Real `daggr` processes, a real DuckDB file."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import daggr
from daggr.store import Store

SCRIPT = """
from daggr import FnNode, Graph
from daggr import components as gr

echo = FnNode(lambda text: text.upper(), name="echo", inputs={{"text": gr.Textbox(value="a")}})
graph = Graph("CLI compat", nodes=[echo], persist_key={key!r})

if __name__ == "__main__":
    graph.launch()
"""

SEED = """
import sys
from daggr.app.hot_reload import load_graph
from daggr.app.state import AppState
from daggr import FnNode, Graph

graph = load_graph(sys.argv[1])
graph.run(echo__text="mine", progress=False)                      # user "local"
AppState(graph).session("anon-visitor").run(echo__text="theirs", progress=False)
other = Graph("Other project", nodes=[FnNode(lambda: 1, name="one")])
other.run(progress=False)
graph.session.store.close()
"""

pytestmark = pytest.mark.slow  # each test starts daggr's CLI in a subprocess


def _env(db: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if db is not None:
        env["DAGGR_DB_PATH"] = str(db)
    return env


def _daggr(
    args: list[str], cwd: Path, env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "daggr", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _serve(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "daggr", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    return proc, []


def _read_until(proc: subprocess.Popen, lines: list[str], pattern: str) -> re.Match:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        match = re.search(pattern, line)
        if match:
            return match
    proc.kill()
    raise AssertionError(f"no line matching {pattern!r}:\n" + "".join(lines))


def _sheets(db: Path) -> list[tuple[str, str]]:
    with Store(db) as store:
        rows = store.sql("SELECT graph_key, user_id FROM sheets ORDER BY graph_key, user_id")
        return [tuple(r) for r in rows.rows]


def test_state_db_path_keeps_history_in_that_file(tmp_path):
    script = tmp_path / "app.py"
    script.write_text(SCRIPT.format(key="cli-db"))
    db = tmp_path / "elsewhere" / "state.duckdb"
    db.parent.mkdir()
    proc, lines = _serve(
        [str(script), "--no-reload", "--port", "0", "--no-browser", "--state-db-path", str(db)],
        tmp_path,
        _env(tmp_path / "not-this.duckdb"),  # the option overrides $DAGGR_DB_PATH
    )
    try:
        url = _read_until(proc, lines, r"running at (http://\S+)").group(1)
        r = httpx.post(url + "api/call", json={"inputs": {"echo__text": "kept"}})
        assert r.json()["outputs"] == {"echo": {"output": "KEPT"}}
        # read while it serves (two processes may share the file); writes are batched
        deadline = time.monotonic() + 30
        rows: list = []
        while not rows and time.monotonic() < deadline:
            with Store(db) as store:
                rows = store.sql(
                    "SELECT outputs->>'$.output' FROM history WHERE node = 'echo'"
                ).rows
        assert rows == [("KEPT",)]
    finally:
        proc.terminate()
        proc.wait(10)
    assert not (tmp_path / "not-this.duckdb").exists()


def test_delete_sheets_asks_then_deletes_every_users_sheets_of_that_graph(tmp_path):
    script = tmp_path / "app.py"
    script.write_text(SCRIPT.format(key="cli-delete"))
    db = tmp_path / "state.duckdb"
    seeded = subprocess.run(
        [sys.executable, "-c", SEED, str(script)],
        cwd=tmp_path,
        env=_env(db),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert seeded.returncode == 0, seeded.stderr
    before = _sheets(db)
    assert ("cli-delete", "local") in before and ("cli-delete", "anon-visitor") in before
    assert ("other_project", "local") in before

    no = _daggr(
        [str(script), "--delete-sheets", "--state-db-path", str(db)], tmp_path, _env(), "n\n"
    )
    assert no.returncode == 0, no.stderr
    assert "This deletes 2 sheet(s) of 2 user(s)" in no.stdout and "Aborted." in no.stdout
    assert _sheets(db) == before

    yes = _daggr(
        [str(script), "--delete-sheets", "--force", "--state-db-path", str(db)], tmp_path, _env()
    )
    assert yes.returncode == 0, yes.stderr
    assert "✓ Deleted 2 sheet(s) for project 'cli-delete'" in yes.stdout
    assert _sheets(db) == [("other_project", "local")]  # another graph's sheets stay
    with Store(db) as store:
        left = store.sql("SELECT DISTINCT node FROM history").rows
    assert left == [("one",)]

    again = _daggr([str(script), "--delete-sheets", "-f"], tmp_path, _env(db))
    assert "No sheets found for project 'cli-delete'" in again.stdout


def test_delete_sheets_of_a_graph_without_persistence_says_why(tmp_path):
    script = tmp_path / "app.py"
    script.write_text(SCRIPT.format(key=False))
    r = _daggr([str(script), "--delete-sheets", "-f"], tmp_path, _env(tmp_path / "s.duckdb"))
    assert r.returncode == 2
    assert "has no persist_key (persistence is disabled" in r.stderr


def _copy_of_daggr(site: Path) -> Path:
    """daggr's package copied elsewhere, so a test can edit "daggr's own code"."""
    source = Path(daggr.__file__).resolve().parent
    target = site / "daggr"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_watch_daggr_restarts_on_the_same_address_when_daggrs_code_changes(tmp_path):
    package = _copy_of_daggr(tmp_path / "site")
    script = tmp_path / "app.py"
    script.write_text(SCRIPT.format(key=False))
    env = {**_env(tmp_path / "s.duckdb"), "PYTHONPATH": str(tmp_path / "site")}
    proc, lines = _serve([str(script), "--port", "0", "--no-browser"], tmp_path, env)
    try:
        url = _read_until(proc, lines, r"running at (http://\S+)").group(1)
        assert "and daggr's own code" in _read_until(proc, lines, r"watching .*").group(0)
        loaded = subprocess.run(
            [sys.executable, "-c", "import daggr; print(daggr.__file__)"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        ).stdout
        assert loaded.startswith(str(package))  # the copy is the daggr that runs
        with (package / "errors.py").open("a") as f:
            f.write("\n# edited by a test\n")
        _read_until(proc, lines, r"daggr's own code changed; restarting")
        again = _read_until(proc, lines, r"running at (http://\S+)").group(1)
        assert again == url  # the same address: open pages reconnect
        r = httpx.post(again + "api/call", json={"inputs": {"echo__text": "back"}})
        assert r.json()["outputs"] == {"echo": {"output": "BACK"}}
    finally:
        proc.terminate()
        proc.wait(10)


def test_no_watch_daggr_watches_only_the_script(tmp_path):
    script = tmp_path / "app.py"
    script.write_text(SCRIPT.format(key=False))
    proc, lines = _serve(
        [str(script), "--port", "0", "--no-browser", "--no-watch-daggr"],
        tmp_path,
        _env(tmp_path / "s.duckdb"),
    )
    try:
        _read_until(proc, lines, r"running at (http://\S+)")
        watching = _read_until(proc, lines, r"watching .*").group(0)
        assert "daggr's own code" not in watching and "app.py" in watching
    finally:
        proc.terminate()
        proc.wait(10)
