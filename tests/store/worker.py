"""Subprocess used by test_processes.py: ``python worker.py MODE DB SHEET_ID [ARGS]``.

Modes
-----
kill NAME            append forever; after each flush print ``FLUSHED id id ...``
noflush NAME N       append N rows without flushing, print ``APPENDED id ...``, then sleep
concurrent NAME SECONDS OUTDIR OTHER
                     append (and read) for SECONDS, flush, write ids to OUTDIR/NAME.ids,
                     wait for OTHER's ids, refresh and check it sees all of them
hold SECONDS         open the file with plain duckdb (taking its lock), print HOLDING,
                     keep it SECONDS, exit
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

from daggr.records import ResultRecord
from daggr.store import Store


def record(node: str, i: int) -> ResultRecord:
    return ResultRecord(
        node=node,
        key=f"{node}-{i}",
        outputs={"text": f"output {i} of {node}", "n": i},
        inputs={"prompt": f"prompt {i}"},
        started_at=time.time(),
    )


def say(*words: object) -> None:
    print(*words, flush=True)


def kill_mode(db: str, sheet_id: str, name: str) -> None:
    sheet = Store(db).sheets("g").open(sheet_id)
    i = 0
    while True:
        batch = []
        for _ in range(5):
            r = record(name, i)
            sheet.append(r)
            batch.append(r.id)
            i += 1
        sheet.flush()
        say("FLUSHED", *batch)


def noflush_mode(db: str, sheet_id: str, name: str, n: str) -> None:
    sheet = Store(db).sheets("g").open(sheet_id)
    ids = []
    for i in range(int(n)):
        r = record(name, i)
        sheet.append(r)
        ids.append(r.id)
    say("APPENDED", *ids)
    time.sleep(3600)


def concurrent_mode(
    db: str, sheet_id: str, name: str, seconds: str, outdir: str, other: str
) -> None:
    store = Store(db)
    sheets = store.sheets("g")
    sheet = sheets.open(sheet_id)
    own_sheet = sheets.create(f"{name}'s sheet")
    ids = []
    deadline = time.monotonic() + float(seconds)
    i = 0
    while time.monotonic() < deadline:
        r = record(name, i)
        sheet.append(r)
        ids.append(r.id)
        i += 1
        if i % 50 == 0:  # foreground reads and writes compete for the file too
            sheet.set_input(f"{name}-slot", i)
            assert sheet.find(name, r.key).id == r.id
            names = [s.name for s in sheets.list()]
            assert f"{name}'s sheet" in names
        if i % 200 == 0:
            sheet.refresh()
            assert sheet.count(name) == i
        time.sleep(0.001)
    sheet.flush()
    out = Path(outdir)
    (out / f"{name}.ids.tmp").write_text("\n".join(ids))
    (out / f"{name}.ids.tmp").rename(out / f"{name}.ids")
    other_file = out / f"{other}.ids"
    wait_until = time.monotonic() + 60
    while not other_file.exists():
        if time.monotonic() > wait_until:
            raise TimeoutError(f"{other} never finished")
        time.sleep(0.05)
    other_ids = other_file.read_text().split("\n")
    sheet.refresh()
    assert sheet.count(other) == len(other_ids), (sheet.count(other), len(other_ids))
    assert [r.id for r in sheet.history(other)] == other_ids
    assert sheet.get_input(f"{other}-slot") is not None
    assert f"{other}'s sheet" in [s.name for s in sheets.list()]
    assert sheets.get(own_sheet.id).name == f"{name}'s sheet"
    store.close()
    say("OK", len(ids), len(other_ids))


def hold_mode(db: str, seconds: str) -> None:
    import duckdb

    con = duckdb.connect(db)
    con.execute("SELECT count(*) FROM results").fetchone()
    say("HOLDING")
    time.sleep(float(seconds))
    con.close()
    say("RELEASED")


def main() -> None:
    mode, db, *rest = sys.argv[1:]
    try:
        if mode == "kill":
            kill_mode(db, *rest)
        elif mode == "noflush":
            noflush_mode(db, *rest)
        elif mode == "concurrent":
            concurrent_mode(db, *rest)
        elif mode == "hold":
            hold_mode(db, *rest)
        else:
            raise SystemExit(f"unknown mode {mode}")
    except Exception:
        traceback.print_exc()
        sys.stdout.flush()
        sys.exit(1)


if __name__ == "__main__":
    main()
