"""Shared helpers for the benchmarks: the peers (the original daggr 0.8.0, Apache Hamilton,
Dask), timing, printing.

Each peer is installed from PyPI into a venv of its own, ``bench/.cache/venv-<peer>``, by
the benchmarks themselves (once; a file lock makes concurrent benchmarks safe). Code is run
in that interpreter with an offline environment, and it reports back by printing one JSON
object on its last stdout line.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
CACHE_DIR = BENCH_DIR / ".cache"
OUT_DIR = BENCH_DIR / "out"
ORIGINAL_VENV = CACHE_DIR / "venv-original"
ORIGINAL_SPEC = "daggr==0.8.0"
ORIGINAL_VERSION = "0.8.0"

# Environment every benchmark subprocess gets: no analytics, no Hub, no dependency check.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "DAGGR_DEPENDENCY_CHECK": "skip",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
}

_PIP_NOISE = ("WARNING: Location 'file:///opt/", "is ignored")


# --------------------------------------------------------------------------------------
# environment
# --------------------------------------------------------------------------------------


def offline_env(tmpdir: str | os.PathLike[str], extra: dict[str, str] | None = None) -> dict:
    """A copy of os.environ with the offline variables and state redirected into tmpdir."""
    tmp = Path(tmpdir)
    env = dict(os.environ)
    env.update(OFFLINE_ENV)
    env["HF_HOME"] = str(tmp / "hf-home")
    env["DAGGR_DB_PATH"] = str(tmp / "daggr-sessions.db")
    env["DAGGR_HOME"] = str(tmp / "daggr-home")
    env["MPLCONFIGDIR"] = str(tmp / "mpl")
    # Never leak our checkout into another interpreter (the original venv would import
    # our daggr instead of its own): callers that want PYTHONPATH pass it in `extra`.
    for key in ("VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP"):
        env.pop(key, None)
    if extra:
        env.update(extra)
    return env


def apply_offline_env_to_this_process() -> tempfile.TemporaryDirectory:
    """Set the offline variables in os.environ (call before importing daggr).

    Returns the TemporaryDirectory holding HF_HOME / DAGGR_DB_PATH; keep it alive.
    """
    tmp = tempfile.TemporaryDirectory(prefix="daggr-bench-")
    env = offline_env(tmp.name)
    for key in (*OFFLINE_ENV, "HF_HOME", "DAGGR_DB_PATH", "DAGGR_HOME", "MPLCONFIGDIR"):
        os.environ[key] = env[key]
    return tmp


def filter_pip_noise(text: str) -> str:
    """Drop pip's harmless "Location 'file:///opt/...' is ignored" warnings."""
    return "\n".join(
        line for line in text.splitlines() if not all(part in line for part in _PIP_NOISE)
    )


# --------------------------------------------------------------------------------------
# peers in venvs of their own: the original daggr, Apache Hamilton, Dask
# --------------------------------------------------------------------------------------

# name -> (pip requirement, the distribution whose version proves the install)
PEERS: dict[str, tuple[str, str]] = {
    "original": (ORIGINAL_SPEC, "daggr"),
    "hamilton": ("apache-hamilton==1.90.0", "apache-hamilton"),
    "dask": ("dask==2026.8.0", "dask"),
}


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def peer_venv(name: str) -> Path:
    """Where a peer's venv lives (``bench/.cache/venv-<name>``)."""
    return CACHE_DIR / f"venv-{name}"


def _is_ready(name: str) -> bool:
    marker = peer_venv(name) / ".bench-ready.json"
    if not (marker.exists() and _venv_python(peer_venv(name)).exists()):
        return False
    try:
        return json.loads(marker.read_text()).get("spec") == PEERS[name][0]
    except (OSError, ValueError):
        return False


def _base_interpreter() -> str:
    """The interpreter to build the venv from (the base Python behind our venv)."""
    return getattr(sys, "_base_executable", None) or sys.executable


def peer_python(name: str, verbose: bool = True) -> Path:
    """Python of a venv holding the peer ``name`` (see :data:`PEERS`) from PyPI; created on
    first use.

    Idempotent and safe when several benchmarks race (exclusive file lock). A venv
    left half-built by an interrupted run is detected (no marker) and rebuilt.
    """
    spec, dist = PEERS[name]
    venv = peer_venv(name)
    py = _venv_python(venv)
    if _is_ready(name):
        return py
    with _file_lock(CACHE_DIR / f"venv-{name}.lock"):
        if _is_ready(name):  # another process built it while we waited
            return py
        if venv.exists():
            shutil.rmtree(venv)
        t0 = time.perf_counter()
        if verbose:
            print(f"[baseline] creating {venv} with {spec} ...", flush=True)
        subprocess.run(
            [_base_interpreter(), "-m", "venv", str(venv)],
            check=True,
            capture_output=True,
            text=True,
        )
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        env.pop("VIRTUAL_ENV", None)
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        proc = subprocess.run(
            [str(py), "-m", "pip", "install", "--quiet", spec],
            capture_output=True,
            text=True,
            env=env,
            timeout=1800,
        )
        if proc.returncode != 0:
            out = filter_pip_noise(proc.stdout + "\n" + proc.stderr)
            raise RuntimeError(
                f"pip install {spec} failed (exit {proc.returncode}):\n{out[-4000:]}"
            )
        wanted = spec.partition("==")[2]
        check = subprocess.run(
            [str(py), "-c", f"import importlib.metadata as m; print(m.version({dist!r}))"],
            capture_output=True,
            text=True,
            env=env,
        )
        version = check.stdout.strip()
        if check.returncode != 0 or (wanted and version != wanted):
            raise RuntimeError(f"{name} venv broken: {check.stdout}{check.stderr}")
        freeze = subprocess.run(
            [str(py), "-m", "pip", "freeze"], capture_output=True, text=True, env=env
        ).stdout.split()
        (venv / ".bench-ready.json").write_text(
            json.dumps(
                {
                    "spec": spec,
                    "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
                    "seconds": round(time.perf_counter() - t0, 1),
                    "packages": freeze,
                },
                indent=1,
            )
        )
        if verbose:
            print(f"[baseline] ready in {time.perf_counter() - t0:.0f} s", flush=True)
    return py


