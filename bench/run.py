"""Run every benchmark in bench/: ``python bench/run.py [--quick] [NAME ...] [-- ARGS]``.

Each ``bench/bench_*.py`` runs in turn as its own process (``python bench/bench_X.py``)
with the repository root on PYTHONPATH, the offline environment (HF_HUB_OFFLINE=1,
GRADIO_ANALYTICS_ENABLED=False, DAGGR_DEPENDENCY_CHECK=skip, HF_HOME / DAGGR_DB_PATH in a
temp dir) and, with ``--quick``, both the ``--quick`` flag and DAGGR_BENCH_QUICK=1.
NAMEs (e.g. ``engine store``) select benchmarks; arguments after ``--`` go to each one.
Output streams through; a summary with each benchmark's exit status and time ends it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench._baseline import offline_env  # noqa: E402


def discover(names: list[str] | None = None) -> list[Path]:
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    if names:
        wanted = {n.removeprefix("bench_").removesuffix(".py") for n in names}
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in wanted]
        missing = wanted - {s.stem.removeprefix("bench_") for s in scripts}
        if missing:
            raise SystemExit(f"no such benchmark: {', '.join(sorted(missing))}")
    return scripts


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    ap = argparse.ArgumentParser(
        prog="python -m bench", description="Run every bench/bench_*.py in turn."
    )
    ap.add_argument("--quick", action="store_true", help="smaller repetition counts")
    ap.add_argument("names", nargs="*", help="run only these (e.g. engine store)")
    args = ap.parse_args(argv)

    scripts = discover(args.names)
    results = []
    t_all = time.perf_counter()
    for script in scripts:
        cmd = [sys.executable, str(script)] + (["--quick"] if args.quick else []) + extra
        print(f"\n{'=' * 78}\n== {script.relative_to(REPO_ROOT)}\n{'=' * 78}", flush=True)
        with tempfile.TemporaryDirectory(prefix="daggr-bench-run-") as tmp:
            env = offline_env(tmp, {"PYTHONPATH": str(REPO_ROOT)})
            if args.quick:
                env["DAGGR_BENCH_QUICK"] = "1"
            t0 = time.perf_counter()
            try:
                rc = subprocess.call(cmd, cwd=REPO_ROOT, env=env)
            except KeyboardInterrupt:
                rc = 130
            results.append((script.name, rc, time.perf_counter() - t0))
            if rc == 130:
                break

    print(f"\n{'=' * 78}\n== summary ({time.perf_counter() - t_all:.0f} s)")
    for name, rc, dt in results:
        print(f"  {name:<28} {'ok' if rc == 0 else f'exit {rc}':>8}  {dt:7.1f} s")
    print("figures and targets are printed above; raw numbers in bench/out/*.json")
    return 0 if all(rc == 0 for _, rc, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
