"""Per-node engine cost from 10 to 10 000 nodes: daggr beside its peers, in the same run.

    python bench/bench_scale.py [--quick] [--sizes 10,100,1000,10000] [--kinds chain,fan,scatter]
                                [--rounds 7] [--peers original,hamilton,dask]
                                [--original-max 1000] [--callgrind]

Workloads of trivial functions: a chain of N nodes, a fan (one source, N-2 nodes, one sink
taking them all) and a scatter of N items (a list, a function on each item, a sum). The
engines: this daggr (memory store, and the DuckDB store a notebook graph gets by default:
a run counts until its results are written), the original daggr 0.8.0, Apache Hamilton's
driver and ``dask.delayed`` (synchronous scheduler), each in its own venv
(bench/.cache/venv-<peer>), and plain Python beside them.

Each engine runs in a worker process of its own interpreter (bench/peers/_worker.py).
Samples are taken in rounds, one batch of runs per engine per round, the order rotating,
so that a busy phase of the machine hits every engine alike; figures are medians with
their spread. Per-node cost = (median run time − plain Python's) / N.

``--callgrind`` also counts instructions per node (valgrind; bench/peers/_count.py) for
daggr (memory store) and Hamilton at 100 and 10 000: a figure that does not depend on the
machine's load.

Targets: daggr's per-node cost at 10 000 is at most 1.2 × its cost at 100 (every workload,
both stores), and Hamilton's driver costs at least 2 × daggr per node on the chain.
Raw numbers: bench/out/scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

from bench._baseline import (  # noqa: E402
    BENCH_DIR,
    REPO_ROOT,
    apply_offline_env_to_this_process,
    mark,
    offline_env,
    peer_packages,
    peer_python,
    plain_time,
    print_table,
    write_json,
)
from bench.bench_engine import _inc, _sink, _zero  # noqa: E402

TARGET_FLAT = 1.2  # per-node cost at 10 000 / at 100, daggr, each workload and store
TARGET_VS_HAMILTON = 2.0  # Hamilton's per-node cost / daggr's, on the chain
MAX_RUN_S = 20.0  # an engine whose run takes longer is not asked for larger N
PEERS_DIR = BENCH_DIR / "peers"

# engine -> (peer venv or None for ours, adapter file, build options, label)
ENGINES: dict[str, tuple[str | None, Path, dict, str]] = {
    "daggr": (None, PEERS_DIR / "peer_daggr.py", {}, "daggr"),
    "daggr_duckdb": (None, PEERS_DIR / "peer_daggr.py", {"store": "duckdb"}, "daggr+DuckDB"),
    "original": ("original", BENCH_DIR / "_original_engine.py", {}, "daggr 0.8.0"),
    "hamilton": ("hamilton", PEERS_DIR / "peer_hamilton.py", {}, "Hamilton"),
    "dask": ("dask", PEERS_DIR / "peer_dask.py", {}, "dask.delayed"),
}


class Worker:
    """One engine's worker process; answers one timing request at a time."""

    def __init__(self, name: str, tmp: str):
        self.name, self.tmp = name, tmp
        peer, adapter, self.options, self.label = ENGINES[name]
        python = str(peer_python(peer)) if peer else sys.executable
        extra = {} if peer else {"PYTHONPATH": str(REPO_ROOT)}
        self.proc = subprocess.Popen(
            [python, str(PEERS_DIR / "_worker.py"), str(adapter)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=offline_env(Path(tmp) / name, extra),
            cwd=tmp,
        )

    def sample(self, kind: str, n: int, budget: float, timeout: float) -> dict:
        """One batch of runs; an engine that takes longer than ``timeout`` (building the
        case included) is stopped, and its worker is started again for the next case."""
        request = {"kind": kind, "n": n, "options": self.options, "budget": budget}
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            self.proc.kill()
            self.proc.wait()
            self.__init__(self.name, self.tmp)  # type: ignore[misc]
            return {"error": f"no answer within {timeout:g} s", "timeout": True}
        line = self.proc.stdout.readline()
        if not line:
            return {"error": f"the worker ended (exit {self.proc.wait()})"}
        return json.loads(line)

    def close(self) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write('{"quit": true}\n')
            self.proc.stdin.flush()
            self.proc.wait(timeout=30)
        except Exception:  # noqa: BLE001 (a stuck worker is killed)
            self.proc.kill()


def plain_seconds(kind: str, n: int) -> float:
    """The same computation in plain Python, per run."""
    if kind == "chain":

        def work() -> int:
            x = _zero()
            for _ in range(n - 1):
                x = _inc(x)
            return x

    elif kind == "fan":
        keys = [f"x{i}" for i in range(n - 2)]

        def work() -> int:
            s = _zero()
            return _sink(**{k: _inc(s) for k in keys})

    else:

        def work() -> int:
            return sum([_inc(x) for x in list(range(n))])

    return plain_time(work)


def measure(args: argparse.Namespace, engines: list[str]) -> dict:
    out: dict = {"samples": {}, "errors": {}, "plain": {}, "batches": {}}
    with tempfile.TemporaryDirectory(prefix="daggr-scale-") as tmp:
        workers = {}
        for name in engines:
            try:
                workers[name] = Worker(name, tmp)
            except Exception as exc:  # noqa: BLE001 (a peer that cannot be installed)
                out["errors"][f"{name}"] = f"{type(exc).__name__}: {exc}"
                print(f"[{name} unavailable] {exc}", flush=True)
        too_slow: dict[tuple[str, str], int] = {}
        try:
            for kind in args.kinds:
                for n in args.sizes:
                    case = f"{kind} {n}"
                    out["plain"][case] = plain_seconds(kind, n)
                    active = [
                        w
                        for w in workers
                        if not (w == "original" and n > args.original_max)
                        and n <= too_slow.get((w, kind), n)
                    ]
                    t0 = time.perf_counter()
                    for r in range(args.rounds if active else 0):
                        for name in active[r % len(active) :] + active[: r % len(active)]:
                            if f"{name} {case}" in out["errors"]:
                                continue
                            answer = workers[name].sample(kind, n, args.budget, args.timeout)
                            if "error" in answer:
                                out["errors"][f"{name} {case}"] = answer["error"]
                                print(f"  [{name} {case}] {answer['error']}", flush=True)
                                if answer.get("timeout"):
                                    too_slow[(name, kind)] = n - 1  # no larger N either
                                continue
                            out["samples"].setdefault(f"{name} {case}", []).append(
                                answer["seconds_per_run"]
                            )
                            out["batches"][f"{name} {case}"] = answer["batch"]
                            if answer["seconds_per_run"] > MAX_RUN_S:
                                too_slow[(name, kind)] = n
                    print(f"  {case}: {time.perf_counter() - t0:.1f} s", flush=True)
        finally:
            for worker in workers.values():
                worker.close()
    return out


def _per_node(out: dict, engine: str, kind: str, n: int) -> tuple[float, float, float] | None:
    """(median, lowest, highest) µs per node, plain Python's time taken off."""
    samples = out["samples"].get(f"{engine} {kind} {n}")
    if not samples:
        return None
    plain = out["plain"][f"{kind} {n}"]
    return tuple(  # type: ignore[return-value]
        (s - plain) / n * 1e6 for s in (statistics.median(samples), min(samples), max(samples))
    )


def count_instructions(kinds: list[str], sizes: list[int], reps: int, timeout: float) -> dict:
    """Instructions per node (callgrind), daggr (memory store) and Hamilton."""
    if shutil.which("valgrind") is None:
        return {"error": "valgrind is not installed (apt-get install valgrind)"}
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="daggr-count-") as tmp:
        # DuckDB's part is left out: its writer batches by the clock, and under valgrind
        # (50x slower) the batches, commits and file hand-overs are not those of a real
        # run; the store's cost is in the timed figures.
        for name in ("daggr", "hamilton"):
            peer, adapter, options, _ = ENGINES[name]
            try:
                python = str(peer_python(peer)) if peer else sys.executable
            except Exception as exc:  # noqa: BLE001
                out[name] = {"error": str(exc)}
                continue
            extra = {} if peer else {"PYTHONPATH": str(REPO_ROOT)}
            env = offline_env(Path(tmp) / name, extra)
            for kind in kinds:
                for n in sizes:
                    counts = []
                    for r in (0, reps):  # the difference leaves out the switching itself
                        try:
                            proc = subprocess.run(
                                [
                                    "valgrind",
                                    "--tool=callgrind",
                                    "--instr-atstart=no",
                                    "--callgrind-out-file=/dev/null",
                                    python,
                                    str(PEERS_DIR / "_count.py"),
                                    str(adapter),
                                    kind,
                                    str(n),
                                    str(r),
                                    json.dumps(options),
                                ],
                                capture_output=True,
                                text=True,
                                env=env,
                                cwd=tmp,
                                timeout=timeout,
                            )
                        except subprocess.TimeoutExpired:  # the child is killed with it
                            counts.append(None)
                            continue
                        found = re.search(r"Collected : (\d+)", proc.stderr)
                        ok = proc.returncode == 0 and found is not None
                        counts.append(int(found.group(1)) if ok else None)
                    if None in counts:
                        out.setdefault(name, {})[f"{kind} {n}"] = None
                        continue
                    per_node = (counts[1] - counts[0]) / reps / n
                    out.setdefault(name, {})[f"{kind} {n}"] = per_node
                    print(f"  callgrind {name} {kind} {n}: {per_node:,.0f} per node", flush=True)
    return out


