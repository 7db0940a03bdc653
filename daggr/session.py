"""Session: a graph, its results and inputs, and the engine — the object every view uses.

``graph.run()``, the canvas and the REST API all go through a session, so they see the same
inputs, results and selections.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Collection
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from daggr import inputs, provenance
from daggr.errors import DaggrError, InputError, did_you_mean, listing
from daggr.nodes.base import Node
from daggr.nodes.choice import ChoiceNode
from daggr.progress_bar import Progress
from daggr.records import History, ResultRecord, Status, new_result_id
from daggr.remote.auth import notebook_user
from daggr.runtime import live
from daggr.runtime.call import call
from daggr.runtime.loop import SerialQueue, get_loop, in_loop_thread
from daggr.runtime.plan import UNSET, Plan, Step, component_default
from daggr.runtime.result import RunHandle, RunResult, outcome_of
from daggr.runtime.scheduler import Run
from daggr.store import Store
from daggr.store.base import DEFAULT_USER
from daggr.streaming import RunStream, Update, callback_listener

if TYPE_CHECKING:
    from daggr.graph import Graph
    from daggr.provenance import Staleness
    from daggr.remote.visitor import Visitor
    from daggr.sheets import Sheets

log = logging.getLogger("daggr")

VARIANTS_STATE = "variants"
UNSELECTED_STATE = "unselected"
MEMORY_KEY = "_memory"  # sheets of graphs with persist_key=False (never written to disk)


class Session:
    """The graph's working state on its current sheet: inputs, variant choices, selected
    results, and the result history in the store.

    ``persist_key=False`` keeps everything in memory; otherwise the DuckDB store under
    ``$DAGGR_HOME`` is used, so a new graph object with the same persist key (a re-run
    notebook cell, a restarted kernel) finds its sheets and results again.
    """

    def __init__(self, graph: Graph, store: Store | None = None, user: str | None = None):
        self.graph = graph
        if store is None:
            store = Store.memory() if graph.persist_key is None else Store()
        self.store = store
        if user is None:
            # Only persistent sessions ask who the user is (it may take a Hub lookup).
            user = DEFAULT_USER if graph.persist_key is None else notebook_user()
        self.user = user
        # The store's sheets of this graph and user (rows by id); ``sheets`` is the
        # user-facing view of them.
        self.sheet_store = store.sheets(graph.persist_key or MEMORY_KEY, self.user)
        self.lane = SerialQueue()
        # A served graph's visitor, on whose behalf its remote nodes call (None: you).
        self.visitor: Visitor | None = None
        self.listeners: list[Callable[[str, Any], None]] = []
        self._lock = threading.Lock()
        self._open(self.sheet_store.open_or_create())

    def _open(self, sheet: Any) -> None:
        self.results = sheet
        self.inputs: dict[str, Any] = sheet.get_inputs()
        self.variants: dict[str, int] = dict(sheet.get_state(VARIANTS_STATE, {}) or {})
        # Nodes whose selection was explicitly cleared by a cascade: they show no result.
        self._unselected: set[str] = set(sheet.get_state(UNSELECTED_STATE, []) or [])

    # -- sheets -------------------------------------------------------------------------------------
    @property
    def sheet(self) -> str:
        return self.results.name

    @property
    def sheets(self) -> Sheets:
        """This graph's sheets for this user: ``new()``, ``rename()``, ``delete()``, ``switch()``."""
        from daggr.sheets import Sheets

        return Sheets(self)

    def switch_sheet(self, sheet_id: str) -> None:
        """Make another sheet current (by id)."""
        self.results.flush()
        self._open(self.sheet_store.open(sheet_id))
        self._changed("sheet")

    def reopen(self) -> None:
        """Reload the current sheet (after a rename, or to see another kernel's rows)."""
        self.switch_sheet(self.results.sheet_id)

    # -- engine context -----------------------------------------------------------------------
    def plan(self) -> Plan:
        """The graph compiled for execution (shared by every session on the graph)."""
        return compiled_plan(self.graph)

    def selected(self, node: str) -> ResultRecord | None:
        """The node's selected result: chosen by the user or a cascade, else the newest."""
        if node in self._unselected:
            return None
        return self.results.selected(node) or self.results.latest(node)

    def history(self, node: str) -> History:
        """Every result of ``node`` (a name) on the current sheet, oldest first."""
        return History(node, self.results.history(node))

    def select(self, node: str, index: int) -> ResultRecord:
        """Select result ``index`` of ``node`` (negative counts from the newest), restore the
        inputs that produced it, and cascade (see :func:`daggr.provenance.select`)."""
        return provenance.select(self, node, index)

    def staleness(self) -> Staleness:
        """Fresh / stale / never run for each node and edge: what a run would re-execute."""
        return provenance.staleness(self)

    def set_selection(self, node: str, record: ResultRecord | None) -> None:
        """Make ``record`` the node's selected result, nothing else (no inputs restored, no
        cascade: that is :meth:`select`); None means explicitly no result."""
        if record is None:
            self.results.select(node, None)
            self._unselected.add(node)
        else:
            self.results.select(node, record.id)
            self._unselected.discard(node)
        self.results.set_state(UNSELECTED_STATE, sorted(self._unselected))
        self._changed("selection")

    def _follow_latest(self, node: str) -> None:
        if self.results.selected(node) is not None or node in self._unselected:
            self.results.select(node, None)
            if node in self._unselected:
                self._unselected.discard(node)
                self.results.set_state(UNSELECTED_STATE, sorted(self._unselected))

    def override_outputs(self, node: str, outputs: dict[str, Any]) -> ResultRecord:
        """Replace the selected result's outputs by edited ones (an ItemList edited on the
        canvas): a new history row with the same inputs and upstream results becomes the
        node's selection and stands for those inputs (runs reuse it) until they change;
        downstream nodes go stale and consume it on their next run."""
        base = self.selected(node)
        if base is None or not base.ok:
            raise DaggrError(f"Node '{node}' has no result to edit; run it first.")
        unknown = sorted(set(outputs) - set(base.outputs))
        if unknown:
            raise InputError(
                f"Node '{node}' has no output {unknown[0]!r}.{did_you_mean(unknown[0], base.outputs)} "
                f"Outputs: {listing(base.outputs)}"
            )
        edited = replace(
            base,
            outputs={**base.outputs, **outputs},
            id=new_result_id(),  # same key: it stands for these inputs until they change
            started_at=time.time(),
            duration=0.0,
            items=None,
            error=None,
        )
        self.results.append(edited)
        self.set_selection(node, edited)
        return edited

    def variant(self, choice: str) -> int:
        return self.variants.get(choice, 0)

    def set_inputs(self, values: dict[str, Any]) -> None:
        with self._lock:
            self.inputs.update(values)
        self.results.set_inputs(values)
        self._changed("inputs")

    def set_variants(self, values: dict[str, int]) -> None:
        with self._lock:
            self.variants.update(values)
            current = dict(self.variants)
        self.results.set_state(VARIANTS_STATE, current)
        self._changed("variants")

    def _changed(self, what: str) -> None:
        """Tell views that inputs, selections, variants or the sheet changed outside a run
        (a cell calling graph.select(), a sheet switch, ...)."""
        self._notify("state_changed", what)

    def _notify(self, kind: str, payload: Any) -> None:
        for listener in list(self.listeners):
            try:
                listener(kind, payload)
            except Exception:
                # A view that fails must not stop what it watches (a run, the session's
                # queue behind it, a cell setting inputs): reported, and work goes on.
                log.exception("daggr: a view failed on %s; the work goes on", kind)

    # -- inputs -------------------------------------------------------------------------------------
    def input_table(self) -> inputs.InputTable:
        """Every input key of the graph, with its slot, node and component."""
        return inputs.input_table(self.graph, self.plan())

    def parse_inputs(
        self,
        given: dict[str, Any],
        *,
        within: Collection[str] | None = None,
        source: inputs.Source = inputs.CODE,
    ) -> tuple[dict[str, Any], dict[str, int]]:
        """Map user-given inputs to checked slot values and variant choices, or explain the
        mistake (:class:`~daggr.inputs.UnknownInput`, :class:`~daggr.inputs.BadInputValue`).
        ``within``: only these nodes' inputs; ``source``: code (trusted) or the wire."""
        return inputs.parse(
            self.graph,
            self.input_table(),
            given,
            within=within,
            source=source,
            variant_of=self.variant,
        )

    def apply_inputs(
        self, given: dict[str, Any], *, source: inputs.Source = inputs.CODE
    ) -> tuple[dict[str, Any], dict[str, int]]:
        """Check and set inputs as ``graph.run(**given)`` would, without running anything:
        all of them or, when one is invalid, none. Returns what was set."""
        slots, variants = self.parse_inputs(given, source=source)
        if slots:
            self.set_inputs(slots)
        if variants:
            self.set_variants(variants)
        return slots, variants

    def reset_inputs(self, nodes: Collection[str]) -> None:
        """Forget the inputs set for ``nodes``: they take their components' own values (a
        function parameter without a component its default), choices their first variant."""
        table = self.input_table()
        defaults: dict[str, Any] = {}
        with self._lock:
            for entry in table.entries.values():
                if entry.node in nodes:
                    value = component_default(entry.component)
                    if value is UNSET:
                        self.inputs.pop(entry.slot, None)
                    else:
                        defaults[entry.slot] = value
        if defaults:
            self.set_inputs(defaults)
        choices = {name: 0 for name in table.variant_keys.values() if name in nodes}
        if choices:
            self.set_variants(choices)

    # -- running ------------------------------------------------------------------------------------
    def start(
        self,
        *targets: str | Node | dict,
        inputs: dict[str, Any] | None = None,
        force: bool = False,
        only: bool = False,
        progress: bool | None = None,
        durable: bool = True,
        on_update: Callable[[Update], Any] | None = None,
        **kwargs: Any,
    ) -> RunHandle:
        """Start a run on daggr's loop thread and return at once."""
        listener = callback_listener(on_update) if on_update is not None else None
        run = self._prepare_run(targets, inputs, force, only, kwargs, None, listener, durable)
        get_loop().call_soon_threadsafe(run.begin)
        return RunHandle(run, run.future)

    def stream(
        self,
        *targets: str | Node | dict,
        inputs: dict[str, Any] | None = None,
        force: bool = False,
        only: bool = False,
        progress: bool | None = None,
        **kwargs: Any,
    ) -> RunStream:
        """Start a run and return a :class:`~daggr.streaming.RunStream` of its updates
        (``progress`` is accepted as for :meth:`run`: a followed run draws no bar)."""
        stream = RunStream()
        run = self._prepare_run(targets, inputs, force, only, kwargs, None, stream._listen)
        stream._start(RunHandle(run, run.future))
        get_loop().call_soon_threadsafe(run.begin)
        return stream

    def run(
        self,
        *targets: str | Node | dict,
        inputs: dict[str, Any] | None = None,
        force: bool = False,
        only: bool = False,
        progress: bool | None = None,
        durable: bool = True,
        on_update: Callable[[Update], Any] | None = None,
        **kwargs: Any,
    ) -> RunResult:
        """Run and wait. The calling thread starts the run itself and, while no other run
        holds the session's lane, executes the sequential nodes too: the caller waits
        anyway, and Ctrl-C then interrupts the node that is running.

        A node is reported finished once its result is committed to the history file, so
        what ``run()`` returns survives a crash right after; a result that cannot be
        written (a full disk) makes its node an error. ``durable=False`` returns without
        waiting for the file (a few milliseconds per run, for loops of many quick runs):
        the rows are written within ~20 ms, and a crash in that window loses them."""
        if in_loop_thread():
            raise DaggrError(
                "graph.run() was called from daggr's own event loop (inside an async node?). "
                "Use `await graph.run_async(...)` there."
            )
        bar = Progress(self.graph.name, 0, progress is not False)
        listener = callback_listener(on_update) if on_update is not None else None
        # A bar that is off is not consulted per node at all.
        shown = bar if bar.enabled else None
        run = self._prepare_run(targets, inputs, force, only, kwargs, shown, listener, durable)
        bar.total = len(run.members)
        outcomes = run.outcomes  # not the run itself: no cycle for the collector to find
        bar.done = lambda: len(outcomes)
        try:
            if self.lane.borrow():
                try:
                    run.begin()
                finally:
                    self.lane.give_back()
                if run.result is not None:  # finished in this thread: nothing to wait for
                    return run.result
            else:
                get_loop().call_soon_threadsafe(run.begin)
            future = run.future
            while True:
                try:
                    return future.result(timeout=0.1)
                except FutureTimeout:
                    bar.refresh()
        except KeyboardInterrupt:
            run.cancel()
            raise
        finally:
            bar.close()

    async def run_async(self, *targets: str | Node | dict, **kwargs: Any) -> RunResult:
        handle = self.start(*targets, **kwargs)
        try:
            return await asyncio.wrap_future(handle._future)
        except asyncio.CancelledError:
            handle.cancel()
            raise

    def _prepare_run(
        self,
        targets: tuple,
        inputs: dict[str, Any] | None,
        force: bool,
        only: bool,
        kwargs: dict[str, Any],
        progress: Progress | None,
        own: Callable[[str, Any], None] | None = None,
        durable: bool = True,
    ) -> Run:
        """The run as asked; ``own``: a listener for this run's events alone (beside the
        session's listeners, which hear every run)."""
        given: dict[str, Any] = {}
        names: list[str] = []
        for target in targets:
            if isinstance(target, dict):
                given.update(target)
            else:
                names.append(self.graph.resolve(target))
        given.update(inputs or {})
        given.update(kwargs)
        slots, variants = self.parse_inputs(given) if given else ({}, {})
        plan = self.plan()
        if slots:
            self.set_inputs(slots)
        if variants:
            self.set_variants(variants)
        with self._lock:
            snapshot = dict(self.inputs)
        if names and only:
            members = [n for n in plan.order if n in set(names)]
        elif names:
            wanted = set(names)
            for name in names:
                wanted |= self.graph.ancestors(name)
            members = [n for n in plan.order if n in wanted]
        else:
            members = plan.order  # never changed by a run

        listeners = self.listeners
        clock = time.perf_counter
        # Whether any node has a selection to move when a new result arrives; asked once
        # per run, not per node (a selection made while the run goes on stays as made).
        pinned = bool(self._unselected) or bool(self.results.selections())
        cached = Status.CACHED.value  # compared for every node: the plain string is fastest
        live.watch_tqdm()  # tqdm bars in node code report as the node's progress

        def emit(kind: str, payload: Any) -> None:
            # Runs for every node: keep the common case (no canvas, no selection to move, a
            # quick run) to a few comparisons and one look at the selection.
            if kind == "node_finished":
                if progress is not None:
                    if progress._notes:
                        progress.note(payload.node, None)
                    if clock() >= progress.show_at:
                        progress.refresh()
                if type(payload) is ResultRecord:  # a node executed and succeeded
                    if pinned:
                        self._follow_latest(payload.node)
                    if not listeners and own is None:
                        return
                    payload = outcome_of(payload)  # views get the outcome
                elif payload.record is not None:
                    node = payload.node
                    if payload.status == cached:
                        if self.selected(node) is not payload.record:
                            self.set_selection(node, payload.record)
                    elif pinned:
                        self._follow_latest(node)
            elif kind == live.PROGRESS and progress is not None:
                progress.note(payload.node, payload.text)
            if listeners:
                self._notify(kind, payload)
            if own is not None:
                own(kind, payload)

        run = Run(self, plan, members, set(names), force, snapshot, emit, durable)
        run.watched = own is not None
        return run


