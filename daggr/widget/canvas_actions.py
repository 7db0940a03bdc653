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
    """``run_all``, ``stop_all``, ``layout`` and ``traceback`` requests (protocol.py)."""

    _traces: Tracebacks | None = None

    def _failure_patch(self: Any, nid: str, outcome: Any) -> dict[str, Any]:
        if self._traces is None:
            self._traces = Tracebacks()
        return failure_patch(outcome, nid, self._traces, self.node_state.get(nid))

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
