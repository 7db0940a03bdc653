"""Write operations: queued by sheet views, committed in batches by the writer thread.

An op is built on the caller's thread with its values already prepared
(:func:`daggr.store.codec.prepare`); the writer finalizes it (file copies, JSON text)
outside the file lock, then :func:`apply_batch` writes a whole batch with a handful of
set-based statements inside one transaction.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from daggr.records import ResultRecord

from .codec import EncodedTree, FileStore, finalize

log = logging.getLogger("daggr.store")
_compact = json.JSONEncoder(separators=(",", ":")).encode  # one encoder, not one per row


def utcnow() -> datetime:
    """Now, as the naive UTC datetime stored in TIMESTAMP columns."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_timestamp(epoch: float | None) -> datetime | None:
    if epoch is None or not math.isfinite(epoch):
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).replace(tzinfo=None)


def from_timestamp(ts: datetime | None) -> float:
    if ts is None:
        return 0.0
    return ts.replace(tzinfo=timezone.utc).timestamp()


def _nothing() -> None:
    pass


class WriteOp:
    """Base op: one sheet, some file references, a callback once committed.

    An op is also the receipt of its write: :meth:`when_saved` calls back once the row is
    committed (with None) or has failed for good (with what went wrong), so that whoever
    reports a result as finished can wait for it to be on disk.
    """

    kind = ""

    def __init__(self, sheet_id: str, files: FileStore | None) -> None:
        self.sheet_id = sheet_id
        self.files = files
        self.made_at = time.time()  # when the sheet was used (the commit comes later)
        self.refs: list[tuple[str, str, int, str]] = []  # (sha, ext, size, ref)
        self.dropped = False
        self.on_commit: Callable[[WriteOp], None] | None = None
        self._settled = False
        self.failure: str | None = None  # why the write failed for good, once settled
        self._waiters: list[Callable[[str | None], None]] = []
        self._guard = threading.Lock()
        self.hurry: Callable[[], None] = _nothing  # asks the writer to commit now

    def finalize(self) -> None:
        """Write files and JSON text (writer thread, before taking the file lock)."""

    def committed(self) -> None:
        if self.on_commit is not None:
            self.on_commit(self)

    def settle(self, failure: str | None) -> None:
        """The write is committed (``failure`` None) or failed for good (writer thread)."""
        with self._guard:
            if self._settled:
                return
            self._settled, self.failure = True, failure
            waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            try:
                waiter(failure)
            except Exception:  # a waiter's bug must not stop the writer
                log.exception("daggr store: a callback on %s failed", self.describe())

    def when_saved(self, callback: Callable[[str | None], None]) -> None:
        """``callback(None)`` once committed, ``callback(reason)`` if the write failed;
        at once (in this thread) when that is already known."""
        with self._guard:
            if not self._settled:
                self._waiters.append(callback)
                return
        callback(self.failure)

    def describe(self) -> str:
        return f"{self.kind} of sheet {self.sheet_id}"

    def _text(self, prepared: EncodedTree | None, ref: str) -> str | None:
        if prepared is None:
            return None
        assert self.files is not None
        text, refs = finalize(prepared, self.files)
        self.refs += [(sha, ext, size, ref) for sha, ext, size in refs]
        return text


class ResultOp(WriteOp):
    """Append one :class:`ResultRecord`."""

    kind = "result"

    def __init__(
        self,
        sheet_id: str,
        files: FileStore,
        record: ResultRecord,
        outputs: EncodedTree,
        inputs: EncodedTree,
        items: EncodedTree | None = None,
    ) -> None:
        super().__init__(sheet_id, files)
        self.record = record
        self.outputs = outputs
        self.inputs = inputs
        self.items = items
        self.seq: int | None = None
        self.row: tuple[Any, ...] = ()

    def describe(self) -> str:
        return f"result {self.record.id} of node {self.record.node!r}"

    def finalize(self) -> None:
        r = self.record
        self.row = (
            r.id,
            self.sheet_id,
            r.node,
            r.key,
            r.status,
            r.error,
            self._text(self.outputs, r.id),
            self._text(self.inputs, r.id),
            _compact(r.upstream or {}),
            r.variant,
            self._text(self.items, r.id),
            to_timestamp(r.started_at),
            r.duration,
        )


