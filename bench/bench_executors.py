"""Scale-out benchmark: a CPU-bound scatter on threads vs a process pool vs Dask.

    python bench/bench_executors.py [--quick]

64 items (16 with --quick) of ~0.3 s of pure-Python work each, on this machine's cores:
the default thread executor (the GIL keeps it at one core), a 2-worker
ProcessPoolExecutor and a 2-worker Dask LocalCluster (processes, on 127.0.0.1). Prints
wall time, speed-up over threads (ideal: the number of workers) and the per-task
overhead of each executor measured with trivial tasks. Raw numbers: bench/out/executors.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

from bench._baseline import (  # noqa: E402
    apply_offline_env_to_this_process,
    fmt_s,
    mark,
    print_table,
    write_json,
)

WORKERS = 2
TARGET_SPEEDUP = 1.6  # of the ideal 2x on 2 cores, with the machine shared


def burn(x: int) -> int:
    """About 0.3 s of pure-Python arithmetic (calibrated once per process)."""
    total = 0
    for i in range(LOOPS):
        total += (i * x) % 7
    return total


def trivial(x: int) -> int:
    return x


def calibrate() -> int:
    n = 200_000
    t0 = time.perf_counter()
    total = 0
    for i in range(n):
        total += (i * 3) % 7
    per = (time.perf_counter() - t0) / n
    return int(0.3 / per)


LOOPS = int(os.environ.get("DAGGR_BENCH_LOOPS") or calibrate())
os.environ["DAGGR_BENCH_LOOPS"] = str(LOOPS)  # workers reuse the calibration


def scatter_run(fn, items: int, executor, concurrent: bool) -> tuple[float, list]:
    from daggr import FnNode, Graph

    source = FnNode(lambda: list(range(items)), name="items")
    each = FnNode(
        fn, name="each", inputs={"x": source.output.each}, executor=executor, concurrent=concurrent
    )
    graph = Graph(f"bench-exec-{time.time_ns()}", nodes=[each], persist_key=False)
    t0 = time.perf_counter()
    result = graph.run(progress=False)
    wall = time.perf_counter() - t0
    result.raise_for_errors()
    return wall, result["each"]["output"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    quick = args.quick or os.environ.get("DAGGR_BENCH_QUICK") == "1"
    items = 16 if quick else 64
    tiny = 200
    keep = apply_offline_env_to_this_process()  # noqa: F841 (kept alive for the run)
    print(
        f"== CPU-bound scatter: {items} items x ~0.3 s, {WORKERS} workers, {os.cpu_count()} cores =="
    )

    rows, raw = [], {}
    threads, expected = scatter_run(burn, items, None, True)
    overhead_threads, _ = scatter_run(trivial, tiny, None, True)
    raw["threads"] = {"wall": threads, "overhead_per_task": overhead_threads / tiny}
    rows.append(["threads (default)", fmt_s(threads), "1.0×", fmt_s(overhead_threads / tiny)])

    with ProcessPoolExecutor(max_workers=WORKERS) as pool:
        scatter_run(trivial, WORKERS, pool, False)  # start the workers
        wall, values = scatter_run(burn, items, pool, False)
        assert values == expected
        over, _ = scatter_run(trivial, tiny, pool, False)
    raw["process_pool"] = {
        "wall": wall,
        "speedup": threads / wall,
        "overhead_per_task": over / tiny,
    }
    rows.append(
        [
            f"ProcessPoolExecutor({WORKERS})",
            fmt_s(wall),
            f"{threads / wall:.2f}×",
            fmt_s(over / tiny),
        ]
    )

    try:
        import cloudpickle
        import distributed
    except ImportError:
        print("dask[distributed] is not installed: pip install 'daggr[dask]' to include it")
    else:
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
        cluster = distributed.LocalCluster(
            n_workers=WORKERS,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=40,
        )
        client = distributed.Client(cluster)
        try:
            scatter_run(trivial, WORKERS, client, False)
            wall, values = scatter_run(burn, items, client, False)
            assert values == expected
            over, _ = scatter_run(trivial, tiny, client, False)
        finally:
            client.close()
            cluster.close()
        raw["dask"] = {"wall": wall, "speedup": threads / wall, "overhead_per_task": over / tiny}
        rows.append(
            [
                f"Dask LocalCluster({WORKERS})",
                fmt_s(wall),
                f"{threads / wall:.2f}×",
                fmt_s(over / tiny),
            ]
        )

    print_table(["executor", "wall", "speed-up vs threads", "overhead/task (trivial)"], rows)
    print(f"\nideal speed-up on {WORKERS} workers: {WORKERS}.0×; target ≥ {TARGET_SPEEDUP}×")
    for name in ("process_pool", "dask"):
        if name in raw:
            print(
                f"  {name}: {raw[name]['speedup']:.2f}×  {mark(raw[name]['speedup'] >= TARGET_SPEEDUP)}"
            )
    print(f"raw numbers: {write_json('executors', raw)}")


if __name__ == "__main__":
    main()
