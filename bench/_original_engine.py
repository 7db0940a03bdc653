"""Engine workloads run inside the ORIGINAL daggr 0.8.0 venv (see bench_engine.py).

Not imported by our code: bench_engine.py sends this file's text to
``_baseline.run_in_original`` with a ``main(params)`` call appended; the result is one
JSON object printed on the last stdout line. bench_scale.py runs it as the original's
adapter (its ``build``) in bench/peers/_worker.py. Uses only the stdlib and daggr 0.8.0.

The original has no ``Graph.run``; its programmatic path is
``daggr.executor.SequentialExecutor(graph).execute_all({})`` (a fresh event loop and
one ``asyncio.to_thread`` hop per node, nodes strictly one at a time).
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time


def _median_time(fn, reps):
    samples = []
    for _ in range(reps):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples), samples


def _inc(x):
    return x + 1


def _build_chain(n):
    from daggr import FnNode, Graph

    prev = FnNode(lambda: 0, name="n0")
    for i in range(1, n):
        prev = FnNode(_inc, name=f"n{i}", inputs={"x": prev.output})
    return Graph("bench", nodes=[prev], persist_key=False), f"n{n - 1}", n - 1


def _make_sink(k):
    # FnNode rejects **kwargs: the fan-in needs one named parameter per input.
    params = ", ".join(f"x{i}" for i in range(k))
    body = " + ".join(f"x{i}" for i in range(k)) or "0"
    ns = {}
    exec(f"def sink({params}):\n    return {body}\n", ns)
    return ns["sink"]


def _build_fan(n):
    from daggr import FnNode, Graph

    k = n - 2
    src = FnNode(lambda: 0, name="src")
    mids = [FnNode(_inc, name=f"m{i}", inputs={"x": src.output}) for i in range(k)]
    sink = FnNode(
        _make_sink(k), name="sink", inputs={f"x{i}": m.output for i, m in enumerate(mids)}
    )
    return Graph("bench", nodes=[sink], persist_key=False), "sink", k


def _value(results, name):
    r = results[name]
    return r.get("output") if isinstance(r, dict) else r


def bench_topology(kind, n, reps):
    from daggr.executor import SequentialExecutor

    build = _build_chain if kind == "chain" else _build_fan
    build_reps = max(1, min(reps, 5 if n >= 1000 else reps))
    build_s, _ = _median_time(lambda: build(n), build_reps)
    graph, last, expected = build(n)
    t0 = time.perf_counter()
    ex = SequentialExecutor(graph)
    res = ex.execute_all({})
    first_s = time.perf_counter() - t0
    got = _value(res, last)
    assert got == expected, (kind, n, got, expected)
    run_s, samples = _median_time(lambda: ex.execute_all({}), reps)
    return {
        "kind": kind,
        "n": n,
        "build_s": build_s,
        "first_run_s": first_s,
        "run_s": run_s,
        "run_samples_s": samples,
    }


def bench_sleep_fanout(k, sleep_s, reps):
    from daggr import FnNode, Graph
    from daggr.executor import SequentialExecutor

    def sleeper(x):
        time.sleep(sleep_s)
        return x

    src = FnNode(lambda: 1, name="src")
    leaves = [
        FnNode(sleeper, name=f"s{i}", inputs={"x": src.output}, concurrent=True) for i in range(k)
    ]
    graph = Graph("sleep", nodes=leaves, persist_key=False)
    ex = SequentialExecutor(graph)
    run_s, samples = _median_time(lambda: ex.execute_all({}), reps)
    return {"k": k, "sleep_s": sleep_s, "run_s": run_s, "run_samples_s": samples}


def _build_scatter(k):
    from daggr import FnNode, Graph

    items = FnNode(lambda: list(range(k)), name="items")
    inc_each = FnNode(_inc, name="inc", inputs={"x": items.output.each})
    total = FnNode(lambda xs: sum(xs), name="total", inputs={"xs": inc_each.output.all()})
    return Graph("scatter", nodes=[total], persist_key=False), "total", k * (k + 1) // 2


def bench_scatter(k, reps):
    from daggr.executor import SequentialExecutor

    graph, last, expected = _build_scatter(k)
    ex = SequentialExecutor(graph)
    t0 = time.perf_counter()
    res = ex.execute_all({})
    first_s = time.perf_counter() - t0
    got = _value(res, last)
    assert got == expected, (got, expected)
    run_s, samples = _median_time(lambda: ex.execute_all({}), reps)
    return {"k": k, "first_run_s": first_s, "run_s": run_s, "run_samples_s": samples}


def build(kind, n):
    """The scale benchmark's adapter (bench/peers/_worker.py): (run, expected value)."""
    from daggr.executor import SequentialExecutor

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100000))
    builders = {"chain": _build_chain, "fan": _build_fan, "scatter": _build_scatter}
    graph, last, expected = builders[kind](n)
    ex = SequentialExecutor(graph)
    return (lambda: _value(ex.execute_all({}), last)), expected


def main(params):
    # Graph._create_edges_from_port_connections recurses once per upstream node: a
    # 1000-chain overflows the default limit of 1000 (the baseline's 1000-node figures
    # imply it was raised there too).
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    import daggr

    assert daggr.__version__ == "0.8.0", (daggr.__version__, daggr.__file__)

    out = {"version": daggr.__version__, "python": sys.version.split()[0], "topology": []}
    for kind in ("chain", "fan"):
        for n in params["sizes"]:
            out["topology"].append(bench_topology(kind, n, params["reps"][str(n)]))
    out["sleep_fanout"] = bench_sleep_fanout(
        params["sleep_k"], params["sleep_s"], params["sleep_reps"]
    )
    out["scatter"] = [bench_scatter(k, params["scatter_reps"][str(k)]) for k in params["scatter"]]
    print(json.dumps(out))
