"""Session: a graph, its results and inputs, and the engine — the object every view uses.

``graph.run()``, the canvas and the REST API all go through a session, so they see the same
inputs, results and selections.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from daggr.errors import DaggrError, InputError, did_you_mean, listing
from daggr.nodes.base import Node
from daggr.nodes.choice import ChoiceNode
from daggr.progress import Progress
from daggr.records import ResultRecord, Status, new_result_id
from daggr.remote.auth import notebook_user
from daggr.runtime.call import call
from daggr.runtime.loop import SerialQueue, get_loop, in_loop_thread
from daggr.runtime.plan import Plan, Step, component_default
from daggr.runtime.result import RunHandle, RunResult
from daggr.runtime.scheduler import Run
from daggr.store import Store
from daggr.store.base import DEFAULT_USER

if TYPE_CHECKING:
    from daggr.graph import Graph

SELECTED_VARIANT = "_selected_variant"
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
        self.sheets = store.sheets(graph.persist_key or MEMORY_KEY, self.user)
        self.lane = SerialQueue()
        self.listeners: list[Callable[[str, Any], None]] = []
        self._plan: Plan | None = None
        self._lock = threading.Lock()
        self._open(self.sheets.open_or_create())

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

    def switch_sheet(self, sheet_id: str) -> None:
        """Make another sheet current (by id)."""
        self.results.flush()
        self._open(self.sheets.open(sheet_id))
        self._changed("sheet")

    def reopen(self) -> None:
        """Reload the current sheet (after a rename, or to see another kernel's rows)."""
        self.switch_sheet(self.results.sheet_id)

    # -- engine context -----------------------------------------------------------------------
    def plan(self) -> Plan:
        plan = self._plan
        if plan is None or plan.version != self.graph._version:
            plan = self._plan = Plan(self.graph)
        return plan

    def selected(self, node: str) -> ResultRecord | None:
        """The node's selected result: chosen by the user or a cascade, else the newest."""
        if node in self._unselected:
            return None
        return self.results.selected(node) or self.results.latest(node)

    def choose(self, node: str, record: ResultRecord | None) -> None:
        """Select ``record`` for ``node``; None means explicitly no result."""
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
        self.choose(node, edited)
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
        for listener in list(self.listeners):
            listener("state_changed", what)

    # -- inputs -------------------------------------------------------------------------------------
    def valid_input_keys(self) -> list[str]:
        plan = self.plan()
        keys = list(plan.aliases)
        keys += [f"{self.graph.id_of(n)}___selected_variant" for n in plan.variant_keys]
        return keys

    def parse_inputs(self, given: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
        """Map user-given inputs to slot values and variant choices, or explain the mistake."""
        plan = self.plan()
        slots: dict[str, Any] = {}
        variants: dict[str, int] = {}
        for key, value in given.items():
            if not isinstance(key, str):
                raise InputError(f"Input names are strings like 'node__port'; got {key!r}.")
            if key in plan.aliases:
                slots[plan.aliases[key]] = value
            elif key.endswith("__" + SELECTED_VARIANT):
                variants.update(self._variant_input(key[: -len(SELECTED_VARIANT) - 2], value))
            elif key in self.graph and isinstance(value, dict):
                for port, v in value.items():
                    sub_slots, sub_variants = self.parse_inputs({self._nested_key(key, port): v})
                    slots.update(sub_slots)
                    variants.update(sub_variants)
            else:
                slots[self._bare_port(key)] = value
        return slots, variants

    def _nested_key(self, node: str, port: str) -> str:
        name = self.graph.resolve(node)
        nid = self.graph.id_of(name)
        if port == SELECTED_VARIANT:
            return f"{nid}__{SELECTED_VARIANT}"
        alias = f"{nid}__{port}"
        keys = self.plan().variant_keys.get(name)
        if keys and alias not in self.plan().aliases:
            matches = [f"{k}__{port}" for k in keys if f"{k}__{port}" in self.plan().aliases]
            if matches:
                return matches[self.variant(name)] if len(matches) == len(keys) else matches[0]
        return alias

    def _variant_input(self, node: str, value: Any) -> dict[str, int]:
        name = self.graph.resolve(node)
        choice = self.graph.nodes[name]
        if not isinstance(choice, ChoiceNode):
            raise InputError(f"Node '{name}' is not a ChoiceNode; it has no variants to select.")
        return {name: choice.variant_index(value)}

    def _bare_port(self, key: str) -> str:
        plan = self.plan()
        matches = sorted(
            {slot for alias, slot in plan.aliases.items() if alias.split("__", 1)[1] == key}
        )
        if len(matches) == 1:
            return matches[0]
        valid = self.valid_input_keys()
        if len(matches) > 1:
            raise InputError(
                f"Input '{key}' is ambiguous: several nodes have it. Use one of: {listing(matches)}"
            )
        wired = self._wired_hint(key)
        raise InputError(
            f"Unknown input '{key}' for graph '{self.graph.name}'.{wired}"
            f"{did_you_mean(key, valid)} Valid inputs: {listing(valid)}"
        )

    def _wired_hint(self, key: str) -> str:
        node, sep, port = key.partition("__")
        if not sep or node not in self.graph:
            return ""
        name = self.graph.resolve(node)
        for edge in self.graph.in_edges(name):
            if edge.target_port == port:
                return f" '{name}.{port}' is wired from '{edge.source_node}.{edge.source_port}', so it is not a user input."
        return ""

    # -- running ------------------------------------------------------------------------------------
    def start(
        self,
        *targets: str | Node | dict,
        inputs: dict[str, Any] | None = None,
        force: bool = False,
        only: bool = False,
        progress: bool | None = None,
        **kwargs: Any,
    ) -> RunHandle:
        """Start a run on daggr's loop thread and return at once."""
        run = self._prepare_run(targets, inputs, force, only, kwargs, None)
        get_loop().call_soon_threadsafe(run.begin)
        return RunHandle(run, run.future)

    def run(
        self,
        *targets: str | Node | dict,
        inputs: dict[str, Any] | None = None,
        force: bool = False,
        only: bool = False,
        progress: bool | None = None,
        **kwargs: Any,
    ) -> RunResult:
        """Run and wait. The calling thread starts the run itself and, while no other run
        holds the session's lane, executes the sequential nodes too: the caller waits
        anyway, and Ctrl-C then interrupts the node that is running."""
        if in_loop_thread():
            raise DaggrError(
                "graph.run() was called from daggr's own event loop (inside an async node?). "
                "Use `await graph.run_async(...)` there."
            )
        bar = Progress(self.graph.name, 0, progress is not False)
        run = self._prepare_run(targets, inputs, force, only, kwargs, bar)
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
    ) -> Run:
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
        cached = Status.CACHED.value  # compared for every node: the plain string is fastest

        def emit(kind: str, payload: Any) -> None:
            # Runs for every node: keep the common case (no canvas, no selection to move, a
            # quick run) to a few comparisons and one look at the selection.
            if kind == "node_finished":
                if progress is not None and clock() >= progress.show_at:
                    progress.refresh()
                if payload.record is not None:
                    node = payload.node
                    if payload.status == cached:
                        if self.selected(node) is not payload.record:
                            self.choose(node, payload.record)
                    else:
                        self._follow_latest(node)
            if listeners:
                for listener in list(listeners):
                    listener(kind, payload)

        return Run(self, plan, members, set(names), force, snapshot, emit)


# -- node.test() ---------------------------------------------------------------------------------------
def test_node(node: Node, given: dict[str, Any]) -> dict[str, Any]:
    """Run one node alone, with given or example inputs; raise what its code raises."""
    target = node.variants[0] if isinstance(node, ChoiceNode) else node
    unknown = [k for k in given if k not in target._input_ports and not target._accepts_any]
    if unknown:
        raise InputError(
            f"Unknown input(s) {unknown} for node '{node.name}'."
            f"{did_you_mean(unknown[0], target._input_ports)} Inputs: {listing(target._input_ports)}"
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
