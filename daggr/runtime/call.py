"""The one place where a node's code runs.

Every way a node runs goes through here: a whole node or one scattered item, in a run or
in ``node.test()``, sync or async, local, shipped to an executor or remote. Timeouts and
executors are handled here and nowhere else:

- :func:`call` runs from a worker thread (or the caller's thread): a synchronous
  function runs right there (on a worker thread that this one waits for, when it has a
  timeout); anything else is handed to :func:`call_async` on daggr's event loop and the
  thread waits for it;
- :func:`call_async` runs on daggr's event loop: async code is awaited, synchronous code
  runs on a worker thread or the node's executor, all within the node's timeout.

Either way, a synchronous function cannot be interrupted: past its timeout it finishes in
the background and its value is dropped.

Every call through a runner gets a :class:`CallContext` (the fast path of a plain
function needs none). Streaming plugs in there and in the runners, nowhere else: a
generator function gets no fast path, its runner iterates it, and a remote runner reads
its job's updates; each partial value, queue position or progress report goes to a
context method that sends an engine event (``"node_partial"``, ``"node_progress"``, see
:mod:`daggr.runtime.live`) through the run's ``emit``, the channel ``"node_finished"``
already takes to every view. The last value is returned and becomes the result, as now.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from daggr.errors import DaggrError
from daggr.runtime import live
from daggr.runtime.gil import busy_seconds
from daggr.runtime.loop import get_loop, get_pool, in_loop_thread
from daggr.runtime.workers import abandon, abandonable

if TYPE_CHECKING:
    from daggr.runtime.plan import Step


class NodeTimeout(TimeoutError):
    """A call took longer than the node's ``timeout``."""


_NONE_YET: dict[str, Any] = {}  # the values so far of a call that reported none


class CallContext:
    """One call of a node's code: which node (its name in the graph), which item of a
    scattered node (None for a whole node), where the run's events go (None outside a
    run, e.g. in ``node.test()``), and the run itself (its ``cancelled`` flag stops a
    streaming call at its next value)."""

    __slots__ = ("node", "item", "emit", "run", "abandoned", "partials", "_last", "busy")

    def __init__(
        self,
        node: str,
        item: int | None = None,
        emit: Callable[[str, Any], None] | None = None,
        run: Any = None,
    ):
        self.node = node
        self.item = item
        self.emit = emit
        self.run = run
        self.abandoned = False  # past its timeout: whatever it still produces is dropped
        self.partials = 0  # partial values reported so far
        self._last: dict[str, Any] = _NONE_YET  # replaced, never changed in place
        self.busy = 0.0  # a threaded call's CPU time (see daggr.runtime.gil)

    @property
    def stopped(self) -> bool:
        """The call's value is no longer wanted: its run was cancelled, or it timed out."""
        run = self.run
        return self.abandoned or (run is not None and run.cancelled)

    def partial(self, outputs: dict[str, Any]) -> None:
        """Report the node's values so far (``{port: value}``, every port)."""
        emit = self.emit
        if emit is None or self.stopped:
            return
        appended, replaced = live.text_deltas(self._last, outputs)
        self._last = outputs
        if appended or replaced:
            self.partials += 1
            emit(live.PARTIAL, live.Partial(self.node, self.item, outputs, appended, replaced))

    def progress(self, **fields: Any) -> None:
        """Report queue position or progress (the fields of
        :class:`~daggr.runtime.live.NodeProgress`)."""
        emit = self.emit
        if emit is not None and not self.stopped:
            emit(live.PROGRESS, live.NodeProgress(self.node, self.item, **fields))


