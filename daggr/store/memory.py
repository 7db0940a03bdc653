"""The in-memory store: same API as the DuckDB one, plain Python, nothing on disk.

Used for graphs with ``persist_key=False`` and for ``node.test()``. Values are kept as
they are (no encoding, no copies of files), so it is as fast as a dict.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from datetime import datetime, timezone
from typing import Any

from daggr.records import ResultRecord, Status
from daggr.store.codec import check_keepable, unkeepable_types

from .base import (
    SELECTED_KEY,
    SheetInfo,
    access_denied,
    check_name,
    check_text,
    default_number,
    deleted_error,
    duplicate_name_error,
    next_default_name,
    not_found,
    resolve_index,
)

_REFUSED = unkeepable_types()  # values no store keeps (a generator, an open file)
_OK = Status.OK.value  # the plain string, as rows read back carry (see daggr.records)


def _now() -> datetime:
    return datetime.now(timezone.utc)


class _SheetData:
    def __init__(self, sheet_id: str, name: str, graph_key: str, user_id: str) -> None:
        now = _now()
        self.id = sheet_id
        self.name = name
        self.graph_key = graph_key
        self.user_id = user_id
        self.created_at = now
        self._updated_at = now
        self.touched = False  # updated since updated_at was last read (read it lazily)
        self.tick = 0  # breaks updated_at ties: equal clock readings still order
        self.deleted = False
        self.lock = threading.RLock()
        self.clear()

    def clear(self) -> None:
        self.results: dict[str, list[ResultRecord]] = {}
        # Every record in append order, with the store's tick of each (SQL's seq column).
        # The indexes by id are brought up to date when asked (see index()): kept on every
        # append, two dicts as large as the history would be written at random places per
        # node, the largest part of a run's cost once the history is large.
        self.log: list[ResultRecord] = []
        self.log_ticks: list[int] = []
        self.indexed = 0
        self._by_id: dict[str, ResultRecord] = {}
        self._seq: dict[str, int] = {}
        self.ok: dict[str, dict[str, ResultRecord]] = {}  # node -> key -> newest ok
        self.inputs: dict[str, Any] = {}
        self.state: dict[str, Any] = {}
        self.viewport: Any = None
        self.selected: dict[str, ResultRecord] = {}

    def index(self) -> tuple[dict[str, ResultRecord], dict[str, int]]:
        """(record by id, seq by id), up to date (call with ``lock`` held)."""
        log = self.log
        if self.indexed < len(log):
            by_id, seq, ticks = self._by_id, self._seq, self.log_ticks
            for i in range(self.indexed, len(log)):
                rid = log[i].id
                by_id[rid] = log[i]
                seq[rid] = ticks[i]
            self.indexed = len(log)
        return self._by_id, self._seq

    @property
    def updated_at(self) -> datetime:
        if self.touched:
            self.touched = False
            self._updated_at = _now()
        return self._updated_at

    @updated_at.setter
    def updated_at(self, value: datetime) -> None:
        self._updated_at = value
        self.touched = False

    def info(self) -> SheetInfo:
        return SheetInfo(
            self.id, self.name, self.graph_key, self.user_id, self.created_at, self.updated_at
        )


class MemoryData:
    """Everything a memory store holds (shared by all its sheet managers)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.sheets: dict[str, _SheetData] = {}
        self.counters: dict[tuple[str, str], int] = {}
        # One clock for every sheet: next() on a count is atomic, so no lock is needed.
        self.ticks = itertools.count(1)

    def next_seq(self) -> int:
        return next(self.ticks)

    def touch(self, data: _SheetData) -> None:
        data.tick = next(self.ticks)
        data.touched = True


