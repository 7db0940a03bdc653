"""Times one engine's runs, inside that engine's own interpreter (standard library only).

    python _worker.py ADAPTER.py

``ADAPTER.py`` defines ``build(kind, n, **options) -> (run, expected)``: ``run()`` runs the
workload once and returns its final value. The worker reads one JSON request per line on
stdin and answers each with one JSON line on stdout:

- ``{"kind": "chain", "n": 1000, "options": {}, "budget": 0.05}`` builds the case (once;
  the previous case is dropped), checks one run's value, and times a batch of runs lasting
  about ``budget`` seconds: ``{"seconds_per_run": s, "batch": k}``, or ``{"error": "..."}``.
- ``{"quit": true}`` ends it.

The garbage collector runs before each batch, in every engine alike.
"""

from __future__ import annotations

import gc
import json
import runpy
import sys
import time
import traceback
from pathlib import Path


def main() -> None:
    # Python put this folder first on the path: an adapter must import its engine, never
    # another adapter of the same name (peer_hamilton.py is not `hamilton`, but be sure).
    sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))
    build = runpy.run_path(sys.argv[1])["build"]
    case: tuple | None = None
    run = None
    batch = 1
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("quit"):
            break
        try:
            key = (request["kind"], request["n"], json.dumps(request.get("options", {})))
            if key != case:
                case, run = None, None
                gc.collect()
                run, expected = build(request["kind"], request["n"], **request.get("options", {}))
                t0 = time.perf_counter()
                got = run()
                first = time.perf_counter() - t0
                if got != expected:
                    raise AssertionError(f"{key}: got {got!r}, expected {expected!r}")
                t0 = time.perf_counter()
                run()
                second = time.perf_counter() - t0
                batch = max(1, int(request.get("budget", 0.05) / max(min(first, second), 1e-7)))
                case = key
            gc.collect()
            t0 = time.perf_counter()
            for _ in range(batch):
                run()
            answer = {"seconds_per_run": (time.perf_counter() - t0) / batch, "batch": batch}
        except Exception as exc:  # reported, and the next request may still work
            detail = traceback.format_exc(limit=3)
            answer = {"error": f"{type(exc).__name__}: {exc}", "detail": detail[-1500:]}
            case, run = None, None
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
