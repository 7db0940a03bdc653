"""Core engine benchmark: our daggr vs the original daggr 0.8.0 vs plain Python.

    python bench/bench_engine.py [--quick] [--no-original] [--profile]

Measures, for chains and fan-outs of 10 / 100 / 1000 trivial FnNodes, graph build time,
first and steady-state run time and per-node overhead; the unchanged re-run (cache);
8 concurrent sleeping nodes; a scatter/gather of 1000 items; and ``import daggr`` wall
time. The original daggr runs in its own venv (bench/.cache/venv-original, created from
PyPI on first use) in the same run. Raw numbers go to bench/out/engine.json.

Every timing threshold lives here and is printed next to its figure with met / NOT MET.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

from bench._baseline import (  # noqa: E402
    BENCH_DIR,
    REPO_ROOT,
    apply_offline_env_to_this_process,
    fmt_ratio,
    fmt_s,
    mark,
    offline_env,
    original_packages,
    original_python,
    plain_time,
    print_table,
    run_in_original,
    time_python_c,
    write_json,
)

# ---- targets (the only place they live) ----------------------------------------------
TARGET_BUILD_1000_S = 0.010  # build 1000 nodes (node construction + Graph) <= 10 ms
TARGET_BUILD_SLOPE = 1.3  # log-log slope of build time 100 -> 1000 nodes: ~linear
TARGET_NODE_OVERHEAD_S = 20e-6  # per-node overhead of a steady-state run <= 20 µs
TARGET_RATIO = 10.0  # original / ours, steady-state run time, >= 10x
TARGET_RERUN_S = 0.005  # unchanged 100-node graph re-run <= 5 ms, executes nothing
TARGET_SLEEP_S = 0.25  # 8 x sleep(0.2) with concurrent=True <= 0.25 s (ideal 0.20)
TARGET_SCATTER_ITEM_S = 15e-6  # scatter/gather per-item overhead at K=1000 <= 15 µs
TARGET_IMPORT_FRACTION = 0.5  # `import daggr` <= half of the original's

SIZES = (10, 100, 1000)
SLEEP_K, SLEEP_S = 8, 0.2


def _params(quick: bool) -> dict:
    if quick:
        return {
            "sizes": list(SIZES),
            "reps": {"10": 7, "100": 5, "1000": 3},
            "sleep_k": SLEEP_K,
            "sleep_s": SLEEP_S,
            "sleep_reps": 1,
            "scatter": [100, 1000],
            "scatter_reps": {"100": 5, "1000": 3},
            "import_n": 5,
            "rerun_reps": 11,
        }
    return {
        "sizes": list(SIZES),
        "reps": {"10": 51, "100": 15, "1000": 5},
        "sleep_k": SLEEP_K,
        "sleep_s": SLEEP_S,
        "sleep_reps": 3,
        "scatter": [100, 1000, 10000],
        "scatter_reps": {"100": 11, "1000": 5, "10000": 3},
        "import_n": 9,
        "rerun_reps": 21,
    }


def _median_time(fn, reps: int) -> tuple[float, list[float]]:
    samples = []
    for _ in range(reps):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples), samples


def _inc(x):
    return x + 1


def _zero():
    return 0


# ---- plain Python: the same computations without any framework ------------------------


def plain_figures(params: dict) -> dict:
    out = {"chain": {}, "fan": {}, "scatter": {}}
    for n in params["sizes"]:

        def chain(n=n):
            x = _zero()
            for _ in range(n - 1):
                x = _inc(x)
            return x

        keys = [f"x{i}" for i in range(n - 2)]

        def sink(**kw):
            return sum(kw.values())

        def fan(keys=keys):
            s = _zero()
            return sink(**{k: _inc(s) for k in keys})

        assert chain() == n - 1 and fan() == n - 2
        out["chain"][n] = plain_time(chain)
        out["fan"][n] = plain_time(fan)
    for k in params["scatter"]:

        def scatter(k=k):
            items = list(range(k))
            return sum([_inc(x) for x in items])

        out["scatter"][k] = plain_time(scatter)
    return out


# ---- original daggr 0.8.0 (its own venv, a subprocess) --------------------------------


def original_figures(params: dict) -> dict:
    code = (BENCH_DIR / "_original_engine.py").read_text()
    code += f"\n\nmain({params!r})\n"
    raw = run_in_original(code, timeout=1800)
    out = {
        "version": raw["version"],
        "chain": {},
        "fan": {},
        "sleep_fanout": raw["sleep_fanout"],
        "scatter": {s["k"]: s for s in raw["scatter"]},
    }
    for row in raw["topology"]:
        out[row["kind"]][row["n"]] = row
    return out


# ---- ours -----------------------------------------------------------------------------


def _res_get(res, name: str):
    """res["name"] -> {"output": v}; returns v (tolerates a plain value)."""
    r = res[name]
    if isinstance(r, dict):
        return r.get("output", r)
    return getattr(r, "output", r)


def _build_chain(n: int, persist_key: str | bool = False):
    from daggr import FnNode, Graph

    prev = FnNode(_zero, name="n0")
    for i in range(1, n):
        prev = FnNode(_inc, name=f"n{i}", inputs={"x": prev.output})
    return Graph("bench", nodes=[prev], persist_key=persist_key), f"n{n - 1}", n - 1


def _sink(**kw):
    return sum(kw.values())


def _build_fan(n: int, persist_key: str | bool = False):
    from daggr import FnNode, Graph

    src = FnNode(_zero, name="src")
    mids = [FnNode(_inc, name=f"m{i}", inputs={"x": src.output}) for i in range(n - 2)]
    sink = FnNode(_sink, name="sink", inputs={f"x{i}": m.output for i, m in enumerate(mids)})
    return Graph("bench", nodes=[sink], persist_key=persist_key), "sink", n - 2


def _total(xs):
    return sum(xs)


def _build_scatter(k: int, persist_key: str | bool = False):
    """list(range(k)) -> inc on each item -> sum of all items."""
    from daggr import FnNode, Graph

    items = FnNode(lambda: list(range(k)), name="items")
    inc_each = FnNode(_inc, name="inc", inputs={"x": items.output.each})
    total = FnNode(_total, name="total", inputs={"xs": inc_each.output.all()})
    return Graph("scatter", nodes=[total], persist_key=persist_key), "total", k * (k + 1) // 2


def _executed_info(res, n_nodes: int) -> dict:
    """What the run result says about which nodes executed / were reused, if anything.

    Our RunResult exposes ``executed`` and ``cached`` (lists of node names) and
    ``status`` ({node: "ok" | "cached" | ...}); other shapes are probed defensively.
    """
    info: dict = {"exposed": False}
    executed = getattr(res, "executed", None)
    cached = getattr(res, "cached", None)
    if isinstance(executed, list | tuple | set | frozenset | dict):
        info.update(exposed=True, executed=len(executed), via="result.executed")
        if isinstance(cached, list | tuple | set | frozenset | dict):
            info["cached"] = len(cached)
        return info
    status = getattr(res, "status", None)
    if isinstance(status, dict) and status:
        n_exec = sum(1 for v in status.values() if v in ("ok", "executed", "done"))
        info.update(
            exposed=True,
            executed=n_exec,
            cached=sum(1 for v in status.values() if v == "cached"),
            via="result.status",
        )
        return info
    executed = cached = 0
    found = False
    for name in list(res)[:n_nodes]:
        rec = res[name]
        for key in ("executed", "cached"):
            v = rec.get(key) if isinstance(rec, dict) else getattr(rec, key, None)
            if isinstance(v, bool):
                found = True
                executed += v if key == "executed" else not v
                cached += (not v) if key == "executed" else v
                break
    if found:
        info.update(exposed=True, executed=executed, cached=cached, via="per-node flags")
    return info


def ours_figures(params: dict) -> dict:
    from daggr import FnNode, Graph

    out: dict = {"chain": {}, "fan": {}, "scatter": {}}
    for kind, build in (("chain", _build_chain), ("fan", _build_fan)):
        for n in params["sizes"]:
            reps = params["reps"][str(n)]
            build_s, build_samples = _median_time(lambda b=build, n=n: b(n), reps)
            g, last, expected = build(n)
            gc.collect()
            t0 = time.perf_counter()
            res = g.run()
            first_s = time.perf_counter() - t0
            got = _res_get(res, last)
            assert got == expected, (kind, n, got, expected)
            run_s, samples = _median_time(lambda g=g: g.run(force=True), reps)
            res = g.run(force=True)
            assert _res_get(res, last) == expected
            out[kind][n] = {
                "build_s": build_s,
                "build_samples_s": build_samples,
                "first_run_s": first_s,
                "run_s": run_s,
                "run_samples_s": samples,
            }

    # unchanged re-run of a 100-node chain: every result reused, nothing executes
    g, last, expected = _build_chain(100)
    g.run()
    res = g.run()
    assert _res_get(res, last) == expected
    rerun_s, rerun_samples = _median_time(g.run, params["rerun_reps"])
    out["rerun"] = {
        "n": 100,
        "run_s": rerun_s,
        "run_samples_s": rerun_samples,
        "executed": _executed_info(g.run(), 100),
    }

    # 8 independent sleeping nodes, concurrent=True, fed by one source
    def sleeper(x):
        time.sleep(params["sleep_s"])
        return x

    src = FnNode(lambda: 1, name="src")
    leaves = [
        FnNode(sleeper, name=f"s{i}", inputs={"x": src.output}, concurrent=True)
        for i in range(params["sleep_k"])
    ]
    g = Graph("sleep", nodes=leaves, persist_key=False)
    t0 = time.perf_counter()
    g.run()
    first_s = time.perf_counter() - t0
    sleep_s, sleep_samples = _median_time(lambda: g.run(force=True), params["sleep_reps"])
    out["sleep_fanout"] = {"first_run_s": first_s, "run_s": sleep_s, "run_samples_s": sleep_samples}

    # scatter / gather
    for k in params["scatter"]:
        g = _build_scatter(k)[0]
        gc.collect()
        t0 = time.perf_counter()
        res = g.run()
        first_s = time.perf_counter() - t0
        got = _res_get(res, "total")
        assert got == k * (k + 1) // 2, (got, k)
        run_s, samples = _median_time(lambda g=g: g.run(force=True), params["scatter_reps"][str(k)])
        out["scatter"][k] = {"first_run_s": first_s, "run_s": run_s, "run_samples_s": samples}
    return out


_PROFILE_CHILD = r"""
import cProfile, io, pstats, sys, threading, time
sys.path.insert(0, REPO)
from bench import bench_engine as be

