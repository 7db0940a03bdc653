"""The ``/ws`` endpoint: one visitor's canvas over one websocket.

The visitor is resolved from the handshake (cookie or trusted bearer token) before
anything else, and the connection is bound to that visitor's session: no message can name
another user, and sheet or result references resolve only within their own sheets. Host
and Origin are checked before the handshake (:class:`daggr.app.trust.TrustEdge`); every
frame is checked against the protocol before it reaches the canvas
(:func:`daggr.app.trust.parse_frame`), and what goes out has the server's token redacted.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket, WebSocketDisconnect

from daggr.app import trust
from daggr.app.state import AppState
from daggr.app.ws_model import open_canvas, page_state
from daggr.widget.protocol import error_message

TRY_AGAIN_LATER = 1013  # websocket close code: the server is busy for this visitor


async def serve_socket(
    websocket: WebSocket,
    state: AppState,
    identify: Callable[[HTTPConnection], tuple[str, str | None]],
    limits: trust.VisitorLimits,
) -> None:
    """Serve the canvas protocol (see :mod:`daggr.app.ws_model`) until the page leaves."""
    user, _ = identify(websocket)
    try:
        with limits.hold(user, "sockets"), state.hold(user):
            await _serve(websocket, state, user)
    except trust.TooBusy as exc:
        # Accepted first, so the page learns why (a refused handshake is a bare 403).
        await websocket.accept()
        await websocket.close(code=TRY_AGAIN_LATER, reason=str(exc)[:120])


async def _serve(websocket: WebSocket, state: AppState, user: str) -> None:
    await websocket.accept()
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
    live = threading.Event()

    def put(item: tuple[Any, ...]) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop is gone: the page has left
            pass

    def push(data: dict[str, Any], buffers: list[bytes]) -> None:
        if live.is_set():
            put(("comm", data, buffers))

    def start() -> Any:
        canvas, comm = open_canvas(state.session(user), push)
        # Under the canvas's lock, a delta lands either in this snapshot or after it.
        with canvas._lock:
            put(("open", page_state(canvas)))
            live.set()
        return canvas, comm

    canvas, comm = await run_in_threadpool(start)
    remove = state.on_swap(lambda: put(("reload",)))

    async def sender() -> None:
        while True:
            item = await queue.get()
            if item[0] == "open":
                await websocket.send_text(_dumps({"type": "open", "state": item[1], "user": user}))
            elif item[0] == "reload":
                await websocket.send_text(_dumps({"type": "reload"}))
            else:
                _, data, buffers = item
                await websocket.send_text(
                    _dumps({"type": "comm", "data": data, "buffers": len(buffers)})
                )
                for b in buffers:
                    await websocket.send_bytes(trust.redact_bytes(b))

    async def next_frame() -> Any:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        return message.get("text") if message.get("text") is not None else message.get("bytes")

    async def receiver() -> None:
        while True:
            text = await next_frame()
            if not isinstance(text, str):
                continue  # a stray binary frame: buffers only follow a header
            try:
                data, count = trust.parse_frame(text, canvas._names)
            except trust.FrameRefused as exc:
                put(("comm", {"method": "custom", "content": error_message(str(exc))}, []))
                continue
            buffers = []
            for _ in range(count):
                blob = await next_frame()
                buffers.append(blob if isinstance(blob, bytes) else str(blob).encode())
            await run_in_threadpool(comm.deliver, data, buffers)

    tasks = [asyncio.ensure_future(sender()), asyncio.ensure_future(receiver())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    except WebSocketDisconnect:
        pass
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            try:
                await t
            except (asyncio.CancelledError, WebSocketDisconnect, RuntimeError, Exception):
                pass
        remove()
        canvas.close()


def _dumps(obj: Any) -> str:
    try:
        text = json.dumps(obj, default=str, allow_nan=False)
    except ValueError:  # NaN/inf, which JSON.parse rejects: send them as null
        text = json.dumps(_finite(obj), default=str)
    return trust.redact_text(text)


def _finite(obj: Any) -> Any:
    if isinstance(obj, float) and obj != obj or obj in (float("inf"), float("-inf")):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj
