"""Following a run from code while it goes on: ``graph.stream()`` and ``on_update=``.

A run's engine events (a node started, its values so far, its queue position or progress,
its outcome) become :class:`Update` objects. ``graph.stream(...)`` returns a
:class:`RunStream` to iterate (``for`` or ``async for``); ``graph.run(...,
on_update=fn)`` (and ``start``, ``run_async``) calls ``fn(update)`` for each instead. The
run's result is what ``graph.run()`` returns, as always: only final values become
results.

Example:
    >>> from daggr import FnNode, Graph
    >>> def tell(topic: str):
    ...     text = ""
    ...     for word in ["Once", " upon", " a", " time"]:
    ...         text += word
    ...         yield text            # the value so far
    >>> graph = Graph("story", nodes=[FnNode(tell)], persist_key=False)
    >>> stream = graph.stream(tell__topic="cats")
    >>> "".join(u.appended["output"] for u in stream if u.kind == "partial")
    'Once upon a time'
    >>> stream.result["tell"]
    {'output': 'Once upon a time'}
"""

from __future__ import annotations

import threading
import warnings
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from daggr.runtime.live import PARTIAL, PROGRESS, NodeProgress, Partial

if TYPE_CHECKING:
    import asyncio

    from daggr.runtime.result import RunHandle, RunResult


class Update(NamedTuple):
    """One thing that happened in a run, for code that follows it.

    ``kind`` is one of:

    - ``"started"``: ``node`` began executing;
    - ``"partial"``: its values so far, ``outputs`` (every port), with ``appended`` the
      text each text port gained since the previous update of this node (a port whose
      value was replaced instead is in ``outputs`` only);
    - ``"progress"``: ``progress`` says where it stands (``progress.text``: "queue 3/7 ·
      ~12 s", "40% · denoising");
    - ``"item"``: one item of a scattered node finished with ``status``;
    - ``"finished"``: the node's outcome: ``status`` ("ok", "cached", "error",
      "skipped", "cancelled"), its final ``outputs`` when it succeeded, else ``error``.

    ``item`` is the index of a scattered node's item the update is about (else None).
    """

    kind: str
    node: str
    item: int | None = None
    outputs: dict[str, Any] | None = None
    appended: dict[str, str] | None = None
    progress: NodeProgress | None = None
    status: str | None = None
    error: str | None = None

    def __str__(self) -> str:
        where = self.node if self.item is None else f"{self.node}[{self.item}]"
        if self.kind == "partial":
            grown = "".join((self.appended or {}).values())
            return f"{where}: …{grown!r}" if grown else f"{where}: new value"
        if self.kind == "progress" and self.progress is not None:
            return f"{where}: {self.progress.text}"
        if self.kind == "finished":
            return f"{where}: {self.status}" + (f" ({self.error})" if self.error else "")
        return f"{where}: {self.status or self.kind}"


def to_update(kind: str, payload: Any) -> Update | None:
    """The :class:`Update` for an engine event (None for events code does not follow)."""
    if kind == PARTIAL:
        p: Partial = payload
        return Update("partial", p.node, p.item, p.outputs, dict(p.appended))
    if kind == PROGRESS:
        return Update("progress", payload.node, payload.item, progress=payload)
    if kind == "node_started":
        return Update("started", payload)
    if kind == "item_finished":
        node, index, status, _total = payload
        return Update("item", node, index, status=status)
    if kind == "node_finished":
        ok = payload.status in ("ok", "cached")
        error = None if ok else payload.message or payload.status
        return Update(
            "finished",
            payload.node,
            outputs=payload.outputs if ok else None,
            status=payload.status,
            error=error,
        )
    return None


def merge(earlier: Update, later: Update) -> Update:
    """Two partial updates of the same node (and item) as one: the later values, and the
    text appended over both where a port only grew."""
    appended = dict(later.appended or {})
    if earlier.appended:
        outputs = later.outputs or {}
        before = earlier.outputs or {}
        for port, text in earlier.appended.items():
            if port in appended:
                appended[port] = text + appended[port]
            elif before.get(port) is outputs.get(port):
                appended[port] = text
    return later._replace(appended=appended)


