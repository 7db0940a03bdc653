"""The items of a scattered node: each item's inputs and key, what the node's previous
result can give back, and how each item fared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from daggr.errors import NodeError
from daggr.records import ResultRecord, Status
from daggr.runtime.keys import Uncacheable, canonical, digest

# The plain values (see daggr.records.Status)
OK, ERROR, CANCELLED = Status.OK.value, Status.ERROR.value, Status.CANCELLED.value


class ItemError(Exception):
    """The scattered inputs cannot be split into items."""


@dataclass(slots=True)
class ItemState:
    """How one item fared; :meth:`stored` is the form kept in ``ResultRecord.items``."""

    key: str | None
    status: str = Status.PENDING.value
    error: str | None = None
    reused: bool = False  # taken from the node's previous result, not executed
    exc: BaseException | None = None  # kept in memory only, for the node's error

    def stored(self) -> dict[str, Any]:
        entry = {"key": self.key, "status": self.status, "error": self.error}
        if self.reused:
            entry["reused"] = True
        return entry


class Items:
    """The items of one execution of a scattered node, zipped by index.

    ``scatter`` holds ``(port, values, item_key)`` per scattered input; ``item_base`` is
    the part of every item's key that does not depend on the item (None: the node is not
    cacheable); ``previous`` is the node's previous result, whose ok items are reused.
    """

    __slots__ = ("values", "states", "outputs", "_reusable", "_previous")

    def __init__(
        self,
        scatter: list[tuple[str, list, str | None]],
        item_base: str | None,
        previous: ResultRecord | None,
    ):
        self.values = _split(scatter)
        self.states = [ItemState(_item_key(item_base, values)) for values in self.values]
        self.outputs: list[dict[str, Any] | None] = [None] * len(self.values)
        self._reusable: dict[str, int] = {}
        if previous is not None and previous.items:
            for index, entry in enumerate(previous.items):
                if entry.get("status") == OK and entry.get("key"):
                    self._reusable[entry["key"]] = index
        self._previous = previous

    def __len__(self) -> int:
        return len(self.values)

    @property
    def reusable(self) -> bool:
        """Whether the previous result has items that :meth:`reuse` could take."""
        return bool(self._reusable)

    def inputs(self, shared: dict[str, Any], i: int) -> dict[str, Any]:
        """Item ``i``'s inputs: the node's unscattered inputs and the item's values."""
        return {**shared, **self.values[i]}

    def reuse(self, i: int) -> bool:
        """Take item ``i`` from the previous result if it succeeded with the same key."""
        state = self.states[i]
        index = self._reusable.get(state.key) if state.key is not None else None
        if index is None:
            return False
        previous = self._previous.outputs  # type: ignore[union-attr]
        self.outputs[i] = {port: values[index] for port, values in previous.items()}
        state.status, state.reused = OK, True
        return True

    def succeeded(self, i: int, outputs: dict[str, Any]) -> None:
        self.outputs[i] = outputs
        self.states[i].status = OK

    def failed(self, i: int, exc: BaseException) -> None:
        state = self.states[i]
        state.status, state.error, state.exc = ERROR, f"{type(exc).__name__}: {exc}", exc

    def cancelled(self, i: int) -> None:
        self.states[i].status = CANCELLED

    def port_values(self, ports: list[str]) -> dict[str, list[Any]]:
        """Each output port's list of per-item values (None where an item has none)."""
        results = self.outputs
        return {port: [r.get(port) if r is not None else None for r in results] for port in ports}

    def error(self, node: str) -> NodeError | None:
        """The node's error when items failed: the first failure, with how many failed."""
        failed = [(i, s) for i, s in enumerate(self.states) if s.status == ERROR]
        if not failed:
            return None
        i, first = failed[0]
        more = f" ({len(failed)} of {len(self.states)} items failed)" if len(failed) > 1 else ""
        error = NodeError(node, first.exc, f"item {i} failed: {first.error}{more}")
        error.__cause__ = first.exc
        return error

    def failures(self) -> int:
        return sum(1 for s in self.states if s.status == ERROR)

    def stored(self) -> list[dict[str, Any]]:
        return [state.stored() for state in self.states]


def _split(scatter: list[tuple[str, list, str | None]]) -> list[dict[str, Any]]:
    lengths = {port: len(values) for port, values, _ in scatter}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"'{port}' has {n}" for port, n in lengths.items())
        raise ItemError(
            f"scattered inputs have different lengths ({detail}); they are zipped by index"
        )
    count = next(iter(lengths.values()))
    per_item: list[dict[str, Any]] = []
    for i in range(count):
        values = {}
        for port, items, item_key in scatter:
            item = items[i]
            if item_key is not None:
                if not isinstance(item, dict) or item_key not in item:
                    keys = sorted(item) if isinstance(item, dict) else type(item).__name__
                    raise ItemError(f"item {i} has no key '{item_key}' (it has: {keys})")
                item = item[item_key]
            values[port] = item
        per_item.append(values)
    return per_item


_SHORT_ITEM = 80  # characters of an item's own part kept unhashed in its key


def _item_key(item_base: str | None, values: dict[str, Any]) -> str | None:
    """The item's key: the node's item-independent part and the item's own values, as
    text after it when short (one scattered port and a short value: most items, and
    hashing would cost more than the rest of the item), else hashed with it."""
    if not item_base:
        return None
    try:
        if len(values) == 1:
            ((port, value),) = values.items()
            text = f"{port}={canonical(value)!r}"
        else:
            text = repr(tuple(sorted((k, canonical(v)) for k, v in values.items())))
    except Uncacheable:
        return None
    if len(text) <= _SHORT_ITEM:
        return f"{item_base}:{text}"
    return digest(item_base, text)