class MemorySheet:
    """One sheet of a memory store (implements :class:`~daggr.store.SheetResults`).

    >>> from daggr.store import Store
    >>> sheet = Store.memory().sheets("g").open_or_create()
    >>> sheet.append(ResultRecord("n", key="k", outputs={"o": 1}, inputs={}))
    >>> sheet.find("n", "k").outputs
    {'o': 1}
    """

    def __init__(self, store: MemoryData, data: _SheetData) -> None:
        self._store = store
        self._data = data
        self.sheet_id = data.id

    def _check(self) -> _SheetData:
        if self._data.deleted:
            raise deleted_error(self.sheet_id)
        return self._data

    def append(self, record: ResultRecord) -> None:
        d = self._data
        if d.deleted:
            raise deleted_error(self.sheet_id)
        refused = _REFUSED
        for value in record.outputs.values():
            if type(value) in refused:  # what no store can keep fails here as in DuckDB's
                check_keepable(record.outputs, "output", record.node)
        # One pass, without reading the wall clock, and no container made unless a node
        # has none yet: this is on the engine's hot path.
        node = record.node
        lock = d.lock
        lock.acquire()
        try:
            d.tick = tick = next(self._store.ticks)
            d.log.append(record)
            d.log_ticks.append(tick)
            history = d.results.get(node)
            if history is None:
                history = d.results[node] = []
            history.append(record)
            if record.status == _OK:
                by_key = d.ok.get(node)
                if by_key is None:
                    by_key = d.ok[node] = {}
                by_key[record.key] = record
            d.touched = True
        finally:
            lock.release()

    def find(self, node: str, key: str) -> ResultRecord | None:
        # Reads without the lock: a dict lookup is atomic, and this runs for every node.
        d = self._data
        sel = d.selected.get(node)
        if sel is not None and sel.key == key and sel.status == _OK:
            return sel
        return d.ok.get(node, {}).get(key)

    def history(self, node: str) -> list[ResultRecord]:
        with self._data.lock:
            return list(self._data.results.get(node, ()))

    def count(self, node: str) -> int:
        with self._data.lock:
            return len(self._data.results.get(node, ()))

    def nodes(self) -> list[str]:
        with self._data.lock:
            return [n for n, rs in self._data.results.items() if rs]

    def get(self, node: str, index: int) -> ResultRecord:
        with self._data.lock:
            records = self._data.results.get(node, [])
            return records[resolve_index(node, index, len(records))]

    def by_id(self, result_id: str) -> ResultRecord | None:
        with self._data.lock:
            return self._data.index()[0].get(result_id)

    def latest(self, node: str) -> ResultRecord | None:
        with self._data.lock:
            records = self._data.results.get(node)
            return records[-1] if records else None

    def consumers(self, node: str, result_id: str) -> list[ResultRecord]:
        with self._data.lock:
            return [r for r in self._data.results.get(node, ()) if result_id in r.upstream.values()]

    def flush(self) -> None:
        """Nothing to write: memory only."""

    def refresh(self) -> None:
        """Nothing to reload: memory only."""

    def select(self, node: str, result_id: str | None) -> None:
        d = self._check()
        with d.lock:
            if result_id is None:
                d.selected.pop(node, None)
            else:
                rec = d.index()[0].get(result_id)
                if rec is None:
                    raise KeyError(f"No result {result_id!r} in sheet {d.name!r}.")
                if rec.node != node:
                    raise ValueError(
                        f"Result {result_id!r} belongs to node {rec.node!r}, not {node!r}."
                    )
                d.selected[node] = rec
            d.state[SELECTED_KEY] = {k: v.id for k, v in d.selected.items()}

    def selected(self, node: str) -> ResultRecord | None:
        return self._data.selected.get(node)  # atomic: no lock on the engine's hot path

    def selections(self) -> dict[str, str]:
        with self._data.lock:
            return {k: v.id for k, v in self._data.selected.items()}

    def get_inputs(self) -> dict[str, Any]:
        with self._data.lock:
            return dict(self._data.inputs)

    def get_input(self, slot: str, default: Any = None) -> Any:
        with self._data.lock:
            return self._data.inputs.get(slot, default)

    def set_input(self, slot: str, value: Any) -> None:
        d = self._check()
        with d.lock:
            d.inputs[slot] = value
        self._store.touch(d)

    def set_inputs(self, values: dict[str, Any]) -> None:
        for slot, value in values.items():
            self.set_input(slot, value)

    def get_state(self, key: str, default: Any = None) -> Any:
        with self._data.lock:
            return self._data.state.get(key, default)

    def set_state(self, key: str, value: Any) -> None:
        d = self._check()
        with d.lock:
            d.state[key] = value
        self._store.touch(d)

    @property
    def viewport(self) -> Any:
        return self._data.viewport

    def get_viewport(self) -> Any:
        return self._data.viewport

    def set_viewport(self, viewport: Any) -> None:
        self._check().viewport = viewport

    def touch(self) -> None:
        self._store.touch(self._check())

    @property
    def info(self) -> SheetInfo:
        return self._data.info()

    @property
    def name(self) -> str:
        return self._data.name

    def __repr__(self) -> str:
        counts = {n: len(r) for n, r in self._data.results.items()}
        return f"<MemorySheet {self._data.name!r} id={self.sheet_id} results={counts}>"


