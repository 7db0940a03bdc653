"""Where work runs: daggr's own event-loop thread, a worker pool, serial lanes and
concurrency limits.

Runs never use the caller's event loop, so ``graph.run()`` works the same in a script, in a
Jupyter kernel (whose loop is already running) and from a canvas callback.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from daggr.runtime.workers import WorkerPool, on_exit, wait_at_exit

log = logging.getLogger("daggr")
_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_thread: threading.Thread | None = None
_pool: WorkerPool | None = None
_groups: dict[str, Limiter] = {}


def get_loop() -> asyncio.AbstractEventLoop:
    """The runtime's event loop, started on first use in a daemon thread."""
    global _loop, _loop_thread
    if _loop is not None:
        return _loop
    with _lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def serve() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            _loop_thread = threading.Thread(target=serve, name="daggr-loop", daemon=True)
            _loop_thread.start()
            ready.wait()
            _loop = loop
    return _loop


def in_loop_thread() -> bool:
    return _loop_thread is not None and threading.current_thread() is _loop_thread


def get_pool() -> WorkerPool:
    """Threads for synchronous functions. Sized for I/O-bound work (remote calls, sleeps):
    CPU-bound work belongs in a process pool or a cluster. They never keep the process
    from exiting (see :mod:`daggr.runtime.workers`)."""
    global _pool
    if _pool is None:
        with _lock:
            if _pool is None:
                workers = int(os.environ.get("DAGGR_WORKERS", "64"))
                pool = WorkerPool(max_workers=workers)
                on_exit(lambda: wait_at_exit(pool))
                _pool = pool
    return _pool


class SerialQueue:
    """Runs submitted callables one at a time, in order, on pool threads.

    A job submitted by a running job (the next node of a chain) is picked up by the same
    thread without a hand-off, which keeps per-node overhead to a few microseconds.
    A job whose owner gives up on it (a run stopped while its function hangs) can be
    left behind: the next jobs go on in another thread at once.
    """

    def __init__(self) -> None:
        self._jobs: deque[tuple[Callable[[], None], Any]] = deque()
        self._lock = threading.Lock()
        self._running = False
        self._owner: int | None = None
        self._job_owner: Any = None  # whose job runs now (see abandon())
        self._turn = 0  # bumped when a job is left behind: its thread then stops draining

    def owns_current_thread(self) -> bool:
        """True inside one of this queue's jobs: work for the queue can run right here."""
        return self._owner == threading.get_ident()

    def submit(self, job: Callable[[], None], owner: Any = None) -> None:
        with self._lock:
            self._jobs.append((job, owner))
            if self._running:
                return
            self._running = True
        get_pool().submit(self._drain)

    def borrow(self) -> bool:
        """Let the calling thread act as the queue's worker until :meth:`give_back`;
        False when the queue is busy with other work."""
        with self._lock:
            if self._running:
                return False
            self._running = True
        self._owner = threading.get_ident()
        return True

    def give_back(self) -> None:
        """End a :meth:`borrow`; jobs queued meanwhile go on in a pool thread."""
        self._owner = None
        with self._lock:
            if not self._jobs:
                self._running = False
                return
        get_pool().submit(self._drain)

    def abandon(self, owner: Any) -> None:
        """Stop waiting for ``owner``'s job if it is the one running (its code hangs and
        its run was stopped): the queue goes on with the next jobs in another thread,
        and the abandoned thread stops draining when its job returns."""
        with self._lock:
            if owner is None or self._job_owner is not owner or self._owner is None:
                return
            self._turn += 1
            self._owner = self._job_owner = None
            if not self._jobs:
                self._running = False
                return
        get_pool().submit(self._drain)

    def _drain(self) -> None:
        me = threading.get_ident()
        with self._lock:
            turn = self._turn
            self._owner = me
        while True:
            with self._lock:
                if self._turn != turn:
                    return  # left behind by abandon(): another thread has the queue
                if not self._jobs:
                    self._running = False
                    self._owner = self._job_owner = None
                    return
                job, self._job_owner = self._jobs.popleft()
            try:
                job()
            except Exception:
                # A job that raises must not leave the queue "running" for ever:
                # every later job of the session would wait behind it.
                log.exception("daggr: a queued job failed; the queue goes on")


class Limiter:
    """At most ``limit`` grants at once; waiting callbacks are granted in order.

    Callback-based rather than a blocking semaphore so that no thread is held while a
    node waits for its turn.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self._active = 0
        self._waiting: deque[Callable[[], None]] = deque()
        self._lock = threading.Lock()

    def acquire(self, granted: Callable[[], None]) -> None:
        with self._lock:
            if self._active >= self.limit:
                self._waiting.append(granted)
                return
            self._active += 1
        granted()

    def release(self) -> None:
        with self._lock:
            if self._waiting:
                nxt = self._waiting.popleft()
            else:
                self._active -= 1
                return
        nxt()

    async def acquire_async(self) -> None:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()

        def granted() -> None:
            def resolve() -> None:
                if fut.cancelled():
                    self.release()
                else:
                    fut.set_result(None)

            loop.call_soon_threadsafe(resolve)

        self.acquire(granted)
        await fut


def group_limiter(name: str, limit: int) -> Limiter:
    """The process-wide limiter of a concurrency group (its first user sets the limit)."""
    with _lock:
        limiter = _groups.get(name)
        if limiter is None:
            limiter = _groups[name] = Limiter(limit)
        return limiter
