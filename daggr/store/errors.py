"""Errors raised by the store: one small hierarchy under :class:`StoreError`.

Each error also derives from the builtin a caller would naturally catch
(``KeyError`` for an unknown sheet, ``PermissionError`` for someone else's sheet, ...).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class StoreError(Exception):
    """Base class of every error raised by :mod:`daggr.store`."""


class DatabaseOpenError(StoreError):
    """The database file cannot be opened (not a DuckDB file, unreadable, ...)."""

    def __init__(self, message: str, path: Path | str | None = None) -> None:
        super().__init__(message)
        self.path = Path(path) if path is not None else None


class CorruptDatabaseError(DatabaseOpenError):
    """The file exists but is not a readable DuckDB database."""


def damaged_history(path: Path, what: str) -> CorruptDatabaseError:
    """The error for a damaged history file: what happened, and how to go on."""
    return CorruptDatabaseError(
        f"The daggr history {path} is damaged ({what}); daggr changed nothing in it and "
        f"will not start a new, empty history over it. Move it aside "
        f"(mv '{path}' '{path}.damaged') and daggr starts a new history there, or point "
        f"DAGGR_DB_PATH at another file. What is still readable can be copied out of the "
        f"moved file with the duckdb CLI (duckdb '{path}.damaged'); the stored files are "
        f"not touched.",
        path,
    )


class SchemaTooNewError(DatabaseOpenError):
    """The database was written by a newer daggr whose schema this version does not know."""


class StoreBusyError(StoreError, TimeoutError):
    """Another process kept the database file locked for longer than the timeout."""


class SheetNotFoundError(StoreError, KeyError):
    """No sheet with this id or name (for this graph and user)."""

    def __str__(self) -> str:  # KeyError would show the repr of the message
        return str(self.args[0]) if self.args else ""


class SheetAccessError(StoreError, PermissionError):
    """The sheet belongs to another user."""


class ReadOnlyQueryError(StoreError, ValueError):
    """``Store.sql`` was given something other than a single read-only query."""


class ValueEncodingError(StoreError, TypeError):
    """A value cannot be stored without losing it (not JSON, not a file, not picklable)."""


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``word``, if any is reasonably close (for "did you mean")."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def unknown_sheet_message(ref: str, names: list[str], graph_key: str, user_id: str) -> str:
    """The message of a :class:`SheetNotFoundError`: what was asked and what is valid."""
    msg = f"No sheet {ref!r} for graph {graph_key!r} and user {user_id!r}."
    if names:
        msg += " Valid sheets: " + ", ".join(repr(n) for n in names) + "."
        guess = closest(ref, names)
        if guess is not None:
            msg += f" Did you mean {guess!r}?"
    else:
        msg += " This graph has no sheets yet; create one with sheets.create()."
    return msg
