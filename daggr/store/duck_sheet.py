"""An open sheet backed by the DuckDB file: memory in front, the file behind.

A :class:`DuckSheet` sees the database as of its last load (``refresh()``) plus every
row it appended itself. Opening one reads only what a canvas shows: per node the count
and the newest result, the selected results, inputs, UI state. Older results are read
on demand, a page at a time, and kept in a bounded cache. Appends update memory at once
and reach the file through the database's writer thread.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import OrderedDict
from typing import Any

from daggr.records import ResultRecord, Status

from . import codec
from .base import SELECTED_KEY, SheetInfo, deleted_error, resolve_index
from .codec import FileStore, prepare, prepare_ports, stored_files, swap_files
from .db import Database
from .errors import SheetNotFoundError
from .writes import ResultOp, ValueOp, ViewportOp, WriteOp, from_timestamp

_OK = Status.OK.value  # the plain string, as rows read back carry (see daggr.records)

_COLS = (
    "id, seq, node, key, status, error, outputs, inputs, upstream, variant, items, "
    "started_at, duration"
)
PAGE = 512  # rows read at once around a requested index (‹ › stepping, random access)
CACHE_SIZE = 4096  # decoded records kept besides the latest and selected ones
PAGE_BUDGET = 32 << 20  # bytes of undecoded rows kept per open sheet


class _Entry:
    """An own result's identity without its values (enough for count/find/consumers)."""

    __slots__ = ("id", "seq", "key", "status", "upstream")

    def __init__(
        self, id: str, seq: int | None, key: str, status: str, upstream: dict[str, str]
    ) -> None:
        self.id = id
        self.seq = seq
        self.key = key
        self.status = status
        self.upstream = upstream


class _Node:
    __slots__ = ("db_count", "db_latest", "latest", "own", "own_ok", "positions", "ok_keys")

    def __init__(self, db_count: int = 0, db_latest: ResultRecord | None = None) -> None:
        self.db_count = db_count  # rows in the file at load time (seq <= snapshot)
        self.db_latest = db_latest
        self.latest = db_latest  # newest record overall, own appends included
        self.own: list[_Entry] = []  # appended through this view since the load
        self.own_ok: dict[str, str] = {}  # key -> newest own ok result id
        self.positions: list[int] | None = None  # seq of each file row, loaded on demand
        self.ok_keys: dict[str, str] | None = None  # key -> newest ok id in the file

    @property
    def count(self) -> int:
        return self.db_count + len(self.own)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _record(row: tuple[Any, ...], values: list[Any]) -> ResultRecord:
    outputs, inputs, upstream, items = values
    return ResultRecord(
        node=row[2],
        key=row[3],
        outputs=outputs if outputs is not None else {},
        inputs=inputs if inputs is not None else {},
        upstream=upstream or {},
        variant=row[9],
        status=row[4],
        error=row[5],
        started_at=from_timestamp(row[11]),
        duration=row[12] if row[12] is not None else 0.0,
        items=items,
        id=row[0],
    )


