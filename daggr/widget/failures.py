"""What a failed card shows beyond its message: the traceback, as ``result.errors`` has it.

A run's outcome carries the exception a node raised. The card's state only says that a
traceback exists (``trace: {"rid", "size"}``, the result it belongs to and its length),
so node-state messages stay small; the text (``traceback.format_exception`` of
``result.errors[node]``) is sent when the card asks for it (``traceback`` request).
History keeps a failure's message only: a failure restored from history has no traceback.

Example:
    >>> from daggr import FnNode, Graph
    >>> g = Graph("demo", nodes=[FnNode(lambda: 1 / 0, name="div")], persist_key=False)
    >>> r = g.run(progress=False)
    >>> traces = Tracebacks()
    >>> patch = failure_patch(r.outcome("div"), "div", traces)
    >>> traces.get("div", patch["trace"]["rid"]).splitlines()[-1]
    'ZeroDivisionError: division by zero'
"""

from __future__ import annotations

import threading
import traceback
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from daggr.records import Status

if TYPE_CHECKING:
    from daggr.runtime.result import NodeOutcome

MAX_TRACE = 20_000  # characters; a longer traceback keeps its end (where the error is)
KEPT = 128  # tracebacks kept per canvas (the most recent failures)


def traceback_text(error: BaseException | None) -> str:
    """The traceback text of ``error``, as ``traceback.format_exception`` gives it."""
    if error is None:
        return ""
    text = "".join(traceback.format_exception(error)).rstrip("\n")
    if len(text) > MAX_TRACE:
        text = "…\n" + text[-(MAX_TRACE - 2) :]
    return text


class Tracebacks:
    """The latest failures' tracebacks, by node id and result id (thread-safe)."""

    def __init__(self, kept: int = KEPT) -> None:
        self._texts: OrderedDict[tuple[str, str | None], str] = OrderedDict()
        self._kept = kept
        self._lock = threading.Lock()

    def put(self, node: str, rid: str | None, text: str) -> None:
        with self._lock:
            self._texts[(node, rid)] = text
            self._texts.move_to_end((node, rid))
            while len(self._texts) > self._kept:
                self._texts.popitem(last=False)

    def get(self, node: str, rid: str | None) -> str | None:
        with self._lock:
            return self._texts.get((node, rid))


def failure_patch(
    outcome: NodeOutcome,
    node_id: str,
    traces: Tracebacks,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The card field about a failure's traceback (its text kept in ``traces``): ``trace``
    for a failed node, or None to clear an earlier one (only when the card had one)."""
    if outcome.status == Status.ERROR:
        rid = outcome.record.id if outcome.record is not None else None
        text = traceback_text(outcome.error)
        if text:
            traces.put(node_id, rid, text)
        return {"trace": {"rid": rid, "size": len(text)}}
    if previous and previous.get("trace") is not None and outcome.status in ("ok", "cached"):
        return {"trace": None}
    return {}
