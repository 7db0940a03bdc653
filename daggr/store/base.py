"""Types shared by the DuckDB and in-memory stores: the sheet contract and small helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from daggr.records import ResultRecord, Status

from .errors import SheetAccessError, SheetNotFoundError, StoreError, unknown_sheet_message

_OK = Status.OK.value  # the plain string, as rows read back carry (see daggr.records)

DEFAULT_USER = "local"
SELECTED_KEY = "selected"  # ui_state key holding {node: selected result id}
_DEFAULT_NAME = re.compile(r"Sheet (\d+)")


@dataclass(frozen=True)
class SheetInfo:
    """A sheet's row: identity, owner, name and timestamps (UTC, timezone-aware)."""

    id: str
    name: str
    graph_key: str
    user_id: str
    created_at: datetime
    updated_at: datetime


class Receipt(Protocol):
    """A write on its way to disk (returned by ``append``; None means already kept)."""

    def when_saved(self, callback: Any) -> None:
        """``callback(None)`` once committed, ``callback(reason)`` if the write failed."""

    def hurry(self) -> None:
        """Ask for the write now rather than with the next batch."""


@runtime_checkable
class SheetResults(Protocol):
    """What the engine and the session need from one open sheet.

    Implemented by :class:`~daggr.store.duck_sheet.DuckSheet` (DuckDB file) and
    :class:`~daggr.store.memory.MemorySheet` (memory only). Returned records are shared:
    treat them as read-only.
    """

    sheet_id: str

    def find(self, node: str, key: str) -> ResultRecord | None: ...
    def append(self, record: ResultRecord) -> Receipt | None: ...
    def history(self, node: str) -> list[ResultRecord]: ...
    def count(self, node: str) -> int: ...
    def get(self, node: str, index: int) -> ResultRecord: ...
    def by_id(self, result_id: str) -> ResultRecord | None: ...
    def latest(self, node: str) -> ResultRecord | None: ...
    def consumers(self, node: str, result_id: str) -> list[ResultRecord]: ...
    def flush(self) -> None: ...
    def get_inputs(self) -> dict[str, Any]: ...
    def set_input(self, slot: str, value: Any) -> None: ...
    def set_inputs(self, values: dict[str, Any]) -> None: ...
    def get_state(self, key: str, default: Any = None) -> Any: ...
    def set_state(self, key: str, value: Any) -> None: ...


def check_text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, got {value!r}.")
    return value


def check_name(name: Any) -> str:
    name = check_text(name, "A sheet name")
    if len(name) > 200:
        raise ValueError(f"A sheet name must be at most 200 characters, got {len(name)}.")
    return name


def next_default_name(last_number: int, taken: set[str]) -> tuple[str, int]:
    """("Sheet n", n) with n above every number ever used and not currently taken."""
    n = last_number + 1
    while f"Sheet {n}" in taken:
        n += 1
    return f"Sheet {n}", n


def default_number(name: str) -> int:
    """n if ``name`` is "Sheet n" (so explicit names also advance the counter), else 0."""
    m = _DEFAULT_NAME.fullmatch(name)
    return int(m.group(1)) if m else 0


def duplicate_name_error(name: str, graph_key: str) -> ValueError:
    return SheetNameTakenError(
        f"A sheet named {name!r} already exists for graph {graph_key!r}; choose another name."
    )


class SheetNameTakenError(StoreError, ValueError):
    """Another sheet of this graph and user already has this name."""


def not_found(ref: str, names: list[str], graph_key: str, user_id: str) -> SheetNotFoundError:
    return SheetNotFoundError(unknown_sheet_message(ref, names, graph_key, user_id))


def access_denied(ref: str, user_id: str) -> SheetAccessError:
    return SheetAccessError(
        f"Sheet {ref!r} belongs to another user; user {user_id!r} cannot read or write it."
    )


def deleted_error(sheet_id: str) -> SheetNotFoundError:
    return SheetNotFoundError(
        f"Sheet {sheet_id!r} was deleted; open another sheet (sheets.list())."
    )


def resolve_index(node: str, index: int, total: int) -> int:
    """0-based position of ``index`` (negative counts from the end) or IndexError."""
    if not isinstance(index, int) or isinstance(index, bool):
        raise TypeError(f"A result index must be an int, got {type(index).__name__}.")
    i = index + total if index < 0 else index
    if not 0 <= i < total:
        if total == 0:
            raise IndexError(f"Node {node!r} has no results in this sheet yet.")
        raise IndexError(
            f"Result index {index} is out of range for node {node!r}: it has {total} "
            f"result(s), valid indexes are 0..{total - 1} (or -{total}..-1)."
        )
    return i


def newest_ok(records: list[ResultRecord], key: str) -> ResultRecord | None:
    for rec in reversed(records):
        if rec.key == key and rec.status == _OK:
            return rec
    return None
