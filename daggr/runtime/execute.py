"""Executing one ready node: its code through the call seam (:mod:`daggr.runtime.call`),
whole or item by item, and the outcome and history record that come of it.

The scheduler decides when and where a node executes; this module is what it executes.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from time import perf_counter
from time import time as wall_time
from typing import TYPE_CHECKING, Any

from daggr.errors import NodeError
from daggr.records import ResultRecord, Status, new_result_id
from daggr.remote.visitor import acting_for
from daggr.runtime import live
from daggr.runtime.call import CallContext, call, call_async, ship_items
from daggr.runtime.gil import gil_notice, warn_once
from daggr.runtime.items import Items
from daggr.runtime.plan import Step
from daggr.runtime.result import NodeOutcome
from daggr.values.files import keep_files

if TYPE_CHECKING:
    from daggr.runtime.scheduler import Run

ITEM_CONCURRENCY = int(os.environ.get("DAGGR_ITEM_CONCURRENCY", "16"))
# The plain values (see daggr.records.Status), bound once: every node compares some.
OK, ERROR = Status.OK.value, Status.ERROR.value
NO_SCATTER: list = []  # the scatter of every unscattered execution (never changed)


@dataclass(slots=True)
class Execution:
    """A node about to execute: its inputs gathered, its execution key computed."""

    name: str
    step: Step
    variant: int | None
    key: str
    item_base: str | None  # the item-independent part of a scattered node's item keys
    inputs: dict[str, Any]
    scatter: list[tuple[str, list, str | None]]  # (port, items, item key) per scattered input
    upstream: dict[str, str]  # upstream node -> the id of the result consumed


def execute_sync(run: Run, p: Execution) -> NodeOutcome:
    """Execute a node whose code is called from this thread (``step.in_thread``)."""
    t0, started = time.perf_counter(), time.time()
    try:
        if p.scatter:
            return _items_sync(run, p, started, t0)
        outputs = call(p.step, p.inputs, p.name, None, run.emit, run)
    except Exception as exc:
        return make_outcome(run, p, None, exc, None, started, time.perf_counter() - t0)
    return make_outcome(run, p, outputs, None, None, started, time.perf_counter() - t0)


def execute_direct(
    run: Run,
    name: str,
    step: Step,
    variant: int | None,
    key: str,
    inputs: dict[str, Any],
    upstream: dict[str, str],
) -> ResultRecord | NodeOutcome:
    """Execute a plain function (``step.direct``) of an unscattered node: what
    :func:`execute_sync` and :func:`~daggr.runtime.call.call` do for it, in one frame and
    without an :class:`Execution` (made only to report a failure).

    Success is returned as the bare record (see :class:`~daggr.runtime.result.Outcomes`).
    """
    t0, started = perf_counter(), wall_time()
    try:
        raw = step.direct(**inputs)
        port = step.single_port
        if port is not None and type(raw) is not tuple:  # a tuple may need a warning
            outputs = {port: raw}
        else:
            outputs = step.runner.outputs(step.node, raw)
    except Exception as exc:
        p = Execution(name, step, variant, key, None, inputs, NO_SCATTER, upstream)
        return make_outcome(run, p, None, exc, None, started, perf_counter() - t0)
    duration = perf_counter() - t0
    if variant is not None:
        p = Execution(name, step, variant, key, None, inputs, NO_SCATTER, upstream)
        return make_outcome(run, p, outputs, None, None, started, duration)
    return ResultRecord(
        name,
        key,
        outputs,
        inputs,
        upstream,
        None,
        OK,
        None,
        started,
        duration,
        None,
        new_result_id(),
    )


async def execute_async(run: Run, p: Execution, limiter: Any = None) -> NodeOutcome:
    """Execute a node on daggr's event loop (``limiter``: its concurrency group's, which
    scattered items share). Remote calls run here, on behalf of the session's visitor
    (a served graph's; None in a notebook): see :mod:`daggr.remote.visitor`."""
    visitor = getattr(run.ctx, "visitor", None)
    if visitor is None:
        return await _execute_async(run, p, limiter)
    with acting_for(visitor):
        return await _execute_async(run, p, limiter)


async def _execute_async(run: Run, p: Execution, limiter: Any) -> NodeOutcome:
    t0, started = time.perf_counter(), time.time()
    try:
        if p.scatter:
            return await _items_async(run, p, started, t0, limiter)
        ctx = CallContext(p.name, None, run.emit, run)
        outputs = await call_async(p.step, p.inputs, ctx)
    except asyncio.CancelledError as exc:
        task = asyncio.current_task()
        # (Task.cancelling() is new in Python 3.11; before it, every cancel is ours.)
        if run.cancelled or task is None or getattr(task, "cancelling", lambda: 1)():
            raise
        # Raised by the node's own code (not a cancel of this run): an error, else the
        # node would stay "running" and the run would never finish.
        error = RuntimeError(f"the node raised {exc!r} without being cancelled")
        return make_outcome(run, p, None, error, None, started, time.perf_counter() - t0)
    except Exception as exc:
        return make_outcome(run, p, None, exc, None, started, time.perf_counter() - t0)
    return make_outcome(run, p, outputs, None, None, started, time.perf_counter() - t0)


# -- scattered nodes ----------------------------------------------------------------------
def _items(run: Run, p: Execution) -> Items:
    reusable = None if run.force or not p.item_base else run.ctx.results.latest(p.name)
    return Items(p.scatter, p.item_base, reusable)


def _items_sync(run: Run, p: Execution, started: float, t0: float) -> NodeOutcome:
    """The items one after the other, in this thread."""
    items = _items(run, p)
    step, name, emit, total = p.step, p.name, run.emit, len(items)
    inputs, shared, states = items.inputs, p.inputs, items.states
    reuse = items.reuse if items.reusable else None
    listeners = run.ctx.listeners  # item events are for views: none, no events
    for i in range(total):
        if run.cancelled:
            items.cancelled(i)
            continue
        if reuse is not None and reuse(i):
            continue
        try:
            items.succeeded(i, call(step, inputs(shared, i), name, i, emit, run))
        except Exception as exc:
            items.failed(i, exc)
        if listeners:
            _item_event(run, name, i, states[i].status, total)
    return _items_outcome(run, p, items, started, t0)


async def _items_async(
    run: Run, p: Execution, started: float, t0: float, limiter: Any
) -> NodeOutcome:
    """The items on daggr's loop, as many at a time as the node allows."""
    items = _items(run, p)
    step, node, name, total = p.step, p.step.node, p.name, len(items)
    if step.executor is not None and node.timeout is None and limiter is None:
        await _items_shipped(run, p, items)
        return _items_outcome(run, p, items, started, t0)
    # Items of a node that runs one call at a time stay sequential, like its calls; an
    # executor gets every item at once and schedules them itself.
    if limiter is not None:
        width = limiter.limit
    elif step.executor is not None:
        width = max(total, 1)
    else:
        width = ITEM_CONCURRENCY if node.concurrent or node.concurrency_group else 1
    bound = asyncio.Semaphore(width)
    # Items of synchronous code run on threads: how busy they kept their threads tells
    # CPU-bound items apart (see daggr.runtime.gil).
    threaded: list[CallContext] | None = (
        [] if step.executor is None and not node.is_async and width > 1 else None
    )

    async def one(i: int) -> None:
        if items.reuse(i):
            return
        async with bound:
            if limiter is not None:
                await limiter.acquire_async()
            try:
                ctx = CallContext(name, i, run.emit, run)
                if threaded is not None:
                    threaded.append(ctx)
                items.succeeded(i, await call_async(step, items.inputs(p.inputs, i), ctx))
            except Exception as exc:
                items.failed(i, exc)
            finally:
                if limiter is not None:
                    limiter.release()
        _item_event(run, name, i, items.states[i].status, total)

    begun = perf_counter()
    await asyncio.gather(*(one(i) for i in range(total)))
    outcome = _items_outcome(run, p, items, started, t0)
    if threaded:
        busy = [ctx.busy for ctx in threaded]
        notice = gil_notice(name, busy, perf_counter() - begun, min(width, len(busy)))
        if notice is not None:
            outcome.notice = notice
            warn_once(node, notice)
    return outcome


async def _items_shipped(run: Run, p: Execution, items: Items) -> None:
    """The items on the node's executor, submitted together (see
    :func:`~daggr.runtime.call.ship_items`)."""
    todo = [i for i in range(len(items)) if not items.reuse(i)]
    name, total = p.name, len(items)

    def on_result(n: int, outputs: dict[str, Any] | None, error: BaseException | None) -> None:
        if error is None and outputs is not None:
            items.succeeded(todo[n], outputs)
        else:
            items.failed(todo[n], error if error is not None else RuntimeError("no result"))

    def on_progress(n: int, ok: bool) -> None:
        _item_event(run, name, todo[n], OK if ok else ERROR, total)

    inputs = [items.inputs(p.inputs, i) for i in todo]
    await ship_items(p.step, inputs, on_result, on_progress)


def _item_event(run: Run, name: str, index: int, status: str, total: int) -> None:
    """Per-item progress of a scattered node, for views: (node, index, status, total)."""
    if run.emit and run.ctx.listeners:
        run.emit("item_finished", (name, index, status, total))


def _items_outcome(run: Run, p: Execution, items: Items, started: float, t0: float) -> NodeOutcome:
    outputs = items.port_values(run.plan.nodes[p.name].node._output_ports)
    error = items.error(p.name)
    outcome = make_outcome(
        run, p, outputs, error, items.stored(), started, time.perf_counter() - t0
    )
    outcome.items_total = len(items)
    outcome.items_failed = items.failures()
    return outcome


def make_outcome(
    run: Run,
    p: Execution,
    outputs: dict[str, Any] | None,
    error: BaseException | None,
    items: list[dict[str, Any]] | None,
    started: float,
    duration: float,
) -> NodeOutcome:
    """The outcome of an execution and the history record it adds."""
    node = run.plan.nodes[p.name].node
    if outputs is not None and p.variant is not None:
        outputs = {port: outputs.get(port) for port in node._output_ports}
    if outputs and node._output_components and p.step.node._runner == "fn":
        # A path this machine's own function returned to an Image / File / ... port is
        # the file: the store keeps it. (A remote app's path names no file here; its
        # files arrive as downloads, see daggr.remote.outputs.)
        outputs = keep_files(outputs, node._output_components)
    inputs = p.inputs
    if p.scatter:
        inputs = dict(inputs)
        for port, values, _ in p.scatter:
            inputs[port] = values
    message = None
    if error is not None:
        message = str(error) if isinstance(error, NodeError) else f"{type(error).__name__}: {error}"
    status = OK if error is None else ERROR
    record = ResultRecord(
        p.name,
        p.key,
        outputs if outputs is not None else {},
        inputs,
        p.upstream,
        p.variant,
        status,
        message,
        started,
        duration,
        items,
        new_result_id(),
    )
    return NodeOutcome(p.name, status, record.outputs, record, error, message, duration)


# A plain function executed straight from execute_direct() runs in the call its frame
# describes; progress reports find it there (see live.current_call).
live.frame_reader(
    execute_direct,
    lambda frame: CallContext(
        frame.f_locals["name"], None, frame.f_locals["run"].emit, frame.f_locals["run"]
    ),
)