class ValueOp(WriteOp):
    """Upsert one row of ``inputs`` or ``ui_state``."""

    kind = "value"

    def __init__(
        self, sheet_id: str, files: FileStore, table: str, key: str, value: EncodedTree
    ) -> None:
        super().__init__(sheet_id, files)
        assert table in ("inputs", "ui_state")
        self.table = table
        self.key = key
        self.value = value
        self.text: str | None = None

    def describe(self) -> str:
        return f"{self.table} {self.key!r} of sheet {self.sheet_id}"

    def finalize(self) -> None:
        prefix = "input" if self.table == "inputs" else "state"
        self.text = self._text(self.value, f"{prefix}:{self.key}")


class ViewportOp(WriteOp):
    """Set the sheet's viewport (``None`` only bumps ``updated_at``)."""

    kind = "viewport"

    def __init__(self, sheet_id: str, viewport: Any = None, touch_only: bool = False) -> None:
        super().__init__(sheet_id, None)
        self.viewport = viewport
        self.touch_only = touch_only
        self.text: str | None = None

    def finalize(self) -> None:
        if not self.touch_only:
            self.text = json.dumps(self.viewport, separators=(",", ":"), allow_nan=False)


def finalize_op(op: WriteOp) -> None:
    op.finalize()


_LIVE = "WHERE t.sheet_id IN (SELECT sheet_id FROM sheets)"

# The JSON columns take the text as it is: the insert checks it is JSON (an explicit
# ::JSON cast here did the same work at about twice the cost of the whole insert).
_INSERT_RESULTS = f"""
INSERT OR IGNORE INTO results (id, seq, sheet_id, node, key, status, error, outputs,
    inputs, upstream, variant, items, started_at, duration, created_at)
SELECT * FROM (
    SELECT unnest($1::VARCHAR[]) AS id, unnest($2::BIGINT[]) AS seq,
        unnest($3::VARCHAR[]) AS sheet_id, unnest($4::VARCHAR[]) AS node,
        unnest($5::VARCHAR[]) AS key, unnest($6::VARCHAR[]) AS status,
        unnest($7::VARCHAR[]) AS error, unnest($8::VARCHAR[]) AS outputs,
        unnest($9::VARCHAR[]) AS inputs, unnest($10::VARCHAR[]) AS upstream,
        unnest($11::INTEGER[]) AS variant, unnest($12::VARCHAR[]) AS items,
        unnest($13::TIMESTAMP[]) AS started_at, unnest($14::DOUBLE[]) AS duration,
        $15::TIMESTAMP AS created_at
) t {_LIVE}
RETURNING id
"""

TOUCH_EVERY = 1.0  # seconds: updated_at only orders the sheet list, no need for more


def apply_batch(con: Any, ops: list[WriteOp], touched: dict[str, float] | None = None) -> None:
    """Write finalized ``ops`` (inside the caller's transaction), in few statements.

    Ops of sheets that no longer exist (deleted, possibly by another process) are
    dropped and marked ``dropped``: a deleted sheet stays deleted. ``touched`` remembers
    when each sheet's ``updated_at`` was last bumped, to bump it at most every second.
    """
    now = utcnow()
    results = [op for op in ops if isinstance(op, ResultOp)]
    if results:
        _write_results(con, results, now)
    _write_values(con, ops, now)
    _write_files(con, ops, now)
    _touch_sheets(con, ops, touched)
    for op in ops:
        if op.dropped:
            log.warning("daggr store: %s dropped: the sheet was deleted", op.describe())


def _write_results(con: Any, results: list[ResultOp], now: Any) -> None:
    """Insert result rows with consecutive seqs; a row already in the file (a retried
    batch) keeps its seq, and a row whose sheet is gone is marked dropped."""
    top = con.execute(
        "UPDATE counters SET value = value + $1 WHERE name = 'results_seq' RETURNING value",
        [len(results)],
    ).fetchone()[0]
    first = top - len(results) + 1
    cols: list[list[Any]] = [[] for _ in range(14)]
    for i, op in enumerate(results):
        row = op.row
        cols[0].append(row[0])
        cols[1].append(first + i)
        for j in range(1, 13):
            cols[j + 1].append(row[j])
    written = {r[0] for r in con.execute(_INSERT_RESULTS, [*cols, now]).fetchall()}
    missing = [op.record.id for op in results if op.record.id not in written]
    earlier: dict[str, int] = {}
    if missing:  # already in the file (a retried batch), or its sheet is gone
        earlier = dict(
            con.execute(
                "SELECT id, seq FROM results WHERE id IN (SELECT unnest($1::VARCHAR[]))",
                [missing],
            ).fetchall()
        )
    for i, op in enumerate(results):
        if op.record.id in written:
            op.seq = first + i
        elif op.record.id in earlier:
            op.seq = earlier[op.record.id]
        else:
            op.dropped = True


