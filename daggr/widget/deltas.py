"""How the canvas's deltas reach the front end: node-state patches, values so far and
input values, merged per frame.

A mixin of :class:`~daggr.widget.canvas.Canvas` (it uses the canvas's lock, ``send``
and traits). The front end applies deltas to its own copy of the traits
(js/src/index.ts), so the kernel updates its copy without re-sending the whole value:
what crosses the wire is the delta alone, whatever the graph's size. Events closer
together than a screen refresh go out as one message per kind, states before values so
far (a card learns that a node runs before it gets what the node produced).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from daggr.widget import bridge
from daggr.widget.protocol import inputs_message, node_state_message, partial_message

COALESCE_S = 0.016  # deltas closer together than this go out as one message


class Deltas:
    """Pending deltas and their per-frame sending (see the module's doc)."""

    _pending: dict[str, dict[str, Any]] | None = None
    _pending_partial: dict[str, dict[str, Any]] | None = None
    _armed = False  # a flush of pending deltas is due
    _last_push = 0.0

    def _should_send_property(self: Any, key: str, value: Any) -> bool:
        if key in getattr(self._quiet, "keys", ()):
            return False
        return super()._should_send_property(key, value)

    @contextlib.contextmanager
    def _quietly(self: Any, *keys: str) -> Iterator[None]:
        self._quiet.keys = keys
        try:
            yield
        finally:
            self._quiet.keys = ()

    def _push_states(self: Any, patches: dict[str, dict[str, Any]]) -> None:
        with self._lock:
            # Patched in place: assigning a new dict would make traitlets compare the
            # whole old and new value on every event (O(nodes) per status change).
            bridge.merge_states_into(self.node_state, patches)
            self._note_change()  # the saved copy (saved_copy.py) follows the states
            pending = self._pending
            if pending is None:
                pending = self._pending = {}
            for nid, patch in patches.items():
                pending[nid] = {**pending.get(nid, {}), **patch}
            self._schedule()

    def _push_partial(self: Any, nid: str, ops: dict[str, Any]) -> None:
        with self._lock:
            if self._pending_partial is None:
                self._pending_partial = {}
            components = self._components.get(nid, {})
            self._partials.merge(self._pending_partial, nid, ops, components)
            self._schedule()

    def _schedule(self: Any) -> None:
        """Send what is pending now, or at the end of the frame interval (under the lock)."""
        if self._armed:
            return
        wait = COALESCE_S - (time.monotonic() - self._last_push)
        if wait <= 0:
            self._send_pending()
            return
        # Events faster than a screen refresh (a chain of quick nodes, a token stream):
        # merged into one message per kind, sent when the interval is up. A slow node's
        # events still go out at once.
        self._armed = True
        timer = threading.Timer(wait, self._flush_states)
        timer.daemon = True
        timer.start()

    def _send_pending(self: Any) -> None:
        # States first: a card learns that a node runs before it gets its values so far.
        states, self._pending = self._pending, None
        partial, self._pending_partial = self._pending_partial, None
        if states or partial:
            self._last_push = time.monotonic()
        if states:
            self.send(node_state_message(states))
        if partial:
            self.send(partial_message(partial))

    def _flush_states(self: Any) -> None:
        with self._lock:
            self._armed = False
            self._send_pending()

    def _push_inputs(self: Any, values: dict[str, Any]) -> None:
        with self._lock:
            with self._quietly("inputs"):
                self.inputs = {**self.inputs, **values}
            self._note_change()
            self.send(inputs_message(values))