def callback_listener(on_update: Callable[[Update], Any]) -> Callable[[str, Any], None]:
    """A run listener calling ``on_update(update)``; its errors are reported once, never
    raised into the run."""
    failed = []

    def listen(kind: str, payload: Any) -> None:
        update = to_update(kind, payload)
        if update is None:
            return
        try:
            on_update(update)
        except Exception as exc:
            if not failed:
                failed.append(exc)
                warnings.warn(
                    f"on_update raised {type(exc).__name__}: {exc}; the run goes on "
                    "(further errors of this callback are not reported).",
                    RuntimeWarning,
                    stacklevel=2,
                )

    return listen


class RunStream:
    """A run started by ``graph.stream(...)``: iterate it (``for`` or ``async for``) to
    get its :class:`Update` objects as they happen; iteration ends when the run does,
    and :attr:`result` then holds its :class:`~daggr.RunResult`.

    Updates wait for whoever reads them; a reader that falls behind gets consecutive
    partial values of a node as one update (the text appended over all of them).
    ``cancel()`` stops the run; so does Ctrl-C while iterating, and cancelling the task
    of an ``async for``.
    """

    def __init__(self) -> None:
        self._queue: deque[Update] = deque()
        self._ready = threading.Condition()
        self._waiter: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None
        self._handle: RunHandle | None = None
        self._result: RunResult | None = None

    # -- fed by the run (engine threads) ----------------------------------------------------
    def _listen(self, kind: str, payload: Any) -> None:
        if kind == "run_finished":
            with self._ready:
                self._result = payload
                self._ready.notify_all()
            self._wake()
            return
        update = to_update(kind, payload)
        if update is None:
            return
        with self._ready:
            queue = self._queue
            if update.kind == "partial" and queue:
                last = queue[-1]
                if last.kind == "partial" and (last.node, last.item) == (
                    update.node,
                    update.item,
                ):
                    queue[-1] = merge(last, update)
                    return  # the reader has not woken for the last one yet
            queue.append(update)
            self._ready.notify_all()
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            loop, event = waiter
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # the reader's loop has closed
                pass

    def _start(self, handle: RunHandle) -> None:
        self._handle = handle

    # -- read by the user -------------------------------------------------------------------
    @property
    def result(self) -> RunResult | None:
        """The run's result once it finished (None before)."""
        return self._result

    def done(self) -> bool:
        return self._result is not None

    def cancel(self) -> None:
        """Stop the run (nodes still running are cancelled, remote jobs too)."""
        if self._handle is not None:
            self._handle.cancel()

    def _next(self) -> Update | None:
        """The next update, or None when there is none yet (or ever, once done)."""
        with self._ready:
            if self._queue:
                return self._queue.popleft()
            return None

    def __iter__(self) -> Iterator[Update]:
        try:
            while True:
                with self._ready:
                    while not self._queue and self._result is None:
                        self._ready.wait(0.5)
                    if self._queue:
                        update = self._queue.popleft()
                    else:
                        return
                yield update
        except KeyboardInterrupt:
            self.cancel()
            raise

    def __aiter__(self) -> AsyncIterator[Update]:
        return self._aiter()

    async def _aiter(self) -> AsyncIterator[Update]:
        import asyncio  # only for readers on an event loop: `import daggr` stays light

        event = asyncio.Event()
        self._waiter = (asyncio.get_running_loop(), event)
        try:
            while True:
                event.clear()
                update = self._next()
                if update is not None:
                    yield update
                    continue
                if self._result is not None:
                    update = self._next()  # one that came with the end
                    if update is None:
                        return
                    yield update
                    continue
                await event.wait()
        except asyncio.CancelledError:
            self.cancel()
            raise
        finally:
            self._waiter = None

    def __repr__(self) -> str:
        state = "finished" if self._result is not None else "running"
        return f"<RunStream {state}, {len(self._queue)} update(s) waiting>"
