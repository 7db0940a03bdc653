"""``graph.sheets``: the workspaces of a graph, each with its own inputs and history."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from daggr.errors import InputError, did_you_mean, listing

if TYPE_CHECKING:
    from daggr.session import Session


class Sheets:
    """The sheets of a graph for the current user, most recently used first.

    Example:
        >>> from daggr import FnNode, Graph
        >>> g = Graph("sheets demo", nodes=[FnNode(lambda: 1, name="one")], persist_key=False)
        >>> first = g.sheet
        >>> g.sheets.new("experiment")
        'experiment'
        >>> g.sheet, sorted(g.sheets) == sorted([first, "experiment"])
        ('experiment', True)
    """

    def __init__(self, session: Session):
        self._session = session

    @property
    def _store_sheets(self) -> Any:
        return self._session.sheet_store

    def __iter__(self) -> Iterator[str]:
        return iter(self._store_sheets.names())

    def __len__(self) -> int:
        return len(self._store_sheets.names())

    def __contains__(self, name: object) -> bool:
        return name in self._store_sheets.names()

    def list(self) -> list[Any]:
        """Sheet rows (id, name, created_at, updated_at), most recently used first."""
        return self._store_sheets.list()

    @property
    def current(self) -> str:
        return self._session.sheet

    def new(self, name: str | None = None, switch: bool = True) -> str:
        """Create a sheet ("Sheet N" by default; names never repeat) and switch to it."""
        info = self._store_sheets.create(name)
        if switch:
            self._session.switch_sheet(info.id)
        return info.name

    def switch(self, name: str) -> None:
        """Make sheet ``name`` the current one."""
        self._session.switch_sheet(self._resolve(name))

    def rename(self, name: str, new_name: str) -> None:
        self._store_sheets.rename(self._resolve(name), new_name)
        if self._session.results.sheet_id == self._resolve(new_name):
            self._session.reopen()

    def delete(self, name: str) -> None:
        """Delete a sheet with its results and the files only it references. Deleting the
        current sheet switches to the most recently used other one (or a new sheet)."""
        sheet_id = self._resolve(name)
        current = self._session.results.sheet_id == sheet_id
        self._store_sheets.delete(sheet_id)
        if current:
            remaining = self._store_sheets.list()
            target = remaining[0].id if remaining else self._store_sheets.create().id
            self._session.switch_sheet(target)

    def _resolve(self, name: str) -> str:
        for info in self._store_sheets.list():
            if name in (info.name, info.id):
                return info.id
        names = self._store_sheets.names()
        raise InputError(
            f"No sheet '{name}'.{did_you_mean(name, names)} Sheets: {listing(names)}. "
            "Create one with graph.sheets.new(name)."
        )

    def __repr__(self) -> str:
        current = self.current
        rows = [f"{'*' if n == current else ' '} {n}" for n in self]
        return "Sheets(\n" + "\n".join(rows) + "\n)"