class MemorySheets:
    """The sheets of one graph for one user in a memory store (see ``DuckSheets``)."""

    def __init__(self, store: MemoryData, graph_key: str, user_id: str) -> None:
        self._store = store
        self.graph_key = check_text(graph_key, "A graph key (persist_key)")
        self.user_id = check_text(user_id, "A user id")

    def _mine(self) -> list[_SheetData]:
        mine = [
            d
            for d in self._store.sheets.values()
            if d.graph_key == self.graph_key and d.user_id == self.user_id
        ]
        return sorted(mine, key=lambda d: d.tick, reverse=True)

    def _resolve(self, ref: str) -> _SheetData:
        if not isinstance(ref, str):
            raise TypeError(f"A sheet is named by its id or name (a str), got {ref!r}.")
        with self._store.lock:
            d = self._store.sheets.get(ref)
            if d is not None:
                if d.user_id != self.user_id:
                    raise access_denied(ref, self.user_id)
                if d.graph_key == self.graph_key:
                    return d
            mine = self._mine()
            for d in mine:
                if d.name == ref:
                    return d
            raise not_found(ref, [d.name for d in mine], self.graph_key, self.user_id)

    def list(self) -> list[SheetInfo]:
        with self._store.lock:
            return [d.info() for d in self._mine()]

    def names(self) -> list[str]:
        return [s.name for s in self.list()]

    def create(self, name: str | None = None) -> SheetInfo:
        if name is not None:
            name = check_name(name)
        with self._store.lock:
            taken = {d.name for d in self._mine()}
            last = self._store.counters.get((self.graph_key, self.user_id), 0)
            if name is None:
                name, number = next_default_name(last, taken)
            elif name in taken:
                raise duplicate_name_error(name, self.graph_key)
            else:
                number = default_number(name)
            self._store.counters[(self.graph_key, self.user_id)] = max(last, number)
            d = _SheetData(uuid.uuid4().hex, name, self.graph_key, self.user_id)
            self._store.sheets[d.id] = d
            self._store.touch(d)
            return d.info()

    def get(self, ref: str) -> SheetInfo:
        return self._resolve(ref).info()

    def rename(self, ref: str, name: str) -> SheetInfo:
        name = check_name(name)
        with self._store.lock:
            d = self._resolve(ref)
            if name != d.name and name in {x.name for x in self._mine()}:
                raise duplicate_name_error(name, self.graph_key)
            key = (self.graph_key, self.user_id)
            self._store.counters[key] = max(self._store.counters.get(key, 0), default_number(name))
            d.name = name
            self._store.touch(d)
            return d.info()

    def delete(self, ref: str) -> None:
        with self._store.lock:
            d = self._resolve(ref)
            d.deleted = True
            del self._store.sheets[d.id]

    def clear(self, ref: str) -> None:
        d = self._resolve(ref)
        with d.lock:
            d.clear()
        self._store.touch(d)

    def open(self, ref: str) -> MemorySheet:
        d = self._resolve(ref)
        self._store.touch(d)
        return MemorySheet(self._store, d)

    def open_or_create(self) -> MemorySheet:
        with self._store.lock:
            mine = self._mine()
            return self.open(mine[0].id if mine else self.create().id)

    def __repr__(self) -> str:
        return f"<MemorySheets graph={self.graph_key!r} user={self.user_id!r}>"