profiling = False
profiles = []
lock = threading.Lock()


def hook(frame, event, arg):
    # Python-level hook installed in every new thread: once profiling is on, it swaps
    # itself for a C profiler in that thread (pool and loop threads included).
    if profiling:
        prof = cProfile.Profile()
        with lock:
            profiles.append(prof)
        prof.enable()


threading.setprofile(hook)

def scatter_graph():
    return be._build_scatter(1000)[0]

cases = {
    "build chain 1000": (None, lambda g: be._build_chain(1000)),
    "build fan 1000": (None, lambda g: be._build_fan(1000)),
    "chain 1000, run(force=True)": (lambda: be._build_chain(1000)[0], lambda g: g.run(force=True)),
    "fan 1000, run(force=True)": (lambda: be._build_fan(1000)[0], lambda g: g.run(force=True)),
    "scatter 1000, run(force=True)": (scatter_graph, lambda g: g.run(force=True)),
    "re-run unchanged chain 100": (lambda: be._build_chain(100)[0], lambda g: g.run()),
    "chain 10, run(force=True)": (lambda: be._build_chain(10)[0], lambda g: g.run(force=True)),
}
setup, body = cases[CASE]
g = setup() if setup else None
for _ in range(3):
    body(g)  # warm: threads exist, caches filled