def peer_packages(name: str) -> list[str]:
    """``pip freeze`` of a peer's venv, as recorded when it was built."""
    try:
        return json.loads((peer_venv(name) / ".bench-ready.json").read_text())["packages"]
    except (OSError, ValueError, KeyError):
        return []


def original_python(verbose: bool = True) -> Path:
    """Python of a venv holding the original daggr 0.8.0 from PyPI; created on first use."""
    return peer_python("original", verbose)


def original_packages() -> dict[str, str]:
    """{name: version} of the key packages in the original venv (from its marker)."""
    wanted = {"daggr", "gradio", "gradio-client", "fastapi", "networkx"}
    out = {}
    for line in peer_packages("original"):
        name, _, version = line.partition("==")
        if name.lower().replace("_", "-") in wanted:
            out[name] = version
    return out


def run_in_original(code: str, timeout: float = 600, env: dict | None = None) -> dict:
    """Run ``code`` in the original daggr's interpreter; return the JSON on its last line."""
    py = original_python()
    with tempfile.TemporaryDirectory(prefix="daggr-orig-") as tmp:
        script = Path(tmp) / "bench_original_snippet.py"
        script.write_text(code)
        proc = subprocess.run(
            [str(py), str(script)],
            capture_output=True,
            text=True,
            env=offline_env(tmp, env),
            cwd=tmp,
            timeout=timeout,
        )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(
            f"original daggr snippet failed (exit {proc.returncode}):\n"
            f"{proc.stdout[-2000:]}\n{filter_pip_noise(proc.stderr)[-4000:]}"
        )
    try:
        return json.loads(lines[-1])
    except ValueError as exc:
        raise RuntimeError(f"no JSON on the last stdout line: {lines[-1][:500]!r}") from exc


# --------------------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------------------


def time_python_c(
    python: str | os.PathLike[str],
    code: str,
    n: int = 9,
    warmup: int = 1,
    env: dict | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> dict:
    """Wall time of ``python -c code`` as a whole process, in ms: median of n after warm-up."""
    with tempfile.TemporaryDirectory(prefix="daggr-pyc-") as tmp:
        full_env = offline_env(tmp, env)
        times = []
        for i in range(warmup + n):
            t0 = time.perf_counter()
            proc = subprocess.run(
                [str(python), "-c", code],
                capture_output=True,
                text=True,
                env=full_env,
                cwd=cwd or tmp,
            )
            dt = (time.perf_counter() - t0) * 1e3
            if proc.returncode != 0:
                raise RuntimeError(
                    f"{python} -c {code!r} failed:\n{filter_pip_noise(proc.stderr)[-3000:]}"
                )
            if i >= warmup:
                times.append(dt)
    return {
        "median_ms": statistics.median(times),
        "min_ms": min(times),
        "max_ms": max(times),
        "n": n,
    }


def median_time(fn: Callable[[], Any], reps: int, warmup: int = 0) -> tuple[float, list[float]]:
    """(median seconds, all samples) of fn() over reps calls after warmup calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples), samples


def plain_time(fn: Callable[[], Any], min_total: float = 0.05, reps: int = 7) -> float:
    """Seconds per call of a fast fn: loops until each sample lasts min_total/reps; median."""
    number = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_total / reps or number >= 1 << 20:
            break
        number *= 4
    samples = [dt / number]
    for _ in range(reps - 1):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples)


# --------------------------------------------------------------------------------------
# reporting
# --------------------------------------------------------------------------------------


def fmt_s(seconds: float | None) -> str:
    """Seconds as a short human string (s / ms / µs)."""
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def fmt_ratio(num: float | None, den: float | None) -> str:
    if not num or not den:
        return "-"
    r = num / den
    return f"{r:.0f}×" if r >= 10 else f"{r:.1f}×"


def mark(met: bool | None) -> str:
    if met is None:
        return "n/a"
    return "met" if met else "NOT MET"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str = "") -> None:
    """Print a plain-text table; the first column is left-aligned, the rest right-aligned."""
    cells = [[str(h) for h in headers]] + [["-" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=False))
        )

    if title:
        print(f"\n{title}")
    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))
    sys.stdout.flush()


def write_json(name: str, data: dict) -> Path:
    """Write raw numbers to bench/out/<name>.json and return the path."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{name}.json"
    path.write_text(json.dumps(data, indent=1, default=str))
    return path


if __name__ == "__main__":  # `python bench/_baseline.py`: just build the venv
    print(original_python())
    print(original_packages())
