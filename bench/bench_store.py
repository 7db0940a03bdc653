"""Store benchmark: our DuckDB store vs the original daggr 0.8.0 SQLite ``SessionState``.

    python bench/bench_store.py [--quick] [--no-original]

Same workload on both sides (a result = ~200 characters of text + an int, with a
one-field input snapshot):

* save a result: 1k and 10k rows appended to one sheet (ours: ``sheet.append``, the
  caller's time, and amortised including the final ``flush``; original: ``save_result``)
* fetch result i of a node with 10k results (random i, after re-opening the file;
  ours: ``sheet.get``; original: ``get_result_by_index``)
* open a sheet with 10 nodes x 1k results (ours: new ``Store`` + ``sheets.open`` +
  ``latest`` of every node; original: ``get_sheet_state``, what its UI loads)

Plus figures without a counterpart: open with 10 x 10k results (must not grow with
history), ``find()`` on the hot path, the memory store, the cost of attaching and
detaching the file (the lease), and two processes appending to one file at once.
The original runs in its own venv (bench/.cache/venv-original). Raw numbers go to
bench/out/store.json. Every target lives here and is printed as met / NOT MET.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

from bench._baseline import (  # noqa: E402
    apply_offline_env_to_this_process,
    fmt_ratio,
    fmt_s,
    mark,
    offline_env,
    print_table,
    run_in_original,
    write_json,
)

# ---- targets (the only place they live) ----------------------------------------------
TARGET_APPEND_S = 0.3e-3  # append, amortised incl. the background write, <= 0.3 ms/row
TARGET_FETCH_S = 1e-3  # fetch any result of a node with 10k results <= 1 ms (mean)
TARGET_OPEN_GROWTH = 2.0  # open(10 x 10k) / open(10 x 1k) <= 2: not proportional to history

TEXT = "A photograph of a red fox in the snow, golden hour, 35mm, highly detailed. " * 3
NODES = 10


def _params(quick: bool) -> dict:
    return {
        "saves": [1000] if quick else [1000, 10000],
        "fetch_n": 10000,
        "fetches": 300 if quick else 1000,
        "orig_fetches": 20 if quick else 50,
        "open_per_node": 1000,
        "open_big_per_node": 10000,
        "open_reps": 5 if quick else 9,
        "orig_saves": [1000] if quick else [1000, 10000],
        "two_proc_seconds": 2.0 if quick else 4.0,
    }


def _record(node: str, i: int):
    from daggr.records import ResultRecord

    return ResultRecord(
        node=node,
        key=f"{node}-{i}",
        outputs={"text": TEXT, "n": i},
        inputs={"prompt": f"prompt {i}"},
        started_at=time.time(),
        duration=0.01,
    )


# --------------------------------------------------------------------------------------
# ours
# --------------------------------------------------------------------------------------


def _bench_ours(p: dict, tmp: Path) -> dict:
    from daggr.store import Store

    out: dict = {}
    db = tmp / "ours.duckdb"
    files = tmp / "files"

    def new_store() -> Store:
        return Store(db, files_dir=files)

    # -- save ------------------------------------------------------------------------
    store = new_store()
    sheets = store.sheets("bench")
    store.sql("SELECT 1")  # create the file first: not part of appending
    for n in p["saves"]:
        sheet = sheets.open(sheets.create(f"save-{n}").id)
        recs = [_record("big", i) for i in range(n)]
        gc.collect()
        t0 = time.perf_counter()
        for r in recs:
            sheet.append(r)
        t_append = time.perf_counter() - t0
        sheet.flush()
        t_total = time.perf_counter() - t0
        out[f"append_{n}_caller_s"] = t_append / n
        out[f"append_{n}_amortised_s"] = t_total / n
    fetch_sheet = sheets.create("fetch")
    sheet = sheets.open(fetch_sheet.id)
    for i in range(p["fetch_n"]):
        sheet.append(_record("big", i))
    open_sheet = sheets.create("open")
    sheet = sheets.open(open_sheet.id)
    for i in range(p["open_per_node"]):
        for k in range(NODES):
            sheet.append(_record(f"node{k}", i))
    big_sheet = sheets.create("open-big")
    sheet = sheets.open(big_sheet.id)
    for i in range(p["open_big_per_node"]):
        for k in range(NODES):
            sheet.append(_record(f"node{k}", i))
    store.close()

    # -- fetch result i of a node with 10k results ------------------------------------
    store = new_store()
    rng = random.Random(1)
    idx = [rng.randrange(p["fetch_n"]) for _ in range(p["fetches"])]
    t0 = time.perf_counter()
    sheet = store.sheets("bench").open(fetch_sheet.id)
    t_open = time.perf_counter() - t0
    t0 = time.perf_counter()
    first = sheet.get("big", idx[0])
    t_first = time.perf_counter() - t0
    assert first.outputs["n"] == idx[0]
    t0 = time.perf_counter()
    for i in idx:
        assert sheet.get("big", i).outputs["n"] == i
    t_cold = (time.perf_counter() - t0) / len(idx)
    t0 = time.perf_counter()
    for i in idx:
        sheet.get("big", i)
    t_warm = (time.perf_counter() - t0) / len(idx)
    t0 = time.perf_counter()
    for i in range(2000, 2200):
        sheet.get("big", i)
    t_seq = (time.perf_counter() - t0) / 200
    out.update(
        fetch_open_s=t_open,
        fetch_first_s=t_first,
        fetch_random_s=t_cold,
        fetch_random_warm_s=t_warm,
        fetch_sequential_s=t_seq,
    )
    store.close()

    # -- open a sheet with 10 nodes x N results ---------------------------------------
    def open_time(sheet_id: str) -> float:
        samples = []
        for _ in range(p["open_reps"]):
            gc.collect()
            t0 = time.perf_counter()
            s = new_store()
            view = s.sheets("bench").open(sheet_id)
            latest = [view.latest(f"node{k}") for k in range(NODES)]
            samples.append(time.perf_counter() - t0)
            assert all(r is not None for r in latest)
            s.close()
        return statistics.median(samples)

    out["open_10x1k_s"] = open_time(open_sheet.id)
    out["open_10x10k_s"] = open_time(big_sheet.id)

    # -- find() on the engine's hot path ----------------------------------------------
    store = new_store()
    view = store.sheets("bench").open(open_sheet.id)
    key = view.latest("node3").key
    n = 20000
    t0 = time.perf_counter()
    for _ in range(n):
        view.find("node3", key)
    out["find_latest_s"] = (time.perf_counter() - t0) / n
    t0 = time.perf_counter()
    view.find("node4", "node4-17")  # an old key: one query, then memory
    out["find_old_first_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(1000):
        view.find("node4", "node4-17")
    out["find_old_again_s"] = (time.perf_counter() - t0) / 1000

    # -- the lease: attach / detach ---------------------------------------------------
    db_obj = store._db
    samples = []
    for _ in range(20):
        db_obj.release()
        t0 = time.perf_counter()
        with db_obj.lease():
            pass
        t1 = time.perf_counter()
        db_obj.release()
        samples.append((t1 - t0, time.perf_counter() - t1))
    out["attach_s"] = statistics.median(s[0] for s in samples)
    out["detach_s"] = statistics.median(s[1] for s in samples)
    store.close()
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect(str(db))
    t1 = time.perf_counter()
    con.close()
    out["duckdb_connect_s"] = t1 - t0
    out["duckdb_close_s"] = time.perf_counter() - t1

    # -- append -> durable, without flush() (the kill -9 window) -----------------------
    store = new_store()
    view = store.sheets("bench").open(open_sheet.id)
    lat = []
    for i in range(40):
        view.append(_record("lat", i))
        t0 = time.perf_counter()
        while store._db.pending:
            time.sleep(0.0002)
        lat.append(time.perf_counter() - t0)
        time.sleep(0.03)
    lat.sort()
    out["durable_median_s"] = lat[len(lat) // 2]
    out["durable_max_s"] = lat[-1]
    store.close()

    # -- memory store -----------------------------------------------------------------
    mem = Store.memory().sheets("bench").open_or_create()
    recs = [_record("big", i) for i in range(10000)]
    t0 = time.perf_counter()
    for r in recs:
        mem.append(r)
    out["memory_append_s"] = (time.perf_counter() - t0) / len(recs)
    return out


# --------------------------------------------------------------------------------------
# two processes on one file
# --------------------------------------------------------------------------------------

_TWO_PROC = textwrap.dedent(
    """
    import json, sys, time
    from daggr.records import ResultRecord
    from daggr.store import Store
    db, sheet_id, name, seconds = sys.argv[1:5]
    store = Store(db)
    sheet = store.sheets("bench").open(sheet_id)
    ids, reads, durable = [], [], []
    deadline = time.monotonic() + float(seconds)
    i = 0
    while time.monotonic() < deadline:
        r = ResultRecord(node=name, key=f"{name}-{i}", outputs={"n": i}, inputs={})
        sheet.append(r)
        ids.append(r.id)
        i += 1
        if i % 100 == 0:  # a foreground read that needs the file
            t0 = time.perf_counter()
            store.sheets("bench").list()
            reads.append(time.perf_counter() - t0)
        if i % 100 == 50:  # how long until a row is durable, without asking for it
            t0 = time.perf_counter()
            while store._db.pending:
                time.sleep(0.0005)
            durable.append(time.perf_counter() - t0)
        time.sleep(0.0005)
    t0 = time.perf_counter()
    sheet.flush()
    flush = time.perf_counter() - t0
    db_stats = dict(store._db.stats)
    store.close()
    reads.sort()
    durable.sort()
    print(json.dumps({"rows": len(ids), "final_flush_s": flush,
                      "durable_median_s": durable[len(durable) // 2] if durable else None,
                      "durable_max_s": durable[-1] if durable else None,
                      "read_median_s": reads[len(reads) // 2] if reads else None,
                      "read_max_s": reads[-1] if reads else None, "stats": db_stats}))
    """
)


def _bench_two_processes(p: dict, tmp: Path) -> dict:
    from daggr.store import Store

    db = tmp / "two.duckdb"
    store = Store(db, files_dir=tmp / "files")
    sheet_id = store.sheets("bench").create().id
    store.close()
    script = tmp / "two_proc.py"
    script.write_text(_TWO_PROC)
    env = offline_env(tmp, {"PYTHONPATH": str(_REPO)})
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(db), sheet_id, name, str(p["two_proc_seconds"])],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for name in ("alpha", "beta")
    ]
    reports = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"two-process worker failed:\n{stdout}\n{stderr}")
        reports.append(json.loads(stdout.strip().splitlines()[-1]))
    store = Store(db, files_dir=tmp / "files")
    in_db = store.sql("SELECT node, count(*) FROM results GROUP BY node ORDER BY node").rows
    store.close()
    return {"workers": reports, "rows_in_db": dict(in_db)}


# --------------------------------------------------------------------------------------
# the original
# --------------------------------------------------------------------------------------

_ORIGINAL = textwrap.dedent(
    """
    import json, os, random, sqlite3, statistics, tempfile, time
    from datetime import datetime
    from daggr.state import SessionState
    P = json.loads(%(params)r)
    TEXT = %(text)r
    tmp = tempfile.mkdtemp()
    st = SessionState(db_path=os.path.join(tmp, "sessions.db"))
    out = {}

    def result(i):
        return {"text": TEXT, "n": i}

    for n in P["orig_saves"]:
        sid = st.create_sheet("local", "bench", f"save-{n}")
        t0 = time.perf_counter()
        for i in range(n):
            st.save_result(sid, "big", result(i), {"inputs": {"prompt": f"prompt {i}"}})
        out[f"save_{n}_s"] = (time.perf_counter() - t0) / n

    def fill(sid, nodes, per_node):
        # same rows save_result writes, inserted in one transaction to save setup time
        con = sqlite3.connect(st.db_path)
        rows = []
        for i in range(per_node):
            for node in nodes:
                rows.append((sid, node, json.dumps(result(i)),
                             json.dumps({"inputs": {"prompt": f"prompt {i}"}}),
                             datetime.now().isoformat()))
        con.executemany("INSERT INTO node_results (sheet_id, node_name, result, "
                        "inputs_snapshot, created_at) VALUES (?, ?, ?, ?, ?)", rows)
        con.commit()
        con.close()

    sid = st.create_sheet("local", "bench", "fetch")
    fill(sid, ["big"], P["fetch_n"])
    rng = random.Random(1)
    idx = [rng.randrange(P["fetch_n"]) for _ in range(P["orig_fetches"])]
    t0 = time.perf_counter()
    for i in idx:
        st.get_result_by_index(sid, "big", i)
    out["fetch_random_s"] = (time.perf_counter() - t0) / len(idx)

    for label, per_node in (("open_10x1k_s", P["open_per_node"]),):
        sid = st.create_sheet("local", "bench", label)
        fill(sid, ["node%%d" %% k for k in range(10)], per_node)
        samples = []
        for _ in range(P["open_reps"]):
            t0 = time.perf_counter()
            state = SessionState(db_path=st.db_path).get_sheet_state(sid)
            samples.append(time.perf_counter() - t0)
            assert len(state["results"]) == 10
        out[label] = statistics.median(samples)
    print(json.dumps(out))
    """
)


def _bench_original(p: dict) -> dict:
    code = _ORIGINAL % {"params": json.dumps(p), "text": TEXT}
    return run_in_original(code, timeout=1800)


# --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, smaller sizes")
    ap.add_argument("--no-original", action="store_true", help="skip the original daggr")
    args = ap.parse_args(argv)
    p = _params(args.quick)
    keep = apply_offline_env_to_this_process()  # noqa: F841  (keeps the temp dir alive)
    print(f"daggr store benchmark ({'quick' if args.quick else 'full'})", flush=True)

    with tempfile.TemporaryDirectory(prefix="daggr-bench-store-") as tmpdir:
        tmp = Path(tmpdir)
        ours = _bench_ours(p, tmp)
        two = _bench_two_processes(p, tmp)
    orig: dict = {}
    if not args.no_original:
        try:
            orig = _bench_original(p)
        except Exception as exc:  # still print our figures
            print(f"[original] failed: {exc}", flush=True)

    rows = []
    for n in p["saves"]:
        ours_s = ours[f"append_{n}_amortised_s"]
        rows.append(
            [
                f"save a result, {n // 1000}k rows (amortised)",
                fmt_s(ours_s),
                fmt_s(orig.get(f"save_{n}_s")),
                fmt_ratio(orig.get(f"save_{n}_s"), ours_s),
                f"<= {fmt_s(TARGET_APPEND_S)}: {mark(ours_s <= TARGET_APPEND_S)}",
            ]
        )
        rows.append(
            [
                f"  caller's time of append(), {n // 1000}k rows",
                fmt_s(ours[f"append_{n}_caller_s"]),
                "",
                "",
                "",
            ]
        )
    rows.append(
        [
            "fetch result i of 10k (random i, fresh open)",
            fmt_s(ours["fetch_random_s"]),
            fmt_s(orig.get("fetch_random_s")),
            fmt_ratio(orig.get("fetch_random_s"), ours["fetch_random_s"]),
            f"<= {fmt_s(TARGET_FETCH_S)}: {mark(ours['fetch_random_s'] <= TARGET_FETCH_S)}",
        ]
    )
    rows.append(["  first fetch after open", fmt_s(ours["fetch_first_s"]), "", "", ""])
    rows.append(["  random again (cached)", fmt_s(ours["fetch_random_warm_s"]), "", "", ""])
    rows.append(["  sequential (‹ › stepping)", fmt_s(ours["fetch_sequential_s"]), "", "", ""])
    growth = ours["open_10x10k_s"] / ours["open_10x1k_s"]
    rows.append(
        [
            "open a sheet, 10 nodes x 1k results",
            fmt_s(ours["open_10x1k_s"]),
            fmt_s(orig.get("open_10x1k_s")),
            fmt_ratio(orig.get("open_10x1k_s"), ours["open_10x1k_s"]),
            "",
        ]
    )
    rows.append(
        [
            "open a sheet, 10 nodes x 10k results",
            fmt_s(ours["open_10x10k_s"]),
            "",
            "",
            f"x{growth:.2f} of 1k (<= {TARGET_OPEN_GROWTH}): {mark(growth <= TARGET_OPEN_GROWTH)}",
        ]
    )
    print_table(["workload", "ours", "original", "orig/ours", "target"], rows, "Store vs original")

    print_table(
        ["figure", "value"],
        [
            ["find() with the latest key (memory)", fmt_s(ours["find_latest_s"])],
            ["find() with an old key, first call", fmt_s(ours["find_old_first_s"])],
            ["find() with an old key, again", fmt_s(ours["find_old_again_s"])],
            ["memory store append()", fmt_s(ours["memory_append_s"])],
            ["append -> durable without flush(), median", fmt_s(ours["durable_median_s"])],
            ["append -> durable without flush(), max", fmt_s(ours["durable_max_s"])],
            ["lease: ATTACH the file", fmt_s(ours["attach_s"])],
            ["lease: DETACH the file", fmt_s(ours["detach_s"])],
            ["(for comparison) duckdb.connect(file)", fmt_s(ours["duckdb_connect_s"])],
            ["(for comparison) connection.close()", fmt_s(ours["duckdb_close_s"])],
        ],
        "Details (ours)",
    )
    two_rows = []
    for name, w in zip(("alpha", "beta"), two["workers"], strict=True):
        two_rows.append(
            [
                name,
                w["rows"],
                two["rows_in_db"].get(name),
                fmt_s(w["read_median_s"]),
                fmt_s(w["read_max_s"]),
                fmt_s(w["durable_median_s"]),
                fmt_s(w["durable_max_s"]),
                fmt_s(w["final_flush_s"]),
                w["stats"]["yields"],
                w["stats"]["busy_waits"],
            ]
        )
    print_table(
        [
            "process",
            "appended",
            "in file",
            "read median",
            "read max",
            "durable median",
            "durable max",
            "final flush",
            "yields",
            "busy waits",
        ],
        two_rows,
        f"Two processes appending to one file for {p['two_proc_seconds']} s",
    )
    path = write_json("store", {"quick": args.quick, "ours": ours, "original": orig, "two": two})
    print(f"\nraw numbers: {path}")
    lost = any(
        two["rows_in_db"].get(n) != w["rows"]
        for n, w in zip(("alpha", "beta"), two["workers"], strict=True)
    )
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
