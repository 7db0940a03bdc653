"""``Store``: the entry point. A DuckDB file (default) or memory only (``path=None``)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .base import DEFAULT_USER
from .codec import FileStore, display_json
from .db import Database
from .memory import MemoryData, MemorySheets
from .paths import default_db_path, default_files_dir
from .query import QueryResult, run_read_only
from .schema import MIGRATIONS
from .sheet_catalog import DuckSheets
from .writes import to_timestamp

_DEFAULT: Any = object()


class Store:
    """Sheets, inputs and the append-only result history of daggr graphs.

    ``Store()`` uses ``$DAGGR_DB_PATH`` (default ``$DAGGR_HOME/daggr.duckdb``) and keeps
    files under ``$DAGGR_HOME/files``; nothing is created before the first use.
    ``Store(path=None)`` or ``Store.memory()`` keeps everything in memory.

    >>> store = Store.memory()
    >>> sheets = store.sheets("my-graph")            # user "local"
    >>> sheet = sheets.open(sheets.create().id)
    >>> sheet.set_input("prompt", "a cat")
    >>> sheet.get_inputs()
    {'prompt': 'a cat'}
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = _DEFAULT,
        *,
        files_dir: str | os.PathLike[str] | None = None,
        file_grace: float = 60.0,
    ) -> None:
        self._file_grace = file_grace
        self._closed = False
        if path is None:
            self._db: Database | None = None
            self._files: FileStore | None = None
            self._memory: MemoryData | None = MemoryData()
        else:
            db_path = default_db_path() if path is _DEFAULT else Path(path)
            self._db = Database.get(db_path)
            self._files = FileStore(Path(files_dir) if files_dir else default_files_dir())
            self._memory = None

    @classmethod
    def memory(cls) -> Store:
        """A store that keeps everything in memory and writes nothing to disk."""
        return cls(None)

    @property
    def is_memory(self) -> bool:
        return self._memory is not None

    @property
    def path(self) -> Path | None:
        """The database file (None for a memory store)."""
        return None if self._db is None else self._db.path

    @property
    def files_dir(self) -> Path | None:
        """Root of the content-addressed file store (None for a memory store)."""
        return None if self._files is None else self._files.root

    def sheets(self, graph_key: str, user_id: str = DEFAULT_USER) -> DuckSheets | MemorySheets:
        """The sheets of graph ``graph_key`` (its persist_key) for ``user_id``.

        >>> Store.memory().sheets("g").list()
        []
        """
        if self._memory is not None:
            return MemorySheets(self._memory, graph_key, user_id)
        assert self._db is not None and self._files is not None
        return DuckSheets(self._db, self._files, graph_key, user_id, self._file_grace)

    def sql(self, query: str, params: Sequence[Any] | dict[str, Any] | None = None) -> QueryResult:
        """Run one read-only SELECT over the tables and views of :mod:`daggr.store.schema`.

        >>> store = Store.memory()
        >>> store.sql("SELECT count(*) AS n FROM history").to_dicts()
        [{'n': 0}]
        """
        if self._memory is not None:
            return _memory_sql(self._memory, query, params)
        assert self._db is not None
        self._db.flush()  # rows appended so far are part of the answer
        with self._db.lease() as con:
            return run_read_only(con, query, params)

    def flush(self, timeout: float | None = -1.0) -> None:
        """Wait until every queued write is durable (see ``Database.flush``)."""
        if self._db is not None:
            self._db.flush(timeout)

    def gc_files(self) -> int:
        """Delete stored files no sheet references (older than ``file_grace``).

        Returns how many were deleted. Files on disk that the database does not list are
        left alone: another database may share the same ``$DAGGR_HOME/files``.
        """
        if self._db is None or self._files is None:
            return 0
        self._db.flush()
        now = time.time()
        with self._db.transaction() as con:
            orphans = con.execute(
                "SELECT sha256, ext FROM files f WHERE NOT EXISTS (SELECT 1 FROM file_refs r "
                "WHERE r.sha256 = f.sha256 AND r.ext = f.ext)"
            ).fetchall()
            doomed = []
            for sha, ext in orphans:
                try:
                    old = now - self._files.path(sha, ext).stat().st_mtime >= self._file_grace
                except OSError:
                    old = True
                if old:
                    doomed.append(f"{sha}|{ext}")
            if doomed:
                con.execute(
                    "DELETE FROM files WHERE sha256 || '|' || ext IN (SELECT unnest($1::VARCHAR[]))",
                    [doomed],
                )
        for key in doomed:
            sha, ext = key.split("|", 1)
            self._files.remove(sha, ext, grace=0.0, now=now)
        return len(doomed)

    def release(self) -> None:
        """Let other processes have the database file now (it re-opens when needed)."""
        if self._db is not None:
            self._db.flush()
            self._db.release()

    def close(self) -> None:
        """Flush and release the file. Other stores on the same file keep working."""
        if self._closed:
            return
        self._closed = True
        if self._db is not None:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return "<Store memory>" if self.is_memory else f"<Store {self.path}>"


def _memory_sql(
    data: MemoryData, query: str, params: Sequence[Any] | dict[str, Any] | None
) -> QueryResult:
    # Build a throwaway DuckDB with the real schema, so queries behave the same.
    from .db import duckdb_module
    from .query import check_read_only

    check_read_only(query)
    con = duckdb_module().connect(":memory:")
    try:
        for migration in MIGRATIONS:
            for statement in migration.statements:
                con.execute(statement)
        with data.lock:
            sheets = list(data.sheets.values())
        for d in sheets:
            with d.lock:
                con.execute(
                    "INSERT INTO sheets VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    [
                        d.id,
                        d.graph_key,
                        d.user_id,
                        d.name,
                        d.created_at.replace(tzinfo=None),
                        d.updated_at.replace(tzinfo=None),
                        display_json(d.viewport),
                    ],
                )
                for table, values in (("inputs", d.inputs), ("ui_state", d.state)):
                    for key, value in values.items():
                        con.execute(
                            f"INSERT INTO {table} VALUES ($1, $2, $3, now()::TIMESTAMP)",
                            [d.id, key, display_json(value)],
                        )
                for r, seq in zip(d.log, d.log_ticks, strict=True):
                    con.execute(
                        "INSERT INTO results VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
                        "$11, $12, $13, $14, now()::TIMESTAMP)",
                        [
                            r.id,
                            seq,
                            d.id,
                            r.node,
                            r.key,
                            r.status,
                            r.error,
                            display_json(r.outputs),
                            display_json(r.inputs),
                            display_json(r.upstream),
                            r.variant,
                            None if r.items is None else display_json(r.items),
                            to_timestamp(r.started_at),
                            r.duration,
                        ],
                    )
        return run_read_only(con, query, params)
    finally:
        con.close()