def _write_values(con: Any, ops: list[WriteOp], now: Any) -> None:
    """Inputs, UI state and viewports: the last write of each key wins."""
    values: dict[tuple[str, str, str], ValueOp] = {}
    viewports: dict[str, ViewportOp] = {}
    for op in ops:
        if isinstance(op, ValueOp):
            values[(op.table, op.sheet_id, op.key)] = op  # last write of a key wins
        elif isinstance(op, ViewportOp) and not op.touch_only:
            viewports[op.sheet_id] = op
    for table, key_col in (("inputs", "slot"), ("ui_state", "key")):
        rows = [op for (t, _, _), op in values.items() if t == table]
        if rows:
            con.execute(
                f"INSERT OR REPLACE INTO {table} (sheet_id, {key_col}, value, updated_at) "
                f"SELECT * FROM (SELECT unnest($1::VARCHAR[]) AS sheet_id, "
                f"unnest($2::VARCHAR[]) AS k, unnest($3::VARCHAR[])::JSON AS value, "
                f"$4::TIMESTAMP AS updated_at) t {_LIVE}",
                [
                    [op.sheet_id for op in rows],
                    [op.key for op in rows],
                    [op.text for op in rows],
                    now,
                ],
            )
    for sheet_id, op in viewports.items():
        con.execute(
            "UPDATE sheets SET viewport = $1::JSON WHERE sheet_id = $2", [op.text, sheet_id]
        )


def _write_files(con: Any, ops: list[WriteOp], now: Any) -> None:
    """The files the ops' values refer to, and which sheet refers to each."""
    files: dict[tuple[str, str], int] = {}
    refs: set[tuple[str, str, str, str]] = set()
    for op in ops:
        if op.dropped:
            continue
        for sha, ext, size, ref in op.refs:
            files[(sha, ext)] = size
            refs.add((sha, ext, op.sheet_id, ref))
    if files:
        keys = list(files)
        con.execute(
            "INSERT OR IGNORE INTO files (sha256, ext, size, created_at) "
            "SELECT unnest($1::VARCHAR[]), unnest($2::VARCHAR[]), unnest($3::BIGINT[]), "
            "$4::TIMESTAMP",
            [[k[0] for k in keys], [k[1] for k in keys], [files[k] for k in keys], now],
        )
        ref_rows = sorted(refs)
        con.execute(
            "INSERT OR IGNORE INTO file_refs (sha256, ext, sheet_id, ref) "
            "SELECT * FROM (SELECT unnest($1::VARCHAR[]) AS sha256, unnest($2::VARCHAR[]) AS ext, "
            f"unnest($3::VARCHAR[]) AS sheet_id, unnest($4::VARCHAR[]) AS ref) t {_LIVE}",
            [[r[i] for r in ref_rows] for i in range(4)],
        )


def _touch_sheets(con: Any, ops: list[WriteOp], touched: dict[str, float] | None) -> None:
    clock = time.monotonic()
    # Stamped with when the sheet was used, not when the batch lands: a commit that comes
    # late must not put this sheet above one used after it.
    used_at: dict[str, float] = {}
    for op in ops:
        if not op.dropped and (
            touched is None or clock - touched.get(op.sheet_id, -1e9) >= TOUCH_EVERY
        ):
            used_at[op.sheet_id] = max(op.made_at, used_at.get(op.sheet_id, 0.0))
    stale = sorted(used_at)
    if stale:
        con.execute(
            "UPDATE sheets SET updated_at = greatest(sheets.updated_at, t.used_at) "
            "FROM (SELECT unnest($1::VARCHAR[]) AS sheet_id, "
            "unnest($2::TIMESTAMP[]) AS used_at) t WHERE sheets.sheet_id = t.sheet_id",
            [stale, [to_timestamp(used_at[s]) for s in stale]],
        )
        if touched is not None:
            for sheet_id in stale:
                touched[sheet_id] = clock
