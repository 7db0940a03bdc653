"""The notebook canvas, served over a websocket: one protocol implementation.

The browser page runs the same bundle as the notebook (``daggr/static/widget.js``) with a
small host shim (``daggr/app/static/host.js``) that implements the anywidget model API.
On this side a real :class:`~daggr.widget.canvas.Canvas` is created with a
:class:`SocketComm` in place of the kernel's comm, so traits, deltas and message handling
are exactly the notebook's.

Frames (JSON text; ``buffers: n`` means n binary frames follow)::

    server -> page  {"type": "open", "state": {trait: value}, "user": id}
                    {"type": "comm", "data": {"method": "update"|"custom"|..., ...}, "buffers": n}
                    {"type": "reload"}                  # the served graph changed
    page -> server  {"type": "comm", "data": {"method": "custom", "content": ...}, "buffers": n}
                    {"type": "comm", "data": {"method": "update", "state": {...}}}

Example:
    >>> sent = []
    >>> comm = SocketComm(lambda data, buffers: sent.append(data))
    >>> comm.send({"method": "custom", "content": {"type": "ping"}})
    >>> sent
    [{'method': 'custom', 'content': {'type': 'ping'}}]
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from daggr.session import Session
    from daggr.widget.canvas import Canvas

# Synced traits a page does not need: the bundle is loaded by URL, and DOM layout is
# the notebook's business.
_NOT_FOR_PAGE = ("layout", "tabbable", "tooltip")


class SocketComm:
    """What ipywidgets needs of a comm (``send``, ``on_msg``, ``close``), forwarding to a
    websocket through ``push(data, buffers)``, which may be called from any thread."""

    # ipywidgets skips sending when ``comm.kernel`` is None
    kernel = "daggr-app"

    def __init__(self, push: Callable[[dict[str, Any], list[bytes]], None]) -> None:
        self.comm_id = uuid.uuid4().hex
        self._push = push
        self._handler: Callable[[dict[str, Any]], None] | None = None
        self.closed = False

    def send(
        self,
        data: dict[str, Any] | None = None,
        metadata: Any = None,
        buffers: list[Any] | None = None,
    ) -> None:
        if not self.closed:
            self._push(data or {}, [bytes(b) for b in buffers or ()])

    def on_msg(self, callback: Callable[[dict[str, Any]], None] | None) -> None:
        self._handler = callback

    def on_close(self, callback: Any) -> None:
        pass

    def close(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
        self.closed = True

    def deliver(self, data: dict[str, Any], buffers: list[bytes]) -> None:
        """A message from the page, shaped as the kernel would hand it to ipywidgets."""
        if self._handler is not None and not self.closed:
            self._handler({"content": {"data": data}, "buffers": [memoryview(b) for b in buffers]})


def open_canvas(
    session: Session,
    push: Callable[[dict[str, Any], list[bytes]], None],
    height: int = 640,
) -> tuple[Canvas, SocketComm]:
    """A Canvas on ``session`` (one visitor's) sending its messages to ``push``."""
    from daggr.widget.canvas import Canvas

    comm = SocketComm(push)
    canvas = Canvas(session, height=height, comm=comm, static_copy=False)
    return canvas, comm


def page_state(canvas: Canvas) -> dict[str, Any]:
    """The canvas's own synced traits, which the page starts from (then deltas follow)."""
    keys = [k for k in canvas.keys if not k.startswith("_") and k not in _NOT_FOR_PAGE]
    return canvas.get_state(key=keys)
