"""Counts the instructions of an engine's runs under callgrind (standard library only).

    valgrind --tool=callgrind --instr-atstart=no python _count.py ADAPTER.py KIND N REPS [OPTIONS]

Builds the case, runs it twice (warm), then switches callgrind's instrumentation on for
``REPS`` runs only (``callgrind_control``), so that start-up and building are not counted.
``OPTIONS`` is a JSON object passed to the adapter's ``build``. The count is noise-free:
it does not depend on what else the machine is doing.
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys


def _instrument(on: bool) -> None:
    subprocess.run(
        ["callgrind_control", f"--instr={'on' if on else 'off'}", str(os.getpid())],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )


def main() -> None:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))
    adapter, kind, n, reps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    options = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
    run, expected = runpy.run_path(adapter)["build"](kind, n, **options)
    for _ in range(2):
        got = run()
    if got != expected:
        raise SystemExit(f"{kind} {n}: got {got!r}, expected {expected!r}")
    _instrument(True)
    for _ in range(reps):
        run()
    _instrument(False)


if __name__ == "__main__":
    main()
