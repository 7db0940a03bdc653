"""Scale-out benchmark: a scatter of CPU-bound items through daggr vs the executor's own map.

    python bench/bench_executors.py [--quick] [--workers N] [--items K] [--seconds S]
                                    [--rounds R]

The same work, K items of about S seconds of pure-Python arithmetic each, runs:

- in turn on one core (a plain loop), and through daggr without ``concurrent`` (the
  items in turn on the lane), for the baseline;
- on daggr's threads (``concurrent=True``): the interpreter lock runs them one at a
  time, and the run says so (daggr.GILWarning, shown here);
- on a ``ProcessPoolExecutor(N)``: through daggr (``executor=pool``) and through
  ``pool.map`` itself;
- on a Dask ``LocalCluster`` of N worker processes (on 127.0.0.1), if
  ``dask[distributed]`` is installed: through daggr (``executor=client``) and through
  ``client.map`` + ``client.gather`` itself.

Every way runs once per round, in turn, for R rounds (daggr's run next to the executor's
own map each time); times are medians with their range; speed-ups (against the plain loop)
and ratios (daggr ÷ the executor's own map) are medians of each round's ratio, which a
busy phase of a shared machine moves less than the times themselves. The target: daggr within 5 % of the executor's own
map. ``--workers`` defaults to the machine's cores, so the comparison scales to larger
machines. Raw numbers: bench/out/executors.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

from bench._baseline import (  # noqa: E402
    apply_offline_env_to_this_process,
    mark,
    print_table,
    write_json,
)

TARGET_RATIO = 1.05  # daggr's wall time / the executor's own map, on the same work


def _calibrate(seconds: float) -> int:
    n = 200_000
    t0 = time.perf_counter()
    total = 0
    for i in range(n):
        total += (i * 3) % 7
    return max(1, int(seconds / ((time.perf_counter() - t0) / n)))


LOOPS = int(os.environ.get("DAGGR_BENCH_LOOPS") or 0)


def burn(x: int) -> int:
    """About ``--seconds`` of pure-Python arithmetic (calibrated once, shared by workers)."""
    total = 0
    for i in range(LOOPS):
        total += (i * x) % 7
    return total


def _items(k: int) -> list[int]:
    return list(range(k))


def daggr_run(k: int, executor, concurrent: bool) -> tuple[float, list, str | None]:
    """(wall seconds, values, the run's notice) of a scatter of ``k`` items through daggr."""
    from functools import partial

    from daggr import FnNode, Graph

    source = FnNode(partial(_items, k), name="items")
    each = FnNode(
        burn,
        name="each",
        inputs={"x": source.output.each},
        executor=executor,
        concurrent=concurrent,
    )
    graph = Graph(f"bench-exec-{time.time_ns()}", nodes=[each], persist_key=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the notice is read from the outcome below
        t0 = time.perf_counter()
        result = graph.run(progress=False)
        wall = time.perf_counter() - t0
    result.raise_for_errors()
    return wall, result["each"]["output"], result.outcome("each").notice


def pool_map(pool: ProcessPoolExecutor, k: int) -> tuple[float, list]:
    t0 = time.perf_counter()
    values = list(pool.map(burn, range(k)))
    return time.perf_counter() - t0, values


def dask_map(client, k: int) -> tuple[float, list]:
    t0 = time.perf_counter()
    values = client.gather(client.map(burn, range(k), pure=False))
    return time.perf_counter() - t0, values


def _timed_loop(k: int) -> float:
    t0 = time.perf_counter()
    for x in range(k):
        burn(x)
    return time.perf_counter() - t0


def _summary(samples: list[float]) -> dict:
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "samples": samples,
    }


def _paired(a: dict, b: dict) -> float:
    """Median over the rounds of a's time / b's time in the same round: a busy phase of
    the machine slows both of a round's runs, so the ratio moves less than either."""
    return statistics.median(x / y for x, y in zip(a["samples"], b["samples"], strict=True))


def _fmt(s: dict) -> str:
    return f"{s['median']:.2f} s ({s['min']:.2f}–{s['max']:.2f})"


def measure(configs: dict, rounds: int, expected: list) -> dict:
    """Each config once per round, in turn (so that a busy phase of the machine hits all
    of them alike); every run's values are checked."""
    samples: dict[str, list[float]] = {name: [] for name in configs}
    for _ in range(rounds):
        for name, run in configs.items():
            wall, values = run()[:2]
            assert values == expected, name
            samples[name].append(wall)
    return {name: _summary(s) for name, s in samples.items()}


def main(argv: list[str] | None = None) -> int:
    global LOOPS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="16 items, 3 rounds")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--items", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=0.05, help="CPU seconds per item")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    if args.quick or os.environ.get("DAGGR_BENCH_QUICK") == "1":
        args.items, args.rounds = 16, 3
    keep = apply_offline_env_to_this_process()  # noqa: F841 (kept alive for the run)
    LOOPS = int(os.environ.get("DAGGR_BENCH_LOOPS") or _calibrate(args.seconds))
    os.environ["DAGGR_BENCH_LOOPS"] = str(LOOPS)  # workers reuse the calibration
    k, n = args.items, args.workers
    print(
        f"== CPU-bound scatter: {k} items x ~{args.seconds} s, {n} workers, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} =="
    )
    raw: dict = {"args": vars(args), "loops": LOOPS}
    expected = [burn(x) for x in range(k)]
    notices: list = []

    def threads() -> tuple[float, list]:
        wall, values, notice = daggr_run(k, None, True)
        notices.append(notice)
        return wall, values

    def one_core() -> tuple[float, list]:
        return _timed_loop(k), expected

    configs: dict = {
        "one core, a plain loop": one_core,
        "daggr, items in turn": lambda: daggr_run(k, None, False),
        "daggr, concurrent=True (threads)": threads,
    }
    pool = ProcessPoolExecutor(max_workers=n)
    list(pool.map(burn, [0] * n))  # start the workers
    configs[f"daggr, executor=ProcessPoolExecutor({n})"] = lambda: daggr_run(k, pool, False)
    configs[f"ProcessPoolExecutor({n}).map"] = lambda: pool_map(pool, k)
    pairs = [(f"daggr, executor=ProcessPoolExecutor({n})", f"ProcessPoolExecutor({n}).map")]
    cluster = client = None
    try:
        import cloudpickle
        import distributed
    except ImportError:
        print("dask[distributed] is not installed: pip install 'daggr[dask]' to include it")
    else:
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
        cluster = distributed.LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=40,
        )
        client = distributed.Client(cluster)
        client.gather(client.map(burn, [0] * n, pure=False))  # warm the workers
        configs[f"daggr, executor=Client(LocalCluster({n}))"] = lambda: daggr_run(k, client, False)
        configs[f"Client(LocalCluster({n})).map + gather"] = lambda: dask_map(client, k)
        pairs.append(
            (
                f"daggr, executor=Client(LocalCluster({n}))",
                f"Client(LocalCluster({n})).map + gather",
            )
        )
    try:
        figures = measure(configs, args.rounds, expected)
    finally:
        pool.shutdown()
        if client is not None:
            client.close()
            cluster.close()
    raw["figures"] = figures
    raw["threads_notice"] = next((x for x in notices if x), None)
    base = figures["one core, a plain loop"]
    ratios = {ours: _paired(figures[ours], figures[own]) for ours, own in pairs}
    raw["ratio_to_own_map"] = ratios
    rows = []
    for name, fig in figures.items():
        ratio = f"{ratios[name]:.3f}" if name in ratios else ""
        notice = ""
        if "threads" in name:
            notice = "noticed" if raw["threads_notice"] else "not noticed"
        rows.append([name, _fmt(fig), f"{_paired(base, fig):.2f}×", ratio, notice])
    print_table(
        ["how", f"wall, median ({args.rounds} rounds)", "speed-up", "÷ own map", "GIL notice"],
        rows,
    )
    if raw["threads_notice"]:
        print(f"\nthe threaded run said: {raw['threads_notice']}")
    print()
    for ours, ratio in ratios.items():
        print(
            f"  {ours}: ÷ own map = {ratio:.3f}  (target <= {TARGET_RATIO})  {mark(ratio <= TARGET_RATIO)}"
        )
    print(f"raw numbers: {write_json('executors', raw)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
