"""The sheet catalog of a DuckDB store: list, create, rename, delete, clear, open.

Every call is scoped to one graph (its ``persist_key``) and one user, and checks both:
a sheet of another user raises :class:`~daggr.store.SheetAccessError`, an unknown one
:class:`~daggr.store.SheetNotFoundError` listing the valid names.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from .base import (
    SheetInfo,
    access_denied,
    check_name,
    check_text,
    default_number,
    duplicate_name_error,
    next_default_name,
    not_found,
)
from .codec import FileStore
from .db import Database
from .duck_sheet import DuckSheet
from .writes import utcnow

_SHEET_COLS = "sheet_id, name, graph_key, user_id, created_at, updated_at"
_OPEN_COLS = _SHEET_COLS + ", viewport, (SELECT value FROM counters WHERE name = 'results_seq')"


def info_from_row(row: tuple[Any, ...]) -> SheetInfo:
    """A :class:`SheetInfo` from a ``sheets`` row (columns as in ``_SHEET_COLS``)."""
    return SheetInfo(
        id=row[0],
        name=row[1],
        graph_key=row[2],
        user_id=row[3],
        created_at=row[4].replace(tzinfo=timezone.utc),
        updated_at=row[5].replace(tzinfo=timezone.utc),
    )


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


class DuckSheets:
    """The sheets of one graph for one user in a DuckDB store.

    A sheet can be named by its id or its name in every method.

    >>> import tempfile
    >>> from daggr.store import Store
    >>> store = Store(tempfile.mkdtemp() + "/doc.duckdb", files_dir=tempfile.mkdtemp())
    >>> sheets = store.sheets("my-graph")
    >>> first = sheets.create()
    >>> first.name
    'Sheet 1'
    >>> sheets.rename(first.id, "baseline").name
    'baseline'
    >>> sheet = sheets.open("baseline")              # a DuckSheet
    >>> store.close()
    """

    def __init__(
        self, db: Database, files: FileStore, graph_key: str, user_id: str, file_grace: float
    ) -> None:
        self._db = db
        self._files = files
        self.graph_key = check_text(graph_key, "A graph key (persist_key)")
        self.user_id = check_text(user_id, "A user id")
        self._file_grace = file_grace

    # ----------------------------------------------------------------------------------

    def _names(self, con: Any) -> list[str]:
        return [
            r[0]
            for r in con.execute(
                "SELECT name FROM sheets WHERE graph_key = $1 AND user_id = $2 "
                "ORDER BY updated_at DESC, created_at DESC",
                [self.graph_key, self.user_id],
            ).fetchall()
        ]

    def _resolve(self, con: Any, ref: str, cols: str = _SHEET_COLS) -> tuple[Any, ...]:
        if not isinstance(ref, str):
            raise TypeError(f"A sheet is named by its id or name (a str), got {ref!r}.")
        # one query for both spellings: an id (any owner, checked below) or a name
        rows = con.execute(
            f"SELECT {cols} FROM sheets WHERE sheet_id = $1 "
            f"OR (graph_key = $2 AND user_id = $3 AND name = $1)",
            [ref, self.graph_key, self.user_id],
        ).fetchall()
        by_id = [r for r in rows if r[0] == ref]
        if by_id:
            row = by_id[0]
            if row[3] != self.user_id:
                raise access_denied(ref, self.user_id)
            if row[2] == self.graph_key:
                return row
        elif rows:
            return rows[0]
        raise not_found(ref, self._names(con), self.graph_key, self.user_id)

    def _view(self, sheet_id: str) -> DuckSheet | None:
        view = self._db.views.get(sheet_id)
        return (
            view if isinstance(view, DuckSheet) and view._files.root == self._files.root else None
        )

    # ----------------------------------------------------------------------------------

    def list(self) -> list[SheetInfo]:
        """Every sheet of this graph and user, most recently used first."""
        with self._db.lease() as con:
            rows = con.execute(
                f"SELECT {_SHEET_COLS} FROM sheets WHERE graph_key = $1 AND user_id = $2 "
                f"ORDER BY updated_at DESC, created_at DESC, sheet_id",
                [self.graph_key, self.user_id],
            ).fetchall()
        infos = [info_from_row(r) for r in rows]
        # Writes still queued (or not yet stamped, see writes.TOUCH_EVERY) count as use
        # now, without waiting for the writer.
        local = self._db.local_use
        infos = [
            dataclasses.replace(i, updated_at=max(i.updated_at, _utc(local[i.id])))
            if i.id in local
            else i
            for i in infos
        ]
        infos.sort(key=lambda i: (i.updated_at, i.created_at), reverse=True)
        return infos

    def names(self) -> list[str]:
        """Sheet names, most recently used first."""
        return [s.name for s in self.list()]

    def create(self, name: str | None = None) -> SheetInfo:
        """A new empty sheet, named ``name`` or "Sheet n" (n never reused for this graph)."""
        if name is not None:
            name = check_name(name)
        with self._db.transaction() as con:
            taken = set(self._names(con))
            row = con.execute(
                "SELECT last_number FROM sheet_counters WHERE graph_key = $1 AND user_id = $2",
                [self.graph_key, self.user_id],
            ).fetchone()
            last = row[0] if row else 0
            if name is None:
                name, number = next_default_name(last, taken)
            elif name in taken:
                raise duplicate_name_error(name, self.graph_key)
            else:
                number = default_number(name)
            con.execute(
                "INSERT OR REPLACE INTO sheet_counters VALUES ($1, $2, $3)",
                [self.graph_key, self.user_id, max(last, number)],
            )
            now = utcnow()
            sheet_id = uuid.uuid4().hex
            con.execute(
                "INSERT INTO sheets (sheet_id, graph_key, user_id, name, created_at, updated_at) "
                "VALUES ($1, $2, $3, $4, $5, $5)",
                [sheet_id, self.graph_key, self.user_id, name, now],
            )
        tz_now = now.replace(tzinfo=timezone.utc)
        return SheetInfo(sheet_id, name, self.graph_key, self.user_id, tz_now, tz_now)

    def get(self, ref: str) -> SheetInfo:
        """The sheet named ``ref`` (id or name)."""
        with self._db.lease() as con:
            return info_from_row(self._resolve(con, ref))

    def rename(self, ref: str, name: str) -> SheetInfo:
        """Rename a sheet; names are unique per graph and user."""
        name = check_name(name)
        with self._db.transaction() as con:
            row = self._resolve(con, ref)
            if name != row[1] and name in self._names(con):
                raise duplicate_name_error(name, self.graph_key)
            number = default_number(name)
            if number:
                con.execute(
                    "UPDATE sheet_counters SET last_number = greatest(last_number, $3) "
                    "WHERE graph_key = $1 AND user_id = $2",
                    [self.graph_key, self.user_id, number],
                )
            con.execute(
                "UPDATE sheets SET name = $1, updated_at = $2 WHERE sheet_id = $3",
                [name, utcnow(), row[0]],
            )
            new = con.execute(
                f"SELECT {_SHEET_COLS} FROM sheets WHERE sheet_id = $1", [row[0]]
            ).fetchone()
        info = info_from_row(new)
        view = self._view(info.id)
        if view is not None:
            with view._lock:
                view._info = info
        return info

    def delete(self, ref: str) -> None:
        """Delete a sheet with its inputs, results, state, and the files only it used."""
        with self._db.lease() as con:
            sheet_id = self._resolve(con, ref)[0]
        view = self._view(sheet_id)
        if view is not None:
            with view._lock:
                view._deleted = True  # a run still going cannot append to it any more
        self._purge(sheet_id, keep_sheet=False)

    def clear(self, ref: str) -> None:
        """Empty a sheet (inputs, results, state, its files) but keep it and its name."""
        with self._db.lease() as con:
            sheet_id = self._resolve(con, ref)[0]
        self._purge(sheet_id, keep_sheet=True)
        view = self._view(sheet_id)
        if view is not None:
            with view._lock:
                view._own.clear()
                view._pending.clear()
                view._nodes.clear()
            view._load()

    def _purge(self, sheet_id: str, keep_sheet: bool) -> int:
        self._db.flush()  # rows still queued for this sheet are written, then removed
        now = time.time()
        with self._db.transaction() as con:
            candidates = con.execute(
                "SELECT DISTINCT sha256, ext FROM file_refs WHERE sheet_id = $1", [sheet_id]
            ).fetchall()
            for table in ("file_refs", "results", "inputs", "ui_state"):
                con.execute(f"DELETE FROM {table} WHERE sheet_id = $1", [sheet_id])
            if keep_sheet:
                con.execute(
                    "UPDATE sheets SET updated_at = $1 WHERE sheet_id = $2", [utcnow(), sheet_id]
                )
            else:
                con.execute("DELETE FROM sheets WHERE sheet_id = $1", [sheet_id])
            doomed: list[tuple[str, str]] = []
            if candidates:
                orphans = con.execute(
                    "SELECT c.s, c.e FROM (SELECT unnest($1::VARCHAR[]) AS s, "
                    "unnest($2::VARCHAR[]) AS e) c WHERE NOT EXISTS (SELECT 1 FROM file_refs f "
                    "WHERE f.sha256 = c.s AND f.ext = c.e)",
                    [[c[0] for c in candidates], [c[1] for c in candidates]],
                ).fetchall()
                doomed = [o for o in orphans if self._old_enough(o, now)]
                if doomed:
                    con.execute(
                        "DELETE FROM files WHERE sha256 || '|' || ext "
                        "IN (SELECT unnest($1::VARCHAR[]))",
                        [[f"{d[0]}|{d[1]}" for d in doomed]],
                    )
        for sha, ext in doomed:
            self._files.remove(sha, ext, grace=0.0, now=now)
        return len(doomed)

    def _old_enough(self, file: tuple[str, str], now: float) -> bool:
        # A file touched recently may be referenced by a row another process has not
        # committed yet; it stays until a later delete or Store.gc_files().
        try:
            mtime = self._files.path(*file).stat().st_mtime
        except OSError:
            return True
        return now - mtime >= self._file_grace

    def open(self, ref: str) -> DuckSheet:
        """Open a sheet for reading and writing results, inputs and UI state.

        Opening the same sheet twice in a process returns the same object.
        """
        with self._db.transaction() as con:
            row = self._resolve(con, ref, _OPEN_COLS)
            info = info_from_row(row)
            view = self._view(info.id)
            raw = DuckSheet._read(con, info.id, row) if view is None or view._deleted else None
        if raw is not None:
            view = DuckSheet(self._db, self._files, info, raw)
            self._db.views[info.id] = view
        assert view is not None
        view.touch()
        return view

    def open_or_create(self) -> DuckSheet:
        """The most recently used sheet, or a new "Sheet 1" if there is none."""
        listed = self.list()
        return self.open(listed[0].id if listed else self.create().id)

    def __repr__(self) -> str:
        return f"<DuckSheets graph={self.graph_key!r} user={self.user_id!r}>"
