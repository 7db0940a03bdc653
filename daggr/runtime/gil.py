"""Noticing CPU-bound items on threads.

Items of a ``concurrent=True`` node run on worker threads. That suits items that wait (a
remote call, a download, a sleep), but Python code that computes holds the interpreter
lock (the GIL) while it runs: such items run one at a time, and threads only add
switching. Each threaded call measures the CPU time of its thread (:func:`busy_seconds`;
a thread that waits for I/O or for the GIL uses none). When the items of a node together
kept a CPU busy for a good part of the time they took, but no more than about one CPU
(more would mean they ran in parallel: code that releases the GIL, as numpy does), and
for long enough to matter, the run says so once per node (:class:`GILWarning`) and the
node's card shows it, naming the fix: ``executor=`` (a process pool or a Dask cluster).

The lower bound is a quarter of a CPU rather than "most of one" because other programs on
a busy machine take CPU time from the items without any fault of theirs.

Example:
    >>> gil_notice("sim", [0.5, 0.5, 0.5, 0.5], elapsed=2.0, width=16, cpus=8) is not None
    True
    >>> gil_notice("fetch", [0.001] * 4, elapsed=2.0, width=16, cpus=8) is None
    True
"""

from __future__ import annotations

import os
import threading
import time
import warnings
import weakref
from typing import Any

MIN_BUSY_SECONDS = 0.05  # less CPU than this in all is not worth a word
LOW, HIGH = 0.25, 1.5  # CPUs the items kept busy: "computing, not waiting", "not in parallel"


class GILWarning(UserWarning):
    """A node's items ran on threads but were CPU-bound Python code: they ran one at a
    time, and ``executor=`` (a process pool or a Dask cluster) would run them in
    parallel. Said once per node; silence it with
    ``warnings.filterwarnings("ignore", category=daggr.GILWarning)``."""


def busy_seconds() -> float:
    """CPU time of this thread, in seconds (``time.thread_time()``)."""
    return time.thread_time()


def gil_notice(
    node: str, busy: list[float], elapsed: float, width: int, cpus: int | None = None
) -> str | None:
    """What to tell the user when ``busy`` (seconds per item, from :func:`busy_seconds`)
    shows CPU-bound items that threads ran one at a time during ``elapsed`` seconds, with
    up to ``width`` items in flight; None when there is nothing to say."""
    cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    total = sum(busy)
    if width < 2 or len(busy) < 2 or cpus < 2 or elapsed <= 0 or total < MIN_BUSY_SECONDS:
        return None
    share = total / elapsed
    if not LOW <= share <= HIGH:
        return None
    return (
        f"CPU-bound items on threads: the {len(busy)} items of node '{node}' were Python code "
        f"that kept {share:.1f} CPU busy for {elapsed:.1f} s, so the interpreter lock (GIL) "
        "ran them one at a time. Pass executor=ProcessPoolExecutor() or "
        "executor=dask.distributed.Client() to the FnNode (or the Graph) to run them in "
        "parallel."
    )


_lock = threading.Lock()
_told: weakref.WeakSet = weakref.WeakSet()


def warn_once(node: Any, notice: str) -> None:
    """Emit ``notice`` as a :class:`GILWarning`, once per node (object) per process."""
    with _lock:
        if node in _told:
            return
        _told.add(node)
    warnings.warn(f"{notice} (Said once per node.)", GILWarning, stacklevel=2)
