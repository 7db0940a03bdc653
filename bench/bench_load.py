"""Load benchmark: many concurrent REST callers against a served daggr app.

    python bench/bench_load.py [--quick] [--callers N] [--seconds S]
    python -m bench load [--quick]

Serves a three-FnNode graph (text -> shout -> count, and tag(shout, count)) on
127.0.0.1, then N callers (default 50; each its own visitor, so its own sheet) POST
``/api/call`` in a loop for S seconds (default 60; ``--quick``: 10). Every request has a
unique input. Afterwards it checks, with SQL over the store, that every successful call's
result is in the history, and prints failures, p50 / p99 latency and throughput.
Raw numbers go to bench/out/load.json.

Targets (printed with met / NOT MET): 0 failed requests; every result in the history.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_REPO = Path(__file__).resolve().parent.parent
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

TARGET_FAILED = 0  # failed requests
DEFAULT_CALLERS = 50
DEFAULT_SECONDS = 60.0
QUICK_SECONDS = 10.0
REQUEST_TIMEOUT_S = 60.0


def load_graph(persist_key: str = "load bench") -> Any:
    from daggr import FnNode, Graph
    from daggr import components as gr

    shout = FnNode(lambda text: text.upper(), name="shout", inputs={"text": gr.Textbox(value="x")})
    count = FnNode(lambda s: len(s), name="count", inputs={"s": shout.output})
    tag = FnNode(lambda s, n: f"{s}#{n}", name="tag", inputs={"s": shout.output, "n": count.output})
    return Graph("load", nodes=[tag], persist_key=persist_key)


async def _caller(client: Any, who: int, deadline: float, out: dict[str, Any]) -> None:
    i = 0
    while time.monotonic() < deadline:
        text = f"c{who}-{i}"
        i += 1
        t0 = time.perf_counter()
        try:
            r = await client.post("api/call", json={"inputs": {"shout__text": text}})
            took = time.perf_counter() - t0
            if r.status_code == 200:
                outputs = r.json()["outputs"]
                expected = f"{text.upper()}#{len(text)}"
                if outputs.get("tag", {}).get("output") != expected:
                    out["failures"].append(f"{text}: wrong result {outputs!r}"[:300])
                    continue
                out["latencies"].append(took)
                out["ok"].append(text)
            else:
                out["failures"].append(f"{text}: HTTP {r.status_code} {r.text[:200]}")
        except Exception as exc:  # a failed request, counted
            out["failures"].append(f"{text}: {type(exc).__name__}: {exc}"[:300])


async def _drive(url: str, callers: int, seconds: float) -> dict[str, Any]:
    import httpx

    out: dict[str, Any] = {"latencies": [], "ok": [], "failures": []}
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    clients = [
        httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S, limits=limits)
        for _ in range(callers)
    ]
    try:
        # each caller is a visitor: get its cookie first (not timed)
        await asyncio.gather(*(c.get("api/user") for c in clients))
        t0 = time.perf_counter()
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(_caller(c, i, deadline, out) for i, c in enumerate(clients)))
        out["wall"] = time.perf_counter() - t0
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return out


def missing_from_history(app: Any, texts: list[str]) -> list[str]:
    """The successful calls whose ``tag`` result is not an ok row in the history."""
    state = app.state
    for session in list(state._sessions.values()):
        session.results.flush()
    rows = state.store.sql(
        "SELECT inputs->>'$.s' AS s, outputs->>'$.output' AS o FROM results "
        "WHERE node = 'tag' AND status = 'ok'"
    ).to_dicts()
    seen = {row["o"] for row in rows}
    return [t for t in texts if f"{t.upper()}#{len(t)}" not in seen]


def run_load(callers: int, seconds: float, graph: Any = None) -> dict[str, Any]:
    """Serve ``graph`` (default :func:`load_graph`), drive it, check the history."""
    from daggr.app.serve import launch

    app = launch(graph or load_graph(), port=0, block=False, open_browser=False, quiet=True)
    try:
        out = asyncio.run(_drive(app.url, callers, seconds))
        out["missing"] = missing_from_history(app, out["ok"])
    finally:
        app.stop()
    lat = sorted(out["latencies"])

    def pct(p: float) -> float | None:
        return lat[min(len(lat) - 1, int(p * len(lat)))] if lat else None

    return {
        "callers": callers,
        "seconds": seconds,
        "requests": len(out["ok"]) + len(out["failures"]),
        "ok": len(out["ok"]),
        "failed": len(out["failures"]),
        "failures": out["failures"][:20],
        "missing_from_history": len(out["missing"]),
        "missing_examples": out["missing"][:20],
        "p50_s": pct(0.50),
        "p99_s": pct(0.99),
        "mean_s": statistics.fmean(lat) if lat else None,
        "wall_s": out["wall"],
        "throughput_rps": len(out["ok"]) / out["wall"] if out["wall"] else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_SECONDS:g} s instead of 60")
    ap.add_argument("--callers", type=int, default=DEFAULT_CALLERS)
    ap.add_argument("--seconds", type=float, default=None)
    args = ap.parse_args(argv)
    seconds = args.seconds or (QUICK_SECONDS if args.quick else DEFAULT_SECONDS)

    from bench._baseline import mark, print_table, write_json

    tmp = None
    if "DAGGR_HOME" not in os.environ:
        tmp = tempfile.TemporaryDirectory(prefix="daggr-bench-load-")
        os.environ["DAGGR_HOME"] = tmp.name
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("DAGGR_DEPENDENCY_CHECK", "skip")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

    print(
        f"daggr load benchmark: {args.callers} concurrent REST callers for {seconds:g} s "
        f"against a served 3-FnNode graph on 127.0.0.1 (python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs)",
        flush=True,
    )
    r = run_load(args.callers, seconds)
    ms = lambda s: "-" if s is None else f"{s * 1000:.1f} ms"  # noqa: E731
    print_table(
        ["figure", "value", "target", ""],
        [
            ["requests", r["requests"], "", ""],
            [
                "failed requests",
                r["failed"],
                f"= {TARGET_FAILED}",
                mark(r["failed"] <= TARGET_FAILED),
            ],
            [
                "results missing from history",
                r["missing_from_history"],
                "= 0",
                mark(r["missing_from_history"] == 0),
            ],
            ["latency p50", ms(r["p50_s"]), "", ""],
            ["latency p99", ms(r["p99_s"]), "", ""],
            ["throughput", f"{r['throughput_rps']:.1f} calls/s", "", ""],
        ],
        title="load",
    )
    for failure in r["failures"][:5]:
        print("  failure:", failure)
    for text in r["missing_examples"][:5]:
        print("  missing from history:", text)
    path = write_json("load", r)
    print(f"raw numbers: {path}")
    if tmp is not None:
        tmp.cleanup()
    return 0 if r["failed"] <= TARGET_FAILED and r["missing_from_history"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