class DuckSheet:
    """One sheet of a DuckDB store (implements :class:`~daggr.store.SheetResults`).

    Get one from ``store.sheets(graph_key).open(...)``; thread-safe.

    >>> import tempfile
    >>> from daggr.store import Store
    >>> store = Store(tempfile.mkdtemp() + "/doc.duckdb", files_dir=tempfile.mkdtemp())
    >>> sheet = store.sheets("my-graph").open_or_create()
    >>> receipt = sheet.append(ResultRecord("gen", key="k1", outputs={"text": "hi"}, inputs={}))
    >>> sheet.latest("gen").outputs
    {'text': 'hi'}
    >>> sheet.flush()                                  # durable in the file now
    >>> receipt.when_saved(lambda failure: print("saved" if failure is None else failure))
    saved
    >>> store.close()
    """

    def __init__(
        self, db: Database, files: FileStore, info: SheetInfo, raw: tuple[Any, ...] | None = None
    ) -> None:
        self._db = db
        self._files = files
        self.sheet_id = info.id
        self._info = info
        self._lock = threading.RLock()
        self._deleted = False
        self._generation = 0  # bumped by every load: stale lazy fetches are discarded
        self._snap = 0
        self._nodes: dict[str, _Node] = {}
        self._own: dict[str, _Entry] = {}  # own rows by id (seq None until committed)
        self._pending: dict[str, ResultRecord] = {}
        self._cache: OrderedDict[str, tuple[ResultRecord, int | None]] = OrderedDict()
        self._seq_ids: dict[int, str] = {}  # seq -> id of cached records from the file
        self._pages: OrderedDict[tuple[str, int], tuple[list[tuple[Any, ...]], int]] = OrderedDict()
        self._page_bytes = 0
        self._selected: dict[str, ResultRecord] = {}
        self._inputs: dict[str, Any] = {}
        self._state: dict[str, Any] = {}
        self._viewport: Any = None
        if raw is None:
            self._load()
        else:  # read by the caller inside its own transaction
            self._apply(raw)

    # ----------------------------------------------------------------------------------
    # loading
    # ----------------------------------------------------------------------------------

    def _load(self) -> None:
        try:
            with self._db.transaction() as con:  # one snapshot for everything below
                raw = self._read(con, self.sheet_id)
        except SheetNotFoundError:
            self._deleted = True
            raise
        self._apply(raw)

    @staticmethod
    def _read(con: Any, sid: str, row: tuple[Any, ...] | None = None) -> tuple[Any, ...]:
        """Everything a freshly opened sheet shows, in 3-5 queries (inside a transaction).

        ``row`` is the sheet's row with viewport and results counter, if already read.
        """
        if row is None:
            row = con.execute(
                "SELECT sheet_id, name, graph_key, user_id, created_at, updated_at, viewport, "
                "(SELECT value FROM counters WHERE name = 'results_seq') "
                "FROM sheets WHERE sheet_id = $1",
                [sid],
            ).fetchone()
        if row is None:
            raise deleted_error(sid)
        snap = row[7]
        heads = con.execute(
            "SELECT node, count(*), max(seq) FROM results "
            "WHERE sheet_id = $1 AND seq <= $2 GROUP BY node",
            [sid, snap],
        ).fetchall()
        values = con.execute(
            "SELECT 'i', slot, value FROM inputs WHERE sheet_id = $1 UNION ALL "
            "SELECT 's', key, value FROM ui_state WHERE sheet_id = $1",
            [sid],
        ).fetchall()
        inputs = [(k, v) for t, k, v in values if t == "i"]
        state = [(k, v) for t, k, v in values if t == "s"]
        selected_ids: list[str] = []
        for key, text in state:
            if key == SELECTED_KEY and text:
                sel = codec.decode(text, None)
                if isinstance(sel, dict):
                    selected_ids = [v for v in sel.values() if isinstance(v, str)]
        latest_rows = []
        if heads:
            latest_rows = con.execute(
                f"SELECT {_COLS} FROM results WHERE sheet_id = $1 "
                f"AND seq IN (SELECT unnest($2::BIGINT[]))",
                [sid, [h[2] for h in heads]],
            ).fetchall()
        # selections are usually the newest results: read only the others
        selected_ids = sorted(set(selected_ids) - {r[0] for r in latest_rows})
        if selected_ids:
            latest_rows += con.execute(
                f"SELECT {_COLS} FROM results WHERE sheet_id = $1 AND seq <= $2 "
                f"AND id IN (SELECT unnest($3::VARCHAR[]))",
                [sid, snap, selected_ids],
            ).fetchall()
        return row, snap, heads, latest_rows, inputs, state

    def _apply(self, raw: tuple[Any, ...]) -> None:
        from .sheet_catalog import info_from_row  # sheet_catalog imports this module

        row, snap, heads, latest_rows, inputs, state = raw
        head_seqs = {h[2] for h in heads}
        decoded = [(r, self._decode(r)) for r in latest_rows]
        latest = {r[2]: rec for r, rec in decoded if r[1] in head_seqs}
        selected_recs = {rec.id: rec for _, rec in decoded}
        # Decoding happens after the lease: the file is free again for other processes.
        info = info_from_row(row)
        decoded_inputs = dict(
            zip([s for s, _ in inputs], self._decode_values(inputs), strict=False)
        )
        decoded_state = dict(zip([k for k, _ in state], self._decode_values(state), strict=False))
        viewport = codec.decode(row[6], None)

        with self._lock:
            self._generation += 1
            self._info = info
            self._snap = snap
            old_nodes = self._nodes
            self._nodes = {node: _Node(n, latest.get(node)) for node, n, _ in heads}
            # Own rows not yet in this snapshot (still queued, or committed after it)
            # stay own rows; the others are now ordinary rows of the file.
            own_left: dict[str, _Entry] = {}
            for node_name, old in old_nodes.items():
                for entry in old.own:
                    if entry.seq is None or entry.seq > snap:
                        n = self._nodes.setdefault(node_name, _Node())
                        n.own.append(entry)
                        own_left[entry.id] = entry
                        if entry.status == _OK:
                            n.own_ok[entry.key] = entry.id
                        if old.latest is not None and old.latest.id == entry.id:
                            n.latest = old.latest
            self._own = own_left
            self._pages.clear()
            self._page_bytes = 0
            for r, rec in decoded:  # newest and selected rows: found by id in O(1)
                self._remember(rec, r[1])
            sel = decoded_state.get(SELECTED_KEY)
            self._selected = {}
            if isinstance(sel, dict):
                for node_name, rid in sel.items():
                    rec = selected_recs.get(rid) or self._memory(rid)
                    if rec is not None and rec.node == node_name:
                        self._selected[node_name] = rec
            self._inputs = decoded_inputs
            self._state = decoded_state
            self._viewport = viewport

    def _decode(self, row: tuple[Any, ...]) -> ResultRecord:
        values = codec.decode_many([row[6], row[7], row[8], row[10]], self._files)
        return _record(row, values)

    def _decode_values(self, rows: list[tuple[str, str | None]]) -> list[Any]:
        return codec.decode_many([t for _, t in rows], self._files)

    def refresh(self) -> None:
        """Write what is queued, then reload: picks up other processes' new rows."""
        self._db.flush()
        self._load()

    # ----------------------------------------------------------------------------------
    # memory helpers (call with self._lock held)
    # ----------------------------------------------------------------------------------

    def _remember(self, rec: ResultRecord, seq: int | None = None) -> None:
        cache = self._cache
        cache[rec.id] = (rec, seq)
        cache.move_to_end(rec.id)
        if seq is not None:
            self._seq_ids[seq] = rec.id
        if len(cache) > CACHE_SIZE:
            _, (_, old_seq) = cache.popitem(last=False)
            if old_seq is not None:
                self._seq_ids.pop(old_seq, None)

    def _memory(self, rid: str) -> ResultRecord | None:
        rec = self._pending.get(rid)
        if rec is not None:
            return rec
        hit = self._cache.get(rid)
        if hit is not None:
            self._cache.move_to_end(rid)
            return hit[0]
        for node in self._nodes.values():
            if node.latest is not None and node.latest.id == rid:
                return node.latest
        for rec in self._selected.values():
            if rec.id == rid:
                return rec
        return None

    def _check_open(self) -> None:
        if self._deleted:
            raise deleted_error(self.sheet_id)

    # ----------------------------------------------------------------------------------
    # reading the file (never with self._lock held, so appends never wait for the disk)
    # ----------------------------------------------------------------------------------

    def _rows(self, where: str, params: list[Any], order: str = "seq") -> list[tuple[Any, ...]]:
        with self._db.lease() as con:
            return con.execute(
                f"SELECT {_COLS} FROM results WHERE sheet_id = $1 AND {where} ORDER BY {order}",
                [self.sheet_id, *params],
            ).fetchall()

    def _records(self, rows: list[tuple[Any, ...]]) -> list[ResultRecord]:
        """Records of raw rows, decoding only those not already in memory."""
        with self._lock:
            known = [self._memory(r[0]) for r in rows]
        out = []
        fresh = []
        for row, rec in zip(rows, known, strict=True):
            if rec is None:
                rec = self._decode(row)
                fresh.append((rec, row[1]))
            out.append(rec)
        if fresh:
            with self._lock:
                for rec, seq in fresh[-CACHE_SIZE:]:
                    self._remember(rec, seq)
        return out

    def _fetch_ids(self, ids: list[str]) -> dict[str, ResultRecord]:
        # Only called with ids this view handed out (its snapshot or its own rows).
        if not ids:
            return {}
        recs = self._records(self._rows("id IN (SELECT unnest($2::VARCHAR[]))", [ids]))
        return {r.id: r for r in recs}

    def _positions(self, node: str) -> list[int]:
        with self._lock:
            n = self._nodes.get(node)
            if n is None:
                return []
            if n.positions is not None:
                return n.positions
            generation, snap = self._generation, self._snap
        with self._db.lease() as con:
            rows = con.execute(
                "SELECT seq FROM results WHERE sheet_id = $1 AND node = $2 AND seq <= $3 "
                "ORDER BY seq",
                [self.sheet_id, node, snap],
            ).fetchall()
        positions = [r[0] for r in rows]
        with self._lock:
            n = self._nodes.get(node)
            if n is not None and self._generation == generation and n.positions is None:
                n.positions = positions
        return positions

    def _page(self, node: str, page_no: int, positions: list[int]) -> list[tuple[Any, ...]]:
        key = (node, page_no)
        with self._lock:
            hit = self._pages.get(key)
            if hit is not None:
                self._pages.move_to_end(key)
                return hit[0]
            generation = self._generation
        lo = page_no * PAGE
        hi = min(len(positions), lo + PAGE) - 1
        rows = self._rows(
            "node = $2 AND seq BETWEEN $3 AND $4", [node, positions[lo], positions[hi]]
        )
        size = sum(len(x) for row in rows for x in row if isinstance(x, str))
        with self._lock:
            if self._generation == generation and key not in self._pages:
                self._pages[key] = (rows, size)
                self._page_bytes += size
                while self._page_bytes > PAGE_BUDGET and len(self._pages) > 1:
                    _, (_, old_size) = self._pages.popitem(last=False)
                    self._page_bytes -= old_size
        return rows

    # ----------------------------------------------------------------------------------
    # SheetResults
    # ----------------------------------------------------------------------------------

    def append(self, record: ResultRecord) -> WriteOp:
        """Record one execution. Returns at once; the row is written in the background,
        and the returned receipt (:meth:`WriteOp.when_saved`) says when it is committed
        or why it could not be.

        Raises :class:`~daggr.store.ValueEncodingError` (a ``TypeError``) if an output
        or input cannot be stored, naming the node and port; nothing is recorded then.
        """
        outputs = prepare_ports(record.outputs, "output", record.node)
        inputs = prepare_ports(record.inputs, "input", record.node)
        upstream = dict(record.upstream or {})
        if not all(type(k) is str and type(v) is str for k, v in upstream.items()):
            raise TypeError(
                f"ResultRecord.upstream of node {record.node!r} must map node names to "
                f"result ids (str -> str), got {upstream!r}."
            )
        items = None
        if record.items is not None:
            items = prepare(record.items, f"items of node {record.node!r}")
        op = ResultOp(self.sheet_id, self._files, record, outputs, inputs, items)
        op.on_commit = self._result_committed
        op.hurry = self._db.hurry
        op.when_saved(lambda failure: failure is not None and self._result_lost(record))
        entry = _Entry(record.id, None, record.key, record.status, upstream)
        with self._lock:
            self._check_open()
            n = self._nodes.get(record.node)
            if n is None:
                n = self._nodes[record.node] = _Node()
            n.own.append(entry)
            n.latest = record
            if record.status == _OK:
                n.own_ok[record.key] = record.id
            self._own[record.id] = entry
            self._pending[record.id] = record
            # submit under the lock: the file's order is the order of this view
            self._db.submit(op)
        return op

    def _result_committed(self, op: WriteOp) -> None:
        assert isinstance(op, ResultOp)
        rid = op.record.id
        with self._lock:
            rec = self._pending.pop(rid, None)
            entry = self._own.get(rid)
            if entry is not None and not op.dropped:
                entry.seq = op.seq
            if rec is None:
                return
            mapping = stored_files(op.outputs, self._files)
            mapping.update(stored_files(op.inputs, self._files))
            if mapping:
                # Point at the stored copies, so the record outlives temporary files.
                rec = dataclasses.replace(
                    rec,
                    outputs=swap_files(rec.outputs, mapping),
                    inputs=swap_files(rec.inputs, mapping),
                )
                n = self._nodes.get(rec.node)
                if n is not None and n.latest is not None and n.latest.id == rid:
                    n.latest = rec
                if self._selected.get(rec.node) is not None and self._selected[rec.node].id == rid:
                    self._selected[rec.node] = rec
            self._remember(rec, None if op.dropped else op.seq)

    def _result_lost(self, record: ResultRecord) -> None:
        """The row could not be written: this view forgets it too, so that the history
        shown is the history on disk (the engine reports the node as failed)."""
        rid = record.id
        with self._lock:
            self._pending.pop(rid, None)
            self._own.pop(rid, None)
            n = self._nodes.get(record.node)
            if n is None:
                return
            n.own = [e for e in n.own if e.id != rid]
            if n.own_ok.get(record.key) == rid:
                del n.own_ok[record.key]
                for e in reversed(n.own):
                    if e.key == record.key and e.status == _OK:
                        n.own_ok[record.key] = e.id
                        break
            if n.latest is not None and n.latest.id == rid:
                newest = self._memory(n.own[-1].id) if n.own else None
                n.latest = newest if n.own else n.db_latest
            if self._selected.get(record.node) is not None:
                if self._selected[record.node].id == rid:
                    del self._selected[record.node]

    def latest(self, node: str) -> ResultRecord | None:
        """The newest result of ``node`` (any status), or None."""
        with self._lock:
            n = self._nodes.get(node)
            return None if n is None else n.latest

    def count(self, node: str) -> int:
        """How many results ``node`` has in this sheet."""
        with self._lock:
            n = self._nodes.get(node)
            return 0 if n is None else n.count

    def nodes(self) -> list[str]:
        """Names of the nodes that have results in this sheet."""
        with self._lock:
            return [name for name, n in self._nodes.items() if n.count]

    def get(self, node: str, index: int) -> ResultRecord:
        """Result number ``index`` of ``node`` (0 = oldest, -1 = newest).

        Raises IndexError naming the valid range.
        """
        with self._lock:
            n = self._nodes.get(node)
            i = resolve_index(node, index, 0 if n is None else n.count)
            assert n is not None
            if i >= n.db_count:
                rid = n.own[i - n.db_count].id
                rec = self._memory(rid)
                if rec is not None:
                    return rec
            elif i == n.db_count - 1 and n.db_latest is not None:
                return n.db_latest
            else:
                rid = None
        if rid is not None:  # an own row that left the cache
            found = self._fetch_ids([rid]).get(rid)
            if found is None:
                raise IndexError(f"Result {rid} of node {node!r} is no longer in the sheet.")
            return found
        positions = self._positions(node)
        if i >= len(positions):
            raise IndexError(f"Result {index} of node {node!r} is no longer in the sheet.")
        seq = positions[i]
        with self._lock:
            rid = self._seq_ids.get(seq)
            rec = self._memory(rid) if rid is not None else None
        if rec is not None:
            return rec
        rows = self._page(node, i // PAGE, positions)
        j = i - (i // PAGE) * PAGE
        row = rows[j] if j < len(rows) and rows[j][1] == seq else None
        if row is None:  # rows vanished meanwhile (another process cleared the sheet)
            row = next((r for r in rows if r[1] == seq), None)
            if row is None:
                raise IndexError(f"Result {index} of node {node!r} is no longer in the sheet.")
        rec = self._decode(row)
        with self._lock:
            self._remember(rec, seq)
        return rec

    def history(self, node: str) -> list[ResultRecord]:
        """Every result of ``node``, oldest first."""
        with self._lock:
            n = self._nodes.get(node)
            if n is None:
                return []
            own_ids = [e.id for e in n.own]
            db_count, snap, generation = n.db_count, self._snap, self._generation
        recs: list[ResultRecord] = []
        if db_count:
            rows = self._rows("node = $2 AND seq <= $3", [node, snap])
            recs = self._records(rows)
            with self._lock:
                n = self._nodes.get(node)
                if n is not None and n.positions is None and self._generation == generation:
                    n.positions = [r[1] for r in rows]
        with self._lock:
            own = [self._memory(rid) for rid in own_ids]
        missing = [rid for rid, r in zip(own_ids, own, strict=True) if r is None]
        if missing:
            fetched = self._fetch_ids(missing)
            own = [r or fetched.get(rid) for rid, r in zip(own_ids, own, strict=True)]
        return recs + [r for r in own if r is not None]

    def by_id(self, result_id: str) -> ResultRecord | None:
        """The result with this id in this sheet, or None."""
        with self._lock:
            rec = self._memory(result_id)
            if rec is not None:
                return rec
            own = result_id in self._own
            snap = self._snap
        if own:
            rows = self._rows("id = $2", [result_id])
        else:
            rows = self._rows("id = $2 AND seq <= $3", [result_id, snap])
        recs = self._records(rows)
        return recs[0] if recs else None

    def find(self, node: str, key: str) -> ResultRecord | None:
        """The ok result of ``node`` computed from cache key ``key``, or None.

        The selected result when it has this key (the user's choice wins), else the
        newest ok result with this key. Answered from memory when the key is that of
        the selected or the newest result or of one appended through this view; else
        the first call per node reads the node's keys once (one query), later ones
        are answered from memory.
        """
        with self._lock:
            n = self._nodes.get(node)
            if n is None:
                return None
            sel = self._selected.get(node)
            if sel is not None and sel.key == key and sel.status == _OK:
                return sel
            rid = n.own_ok.get(key)
            if rid is None:
                lat = n.db_latest
                if lat is not None and lat.key == key and lat.status == _OK:
                    return lat
                if n.db_count == 0:
                    return None
                keys = n.ok_keys
                if keys is not None:
                    rid = keys.get(key)
                    if rid is None:
                        return None
            if rid is not None:
                rec = self._memory(rid)
                if rec is not None:
                    return rec
        if rid is None:
            rid = self._ok_keys(node).get(key)
            if rid is None:
                return None
        return self.by_id(rid)

    def _ok_keys(self, node: str) -> dict[str, str]:
        with self._lock:
            n = self._nodes.get(node)
            if n is None:
                return {}
            if n.ok_keys is not None:
                return n.ok_keys
            generation, snap = self._generation, self._snap
        with self._db.lease() as con:
            rows = con.execute(
                "SELECT key, arg_max(id, seq) FROM results WHERE sheet_id = $1 AND node = $2 "
                "AND status = $3 AND seq <= $4 GROUP BY key",
                [self.sheet_id, node, _OK, snap],
            ).fetchall()
        ok_keys = dict(rows)
        with self._lock:
            n = self._nodes.get(node)
            if n is not None and self._generation == generation and n.ok_keys is None:
                n.ok_keys = ok_keys
        return ok_keys

    def consumers(self, node: str, result_id: str) -> list[ResultRecord]:
        """Results of ``node`` that consumed ``result_id`` (oldest first).

        For cascading selection: after selecting result R of X, pick the consumer of R
        among X's downstream nodes.
        """
        with self._lock:
            n = self._nodes.get(node)
            if n is None:
                return []
            own_ids = [e.id for e in n.own if result_id in e.upstream.values()]
            db_count, snap = n.db_count, self._snap
        recs: list[ResultRecord] = []
        if db_count:
            # a text match narrows the rows; the decoded upstream decides
            pattern = "%" + _like_escape(json.dumps(result_id)) + "%"
            rows = self._rows(
                "node = $2 AND seq <= $3 AND upstream::VARCHAR LIKE $4 ESCAPE '\\'",
                [node, snap, pattern],
            )
            recs = [r for r in self._records(rows) if result_id in r.upstream.values()]
        with self._lock:
            own = {rid: self._memory(rid) for rid in own_ids}
        missing = [rid for rid, r in own.items() if r is None]
        if missing:
            own.update(self._fetch_ids(missing))
        return recs + [own[rid] for rid in own_ids if own.get(rid) is not None]

    def flush(self) -> None:
        """Wait until every row appended so far is durable in the file."""
        self._db.flush()

    # ----------------------------------------------------------------------------------
    # selection, inputs, UI state, viewport
    # ----------------------------------------------------------------------------------

    def select(self, node: str, result_id: str | None) -> None:
        """Make ``result_id`` the selected result of ``node`` (None clears it).

        Stored in ``ui_state['selected']``; :meth:`find` prefers the selection.
        """
        rec = None
        if result_id is not None:
            rec = self.by_id(result_id)
            if rec is None:
                raise KeyError(f"No result {result_id!r} in sheet {self._info.name!r}.")
            if rec.node != node:
                raise ValueError(
                    f"Result {result_id!r} belongs to node {rec.node!r}, not {node!r}."
                )
        with self._lock:
            if rec is None:
                self._selected.pop(node, None)
            else:
                self._selected[node] = rec
            selection = {k: v.id for k, v in self._selected.items()}
        self.set_state(SELECTED_KEY, selection)

    def selected(self, node: str) -> ResultRecord | None:
        """The selected result of ``node``, if any."""
        with self._lock:
            return self._selected.get(node)

    def selections(self) -> dict[str, str]:
        """``{node: selected result id}``."""
        with self._lock:
            return {k: v.id for k, v in self._selected.items()}

    def get_inputs(self) -> dict[str, Any]:
        """``{slot: value}`` of every input saved in this sheet."""
        with self._lock:
            return dict(self._inputs)

    def get_input(self, slot: str, default: Any = None) -> Any:
        with self._lock:
            return self._inputs.get(slot, default)

    def _set_value(self, table: str, key: str, value: Any, target: dict[str, Any]) -> None:
        prepared = prepare(value, f"{'input' if table == 'inputs' else 'state'} {key!r}")
        op = ValueOp(self.sheet_id, self._files, table, key, prepared)

        def committed(done: WriteOp, original: Any = value) -> None:
            mapping = stored_files(prepared, self._files)
            if mapping:
                with self._lock:
                    if target.get(key) is original:
                        target[key] = swap_files(original, mapping)

        op.on_commit = committed
        with self._lock:
            self._check_open()
            target[key] = value
            self._db.submit(op)

    def set_input(self, slot: str, value: Any) -> None:
        """Save the value of input ``slot`` (upsert; written in the background)."""
        self._set_value("inputs", slot, value, self._inputs)

    def set_inputs(self, values: dict[str, Any]) -> None:
        """:meth:`set_input` for several slots."""
        for slot, value in values.items():
            self.set_input(slot, value)

    def get_state(self, key: str, default: Any = None) -> Any:
        """Per-sheet UI state (choice selections, panel sizes, ...)."""
        with self._lock:
            return self._state.get(key, default)

    def set_state(self, key: str, value: Any) -> None:
        """Save per-sheet UI state ``key`` (upsert; written in the background)."""
        self._set_value("ui_state", key, value, self._state)

    @property
    def viewport(self) -> Any:
        """The canvas viewport (e.g. ``{"x": 0, "y": 0, "zoom": 1}``), or None."""
        with self._lock:
            return self._viewport

    def get_viewport(self) -> Any:
        return self.viewport

    def set_viewport(self, viewport: Any) -> None:
        """Save the canvas viewport (any JSON value)."""
        op = ViewportOp(self.sheet_id, viewport)
        op.finalize()  # JSON errors belong to the caller
        with self._lock:
            self._check_open()
            self._viewport = viewport
            self._db.submit(op)

    def touch(self) -> None:
        """Mark the sheet as just used (it moves to the top of ``sheets.list()``)."""
        with self._lock:
            self._check_open()
            self._db.submit(ViewportOp(self.sheet_id, touch_only=True))

    # ----------------------------------------------------------------------------------

    @property
    def info(self) -> SheetInfo:
        with self._lock:
            return self._info

    @property
    def name(self) -> str:
        return self.info.name

    def __repr__(self) -> str:
        with self._lock:
            nodes = {k: n.count for k, n in self._nodes.items()}
        return f"<DuckSheet {self._info.name!r} id={self.sheet_id} results={nodes}>"
