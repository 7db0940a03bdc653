"""Error types and the "did you mean" helper used by every message that names a mistake."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class DaggrError(Exception):
    """Base class of daggr's own errors."""


class GraphError(DaggrError, ValueError):
    """A graph or node definition is invalid (unknown port, cycle, duplicate name, ...)."""


class InputError(DaggrError, ValueError):
    """A run was given an input that does not exist or cannot be used."""


class NodeError(DaggrError, RuntimeError):
    """A node failed while running. ``original`` is the exception its code raised."""

    def __init__(self, node: str, original: BaseException, detail: str | None = None):
        self.node = node
        self.original = original
        msg = detail or f"{type(original).__name__}: {original}"
        super().__init__(f"Node '{node}' failed: {msg}")


class NotSaved(DaggrError, OSError):
    """A node's result could not be written to the history (a full disk, a store that
    is gone): the node is reported as failed rather than as a result that would be lost."""


class RunCancelled(DaggrError):
    """The run was cancelled before this node could finish."""


def closest(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate closest to ``word``, or None when nothing is close enough."""
    pool = list(candidates)
    if not pool:
        return None
    lowered = {c.lower(): c for c in pool}
    if word.lower() in lowered:
        return lowered[word.lower()]
    match = difflib.get_close_matches(word, pool, n=1, cutoff=cutoff)
    if match:
        return match[0]
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=cutoff)
    return lowered[match[0]] if match else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` Did you mean 'x'?`` (with a leading space) or an empty string."""
    match = closest(word, candidates)
    return f" Did you mean '{match}'?" if match else ""


def listing(names: Iterable[str]) -> str:
    """Names joined for a message, or ``(none)``."""
    items = [str(n) for n in names]
    return ", ".join(items) if items else "(none)"