def report(args: argparse.Namespace, engines: list[str], out: dict, counts: dict | None) -> list:
    checks = []
    for kind in args.kinds:
        rows = []
        for n in args.sizes:
            row: list = [n, f"{out['plain'][f'{kind} {n}'] / n * 1e6:.2f}"]
            for engine in engines:
                figure = _per_node(out, engine, kind, n)
                row.append(
                    "-" if figure is None else f"{figure[0]:.1f} ({figure[1]:.1f}–{figure[2]:.1f})"
                )
            ours = _per_node(out, "daggr", kind, n)
            for peer in ("hamilton", "dask", "original"):
                theirs = _per_node(out, peer, kind, n) if peer in engines else None
                row.append(f"{theirs[0] / ours[0]:.1f}×" if ours and theirs else "-")
                if peer == "hamilton" and kind == "chain" and ours and theirs:
                    ratio = theirs[0] / ours[0]
                    checks.append(
                        (
                            f"chain {n}: Hamilton / daggr",
                            f"{ratio:.2f}×",
                            f">= {TARGET_VS_HAMILTON}×",
                            ratio >= TARGET_VS_HAMILTON,
                        )
                    )
            rows.append(row)
        labels = [ENGINES[e][3] for e in engines]
        print_table(
            ["N", "plain", *labels, "Hamilton/daggr", "dask/daggr", "0.8.0/daggr"],
            rows,
            title=f"== {kind}: µs per node, median (lowest–highest of {args.rounds} rounds) ==",
        )
        for engine in ("daggr", "daggr_duckdb"):
            small, large = _per_node(out, engine, kind, 100), _per_node(out, engine, kind, 10000)
            if small and large:
                slope = large[0] / small[0]
                checks.append(
                    (
                        f"{kind}, {ENGINES[engine][3]}: cost at 10 000 / at 100",
                        f"{slope:.2f}",
                        f"<= {TARGET_FLAT}",
                        slope <= TARGET_FLAT,
                    )
                )
    if counts:
        rows = []
        for name, figures in counts.items():
            if isinstance(figures, dict):
                for case, per_node in figures.items():
                    rows.append(
                        (ENGINES[name][3], case, "-" if per_node is None else f"{per_node:,.0f}")
                    )
        print_table(["engine", "case", "instructions per node"], rows, title="== callgrind ==")
        for name in ("daggr",):
            figures = counts.get(name) or {}
            for kind in args.kinds:
                small, large = figures.get(f"{kind} 100"), figures.get(f"{kind} 10000")
                if small and large:
                    checks.append(
                        (
                            f"{kind}, {ENGINES[name][3]}: instructions at 10 000 / at 100",
                            f"{large / small:.2f}",
                            f"<= {TARGET_FLAT}",
                            large / small <= TARGET_FLAT,
                        )
                    )
        ours, theirs = (counts.get("daggr") or {}), (counts.get("hamilton") or {})
        for n in (100, 10000):
            if ours.get(f"chain {n}") and theirs.get(f"chain {n}"):
                ratio = theirs[f"chain {n}"] / ours[f"chain {n}"]
                checks.append(
                    (
                        f"chain {n}: Hamilton / daggr instructions",
                        f"{ratio:.2f}×",
                        f">= {TARGET_VS_HAMILTON}×",
                        ratio >= TARGET_VS_HAMILTON,
                    )
                )
    print_table(
        ["target", "value", "target", "status"],
        [(*c[:3], mark(c[3])) for c in checks],
        title="== Targets ==",
    )
    met = sum(1 for c in checks if c[3])
    print(f"\n{met} met, {len(checks) - met} not met")
    return checks


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 rounds, N up to 1000")
    ap.add_argument("--sizes", default="10,100,1000,10000")
    ap.add_argument("--kinds", default="chain,fan,scatter")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--budget", type=float, default=0.05, help="seconds per batch of runs")
    ap.add_argument("--peers", default="original,hamilton,dask")
    ap.add_argument("--original-max", type=int, default=1000, help="largest N for 0.8.0")
    ap.add_argument("--callgrind", action="store_true", help="also count instructions")
    ap.add_argument(
        "--timeout", type=float, default=120.0, help="seconds an engine may take per batch"
    )
    args = ap.parse_args(argv)
    if args.quick or os.environ.get("DAGGR_BENCH_QUICK") == "1":
        args.rounds, args.sizes = 3, "10,100,1000"
    args.sizes = [int(x) for x in args.sizes.split(",")]
    args.kinds = args.kinds.split(",")
    peers = [p for p in args.peers.split(",") if p]
    engines = ["daggr", "daggr_duckdb", *peers]
    _tmp = apply_offline_env_to_this_process()  # noqa: F841 (kept alive)
    print(
        f"daggr scale benchmark: python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}; {args.rounds} rounds, sizes {args.sizes}",
        flush=True,
    )
    t0 = time.perf_counter()
    out = measure(args, engines)
    counts = None
    if args.callgrind:
        counts = count_instructions(args.kinds, [100, 10000], reps=2, timeout=args.timeout * 5)
    checks = report(args, engines, out, counts)
    path = write_json(
        "scale",
        {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "loadavg_end": os.getloadavg(),
            "args": {k: v for k, v in vars(args).items()},
            "peers": {p: peer_packages(p) for p in peers},
            **out,
            "callgrind": counts,
            "targets": [{"what": c[0], "value": c[1], "target": c[2], "met": c[3]} for c in checks],
            "seconds": time.perf_counter() - t0,
        },
    )
    print(f"\nraw numbers: {path.relative_to(REPO_ROOT)} ({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
