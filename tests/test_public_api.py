"""The public API (``daggr.__all__`` and every public signature) matches tests/public_api.json.

A change here is a change for every user's notebook: make it on purpose. To accept one,
regenerate the snapshot and commit it with the change that caused it::

    DAGGR_UPDATE_API_SNAPSHOT=1 python -m pytest tests/test_public_api.py
"""

from __future__ import annotations

import difflib
import enum
import inspect
import json
import os
import re
import types
from pathlib import Path
from typing import Any

import daggr

SNAPSHOT = Path(__file__).with_name("public_api.json")
UPDATE_ENV = "DAGGR_UPDATE_API_SNAPSHOT"
# Dunders a user calls through syntax: graph[...], node | other, len(items), ...
_USER_DUNDERS = {
    "__init__",
    "__call__",
    "__getitem__",
    "__setitem__",
    "__contains__",
    "__iter__",
    "__len__",
    "__or__",
    "__enter__",
    "__exit__",
}


def _signature(obj: Any) -> str:
    try:
        text = str(inspect.signature(obj))
    except (TypeError, ValueError):
        return "(?)"
    return re.sub(r" at 0x[0-9a-f]+", "", text)  # sentinel defaults print their address


def _owner(cls: type, name: str) -> type | None:
    return next((k for k in cls.__mro__ if name in vars(k)), None)


def _member(cls: type, name: str) -> str | None:
    """How the method or property ``cls.name`` looks to a user; None for data attributes
    and for what daggr did not define (``object``'s, ``Exception``'s)."""
    owner = _owner(cls, name)
    if owner is None or not owner.__module__.startswith("daggr"):
        return None
    raw = vars(owner)[name]
    if isinstance(raw, property):
        return "property"
    if isinstance(raw, classmethod):
        return "classmethod " + _signature(getattr(cls, name))
    if isinstance(raw, staticmethod):
        return "staticmethod " + _signature(getattr(cls, name))
    if inspect.isfunction(raw):
        return _signature(raw)
    return None


def _constructor(cls: type) -> str:
    for name in ("__init__", "__new__"):
        owner = _owner(cls, name)
        if owner is not None and owner.__module__.startswith("daggr"):
            return _signature(cls)
    builtin = next(k for k in cls.__mro__ if not k.__module__.startswith("daggr"))
    return f"inherited from {builtin.__name__}"


def _describe_class(cls: type) -> dict[str, Any]:
    names = [n for n in dir(cls) if not n.startswith("_") or n in _USER_DUNDERS]
    members = {n: _member(cls, n) for n in names}
    members = {n: m for n, m in members.items() if m is not None}
    members["__init__"] = _constructor(cls)
    bases = [b.__name__ for b in cls.__bases__ if b is not object]
    return {"bases": bases, "members": dict(sorted(members.items()))}


def _describe(obj: Any) -> Any:
    if isinstance(obj, type) and issubclass(obj, enum.Enum):
        # Members are the API; Enum's own constructor signature differs between Pythons.
        return {"enum": {m.name: m.value for m in obj}}
    if isinstance(obj, type):
        return {"class": _describe_class(obj)}
    if isinstance(obj, types.ModuleType):
        names = sorted(getattr(obj, "__all__", []))
        return {"module": {n: _describe(getattr(obj, n)) for n in names}}
    if callable(obj):
        return {"function": _signature(obj)}
    return {"value": type(obj).__name__}


def public_api() -> dict[str, Any]:
    return {
        "__all__": sorted(daggr.__all__),
        "names": {n: _describe(getattr(daggr, n)) for n in sorted(daggr.__all__)},
    }


def _text(api: dict[str, Any]) -> str:
    return json.dumps(api, indent=1, sort_keys=True) + "\n"


def test_public_api_matches_the_snapshot() -> None:
    now = _text(public_api())
    if os.environ.get(UPDATE_ENV):
        SNAPSHOT.write_text(now)
    before = SNAPSHOT.read_text() if SNAPSHOT.exists() else ""
    diff = "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            now.splitlines(keepends=True),
            fromfile="tests/public_api.json (snapshot)",
            tofile="daggr as imported now",
        )
    )
    assert not diff, (
        "daggr's public API changed (names in daggr.__all__ or public signatures).\n"
        "If the change is intended, update the snapshot and commit it with the change:\n"
        f"    {UPDATE_ENV}=1 python -m pytest tests/test_public_api.py\n"
        "If not, restore the signature.\n\n" + diff
    )


def test_every_name_in_all_exists_and_is_listed_once() -> None:
    missing = [n for n in daggr.__all__ if not hasattr(daggr, n)]
    assert not missing, f"daggr.__all__ names what daggr does not define: {missing}"
    assert len(set(daggr.__all__)) == len(daggr.__all__), "daggr.__all__ lists a name twice"
