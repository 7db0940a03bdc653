"""Worker threads for synchronous code, which never keep the process from exiting.

A function that never returns must not hold anything else: not a thread of the shared
pool after its node's timeout (:func:`abandonable` gives such a call a thread of its own,
left behind when the call is abandoned), and not the process at exit. Python's own
``ThreadPoolExecutor`` joins its threads when the interpreter exits, so one hung function
kept a script (or a served app stopped with Ctrl-C) alive for ever; these threads are
daemons, and the exit waits for busy ones only ``$DAGGR_EXIT_GRACE`` seconds (default
10), then says what it leaves behind.

Example:
    >>> pool = WorkerPool(max_workers=2)
    >>> pool.submit(sum, [1, 2, 3]).result()
    6
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

DEFAULT_EXIT_GRACE = 10.0  # seconds the exit waits for calls still running

_abandoned_lock = threading.Lock()
_abandoned = 0  # calls given up on (timed out), still running in their own thread


class WorkerPool(Executor):
    """A thread pool of daemon threads (at most ``max_workers``; idle ones are reused)
    that knows how many of them are busy."""

    def __init__(self, max_workers: int, name: str = "daggr-worker") -> None:
        self.max_workers = max_workers
        self.name = name
        self._work: deque[tuple[Future, Callable[..., Any], tuple, dict]] = deque()
        self._lock = threading.Lock()
        self._has_work = threading.Condition(self._lock)
        self._went_idle = threading.Condition(self._lock)
        self._threads = 0
        self._idle = 0  # threads waiting for work that no submit has woken yet
        self.busy = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        with self._lock:
            self._work.append((future, fn, args, kwargs))
            if self._idle:
                self._idle -= 1  # this thread is claimed: the next submit wakes another
                self._has_work.notify()
            elif self._threads < self.max_workers:
                self._threads += 1
                threading.Thread(
                    target=self._serve, name=f"{self.name}-{self._threads}", daemon=True
                ).start()
        return future

    def _serve(self) -> None:
        while True:
            with self._lock:
                while not self._work:
                    self._idle += 1
                    self._has_work.wait()  # woken by a submit, which took it off _idle
                future, fn, args, kwargs = self._work.popleft()
                self.busy += 1
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(fn(*args, **kwargs))
                    except BaseException as exc:  # handed to whoever waits, as Python's pool does
                        future.set_exception(exc)
            finally:
                with self._lock:
                    self.busy -= 1
                    self._went_idle.notify_all()
                del future, fn, args, kwargs  # nothing held while idle

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no submitted work is left (True), or ``timeout`` seconds (False)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self.busy or self._work:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._went_idle.wait(left)
        return True

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:
            with self._lock:
                while self._work:
                    self._work.popleft()[0].cancel()


def abandonable(fn: Callable[..., Any], *args: Any) -> Future:
    """Run ``fn(*args)`` in a daemon thread of its own and return its future: a caller
    that stops waiting (a node's timeout) leaves only that thread behind, never a thread
    of the shared pool."""
    future: Future = Future()

    def run() -> None:
        global _abandoned
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(fn(*args))
        except BaseException as exc:
            future.set_exception(exc)
        finally:
            if getattr(future, "abandoned", False):
                with _abandoned_lock:
                    _abandoned -= 1

    threading.Thread(target=run, name="daggr-call", daemon=True).start()
    return future


def abandon(future: Future) -> None:
    """The caller stops waiting for a call made with :func:`abandonable`."""
    global _abandoned
    with _abandoned_lock:
        if not future.done() and not getattr(future, "abandoned", False):
            future.abandoned = True  # type: ignore[attr-defined]
            _abandoned += 1


def abandoned_calls() -> int:
    """Calls given up on after their timeout that have not returned yet."""
    return _abandoned


def exit_grace() -> float:
    try:
        return max(0.0, float(os.environ.get("DAGGR_EXIT_GRACE") or DEFAULT_EXIT_GRACE))
    except ValueError:
        return DEFAULT_EXIT_GRACE


def wait_at_exit(pool: WorkerPool) -> None:
    """At interpreter exit: let running node calls finish within the grace time, then
    exit anyway, saying how many are left (a function that never returns)."""
    grace = exit_grace()
    try:
        finished = not pool.busy or pool.wait_idle(grace)
    except KeyboardInterrupt:  # Ctrl-C while waiting: stop waiting
        finished = False
    if not finished:
        print(
            f"daggr: exiting while {pool.busy} node call(s) still run after {grace:g} s "
            "(a function that does not return?); they stop with the process. "
            "DAGGR_EXIT_GRACE sets how long the exit waits.",
            file=sys.stderr,
            flush=True,
        )
    if abandoned_calls():
        print(
            f"daggr: {abandoned_calls()} call(s) abandoned after their node's timeout were "
            "still running; they stop with the process.",
            file=sys.stderr,
            flush=True,
        )


def on_exit(callback: Callable[[], None]) -> None:
    """Run ``callback`` when the interpreter exits, before the ``atexit`` handlers (so
    that results of calls that finish meanwhile are still written by the store's)."""
    register = getattr(threading, "_register_atexit", None)
    if register is not None:
        register(callback)
    else:  # pragma: no cover - every supported Python has it
        import atexit

        atexit.register(callback)
