"""What a card shows of a running node's values so far, as small deltas.

The engine reports a node's values so far (:class:`~daggr.runtime.live.Partial`); the
canvas turns each into per-port operations for the front end, kept out of the synced
traits (they are saved into notebooks) and sent as ``partial`` messages:

- ``[n, text]``: text that grew, ``text`` appended at character ``n`` (a view whose
  text is not ``n`` long asks for the whole value again). The most frequent message of
  all (a token stream), hence its terse shape;
- ``{"set": preview, "rid": "~<stream>.<version>"}``: a value replaced (an image, an
  audio clip, text that changed). The preview comes from the value registry; media and
  long text are fetched by that ``rid``, which names the value so far, never a result.

The card learns the node's stream id from its state (``"stream"``): a view that opened
mid-stream fetches the whole text so far by it, then follows the appends.

Operations waiting for the next frame are merged: appends concatenate, a later ``set``
wins. A node's values so far are forgotten when it runs again, and when it finishes,
unless it failed: then the card keeps showing them next to the error.

Example:
    >>> from daggr.runtime.live import Partial
    >>> streams = PartialStreams()
    >>> streams.ops("n1", Partial("story", None, {"text": "Once"}, {"text": "Once"}), {})
    {'text': [0, 'Once']}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from daggr import values
from daggr.runtime.live import Partial

PREFIX = "~"  # partial value ids start with it; result ids never do


@dataclass
class _Stream:
    sid: str
    nid: str
    outputs: dict[str, Any] = field(default_factory=dict)
    version: int = 0


class PartialStreams:
    """The values so far of the canvas's running nodes (node id -> stream)."""

    def __init__(self) -> None:
        self._streams: dict[str, _Stream] = {}
        self._by_sid: dict[str, _Stream] = {}
        self._count = 0

    def ops(self, nid: str, partial: Partial, components: dict[str, Any]) -> dict[str, Any]:
        """The front-end operations for a node's new values so far (``components``: its
        output components, for previews)."""
        stream = self._streams.get(nid)
        if stream is None:
            self._count += 1
            stream = _Stream(f"{PREFIX}{self._count}", nid)
            self._streams[nid] = stream
            self._by_sid[stream.sid] = stream
        stream.outputs = partial.outputs
        ops: dict[str, Any] = {}
        for port, text in partial.appended.items():
            ops[port] = [len(partial.outputs[port]) - len(text), text]
        if partial.replaced:
            stream.version += 1
            rid = f"{stream.sid}.{stream.version}"
            for port in partial.replaced:
                value = partial.outputs.get(port)
                ops[port] = {"set": values.preview(value, components.get(port)), "rid": rid}
        return ops

    def merge(
        self,
        pending: dict[str, dict[str, Any]],
        nid: str,
        ops: dict[str, Any],
        components: dict[str, Any],
    ) -> None:
        """Add ``ops`` to those waiting for the next frame (in place)."""
        waiting = pending.setdefault(nid, {})
        for port, op in ops.items():
            before = waiting.get(port)
            if before is None or isinstance(op, dict):
                waiting[port] = op
            elif isinstance(before, list) and before[0] + len(before[1]) == op[0]:
                waiting[port] = [before[0], before[1] + op[1]]
            else:  # text grown after a replacement: send the whole value so far instead
                waiting[port] = self._set(nid, port, components)

    def _set(self, nid: str, port: str, components: dict[str, Any]) -> dict[str, Any]:
        stream = self._streams[nid]
        stream.version += 1
        value = stream.outputs.get(port)
        return {
            "set": values.preview(value, components.get(port)),
            "rid": f"{stream.sid}.{stream.version}",
        }

    def forget(self, nid: str) -> None:
        stream = self._streams.pop(nid, None)
        if stream is not None:
            self._by_sid.pop(stream.sid, None)

    def has(self, nid: str) -> bool:
        return nid in self._streams

    def stream_id(self, nid: str) -> str | None:
        """The id of the node's stream (what its card fetches values so far by)."""
        stream = self._streams.get(nid)
        return stream.sid if stream is not None else None

    @staticmethod
    def names(rid: str) -> bool:
        """Whether ``rid`` names a value so far (rather than a result)."""
        return rid.startswith(PREFIX)

    def node_of(self, rid: str) -> str | None:
        """The node id whose value so far ``rid`` names."""
        stream = self._by_sid.get(rid.split(".", 1)[0])
        return stream.nid if stream is not None else None

    def value(self, rid: str, port: str) -> Any:
        """The value so far that ``rid`` names (its latest version: older frames are
        gone), or :class:`~daggr.values.DisplayError`."""
        stream = self._by_sid.get(rid.split(".", 1)[0])
        if stream is None or port not in stream.outputs:
            raise values.DisplayError("This partial value is gone; the node has moved on.")
        return stream.outputs[port]
