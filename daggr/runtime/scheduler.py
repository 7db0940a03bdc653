"""The scheduler: runs one plan of a graph, each node as soon as its inputs are ready.

Nodes become ready when every upstream node in the run has finished. A ready node either
reuses a stored result with the same execution key, or is dispatched:

- ``inline``: computed right away (InputNode values);
- ``lane``: the session's serial queue (FnNodes run one at a time per session by default);
  a chain of lane nodes runs in one thread without hand-offs (async code runs on the loop
  while the lane waits);
- ``pool``: worker threads (``concurrent=True`` or a concurrency group), behind the group's
  process-wide limiter;
- ``loop``: daggr's event loop (async functions that may overlap, remote calls, functions
  on an executor).

What a dispatched node executes is in :mod:`daggr.runtime.execute`, and its code is
called only through :mod:`daggr.runtime.call`. State changes happen under one lock and
are cheap; user code never runs under it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import replace
from typing import Any, Protocol

from daggr.errors import NodeError, NotSaved
from daggr.records import ResultRecord, Status, new_result_id
from daggr.runtime.execute import (
    NO_SCATTER,
    Execution,
    execute_async,
    execute_direct,
    execute_sync,
)
from daggr.runtime.keys import digest
from daggr.runtime.loop import get_loop, get_pool, group_limiter
from daggr.runtime.plan import INLINE, LANE, POOL, Plan
from daggr.runtime.result import NodeOutcome, RunResult, outcome_of

log = logging.getLogger("daggr")

# The plain values (see daggr.records.Status), bound once: every node compares some.
OK, CACHED, ERROR = Status.OK.value, Status.CACHED.value, Status.ERROR.value
SKIPPED, CANCELLED = Status.SKIPPED.value, Status.CANCELLED.value
PENDING, RUNNING = Status.PENDING.value, Status.RUNNING.value
_NONE_OUTSIDE: dict = {}
_NOW, _NOW_AND_PARKED, _LATER = (
    "now",
    "now and parked",
    "later",
)  # when a node is reported  # shared by every node whose upstream nodes are all in the run


class Results(Protocol):
    def find(self, node: str, key: str) -> ResultRecord | None: ...
    def append(self, record: ResultRecord) -> Any: ...  # a receipt (see daggr.store.base)
    def latest(self, node: str) -> ResultRecord | None: ...
    def by_id(self, result_id: str) -> ResultRecord | None: ...
    def nodes(self) -> list[str]: ...


class Context(Protocol):
    """What the engine needs from the session that starts a run."""

    results: Results
    lane: Any  # SerialQueue: sequential FnNodes, one at a time
    listeners: list  # views following runs; "node_started" is sent only when there are some

    def selected(self, node: str) -> ResultRecord | None: ...

    def variant(self, choice: str) -> int: ...


class Run:
    """One execution of a set of nodes."""

    __slots__ = (
        "ctx",
        "plan",
        "members",
        "member_set",
        "whole",
        "targets",
        "force",
        "slot_values",
        "emit",
        "lock",
        "records",
        "outcomes",
        "running",
        "pending",
        "remaining",
        "result",
        "_future",
        "cancelled",
        "started",
        "_async_jobs",
        "_orphans",
        "durable",
        "_slots",
        "_unreported",
        "_parked",
        "watched",
    )

    def __init__(
        self,
        ctx: Context,
        plan: Plan,
        members: list[str],
        targets: set[str],
        force: bool,
        slot_values: dict[str, Any],
        emit: Callable[[str, Any], None] | None = None,
        durable: bool = True,
    ):
        self.ctx = ctx
        self.durable = durable
        self.plan = plan
        self.members = members
        whole = self.whole = len(members) == len(plan.order)  # members come from plan.order
        self.member_set = plan.members if whole else set(members)
        self.targets = targets
        self.force = force
        self.slot_values = slot_values
        self.emit = emit
        self.lock = threading.Lock()
        self.records: dict[str, ResultRecord] = {}
        # A bare record stands for the outcome of a node that executed and succeeded.
        self.outcomes: dict[str, NodeOutcome | ResultRecord] = {}
        self.running: set[str] = set()
        if whole:
            self.pending = dict(plan.indegree)
        else:
            member_set = self.member_set
            self.pending = {
                n: sum(1 for u in plan.nodes[n].upstream if u in member_set) for n in members
            }
        self.remaining = len(members)
        self.result: RunResult | None = None
        self._future: Future[RunResult] | None = None  # made when somebody waits
        self.cancelled = False
        self.started = time.perf_counter()
        self._async_jobs: set[Any] = set()
        self._orphans: list[str] | None = None  # nodes with results, no longer in the graph
        # Nodes executed but not reported finished yet: their row is on its way to disk,
        # or (parked) an upstream node's is. Reports follow the graph's order.
        self._unreported: set[str] = set()
        self._parked: dict[str, NodeOutcome] = {}
        self._slots: list[Callable[[], None]] = []  # concurrency-group slots held now
        self.watched = False  # someone follows this run alone: it hears "node_started" too

    # -- lifecycle ----------------------------------------------------------------------
    def begin(self) -> None:
        if not self.members:
            self._complete()
            return
        try:
            if self.member_set is self.plan.members:
                self._drain(list(self.plan.roots))
            else:
                self._drain([n for n in self.members if self.pending[n] == 0])
        except Exception as exc:
            self._abort(exc)

    @property
    def future(self) -> Future[RunResult]:
        """Resolved with the :class:`RunResult` (a run that finished where it started
        never needs one, so it is made on first use)."""
        with self.lock:
            if self._future is None:
                self._future = Future()
                if self.result is not None:
                    self._future.set_result(self.result)
            return self._future

    def cancel(self) -> None:
        with self.lock:
            if self.result is not None or self.cancelled:
                return
            self.cancelled = True
            unfinished = [n for n in self.members if n not in self.outcomes]
            for name in unfinished:
                message = (
                    "cancelled while running"
                    if name in self.running
                    else "cancelled before it started"
                )
                self.outcomes[name] = NodeOutcome(name, CANCELLED, message=message)
            self.remaining = 0
            jobs = list(self._async_jobs)
            slots, self._slots = self._slots, []
            parked = list(self._parked.values())
            self._parked.clear()
            self._unreported.clear()
        for job in jobs:
            _cancel_soon(job)
        # A synchronous function cannot be interrupted: what it holds is given up now,
        # so other nodes and runs do not wait for it (it finishes in the background).
        self.ctx.lane.abandon(self)
        for release in slots:
            release()
        if self.emit:
            for outcome in parked + [self.outcomes[name] for name in unfinished]:
                self.emit("node_finished", outcome)
        self._complete()

    def _abort(self, exc: BaseException) -> None:
        """daggr itself failed while scheduling (a bug, never a node's own error): every
        node not finished is reported as an error saying so, and the run completes, so
        no caller and no queue waits for it for ever."""
        log.error("daggr: a run failed inside the scheduler", exc_info=exc)
        message = (
            f"not finished: daggr failed while running the graph ({type(exc).__name__}: {exc})"
        )
        with self.lock:
            if self.result is not None:
                return
            unfinished = [n for n in self.members if n not in self.outcomes]
            for name in unfinished:
                self.outcomes[name] = NodeOutcome(name, ERROR, error=exc, message=message)
            self.remaining = 0
            parked = list(self._parked.values())
            self._parked.clear()
            self._unreported.clear()
        if self.emit:
            for outcome in parked + [self.outcomes[name] for name in unfinished]:
                self.emit("node_finished", outcome)
        self._complete()

    def status_snapshot(self) -> dict[str, str]:
        with self.lock:
            out = dict.fromkeys(self.members, PENDING)
            out.update(dict.fromkeys(self.running, RUNNING))
            out.update({n: o.status for n, o in self.outcomes.items()})
            return out

    def _complete(self) -> None:
        outcomes, members = self.outcomes, self.members
        if len(outcomes) == len(members):  # every member finished or was cancelled
            ordered = dict(zip(members, map(outcomes.__getitem__, members), strict=True))
        else:
            ordered = {n: outcomes[n] for n in members if n in outcomes}
        result = RunResult(ordered, time.perf_counter() - self.started, self.cancelled)
        with self.lock:
            if self.result is not None:  # completed concurrently by a cancel
                return
            self.result = result
            future = self._future
        if future is not None and not future.cancelled():
            try:
                future.set_result(result)
            except InvalidStateError:  # cancelled meanwhile by whoever awaited it
                pass
        if self.emit:
            self.emit("run_finished", result)

    # -- scheduling -----------------------------------------------------------------------
    def _drain(self, ready: list[str]) -> None:
        queue = deque(ready)
        on_lane = self.ctx.lane.owns_current_thread()
        prepare, finish = self._prepare, self._finish
        while queue:
            name = queue.popleft()
            if self.cancelled:
                return
            ready = prepare(name, on_lane)
            if type(ready) is not Execution:  # done already (or cancelled: None)
                if ready is not None:
                    queue.extend(finish(ready))
                continue
            mode = ready.step.dispatch
            if mode == LANE:
                if on_lane:
                    # Already on the lane: run the next node here, without a hand-off.
                    outcome = self._run_on_lane(ready)
                    if outcome is not None:
                        queue.extend(finish(outcome))
                else:
                    self.ctx.lane.submit(lambda p=ready: self._lane_job(p), self)
            elif mode == INLINE:
                queue.extend(finish(self._execute_inline(ready)))
            elif mode == POOL and not ready.scatter:
                self._submit_pool(ready)
            else:
                self._submit_loop(ready)

    def _finish(self, outcome: NodeOutcome | ResultRecord) -> list[str]:
        """Record a node's outcome (or, for a node that executed and succeeded, its bare
        record: see :class:`~daggr.runtime.result.Outcomes`); returns the dependents that
        became ready.

        The node is reported finished (``node_finished``, and the run's end) once its
        row is committed: "done" means on disk. Its dependents need only the value, so
        they start at once.
        """
        if type(outcome) is ResultRecord:
            record, name, status = outcome, outcome.node, OK
        else:
            record, name, status = outcome.record, outcome.node, outcome.status
        outcomes = self.outcomes
        receipt = None
        if record is not None and status != CACHED:
            if name in outcomes:  # cancelled meanwhile: the late result is dropped
                return []
            try:
                receipt = self.ctx.results.append(record)
            except Exception as exc:
                outcome = self._store_failed(outcome_of(outcome), exc)
                record, status = outcome.record, outcome.status
            if receipt is not None and not self.durable:
                receipt = None
        ready = []
        # acquire/release rather than `with`: this runs for every node, and a `with`
        # makes two bound-method objects each time.
        lock = self.lock
        lock.acquire()
        try:
            if name in outcomes:  # cancelled meanwhile: the late result is dropped
                return ready
            self.running.discard(name)
            outcomes[name] = outcome
            if record is not None and (status == OK or status == CACHED):
                self.records[name] = record
            self.remaining -= 1
            dependents = self.plan.nodes[name].dependents
            if dependents:
                pending = self.pending
                members = None if self.whole else self.member_set
                for dep in dependents:
                    if members is None or dep in members:
                        left = pending[dep] - 1
                        pending[dep] = left
                        if left == 0:
                            ready.append(dep)
            # Reported now, with nothing waiting for the report (the common case); now, and
            # parked dependents may follow; or later (its row is on its way to disk, or an
            # upstream node's is).
            unreported = self._unreported
            if receipt is None and not unreported:
                report = _NOW
            elif receipt is not None:
                unreported.add(name)
                report = _LATER
            elif self._blocked(name):
                unreported.add(name)
                self._parked[name] = outcome
                report = _LATER
            else:
                report = _NOW_AND_PARKED
            last = self.remaining == 0
        finally:
            lock.release()
        if report is _NOW:
            emit = self.emit
            if emit:
                emit("node_finished", outcome)
        elif report is _NOW_AND_PARKED:
            self._report(outcome)
        elif receipt is not None:
            # Reported from daggr's loop: the store's writer thread only says it is done.
            loop = get_loop()
            receipt.when_saved(
                lambda failure: loop.call_soon_threadsafe(self._saved, outcome, failure)
            )
            if last:
                receipt.hurry()  # nothing else to wait for: no batching interval
        if last:
            self._complete_when_reported()
        return ready

    def _blocked(self, name: str) -> bool:
        """Whether an upstream node's report is still to come (under self.lock)."""
        unreported = self._unreported
        return any(u in unreported for u in self.plan.nodes[name].upstream)

    def _report(self, outcome: NodeOutcome | ResultRecord) -> None:
        """Say the node finished, then whichever parked dependents that frees (a skipped
        node is never reported before the failure that skipped it)."""
        todo = [outcome]
        while todo:
            done = todo.pop()
            if self.emit:
                self.emit("node_finished", done)
            with self.lock:
                self._unreported.discard(done.node)
                for dep in self.plan.nodes[done.node].dependents:
                    parked = self._parked.get(dep)
                    if parked is not None and not self._blocked(dep):
                        del self._parked[dep]
                        todo.append(parked)

    def _complete_when_reported(self) -> None:
        with self.lock:
            done = self.remaining == 0 and not self._unreported and self.result is None
        if done:
            self._complete()

    def _saved(self, outcome: NodeOutcome | ResultRecord, failure: str | None) -> None:
        """A node's row is committed (or could not be): now it is finished."""
        outcome = outcome_of(outcome)
        stored = None
        if failure is not None:
            outcome = self._unsaved(outcome, failure)
        elif outcome.record is not None and outcome.status == OK:
            # The stored row's files are the store's copies (a function may have returned
            # a temporary file): the result handed back points at them too.
            stored = self.ctx.results.by_id(outcome.record.id)
            if stored is None or stored.outputs == outcome.record.outputs:
                stored = None
            else:
                outcome.record, outcome.outputs = stored, stored.outputs
        name = outcome.node
        with self.lock:
            if failure is not None and self.result is None:
                self.outcomes[name] = outcome
                self.records.pop(name, None)
            elif stored is not None and self.result is None:
                self.outcomes[name] = outcome
                if name in self.records:
                    self.records[name] = stored
            report = name in self._unreported and not self._blocked(name)
            if name in self._unreported and not report:
                self._parked[name] = outcome
        if report or self.result is not None:  # (after a cancel: said late, but said)
            self._report(outcome)
        self._complete_when_reported()

    def _unsaved(self, outcome: NodeOutcome, failure: str) -> NodeOutcome:
        """The outcome of a node whose row could not be written (a full disk, a store
        that is gone): an error saying so, instead of a result that would be lost."""
        cause = NotSaved(failure)
        error = NodeError(outcome.node, cause, f"its result could not be saved: {failure}")
        error.__cause__ = cause
        return NodeOutcome(outcome.node, ERROR, {}, None, error, str(error), outcome.duration)

    def _store_failed(self, outcome: NodeOutcome, exc: Exception) -> NodeOutcome:
        """The store could not keep the outcome's record: the node's result becomes an
        error that says so, kept without the value."""
        record = outcome.record
        error = NodeError(outcome.node, exc, f"its result cannot be stored: {exc}")
        error.__cause__ = exc
        failed = replace(record, outputs={}, status=ERROR, error=str(error), id=new_result_id())
        stored = None
        for candidate in (failed, replace(failed, inputs={})):  # the inputs may be the problem
            try:
                self.ctx.results.append(candidate)
                stored = candidate
                break
            except Exception:
                continue
        return NodeOutcome(outcome.node, ERROR, {}, stored, error, str(error), outcome.duration)

    def _start(self, name: str) -> bool:
        lock = self.lock  # acquire/release: no bound-method objects, as `with` makes
        lock.acquire()
        try:
            if self.cancelled or name in self.outcomes:
                return False
            self.running.add(name)
        finally:
            lock.release()
        if self.emit and (self.ctx.listeners or self.watched):
            self.emit("node_started", name)
        return True

    # -- preparing a node ------------------------------------------------------------------
    def _prepare(
        self, name: str, on_lane: bool = False
    ) -> Execution | NodeOutcome | ResultRecord | None:
        """Gather a ready node's inputs and execution key: an :class:`Execution` to
        dispatch, or already its outcome (a stored result to reuse, a missing upstream
        result). ``on_lane``: this thread is the lane's, where a plain function
        (``step.direct``) is executed at once, without an Execution (None: cancelled)."""
        node_plan = self.plan.nodes[name]
        upstream_ids: dict[str, str] = {}
        records, members = self.records, self.member_set
        outside: dict[str, ResultRecord | None] = _NONE_OUTSIDE  # selections of non-members
        for src in node_plan.upstream:
            if src in members:
                rec = records.get(src)
            else:
                if outside is _NONE_OUTSIDE:
                    outside = {}
                rec = outside[src] = self.ctx.selected(src)
            if rec is None or rec.status != OK:
                return self._unusable_upstream(name, src, rec)
            upstream_ids[src] = rec.id
        if node_plan.is_choice:
            variant: int | None = self.ctx.variant(name)
            step = node_plan.steps[variant]
        else:
            variant, step = None, node_plan.steps[0]
        scatter: list[tuple[str, list, str | None]] | None = None
        try:
            fixed = step.fixed_inputs
            inputs = {p: (v() if callable(v) else v) for p, v in fixed.items()} if fixed else {}
            user = step.user_values(self.slot_values) if step.slot_ports else None
            if user:
                inputs.update(user)
            head = step.plain_key_head
            if head is not None and variant is None and not user:
                # What step.execution_key() makes of this case, without a call: the text
                # of the one upstream result id (or none) after the step's digest.
                source = step.sole_source
                key = head if source is None else head + upstream_ids[source]
                own_canon = ()
            else:
                key, own_canon = step.execution_key(variant, user, upstream_ids)
            for port, source, source_port, scattered, item_key in step.wiring:
                value = (records.get(source) or outside[source]).outputs.get(source_port)
                if scattered:
                    items = list(value) if isinstance(value, (list, tuple)) else [value]
                    if scatter is None:
                        scatter = []
                    scatter.append((port, items, item_key))
                else:
                    inputs[port] = value
        except Exception as exc:  # a callable input or a definition problem
            return NodeOutcome(name, ERROR, error=exc, message=f"{type(exc).__name__}: {exc}")
        cacheable = key is not None
        if key is None:
            key = "nd-" + new_result_id()
        elif not self.force and name not in self.targets:
            hit = self.ctx.results.find(name, key) or self._renamed_result(name, key)
            if hit is not None:
                return NodeOutcome(name, CACHED, hit.outputs, hit)
        item_base = None
        if scatter is None:
            if on_lane and step.lane_direct:  # the common case, in the fewest frames
                if not self._start(name):
                    return None
                return execute_direct(self, name, step, variant, key, inputs, upstream_ids)
            scatter = NO_SCATTER
        elif cacheable:
            plain_refs = tuple(r for r in step.wire_refs(upstream_ids) if not r[4])
            item_base = digest(step.definition_key(), variant, own_canon, plain_refs)
        return Execution(name, step, variant, key, item_base, inputs, scatter, upstream_ids)

    def _renamed_result(self, name: str, key: str) -> ResultRecord | None:
        """A result with this key kept under a name no node of the graph has any more: the
        node was renamed (a key never contains the node's own name). It is copied into
        ``name``'s history, so that the renamed node does not execute again."""
        orphans = self._orphans
        if orphans is None:
            nodes = self.plan.nodes
            orphans = self._orphans = [n for n in self.ctx.results.nodes() if n not in nodes]
        for old in orphans:
            found = self.ctx.results.find(old, key)
            if found is not None:
                adopted = replace(found, node=name, id=new_result_id())
                try:
                    self.ctx.results.append(adopted)
                except Exception:  # not kept: the node executes instead
                    return None
                return adopted
        return None

    def _unusable_upstream(self, name: str, src: str, rec: ResultRecord | None) -> NodeOutcome:
        """Why ``name`` cannot run: an upstream node of this run did not succeed, or one
        outside it has no usable selected result."""
        if src in self.member_set:
            upstream_outcome = self.outcomes[src]
            status = upstream_outcome.status
            why = f"failed: {upstream_outcome.message}" if status == ERROR else status
            return NodeOutcome(name, SKIPPED, message=f"upstream node '{src}' {why}")
        state = (
            "has no result yet"
            if rec is None
            else "has no usable result (its selected result failed)"
        )
        return NodeOutcome(
            name,
            ERROR,
            message=(
                f"needs the output of '{src}', which {state}. Run '{name}' with its "
                f"ancestors (graph.run('{name}')) or run '{src}' first."
            ),
        )

    # -- executing ----------------------------------------------------------------------------
    def _execute_inline(self, p: Execution) -> NodeOutcome:
        if not self._start(p.name):
            return NodeOutcome(p.name, CANCELLED, message="cancelled before it started")
        return execute_sync(self, p)

    def _lane_job(self, p: Execution) -> None:
        try:
            outcome = self._run_on_lane(p)
            if outcome is not None:
                self._drain(self._finish(outcome))
        except Exception as exc:
            self._abort(exc)

    def _run_on_lane(self, p: Execution) -> NodeOutcome | None:
        """Execute on the session's lane thread; None when cancelled (already reported)."""
        if not self._start(p.name):
            return None
        if p.step.in_thread:
            return execute_sync(self, p)
        # Async code: the lane waits while the loop runs it.
        fut = asyncio.run_coroutine_threadsafe(execute_async(self, p), get_loop())
        self._track(fut)
        try:
            return fut.result()
        except BaseException:
            return None
        finally:
            self._untrack(fut)

    def _submit_pool(self, p: Execution) -> None:
        node = p.step.node
        limiter = (
            group_limiter(node.concurrency_group, node.max_concurrent)
            if node.concurrency_group
            else None
        )

        def job(release: Callable[[], None] | None) -> None:
            try:
                try:
                    if not self._start(p.name):
                        return
                    outcome = execute_sync(self, p)
                finally:
                    if release is not None:
                        release()
                self._drain(self._finish(outcome))
            except Exception as exc:
                self._abort(exc)

        if limiter is not None:
            limiter.acquire(lambda: get_pool().submit(job, self._held_slot(limiter)))
        else:
            get_pool().submit(job, None)

    def _held_slot(self, limiter: Any) -> Callable[[], None]:
        """A release of one ``limiter`` slot that counts once, whether the node returns or
        its run is stopped first (which frees the slot at once)."""
        once = threading.Lock()
        released = False

        def release() -> None:
            nonlocal released
            with once:
                if released:
                    return
                released = True
            with self.lock:
                if release in self._slots:
                    self._slots.remove(release)
            limiter.release()

        with self.lock:
            self._slots.append(release)
        return release

    def _submit_loop(self, p: Execution) -> None:
        loop = get_loop()
        node = p.step.node
        group = node.concurrency_group
        limiter = group_limiter(group, node.max_concurrent) if group else None

        async def job() -> None:
            task = asyncio.current_task()
            self._track(task)
            try:
                if limiter is not None and not p.scatter:
                    await limiter.acquire_async()
                    try:
                        if not self._start(p.name):
                            return
                        outcome = await execute_async(self, p)
                    finally:
                        limiter.release()
                else:
                    if not self._start(p.name):
                        return
                    outcome = await execute_async(self, p, limiter)
            except asyncio.CancelledError:
                return
            except Exception as exc:
                self._abort(exc)
                return
            finally:
                self._untrack(task)
            try:
                self._drain(self._finish(outcome))
            except Exception as exc:
                self._abort(exc)

        loop.call_soon_threadsafe(lambda: loop.create_task(job()))

    def _track(self, job: Any) -> None:
        with self.lock:
            self._async_jobs.add(job)
            cancelled = self.cancelled
        if cancelled:
            _cancel_soon(job)

    def _untrack(self, job: Any) -> None:
        with self.lock:
            self._async_jobs.discard(job)


def _cancel_soon(job: Any) -> None:
    """Cancel an asyncio task from any thread (Task.cancel is not thread-safe and would
    not wake its loop), or a concurrent future."""
    if isinstance(job, asyncio.Task):
        job.get_loop().call_soon_threadsafe(job.cancel)
    else:
        job.cancel()
