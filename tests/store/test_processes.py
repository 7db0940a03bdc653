"""Real processes: SIGKILL in the middle of a run, two writers on one file, a lock holder."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from daggr.store import Store, StoreBusyError
from tests.store.store_helpers import rec, worker_cmd, worker_env


def _new_sheet(db_path: Path) -> str:
    store = Store(db_path)
    sheet_id = store.sheets("g").create().id
    store.close()
    return sheet_id


def _read_lines(proc: subprocess.Popen, until, timeout: float) -> list[str]:
    """stdout lines of proc until ``until(lines)`` is true (or timeout)."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline and not until(lines):
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
    return lines


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        worker_cmd(*args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=worker_env(),
    )


def _ids_in_db(db_path: Path) -> set[str]:
    store = Store(db_path)
    try:
        return set(store.sql("SELECT id FROM results").column("id"))
    finally:
        store.close()


def test_sigkill_keeps_every_flushed_row(home, db_path) -> None:
    sheet_id = _new_sheet(db_path)
    proc = _start("kill", str(db_path), sheet_id, "victim")
    try:
        lines = _read_lines(proc, lambda ls: len(ls) >= 40, timeout=30)
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # mid-run: its writer is still going
        proc.wait(10)
    flushed = {i for line in lines if line.startswith("FLUSHED") for i in line.split()[1:]}
    assert len(flushed) >= 100, proc.stderr.read() if proc.stderr else ""
    assert proc.returncode == -signal.SIGKILL
    present = _ids_in_db(db_path)  # opens cleanly: the WAL is replayed
    assert flushed <= present
    store = Store(db_path)
    sheet = store.sheets("g").open(sheet_id)
    assert sheet.count("victim") == len(present)
    assert sheet.get("victim", 0).key == "victim-0"
    store.close()


@pytest.mark.slow  # a worker process and a delay
def test_appends_are_durable_without_flush_after_a_short_delay(home, db_path) -> None:
    sheet_id = _new_sheet(db_path)
    proc = _start("noflush", str(db_path), sheet_id, "lazy", "300")
    try:
        lines = _read_lines(proc, lambda ls: any(x.startswith("APPENDED") for x in ls), 30)
        appended = set(lines[-1].split()[1:])
        time.sleep(0.5)  # the documented bound is well under this
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert len(appended) == 300
    assert appended <= _ids_in_db(db_path)


@pytest.mark.slow
def test_two_processes_write_the_same_file(home, db_path, tmp_path) -> None:
    sheet_id = _new_sheet(db_path)
    out = tmp_path / "out"
    out.mkdir()
    procs = {
        name: _start("concurrent", str(db_path), sheet_id, name, "3", str(out), other)
        for name, other in (("alpha", "beta"), ("beta", "alpha"))
    }
    results = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=90)
        results[name] = (proc.returncode, stdout, stderr)
    for name, (code, stdout, stderr) in results.items():
        assert code == 0, f"{name} failed:\n{stdout}\n{stderr}"
        assert stdout.strip().splitlines()[-1].startswith("OK"), stdout
    written = {n: set((out / f"{n}.ids").read_text().split("\n")) for n in procs}
    assert all(len(ids) > 300 for ids in written.values()), {n: len(v) for n, v in written.items()}
    assert written["alpha"] | written["beta"] <= _ids_in_db(db_path)
    store = Store(db_path)
    names = sorted(s.name for s in store.sheets("g").list())
    assert names == ["Sheet 1", "alpha's sheet", "beta's sheet"]
    seqs = store.sql("SELECT count(*), count(DISTINCT seq) FROM results").rows[0]
    assert seqs[0] == seqs[1] == len(written["alpha"]) + len(written["beta"])
    store.close()


@pytest.mark.slow  # waits out another process's lock
def test_a_lock_holder_delays_writes_but_loses_nothing(home, db_path) -> None:
    store = Store(db_path)
    sheet = store.sheets("g").open_or_create()
    store.release()
    holder = _start("hold", str(db_path), "1.5")
    try:
        lines = _read_lines(holder, lambda ls: "HOLDING" in ls, timeout=30)
        assert "HOLDING" in lines, holder.stderr.read() if holder.stderr else ""
        t0 = time.perf_counter()
        for i in range(20):
            sheet.append(rec("n", f"k{i}"))  # never waits for the file
        assert time.perf_counter() - t0 < 0.5
        assert sheet.count("n") == 20 and sheet.find("n", "k3") is not None
        with pytest.raises(StoreBusyError) as err:
            store.flush(timeout=0.3)
        assert str(holder.pid) in str(err.value) and str(db_path) in str(err.value)
        store.flush(timeout=30)  # the holder lets go after 1.5 s
    finally:
        holder.wait(30)
    assert store.sql("SELECT count(*) FROM results").scalar() == 20
    store.close()


def _square(x: int) -> int:
    return x * x


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forked workers need os.fork")
def test_forked_workers_run_after_a_store_was_closed(store: Store) -> None:
    """A process pool forked after a DuckDB store closed (a kernel that ran a graph, then
    uses executor=ProcessPoolExecutor()) gets working children, not BrokenProcessPool."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    sheet = store.sheets("g").open_or_create()
    sheet.append(rec("gen", i=1))
    sheet.flush()
    store.close()
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        assert list(pool.map(_square, range(4), timeout=60)) == [0, 1, 4, 9]


EXIT_SCRIPT = """
import atexit, sys
from daggr.records import ResultRecord
from daggr.store import Store
from daggr.store.db import Database

import duckdb  # its exit cleanup interrupts queries still running

def before_duckdb_cleans_up():
    print("PENDING", sum(db.pending for db in Database._registry.values()), flush=True)

atexit.register(before_duckdb_cleans_up)
Database.batch_interval = 30.0  # the writer would wait: only the exit flush commits the row
store = Store(sys.argv[1])
store.sheets("g").open_or_create().append(ResultRecord("n", key="k", outputs={"out": 1}, inputs={}))
print("APPENDED", flush=True)
"""


def test_a_process_that_exits_without_flush_commits_before_duckdb_shuts_down(
    home, db_path, tmp_path
) -> None:
    """A script that ends right after a run keeps its results (a restarted kernel finds
    them): daggr's exit flush runs before duckdb's own exit cleanup, not after it."""
    script = tmp_path / "exit_without_flush.py"
    script.write_text(EXIT_SCRIPT)
    proc = subprocess.run(
        [sys.executable, str(script), str(db_path)],
        capture_output=True,
        text=True,
        env=worker_env(),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["APPENDED", "PENDING", "0"], proc.stdout + proc.stderr
    assert "dropped" not in proc.stderr, proc.stderr
    assert len(_ids_in_db(db_path)) == 1
