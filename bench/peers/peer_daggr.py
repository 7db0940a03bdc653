"""This checkout's daggr on the scale workloads (run by _worker.py with the repository on
PYTHONPATH). ``store="duckdb"`` gives the graph a persist key, as a notebook user's graph
has by default: every run's results go to the DuckDB store, and a run counts until they
are written (``flush``)."""

from __future__ import annotations

import itertools

from bench.bench_engine import _build_chain, _build_fan, _build_scatter

_BUILDERS = {"chain": _build_chain, "fan": _build_fan, "scatter": _build_scatter}
_keys = itertools.count()


def build(kind: str, n: int, store: str = "memory") -> tuple:
    persist_key = f"bench-scale-{kind}-{n}-{next(_keys)}" if store == "duckdb" else False
    graph, last, expected = _BUILDERS[kind](n, persist_key)
    if store == "duckdb":
        results = graph.session.results

        def run() -> object:
            value = graph.run(force=True, progress=False)[last]["output"]
            results.flush()
            return value

    else:

        def run() -> object:
            return graph.run(force=True, progress=False)[last]["output"]

    return run, expected