threading.setprofile(hook)
sys.setprofile(None)
main = cProfile.Profile()
profiling = True
t0 = time.perf_counter()
main.enable()
for _ in range(REPS):
    body(g)
main.disable()
wall = (time.perf_counter() - t0) / REPS
profiling = False
time.sleep(0.05)
stats = pstats.Stats(main)
for prof in profiles:
    try:
        stats.add(prof)
    except Exception:
        pass
buf = io.StringIO()
stats.stream = buf
print(f"---- profile: {CASE}: {wall * 1e3:.2f} ms per call under the profiler; "
      f"main + {len(profiles)} worker/loop thread(s); {REPS} calls; "
      f"blocking waits (epoll, locks, queues, sockets) left out ----", file=buf)
stats.sort_stats("tottime").print_stats(
    r"^(?!.*(epoll|_thread.lock|SimpleQueue|_socket|select|Condition.wait|Event.wait))", TOP
)
print(buf.getvalue())
"""


def profile_ours(top: int = 15, reps: int = 5) -> str:
    """cProfile (all threads, fresh process per case) of our build and steady runs."""
    cases = (
        "build chain 1000",
        "build fan 1000",
        "chain 1000, run(force=True)",
        "fan 1000, run(force=True)",
        "scatter 1000, run(force=True)",
        "re-run unchanged chain 100",
        "chain 10, run(force=True)",
    )
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            code = f"REPO = {str(REPO_ROOT)!r}\nCASE = {case!r}\nREPS = {reps}\nTOP = {top}\n"
            proc = subprocess.run(
                [sys.executable, "-c", code + _PROFILE_CHILD],
                capture_output=True,
                text=True,
                env=offline_env(tmp, {"PYTHONPATH": str(REPO_ROOT)}),
                cwd=REPO_ROOT,
                timeout=600,
            )
            out.append(proc.stdout if proc.returncode == 0 else f"{case}: {proc.stderr[-2000:]}")
    return "\n".join(out)


def import_figures(params: dict, have_ours: bool, have_original: bool) -> dict:
    n = params["import_n"]
    out = {"ours_pass": time_python_c(sys.executable, "pass", n=n)}
    if have_original:
        orig_py = original_python()
        out["original_pass"] = time_python_c(orig_py, "pass", n=n)
        out["original_import"] = time_python_c(
            orig_py, "import daggr; assert daggr.__version__ == '0.8.0'", n=n
        )
    if have_ours:
        out["ours_import"] = time_python_c(
            sys.executable,
            f"import daggr; assert daggr.__file__.startswith({str(REPO_ROOT)!r})",
            n=n,
            env={"PYTHONPATH": str(REPO_ROOT)},
        )
    return out


# ---- report ---------------------------------------------------------------------------


class Checks:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, what: str, value: str, target: str, met: bool | None) -> None:
        self.rows.append({"what": what, "value": value, "target": target, "met": met})

    def print(self) -> None:
        print_table(
            ["target", "value", "target", "status"],
            [(r["what"], r["value"], r["target"], mark(r["met"])) for r in self.rows],
            title="== Targets ==",
        )
        missed = [r["what"] for r in self.rows if r["met"] is False]
        met = sum(1 for r in self.rows if r["met"])
        print(f"\n{met} met, {len(missed)} not met" + (f": {', '.join(missed)}" if missed else ""))


def _us(s: float | None) -> str:
    return "-" if s is None else f"{s * 1e6:.1f}"


def report(params, plain, orig, ours, imports, checks: Checks) -> None:
    o_ok, u_ok = orig is not None, ours is not None
    for kind in ("chain", "fan"):
        rows = []
        for n in params["sizes"]:
            o = orig[kind][n] if o_ok else {}
            u = ours[kind][n] if u_ok else {}
            p = plain[kind][n]
            o_over = (o["run_s"] - p) / n if o else None
            u_over = (u["run_s"] - p) / n if u else None
            rows.append(
                (
                    n,
                    fmt_s(u.get("build_s")),
                    fmt_s(o.get("build_s")),
                    fmt_ratio(o.get("build_s"), u.get("build_s")),
                    fmt_s(u.get("first_run_s")),
                    fmt_s(o.get("first_run_s")),
                    fmt_s(u.get("run_s")),
                    fmt_s(o.get("run_s")),
                    fmt_ratio(o.get("run_s"), u.get("run_s")),
                    fmt_s(p),
                    _us(u_over),
                    _us(o_over),
                )
            )
            if u:
                checks.add(
                    f"{kind} {n}: per-node overhead",
                    f"{_us(u_over)} µs",
                    f"<= {TARGET_NODE_OVERHEAD_S * 1e6:.0f} µs",
                    u_over <= TARGET_NODE_OVERHEAD_S,
                )
                if o:
                    r = o["run_s"] / u["run_s"]
                    checks.add(
                        f"{kind} {n}: run ratio original/ours",
                        f"{r:.1f}×",
                        f">= {TARGET_RATIO:.0f}×",
                        r >= TARGET_RATIO,
                    )
            if u and n == 1000:
                checks.add(
                    f"{kind} 1000: build",
                    fmt_s(u["build_s"]),
                    f"<= {fmt_s(TARGET_BUILD_1000_S)}",
                    u["build_s"] <= TARGET_BUILD_1000_S,
                )
        if u_ok and 100 in ours[kind] and 1000 in ours[kind]:
            slope = math.log10(ours[kind][1000]["build_s"] / ours[kind][100]["build_s"])
            checks.add(
                f"{kind}: build growth 100->1000 (log-log slope)",
                f"{slope:.2f}",
                f"<= {TARGET_BUILD_SLOPE} (linear)",
                slope <= TARGET_BUILD_SLOPE,
            )
        print_table(
            [
                "N",
                "build ours",
                "build orig",
                "ratio",
                "1st run ours",
                "1st run orig",
                "run ours",
                "run orig",
                "ratio",
                "plain",
                "µs/node ours",
                "µs/node orig",
            ],
            rows,
            title=f"== {kind}: N trivial FnNodes (run = median of force re-runs; "
            f"orig = SequentialExecutor.execute_all) ==",
        )
        if u_ok and 100 in ours[kind] and 1000 in ours[kind]:
            per_node = (ours[kind][1000]["run_s"] - ours[kind][100]["run_s"]) / 900
            fixed = ours[kind][100]["run_s"] - 100 * per_node
            print(
                f"  ours: run(N) ≈ {fmt_s(fixed)} per run + {per_node * 1e6:.1f} µs × N "
                f"(line through N=100 and N=1000; the original grows quadratically)"
            )
            if kind == "chain" and 10 in ours[kind]:
                first = fmt_s(ours[kind][10]["first_run_s"])
                print(
                    f"  ours: the first run in a fresh process ({first}, chain 10) includes "
                    "one-time start-up (lazy imports, the runtime loop thread)"
                )

    print("\n== Unchanged re-run of a 100-node chain (input-hash cache) ==")
    if u_ok:
        rr = ours["rerun"]
        ex = rr["executed"]
        ex_txt = (
            f"executed {ex['executed']} node(s), reused {ex.get('cached', '?')} (via {ex['via']})"
            if ex.get("exposed")
            else "result does not expose executed/cached flags"
        )
        print(f"ours: {fmt_s(rr['run_s'])}; {ex_txt}")
        if o_ok:
            print(
                f"original: no cache, every execute_all re-runs: {fmt_s(orig['chain'][100]['run_s'])}"
            )
        checks.add(
            "re-run unchanged 100 nodes",
            fmt_s(rr["run_s"]),
            f"<= {fmt_s(TARGET_RERUN_S)}",
            rr["run_s"] <= TARGET_RERUN_S,
        )
        checks.add(
            "re-run unchanged: executes nothing",
            str(ex.get("executed", "not exposed")),
            "0 executed",
            (ex["executed"] == 0) if ex.get("exposed") else None,
        )
    else:
        print("ours: unavailable")

    k, s = params["sleep_k"], params["sleep_s"]
    print(f"\n== {k} independent nodes sleeping {s} s, concurrent=True (ideal {s:.2f} s) ==")
    u = ours["sleep_fanout"] if u_ok else None
    o = orig["sleep_fanout"] if o_ok else None
    print(
        f"ours: {fmt_s(u and u['run_s'])} (first run {fmt_s(u and u['first_run_s'])})   "
        f"original execute_all: {fmt_s(o and o['run_s'])}   ratio {fmt_ratio(o and o['run_s'], u and u['run_s'])}"
    )
    if u:
        checks.add(
            f"{k} x sleep({s}) concurrent",
            fmt_s(u["run_s"]),
            f"<= {fmt_s(TARGET_SLEEP_S)}",
            u["run_s"] <= TARGET_SLEEP_S,
        )

    rows = []
    for k in params["scatter"]:
        p = plain["scatter"][k]
        u = ours["scatter"].get(k) if u_ok else None
        o = orig["scatter"].get(k) if o_ok else None
        u_item = (u["run_s"] - p) / k if u else None
        o_item = (o["run_s"] - p) / k if o else None
        rows.append(
            (
                k,
                fmt_s(u and u["first_run_s"]),
                fmt_s(u and u["run_s"]),
                fmt_s(o and o["run_s"]),
                fmt_ratio(o and o["run_s"], u and u["run_s"]),
                fmt_s(p),
                _us(u_item),
                _us(o_item),
            )
        )
        if u and k == 1000:
            checks.add(
                "scatter/gather 1000: per item",
                f"{_us(u_item)} µs",
                f"<= {TARGET_SCATTER_ITEM_S * 1e6:.0f} µs",
                u_item <= TARGET_SCATTER_ITEM_S,
            )
    print_table(
        [
            "K items",
            "1st run ours",
            "run ours",
            "run orig",
            "ratio",
            "plain",
            "µs/item ours",
            "µs/item orig",
        ],
        rows,
        title="== Scatter list(range(K)) -> inc(.each) -> sum(.all()) ==",
    )

    print("\n== `python -c 'import daggr'` (process wall time, median) ==")
    rows = []
    if "ours_import" in imports:
        ui = imports["ours_import"]["median_ms"]
        rows.append(("ours", f"{ui:.0f} ms", f"{imports['ours_pass']['median_ms']:.0f} ms"))
    if "original_import" in imports:
        oi = imports["original_import"]["median_ms"]
        op = imports["original_pass"]["median_ms"]
        rows.append(("original 0.8.0", f"{oi:.0f} ms", f"{op:.0f} ms"))
    if "ours_import" in imports and "original_import" in imports:
        checks.add(
            "import daggr vs original",
            f"{ui:.0f} ms vs {oi:.0f} ms ({ui / oi:.2f})",
            f"<= {TARGET_IMPORT_FRACTION:.2f} of original",
            ui <= TARGET_IMPORT_FRACTION * oi,
        )
    print_table(["interpreter", "import daggr", "bare `pass`"], rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, smaller sizes")
    ap.add_argument("--no-original", action="store_true", help="skip the original daggr")
    ap.add_argument("--profile", action="store_true", help="also cProfile our steady runs")
    args = ap.parse_args(argv)
    params = _params(args.quick)
    _tmp = apply_offline_env_to_this_process()  # noqa: F841 (keep the dir alive)

    print(
        f"daggr engine benchmark ({'quick' if args.quick else 'full'}); "
        f"python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} "
        "(figures are noisy on a busy 2-core box: compare ratios, re-run if load > 1)"
    )
    t_start = time.perf_counter()
    plain = plain_figures(params)

    orig = None
    orig_error = None
    if not args.no_original:
        try:
            original_python()
            print(f"original: {original_packages()}", flush=True)
            orig = original_figures(params)
        except Exception as exc:  # noqa: BLE001
            orig_error = f"{type(exc).__name__}: {exc}"
            print(f"[original daggr unavailable] {orig_error}", flush=True)

    ours = None
    ours_error = None
    try:
        ours = ours_figures(params)
    except Exception as exc:  # noqa: BLE001
        ours_error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        print(f"[our daggr unavailable or failed] {ours_error}", flush=True)
        traceback.print_exc()

    imports: dict = {}
    try:
        imports = import_figures(params, have_ours=ours is not None, have_original=orig is not None)
    except Exception as exc:  # noqa: BLE001
        print(f"[import timing failed] {exc}", flush=True)

    if args.profile and ours is not None:
        text = profile_ours()
        (BENCH_DIR / "out").mkdir(exist_ok=True)
        (BENCH_DIR / "out" / "engine-profile.txt").write_text(text)
        print(text)

    checks = Checks()
    report(params, plain, orig, ours, imports, checks)
    checks.print()
    path = write_json(
        "engine",
        {
            "quick": args.quick,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "loadavg_end": os.getloadavg(),
            "original_packages": original_packages(),
            "params": params,
            "plain": plain,
            "original": orig,
            "original_error": orig_error,
            "ours": ours,
            "ours_error": ours_error,
            "imports": imports,
            "targets": checks.rows,
            "seconds": time.perf_counter() - t_start,
        },
    )
    print(f"\nraw numbers: {path.relative_to(REPO_ROOT)} ({time.perf_counter() - t_start:.0f} s)")
    return 1 if ours_error else 0


if __name__ == "__main__":
    sys.exit(main())
