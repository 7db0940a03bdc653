"""One DuckDB file per process: a short-lived lease on the file and a background writer.

DuckDB lets one process at a time open a file read-write, and holds that lock for as
long as the file is open. So that two notebooks can share a database, this module keeps
the file open only while it is being used:

* The process keeps one in-memory DuckDB instance (created once, about 20 ms) and
  ``ATTACH``es the file for a *lease*: measured on a 2-core box, ATTACH costs about
  1-2 ms and DETACH about 0.6 ms, against about 20 ms for ``duckdb.connect(path)``.
  The file is detached after ``linger`` seconds without use (0.1 s by default).
* daggr processes take turns through an ``flock`` on ``<db>.lock`` held for the whole
  lease, polled every millisecond (cheap: a failed ATTACH costs about 1 ms, a failed
  flock a microsecond). A process that waits writes its pid and the time into
  ``<db>.wait``; the holder looks at it (one ``stat``) whenever a lease ends and every
  10 ms while idle, detaches as soon as someone waits, and stays away for ``cooldown``
  so the waiter gets its turn. ``max_hold`` bounds a lease in any case, for holders
  that are not daggr (a ``duckdb`` shell on the file): those are waited for with
  jittered backoff, and reads give up after ``busy_timeout`` with StoreBusyError.
* Writes go through a queue to one writer thread per database, which commits them in
  batches (one transaction each, at most every ``batch_interval`` seconds unless
  someone waits in :meth:`Database.flush`). A write that fails because of its own
  content is retried alone, so one bad row never blocks the others.

Durability: a row is on disk (DuckDB WAL) when its batch commits: without contention,
within ``batch_interval`` + a few ms of the append. A process killed with SIGKILL loses
only rows not yet committed; the next open replays the WAL.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import logging
import os
import random
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import DatabaseOpenError, StoreBusyError, StoreError, damaged_history
from .schema import ensure_schema

try:
    import fcntl
except ImportError:  # Windows: no flock; daggr processes then poll DuckDB's own lock
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("daggr.store")

_CONFIG = {
    # never reach for the network from a notebook's background thread
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
_instance: Any = None
_instance_lock = threading.Lock()


_exit_flush_registered = False


def duckdb_module() -> Any:
    """The ``duckdb`` module, imported on first use (it takes ~150 ms to import)."""
    import duckdb

    global _exit_flush_registered
    if not _exit_flush_registered:
        # duckdb registers its own exit cleanup when imported, and it interrupts queries
        # still running; atexit calls the last registered first, so the flush that lets
        # the writer commit what is queued is registered after duckdb's.
        _exit_flush_registered = True
        atexit.register(_flush_all_at_exit)
    return duckdb


def _cursor() -> Any:
    """A new connection to the process-wide in-memory DuckDB instance."""
    global _instance
    with _instance_lock:
        if _instance is None:
            _instance = duckdb_module().connect(":memory:", config=dict(_CONFIG))
        return _instance.cursor()


class _Busy(Exception):
    """The file is locked by another process (internal; retried)."""


_DAMAGE_MARKERS = (
    "not a valid DuckDB database file",
    "Corrupt database file",
    "Could not read enough bytes",
    "checksum",
    "Failed to read",
    "block",
)


def is_damage(exc: BaseException) -> bool:
    """A DuckDB error that means the file itself is damaged (not a lock, not a query)."""
    duckdb = sys.modules.get("duckdb")
    if duckdb is None or not isinstance(exc, duckdb.Error):
        return False
    msg = str(exc)
    io_error = isinstance(exc, (duckdb.IOException, duckdb.SerializationException))
    return any(m in msg for m in _DAMAGE_MARKERS[:4]) or (
        io_error and any(m in msg for m in _DAMAGE_MARKERS[4:])
    )


def _classify(exc: Exception, path: Path) -> Exception:
    msg = str(exc)
    if "Could not set lock" in msg or "Conflicting lock" in msg:
        return _Busy(msg)
    if is_damage(exc):
        return damaged_history(path, msg.strip())
    if "version number" in msg or "storage version" in msg:
        return DatabaseOpenError(
            f"{path} was written by another DuckDB version ({msg.strip()}). Upgrade "
            f"duckdb (pip install -U duckdb), or point DAGGR_DB_PATH at another file.",
            path,
        )
    return DatabaseOpenError(f"Cannot open {path}: {msg.strip()}", path)


def _holder(busy_message: str) -> str:
    # DuckDB names the holder: "Conflicting lock is held in /usr/bin/python (PID 123)"
    marker = "Conflicting lock is held in "
    if marker in busy_message:
        return busy_message.split(marker, 1)[1].split(". See also", 1)[0].strip()
    return busy_message or "another process"


class Database:
    """A DuckDB file shared by every :class:`~daggr.store.Store` of this process.

    Use :meth:`Database.get` rather than the constructor: two instances on one file in
    one process would each take the file lock and starve each other.

    >>> db = Database.get(Path("/tmp/daggr-doc/doc.duckdb"))   # doctest: +SKIP
    >>> with db.lease() as con:                                 # doctest: +SKIP
    ...     con.execute("SELECT count(*) FROM results").fetchone()
    """

    _registry: dict[str, Database] = {}
    _registry_lock = threading.Lock()

    linger = 0.1
    max_hold = 1.0
    cooldown = 0.003
    batch_interval = 0.02
    contended_interval = 0.1
    busy_timeout = 30.0

    @classmethod
    def get(cls, path: str | os.PathLike[str]) -> Database:
        """The process-wide :class:`Database` of ``path`` (created on first use)."""
        resolved = Path(path).expanduser().resolve()
        key = str(resolved)
        with cls._registry_lock:
            db = cls._registry.get(key)
            if db is None or db._closed:
                db = cls(resolved)
                cls._registry[key] = db
            db._users += 1
            return db

    def __init__(self, path: Path) -> None:
        self.path = path
        self.wait_path = path.with_name(path.name + ".wait")
        self.lock_path = path.with_name(path.name + ".lock")
        self.alias = "daggr_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
        self._lock = threading.RLock()  # the connection: one statement stream at a time
        self._con: Any = None
        self._lock_fd: int | None = None
        self._flocked = False
        self._attached = False
        self._attached_at = 0.0
        self._attached_wall = 0.0
        self._last_used = 0.0
        self._cooldown_until = 0.0
        self._wait_seen = 0
        self._active = 0
        self._users = 0
        self._closed = False
        self._last_busy = ""
        # writer queue
        self._cv = threading.Condition()
        self._queue: list[Any] = []
        self._submitted = 0
        self._done = 0
        self._flush_waiters = 0
        self._last_commit = 0.0
        self._failures: list[str] = []
        self._hurry = False  # someone waits for what is queued: commit without batching
        self._thread: threading.Thread | None = None
        self._touched: dict[str, float] = {}  # sheet id -> when updated_at was last bumped
        self.local_use: dict[str, float] = {}  # sheet id -> wall time of the last queued write
        self._contended_at = -1e9  # last time another process made us wait
        self.views: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()
        self.stats = {"attaches": 0, "busy_waits": 0, "batches": 0, "ops": 0, "yields": 0}

    # ----------------------------------------------------------------------------------
    # taking turns with other processes
    # ----------------------------------------------------------------------------------

    def _take_turn(self) -> bool:
        """Take the inter-process turn lock (non-blocking); True if held or unavailable."""
        if fcntl is None or self._flocked:
            return True
        if self._lock_fd is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError:
                return True  # read-only directory: rely on DuckDB's lock alone
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError:
            return True  # a filesystem without flock
        self._flocked = True
        return True

    def _end_turn(self) -> None:
        if self._flocked and self._lock_fd is not None and fcntl is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        self._flocked = False

    def _signal_wait(self) -> None:
        now = time.time()
        try:
            with open(self.wait_path, "w") as fh:
                fh.write(f"{os.getpid()} {now:.6f}")
        except OSError:
            pass  # read-only directory: the holder's max_hold still bounds our wait

    def _someone_waits(self) -> bool:
        try:
            mtime = os.stat(self.wait_path).st_mtime_ns
        except OSError:
            return False
        if mtime == self._wait_seen:
            return False
        try:
            with open(self.wait_path) as fh:
                pid, stamp = fh.read().split()
        except (OSError, ValueError):
            return False  # being rewritten: look again next time
        self._wait_seen = mtime
        # The stamp is the waiter's clock, not the file's coarse mtime.
        return int(pid) != os.getpid() and float(stamp) > self._attached_wall - 0.002

    # ----------------------------------------------------------------------------------
    # lease
    # ----------------------------------------------------------------------------------

    def _attach(self) -> None:
        if self._con is None:
            self._con = _cursor()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        quoted = str(self.path).replace("'", "''")
        existed = self.path.stat().st_size if self.path.exists() else 0
        try:
            self._con.execute(f"ATTACH '{quoted}' AS {self.alias} (TYPE duckdb)")
        except duckdb_module().Error as exc:
            raise _classify(exc, self.path) from exc
        try:
            self._con.execute(f"USE {self.alias}")
            ensure_schema(self._con, self.path, existed=existed)
        except BaseException as exc:
            self._detach_now()
            if is_damage(exc):
                raise damaged_history(self.path, str(exc).strip()) from exc
            raise
        self._attached = True
        self._attached_at = time.monotonic()
        self._attached_wall = time.time()
        self._last_used = self._attached_at
        self._wait_seen = 0
        self.stats["attaches"] += 1

    def _detach_now(self) -> None:
        self._attached = False
        try:
            self._con.execute("USE memory")
            self._con.execute(f"DETACH DATABASE IF EXISTS {self.alias}")
        except duckdb_module().Error as exc:
            # A detach that fails leaves the lock in doubt: drop the connection.
            log.warning("daggr store: detaching %s failed (%s); reconnecting", self.path, exc)
            with contextlib.suppress(Exception):
                self._con.close()
            self._con = None
        self._end_turn()

    def _should_yield(self) -> bool:
        if self._someone_waits():
            self._contended_at = time.monotonic()  # commit less often for a while
            return True
        return time.monotonic() - self._attached_at > self.max_hold

    def _yield_file(self) -> None:
        self._detach_now()
        self._cooldown_until = time.monotonic() + self.cooldown
        self.stats["yields"] += 1

    def _acquire(self, deadline: float | None) -> None:
        """Return holding ``self._lock`` with the file attached, or raise."""
        delay = 0.001
        signalled = 0.0  # when this wait last told the holder (again every 50 ms)
        while True:
            self._lock.acquire()
            if self._attached:
                return
            if self._closed:
                self._lock.release()
                raise StoreError(f"The store on {self.path} is closed.")
            wait = self._cooldown_until - time.monotonic()
            if wait <= 0:
                if not self._take_turn():
                    # another daggr process has its turn: ask for ours, poll cheaply
                    if time.monotonic() - signalled > 0.05:
                        self._signal_wait()
                        signalled = time.monotonic()
                    self._last_busy = "another daggr process"
                    self._contended_at = time.monotonic()
                    wait = 0.001
                else:
                    try:
                        self._attach()
                        return
                    except _Busy as exc:  # not a daggr process (e.g. a duckdb shell)
                        self._end_turn()
                        self._last_busy = str(exc)
                        self.stats["busy_waits"] += 1
                        if time.monotonic() - signalled > 0.05:
                            self._signal_wait()
                            signalled = time.monotonic()
                        wait = delay * random.uniform(0.5, 1.5)
                        delay = min(delay * 2, 0.05)
                    except BaseException:
                        self._end_turn()
                        self._lock.release()
                        raise
            self._lock.release()
            if deadline is not None and time.monotonic() + wait > deadline:
                raise self._busy_error()
            time.sleep(wait)

    def _busy_error(self) -> StoreBusyError:
        return StoreBusyError(
            f"{self.path} stayed locked by {_holder(self._last_busy)}. Another notebook or "
            f"a duckdb shell keeps it open; daggr retries on its own, but close the other "
            f"program's connection if this persists."
        )

    @contextlib.contextmanager
    def lease(self, timeout: float | None = -1.0) -> Iterator[Any]:
        """The attached connection, for a short piece of work; blocks other threads.

        ``timeout`` bounds the wait for another process's lock (default
        ``busy_timeout``; ``None`` waits forever) and raises :class:`StoreBusyError`.
        """
        if timeout is not None and timeout < 0:
            timeout = self.busy_timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        self._acquire(deadline)
        self._active += 1
        try:
            yield self._con
        except Exception as exc:
            # A block that cannot be read surfaces in whichever query touches it first.
            if is_damage(exc):
                raise damaged_history(self.path, str(exc).strip()) from exc
            raise
        finally:
            self._active -= 1
            self._last_used = time.monotonic()
            try:
                if self._active == 0 and self._attached and self._should_yield():
                    self._yield_file()
            finally:
                self._lock.release()
            self._ensure_thread()  # it detaches the file after `linger`

    @contextlib.contextmanager
    def transaction(self, timeout: float | None = -1.0) -> Iterator[Any]:
        """:meth:`lease` inside ``BEGIN`` / ``COMMIT`` (``ROLLBACK`` on error)."""
        with self.lease(timeout) as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                with contextlib.suppress(duckdb_module().Error):
                    con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def release(self) -> None:
        """Detach the file now (it is re-attached on the next use)."""
        with self._lock:
            if self._attached and self._active == 0:
                self._detach_now()

    def _idle_check(self) -> None:
        if not self._lock.acquire(blocking=False):
            return
        try:
            if not self._attached or self._active:
                return
            if time.monotonic() - self._last_used >= self.linger:
                self._detach_now()
            elif self._should_yield():
                self._yield_file()
        finally:
            self._lock.release()

    # ----------------------------------------------------------------------------------
    # writer
    # ----------------------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._cv:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(
                target=self._run, name=f"daggr-store-writer:{self.path.name}", daemon=True
            )
            self._thread.start()

    def submit(self, op: Any) -> None:
        """Queue a write op (see :mod:`daggr.store.writes`); never touches the disk."""
        if self._closed:
            raise StoreError(f"The store on {self.path} is closed.")
        with self._cv:
            queue = self._queue
            queue.append(op)
            self._submitted += 1
            self.local_use[op.sheet_id] = op.made_at
            if len(queue) == 1:
                # Only the first op of a batch wakes the writer: it then waits out the
                # batch interval by itself, and waking it for every op of a run would
                # hand the interpreter lock back and forth once per node.
                self._cv.notify_all()
        if self._thread is None or not self._thread.is_alive():
            self._ensure_thread()

    def hurry(self) -> None:
        """Commit what is queued now rather than after the batching interval (a run
        that waits for its rows before it reports them finished)."""
        with self._cv:
            if self._done < self._submitted:
                self._hurry = True
                self._cv.notify_all()

    @property
    def pending(self) -> int:
        """Number of queued writes not yet committed."""
        return self._submitted - self._done

    def flush(self, timeout: float | None = -1.0) -> None:
        """Wait until every write submitted so far is committed.

        Raises :class:`StoreBusyError` if another process kept the file locked past
        ``timeout`` (default ``busy_timeout``): the writes stay queued and are still
        written later. Raises :class:`StoreError` for writes that failed for good.
        """
        if timeout is not None and timeout < 0:
            timeout = self.busy_timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cv:
            target = self._submitted
            if self._done < target:
                self._ensure_thread()
                self._flush_waiters += 1
                self._cv.notify_all()
                try:
                    while self._done < target:
                        left = None if deadline is None else deadline - time.monotonic()
                        if left is not None and left <= 0:
                            raise self._busy_error()
                        self._cv.wait(left if left is None else min(left, 0.5))
                finally:
                    self._flush_waiters -= 1
            failures, self._failures = self._failures, []
        if failures:
            raise StoreError(
                f"{len(failures)} write(s) to {self.path} failed and were dropped: "
                + "; ".join(failures[:5])
            )

    def _run(self) -> None:
        # File work (idle detach, hand-over) happens outside self._cv: submit() takes
        # self._cv, and an append must never wait for a checkpoint.
        while True:
            ops: list[Any] = []
            with self._cv:
                if not self._queue:
                    if self._closed:
                        return
                    if not self._attached and self._users <= 0:
                        return  # nobody left to write for; submit() restarts the thread
                    self._cv.wait(0.005 if self._attached else 1.0)
                else:
                    # Let appends that arrive within the interval share a commit, unless
                    # someone waits for them. After another process waited for the file,
                    # commit less often: each hand-over costs an attach and a checkpoint.
                    contended = time.monotonic() - self._contended_at < 1.0
                    interval = self.contended_interval if contended else self.batch_interval
                    left = self._last_commit + interval - time.monotonic()
                    if left <= 0 or self._flush_waiters or self._closed or self._hurry:
                        ops, self._queue = self._queue, []
                        self._hurry = False
                    else:
                        self._cv.wait(min(left, 0.005))
            if not ops:
                self._idle_check()  # detach after linger; hand over if someone waits
                continue
            try:
                self._write(ops)
            except BaseException as exc:  # never let the writer die with rows queued
                log.exception("daggr store writer crashed")
                with self._cv:
                    self._failures.append(f"{type(exc).__name__}: {exc}")
                    self._done += len(ops)
                    self._cv.notify_all()
                for op in ops:
                    op.settle(f"the store's writer failed: {type(exc).__name__}: {exc}")

    def _write(self, ops: list[Any]) -> None:
        from .writes import finalize_op

        ready = []
        failed: list[tuple[Any, str]] = []
        for op in ops:
            try:
                finalize_op(op)  # file copies and JSON: outside the file lock
                ready.append(op)
            except Exception as exc:
                failed.append((op, f"{type(exc).__name__}: {exc}"))
        if ready:
            failed += self._commit(ready)
        failures = {id(op): why for op, why in failed}
        for op in ready:
            if id(op) not in failures:
                with contextlib.suppress(Exception):
                    op.committed()
        with self._cv:
            self._failures += [f"{op.describe()}: {why}" for op, why in failed]
            self._done += len(ops)
            self._last_commit = time.monotonic()
            self.stats["batches"] += 1
            self.stats["ops"] += len(ops)
            self._cv.notify_all()
        for op, why in failed:
            log.error("daggr store: write dropped: %s: %s", op.describe(), why)
        for op in ops:
            if id(op) in failures:
                op.settle(failures[id(op)])
            else:
                op.settle("its sheet was deleted" if op.dropped else None)

    def _commit(self, ops: list[Any]) -> list[tuple[Any, str]]:
        from .writes import apply_batch

        while True:
            try:
                with self.transaction(timeout=None) as con:
                    apply_batch(con, ops, self._touched)
                return []
            except (DatabaseOpenError, StoreBusyError) as exc:
                # the file itself is unusable: rows cannot be written anywhere
                return [(op, str(exc)) for op in ops]
            except Exception as exc:
                if len(ops) == 1:
                    return [(ops[0], f"{type(exc).__name__}: {exc}")]
                failures = []
                for op in ops:  # isolate the row that fails
                    failures += self._commit([op])
                return failures

    # ----------------------------------------------------------------------------------
    # lifetime
    # ----------------------------------------------------------------------------------

    def close(self, timeout: float | None = 10.0) -> None:
        """Flush, detach, and forget this database when no :class:`Store` uses it."""
        with Database._registry_lock:
            self._users -= 1
            last = self._users <= 0
        try:
            self.flush(timeout)
        finally:
            if last:
                self._shutdown()

    def _shutdown(self) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        with self._lock:
            if self._attached:
                self._detach_now()
            if self._con is not None:
                with contextlib.suppress(Exception):
                    self._con.close()
                self._con = None
            if self._lock_fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._lock_fd)
                self._lock_fd = None
        with Database._registry_lock:
            if Database._registry.get(str(self.path)) is self:
                del Database._registry[str(self.path)]


EXIT_FLUSH_TIMEOUT = 120.0  # ``$DAGGR_EXIT_FLUSH_TIMEOUT``: seconds an exiting process waits
EXIT_NOTICE_AFTER = 2.0  # say why the exit waits once it has waited this long


def _exit_flush_timeout() -> float:
    try:
        return float(os.environ.get("DAGGR_EXIT_FLUSH_TIMEOUT") or EXIT_FLUSH_TIMEOUT)
    except ValueError:
        return EXIT_FLUSH_TIMEOUT


def _flush_at_exit(db: Database) -> None:
    """Write what ``db`` still has queued, waiting for another process that holds the
    file (it is asked to hand it over) and saying so, rather than dropping the rows."""
    timeout = _exit_flush_timeout()
    try:
        db.flush(timeout=min(EXIT_NOTICE_AFTER, timeout))
        return
    except StoreBusyError:
        pass
    print(
        f"daggr: saving {db.pending} queued write(s) to {db.path} before exiting; "
        f"waiting up to {timeout:g} s for {_holder(db._last_busy)} to let go of the file "
        f"(Ctrl-C gives up).",
        file=sys.stderr,
        flush=True,
    )
    try:
        db.flush(timeout=max(0.0, timeout - EXIT_NOTICE_AFTER))
    except KeyboardInterrupt:
        print(
            f"daggr: gave up; {db.pending} write(s) to {db.path} were not saved.",
            file=sys.stderr,
            flush=True,
        )


def _flush_all_at_exit() -> None:
    for db in list(Database._registry.values()):
        try:
            _flush_at_exit(db)
        except Exception as exc:  # exiting anyway: say what was lost
            if db.pending:  # (earlier failures were each reported when they happened)
                log.error(
                    "daggr store: %d write(s) to %s were not saved at exit: %s (set "
                    "DAGGR_EXIT_FLUSH_TIMEOUT to wait longer)",
                    db.pending,
                    db.path,
                    exc,
                )
        # Close DuckDB now: left to interpreter teardown, the binding reports
        # "leaked instances" on stderr.
        with contextlib.suppress(Exception):
            db._shutdown()
    global _instance
    with _instance_lock:
        if _instance is not None:
            with contextlib.suppress(Exception):
                _instance.close()
            _instance = None


# The parent's objects as a forked child inherited them. Kept referenced, never used: a
# DuckDB instance freed in the child joins threads that only the parent has, and the
# child dies (a process pool reports "BrokenProcessPool").
_inherited_from_parent: list[Any] = []


def _forget_after_fork() -> None:
    # A forked child must not reuse the parent's DuckDB instance, lock or writer thread.
    global _instance, _instance_lock
    _inherited_from_parent.append((_instance, Database._registry))
    Database._registry = {}
    Database._registry_lock = threading.Lock()
    _instance = None
    _instance_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
