"""Canvas requests about the whole canvas (Run all, Stop all, the sheet's layout) and a
failure's traceback.

A mixin of :class:`~daggr.widget.canvas.Canvas` (it uses the canvas's lock, handles and
quiet trait updates), kept apart from the per-node requests.
"""

from __future__ import annotations

from typing import Any

from daggr.errors import DaggrError
from daggr.widget import bridge
from daggr.widget.failures import Tracebacks, failure_patch
from daggr.widget.protocol import fetch_error_message, fetched_message
from daggr.widget.sheet_layout import merge_layout


class CanvasActions:
    """``run_all``, ``stop_all``, ``layout``, ``traceback`` and ``hello`` requests
    (protocol.py)."""

    _traces: Tracebacks | None = None
    _changes = 0  # state changes seen (inputs, selections, variants, sheets)
    _run_mark: int | None = None  # _changes when the current run started

    # -- what a run's end must check again -------------------------------------------------
    # Each finished node's patch already says what its card shows. The end of a run checks
    # every card against the session again (bridge.node_states, a few ms on large graphs)
    # only when that can change something: a node did not succeed, a node outside the run
    # depends on it, or something else changed while it ran.
    def _track(self: Any, kind: str) -> None:
        if kind == "state_changed":
            self._changes += 1
        elif kind == "node_started" and self._run_mark is None:
            self._run_mark = self._changes

    def _needs_reconcile(self: Any, result: Any) -> bool:
        mark, self._run_mark = self._run_mark, None
        outcomes = getattr(result, "outcomes", None)
        if mark is None or mark != self._changes or not outcomes:
            return True
        if any(o.status not in ("ok", "cached") for o in outcomes.values()):
            return True
        return any(
            e.source_node in outcomes and e.target_node not in outcomes for e in self.graph.edges
        )

    def _failure_patch(self: Any, nid: str, outcome: Any) -> dict[str, Any]:
        if outcome.status != "error" and self._traces is None:
            return {}  # no card shows a traceback yet: nothing to clear (the common case)
        if self._traces is None:
            self._traces = Tracebacks()
        return failure_patch(outcome, nid, self._traces, self.node_state.get(nid))

    def _on_hello(self: Any, req: dict[str, Any]) -> None:
        # A view says hello once it listens. Deltas sent before (a page still loading its
        # code while a later cell runs the graph) would be lost: it gets the whole state
        # once, then merges deltas into its model, which is what a notebook saved from it
        # keeps (saved_copy.py). The answer tells it the kernel is there (a view that
        # hears nothing is a kernel-less copy: read-only).
        self._note_front_end()
        with self._lock:
            self._flush_states()
            self.send_state(["node_state", "inputs"])
        self.send({"type": "hello"})

    def _on_traceback(self: Any, req: dict[str, Any]) -> None:
        text = self._traces.get(req["node"], req["result"]) if self._traces else None
        if text is None:
            name = self._names[req["node"]]
            self.send(
                fetch_error_message(
                    req["id"],
                    f"The traceback of this failure of '{name}' is not kept (history keeps "
                    "the message only); run the node again to see it.",
                )
            )
            return
        self.send(
            fetched_message(req["id"], "text/plain", "traceback.txt"), buffers=[text.encode()]
        )

    def _on_run_all(self: Any, req: dict[str, Any]) -> None:
        with self._lock:
            handle = bridge.start_all(self.session)
            self._handles.append(handle)
            members = [self._ids[n] for n in bridge.run_members(handle) if n in self._ids]
            if members:
                self._push_states({nid: bridge.pending_patch() for nid in members})

    def _on_stop_all(self: Any, req: dict[str, Any]) -> None:
        with self._lock:
            handles = [h for h in self._handles if not h.done()]
        if not handles:
            raise DaggrError(
                "No run started from this canvas is in progress. A run started from code "
                "stops with the notebook's interrupt (■) button."
            )
        for handle in handles:
            handle.cancel()

    def _on_layout(self: Any, req: dict[str, Any]) -> None:
        with self._lock, self._quietly("viewport"):
            self.viewport = merge_layout(self.viewport, req["layout"])
        bridge.save_viewport(self.session, self.viewport)