def compiled_plan(graph: Graph) -> Plan:
    """The graph's compiled plan, rebuilt only when the graph changes: one per graph,
    whatever the number of sessions (visitors of a served app) on it."""
    plan = graph._plan
    if plan is None or plan.version != graph._version:
        plan = graph._plan = Plan(graph)
    return plan


# -- node.test() ---------------------------------------------------------------------------------------
def test_node(node: Node, given: dict[str, Any]) -> dict[str, Any]:
    """Run one node alone, with given or example inputs; raise what its code raises."""
    target = node.variants[0] if isinstance(node, ChoiceNode) else node
    # An InputNode's fields are its user inputs; it declares no input ports.
    ports = target._input_ports or list(target._input_components)
    unknown = [k for k in given if k not in ports and not target._accepts_any]
    if unknown:
        raise InputError(
            f"Unknown input(s) {unknown} for node '{node.name}'."
            f"{did_you_mean(unknown[0], ports)} Inputs: {listing(ports)}"
        )
    # Called like a run calls it: within its timeout, on its executor (or its graph's).
    graph = target._graph if target._graph is not None else node._graph
    step = Step(target, executor=graph.executor if graph is not None else None)
    try:
        return call(step, _test_inputs(target, given), node.name)
    except Exception as exc:
        if hasattr(exc, "add_note"):  # Python 3.11+
            exc.add_note(f"(raised by node '{node.name}' in node.test())")
        raise


def _test_inputs(node: Node, given: dict[str, Any]) -> dict[str, Any]:
    """Fixed values, then the components' values (their examples when nothing is given),
    an upstream output component's example for a wired input, then what is given."""
    inputs: dict[str, Any] = {}
    examples = not given
    for port, value in node._fixed_inputs.items():
        inputs[port] = value() if callable(value) else value
    for port, component in node._input_components.items():
        inputs[port] = component.example_value() if examples else component_default(component)
    for port, source in node._port_connections.items():
        upstream = source.node._output_components.get(source.name)
        if upstream is not None:
            inputs[port] = upstream.example_value()
        elif port not in inputs:
            inputs[port] = None
    inputs.update(given)
    return inputs
