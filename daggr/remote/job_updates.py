"""A Gradio job followed while it runs: its queue position, its ``gr.Progress``, and the
outputs a generator endpoint has produced so far.

gradio_client's reader thread hands each job's status and output updates to the job's
``Communicator.updates`` (an ``asyncio.Queue`` nobody reads unless ``async for`` runs on
the job). daggr's clients create their communicators through :func:`follow_jobs`, which
puts a :class:`JobUpdates` there instead for the calls made with :func:`submit_followed`:
statuses become progress reports at once, outputs become partial values of the node on
daggr's loop, the latest first (frames that arrived meanwhile are skipped, so a slow
download never makes the card lag behind the app).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from daggr.remote.pool import run_blocking

if TYPE_CHECKING:
    from daggr.runtime.call import CallContext

_submitting = threading.local()


def follow_jobs(client: Any) -> None:
    """Make ``client`` give the jobs submitted through :func:`submit_followed` to their
    :class:`JobUpdates` (other calls are untouched)."""
    original = client.new_helper

    def new_helper(fn_index: int, headers: dict[str, str] | None = None) -> Any:
        helper = original(fn_index, headers=headers)
        updates = getattr(_submitting, "updates", None)
        if updates is not None:
            helper.updates = updates
        return helper

    client.new_helper = new_helper


def submit_followed(client: Any, updates: JobUpdates, *args: Any, **kwargs: Any) -> Any:
    """``client.submit(*args, **kwargs)``, its job reporting to ``updates`` (blocking: call
    it on a pool thread, like ``submit``)."""
    _submitting.updates = updates
    try:
        return client.submit(*args, **kwargs)
    finally:
        _submitting.updates = None


_QUEUED, _RUNNING = "IN_QUEUE", ("PROCESSING", "ITERATING")


class JobUpdates:
    """Where one job's updates go: ``ctx`` (the node's call) hears its queue position,
    progress and outputs so far. ``convert(raw)`` turns the app's outputs into the node's
    ``{port: value}`` (postprocess, downloads): on the loop when ``quick(raw)``, else on a
    pool thread."""

    def __init__(
        self,
        ctx: CallContext,
        loop: asyncio.AbstractEventLoop,
        convert: Callable[[Any], dict[str, Any]],
        quick: Callable[[Any], bool],
    ):
        self.ctx = ctx
        self.loop = loop
        self.convert = convert
        self.quick = quick
        self.closed = False
        self._queued = False
        self._latest: Any = None
        self._has_latest = False
        self._task: asyncio.Task | None = None

    # -- gradio_client's reader thread (under the job's lock) ---------------------------------
    def put_nowait(self, update: Any) -> None:
        if self.closed:
            return
        if getattr(update, "type", None) == "output":
            if not update.final and update.success:
                try:
                    self.loop.call_soon_threadsafe(self._take, update.outputs)
                except RuntimeError:  # the loop is closing
                    pass
            return
        self._status(update)

    def _status(self, update: Any) -> None:
        code = getattr(update.code, "value", update.code)
        if code == _QUEUED and update.rank is not None:
            self._queued = True
            self.ctx.progress(
                queue_position=update.rank + 1, queue_size=update.queue_size, eta=update.eta
            )
        elif code == "PROGRESS" and update.progress_data:
            self._queued = False
            unit = update.progress_data[-1]  # the innermost bar, as Gradio shows it
            if unit.index is not None and unit.length:
                self.ctx.progress(
                    done=unit.index, total=unit.length, unit=unit.unit, description=unit.desc
                )
            else:
                self.ctx.progress(fraction=unit.progress, unit=unit.unit, description=unit.desc)
        elif code in _RUNNING and self._queued:
            self._queued = False
            self.ctx.progress()  # out of the queue: nothing more to say than "running"

    # -- daggr's loop ---------------------------------------------------------------------------
    def _take(self, raw: Any) -> None:
        if self.closed:
            return
        self._latest, self._has_latest = raw, True
        if self._task is None or self._task.done():
            self._task = self.loop.create_task(self._show())

    async def _show(self) -> None:
        while self._has_latest and not self.closed:
            raw, self._latest, self._has_latest = self._latest, None, False
            try:
                if self.quick(raw):
                    outputs = self.convert(raw)
                else:
                    outputs = await run_blocking(self.convert, raw)
            except Exception:  # a frame that cannot be shown is skipped: the final value counts
                continue
            if not self.closed:
                self.ctx.partial(outputs)

    def close(self) -> None:
        """The job is over (or abandoned): nothing more is reported."""
        self.closed = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