def call(
    step: Step,
    inputs: dict[str, Any],
    node: str,
    item: int | None = None,
    emit: Callable[[str, Any], None] | None = None,
    run: Any = None,
) -> dict[str, Any]:
    """Run the node's code once from a thread and return ``{port: value}``.

    ``node``, ``item``, ``emit`` and ``run`` make the call's :class:`CallContext` (built
    only when the node's code is given one: a plain function's fast path needs none).
    """
    direct = step.direct  # set only for code that runs in this thread
    if direct is not None:
        # The common case without the general path's layers: the inputs are exactly the
        # function's parameters, and one output port takes the value as it is.
        raw = direct(**inputs)
        port = step.single_port
        if port is not None and type(raw) is not tuple:  # a tuple may need a warning
            return {port: raw}
        return step.runner.outputs(step.node, raw)
    if step.in_thread:
        runner, code = step.runner, step.node
        ctx = CallContext(node, item, emit, run)
        kwargs = runner.kwargs(code, inputs)
        timeout = code.timeout
        if timeout is None:
            return runner.outputs(code, runner.call(code, kwargs, ctx))
        # A thread of its own: past the timeout the call is left running there, never
        # in a thread of the shared pool (enough hung calls would fill it).
        future = abandonable(runner.call, code, kwargs, ctx)
        try:
            raw = future.result(timeout)
        except FutureTimeout:
            abandon(future)
            ctx.abandoned = True
            raise _timed_out(timeout) from None
        return runner.outputs(code, raw)
    if in_loop_thread():
        raise DaggrError(
            f"Node '{node}' runs on daggr's event loop, and this call comes from that loop "
            "(node.test() inside an async node?): waiting here would never end. Call it "
            "from a cell, a script or a thread."
        )
    future = asyncio.run_coroutine_threadsafe(
        call_async(step, inputs, CallContext(node, item, emit, run)), get_loop()
    )
    try:
        return future.result()
    except BaseException:
        future.cancel()  # interrupted (Ctrl-C): stop the call too, where it can be stopped
        raise


async def call_async(step: Step, inputs: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
    """Run the node's code once on daggr's event loop, within its timeout, and return
    ``{port: value}``."""
    code, runner = step.node, step.runner
    kwargs = runner.kwargs(code, inputs)
    timeout = code.timeout
    if timeout is None:
        raw = await _start(step, kwargs, ctx)
    elif step.executor is None and not code.is_async:
        future = abandonable(runner.call, code, kwargs, ctx)  # (see call())
        try:
            raw = await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except asyncio.TimeoutError:
            abandon(future)
            raise _timed_out(timeout) from None
    else:
        try:
            raw = await asyncio.wait_for(_start(step, kwargs, ctx), timeout)
        except asyncio.TimeoutError:
            ctx.abandoned = True
            raise _timed_out(timeout) from None
    return runner.outputs(code, raw)


def _start(step: Step, kwargs: dict[str, Any], ctx: CallContext) -> Any:
    """The awaitable of one call: on the node's executor, on the loop, or on a worker
    thread."""
    code, runner = step.node, step.runner
    if step.executor is not None:
        return runner.ship(step.executor, code, kwargs)
    if code.is_async:
        return runner.call_async(code, kwargs, ctx)
    return asyncio.get_running_loop().run_in_executor(
        get_pool(), _measured, runner.call, code, kwargs, ctx
    )


def _measured(call: Callable, code: Any, kwargs: dict[str, Any], ctx: CallContext) -> Any:
    """A call on a worker thread, noting the CPU time it used (``ctx.busy``): what tells
    CPU-bound items on threads apart."""
    begin = busy_seconds()
    try:
        return call(code, kwargs, ctx)
    finally:
        ctx.busy = busy_seconds() - begin


def _timed_out(timeout: float) -> NodeTimeout:
    return NodeTimeout(
        f"no answer after {timeout:g} s (the node's timeout); the call was abandoned"
    )


# Node code called straight from call() (a plain function's fast path) runs in the call
# its frame describes; progress reports find it there (see live.current_call).
live.frame_reader(
    call,
    lambda frame: CallContext(
        frame.f_locals["node"], frame.f_locals["item"], frame.f_locals["emit"]
    ),
)


async def ship_items(
    step: Step,
    inputs_list: list[dict[str, Any]],
    on_result: Callable[[int, dict[str, Any] | None, BaseException | None], None],
    on_progress: Callable[[int, bool], None],
) -> None:
    """Run the node's code once per entry of ``inputs_list`` on its executor, submitted
    together as the executor's own map does: ``on_progress(index, ok)`` as each
    completes, ``on_result(index, {port: value}, error)`` when its value is here (see
    :func:`daggr.runtime.executors.call_many`). For nodes without a timeout (each call
    of one with a timeout goes through :func:`call_async`)."""
    code, runner = step.node, step.runner
    kwargs_list, shipped = [], []
    for i, inputs in enumerate(inputs_list):
        try:
            kwargs_list.append(runner.kwargs(code, inputs))  # preprocess runs here
            shipped.append(i)
        except Exception as exc:
            on_result(i, None, exc)
            on_progress(i, False)

    def done(n: int, raw: Any, error: BaseException | None) -> None:
        outputs = None
        if error is None:
            try:
                outputs = runner.outputs(code, raw)  # postprocess runs here
            except Exception as exc:
                error = exc
        on_result(shipped[n], outputs, error)

    if kwargs_list:
        await runner.ship_many(
            step.executor, code, kwargs_list, done, lambda n, ok: on_progress(shipped[n], ok)
        )
