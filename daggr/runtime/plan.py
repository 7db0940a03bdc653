"""A graph compiled for execution: per-node wiring and user-input slots, computed once per
graph version so that each run does no work proportional to the number of edges."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from daggr.nodes.base import Node
from daggr.nodes.choice import ChoiceNode
from daggr.records import FileValue
from daggr.runtime.keys import Uncacheable, callable_fingerprint, canonical, digest, key_hasher
from daggr.runtime.runners import runner_for
from daggr.values.files import file_ports

if TYPE_CHECKING:
    from daggr.graph import Edge, Graph

INLINE, LANE, POOL, LOOP = "inline", "lane", "pool", "loop"


@dataclass
class Wire:
    port: str
    source: str
    source_port: str
    scattered: bool
    gathered: bool
    item_key: str | None


@dataclass
class Slot:
    """One user input. A component instance shared by several nodes is one slot."""

    id: str
    component: Any
    uses: list[tuple[str, str]] = field(default_factory=list)  # (node or variant key, port)


@dataclass(eq=False, slots=True)
class Step:
    """How to run one node (or one variant of a choice): its runner, where it is
    dispatched, and its wiring. Everything is read from what the node declares, once:
    the plan is rebuilt when the graph changes.

    ``executor`` is the graph's executor; it applies to nodes whose code can be shipped
    and that have none of their own.
    """

    node: Node
    wires: list[Wire] = field(default_factory=list)
    slot_ports: dict[str, str] = field(default_factory=dict)  # port -> slot id
    executor: Any = None  # where the node's code runs, when not in this process
    fingerprint: str | None = None
    _key_prefix: Any = field(default=None, repr=False)
    # Read from the node once (see __post_init__). Slots: the scheduler reads some of
    # these for every execution, and a plan of 10 000 steps stays compact in memory.
    runner: Any = field(init=False, repr=False)
    dispatch: str = field(init=False)
    in_thread: bool = field(init=False, repr=False)
    direct: Any = field(init=False, repr=False)
    single_port: str | None = field(init=False, repr=False)
    lane_direct: bool = field(init=False, repr=False)
    scattered: bool = field(init=False, repr=False)
    wire_sources: tuple = field(init=False, repr=False)
    sole_source: str | None = field(init=False, repr=False)
    plain_key_head: str | None = field(init=False, repr=False)
    wiring: tuple = field(init=False, repr=False)
    deterministic: bool = field(init=False, repr=False)
    fixed_inputs: dict = field(init=False, repr=False)
    component_defaults: dict = field(init=False, repr=False)
    _prefix_hex: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        node = self.node
        runner = self.runner = runner_for(node)
        if not runner.ships:
            self.executor = None
        elif node.executor is not None:
            self.executor = node.executor
        self.dispatch = _dispatch(self)
        # Called from the dispatching thread: synchronous code without an executor (with a
        # timeout, it runs on a worker thread that the dispatching one waits for).
        self.in_thread = not node.is_async and self.executor is None
        # A plain function called as fn(**inputs); its only port, without postprocess,
        # takes the value as it is.
        plain = self.in_thread and node.timeout is None
        self.direct = runner.fast_path(node) if plain else None
        self.single_port = None
        if self.direct is not None and node.postprocess is None and len(node._output_ports) == 1:
            self.single_port = node._output_ports[0]
        # Executed by the lane's thread in the fewest steps (see Run._prepare).
        # Not for a function with file outputs (an Image, a File, ...): a path it returns
        # must be kept by the store, which make_outcome() sees to.
        self.lane_direct = (
            self.dispatch == LANE
            and self.direct is not None
            and not file_ports(node._output_components or {})
        )
        self.scattered = any(w.scattered for w in self.wires)
        self.wire_sources = tuple(w.source for w in self.wires)
        self.sole_source = self.wire_sources[0] if len(self.wire_sources) == 1 else None
        # Set by the first execution_key() of a deterministic step with at most one wire.
        self.plain_key_head = None
        # What the scheduler reads for every execution, as plain tuples (cheaper to unpack
        # than attributes to look up).
        self.wiring = tuple(
            (w.port, w.source, w.source_port, w.scattered, w.item_key) for w in self.wires
        )
        self.deterministic = node._deterministic
        self.fixed_inputs = node._fixed_inputs
        self.component_defaults = {
            port: node._input_components.get(port) for port in self.slot_ports
        }

    def definition_key(self) -> str:
        if self.fingerprint is None:
            self.fingerprint = _fingerprint(self.node)
        return self.fingerprint

    def user_values(self, slot_values: dict[str, Any]) -> dict[str, Any]:
        """The values of this step's user inputs: set by the user, else the component's."""
        values = {}
        for port, slot in self.slot_ports.items():
            if slot in slot_values:
                values[port] = slot_values[slot]
            else:
                value = component_default(self.component_defaults[port])
                if value is not UNSET:
                    values[port] = value
        return values

    def wire_refs(self, upstream_ids: dict[str, str | None]) -> list[tuple]:
        """How each wire identifies what it consumes: the upstream result's id, not its value."""
        return [
            (
                w.port,
                w.source,
                upstream_ids.get(w.source),
                w.source_port,
                w.scattered,
                w.gathered,
                w.item_key,
            )
            for w in self.wires
        ]

    def execution_key(
        self, variant: int | None, user_values: dict[str, Any], upstream_ids: dict[str, str]
    ) -> tuple[str | None, tuple]:
        """(key, canonical user values); the key is None when the node must always run.

        Fixed values are part of the definition fingerprint and callables make the node
        non-deterministic, so only user inputs and upstream result ids vary between runs:
        the definition and the wiring are hashed once per plan. This one function decides
        both what the engine reuses and what views call stale.
        """
        if not self.deterministic:
            return None, ()
        own: tuple = ()
        if user_values:
            try:
                own = tuple(
                    (p, canonical(user_values[p])) for p in self.slot_ports if p in user_values
                )
            except Uncacheable:
                return None, ()
        prefix = self._key_prefix
        if prefix is None:
            static = tuple(
                (w.port, w.source, w.source_port, w.scattered, w.gathered, w.item_key)
                for w in self.wires
            )
            prefix = self._key_prefix = key_hasher(self.definition_key(), static)
            self._prefix_hex = prefix.hexdigest()
            if len(self.wire_sources) <= 1:
                # Keys of the common case (no variant, no user values, at most one wire)
                # are this head and the upstream result id: the scheduler makes them
                # without a call (Run._prepare), the same text as below.
                self.plain_key_head = f"{self._prefix_hex}:None||"
        if variant is None and not own and len(self.wire_sources) <= 1:
            # One result id at most (never longer than _SHORT_KEY): kept as it is.
            ids = upstream_ids.get(self.wire_sources[0]) if self.wire_sources else ""
            return f"{self.plain_key_head}{ids}", own
        # Result ids never contain "|" (a missing one shows as "None"), and a joined string
        # is many times cheaper than repr() of nested tuples. The number of wires is fixed by
        # the prefix, so the text reads back unambiguously from the right.
        ids = "|".join(map(str, map(upstream_ids.get, self.wire_sources)))
        text = f"{variant}|{repr(own) if own else ''}|{ids}"
        if len(text) <= _SHORT_KEY:  # kept as it is: hashing it would cost more than it saves
            return f"{self._prefix_hex}:{text}", own
        h = prefix.copy()
        h.update(text.encode())
        return h.hexdigest(), own


@dataclass(slots=True)
class NodePlan:
    name: str
    node: Node
    steps: list[Step]  # one per variant for a ChoiceNode, else one
    upstream: list[str]
    dependents: list[str]
    is_choice: bool = field(init=False)

    def __post_init__(self) -> None:
        self.is_choice = isinstance(self.node, ChoiceNode)


class Plan:
    def __init__(self, graph: Graph):
        self.version = graph._version
        self.executor = graph.executor
        self.order = graph.get_execution_order()
        self.slots: dict[str, Slot] = {}
        self.aliases: dict[str, str] = {}  # "{node}__{port}" -> slot id
        self._slot_of_component: dict[int, str] = {}
        self.nodes: dict[str, NodePlan] = {}
        self.variant_keys: dict[str, list[str]] = {}
        for name in self.order:
            node = graph.nodes[name]
            edges = graph.in_edges(name)
            upstream = list(dict.fromkeys(e.source_node for e in edges))
            dependents = list(dict.fromkeys(e.target_node for e in graph.out_edges(name)))
            if isinstance(node, ChoiceNode):
                keys = _variant_keys(node)
                self.variant_keys[name] = keys
                steps = [
                    self._step(v, keys[i], [e for e in edges if e.variant == i])
                    for i, v in enumerate(node.variants)
                ]
            else:
                steps = [self._step(node, graph.id_of(name), edges)]
            self.nodes[name] = NodePlan(name, node, steps, upstream, dependents)
        self.members = frozenset(self.order)
        self.indegree = {name: len(self.nodes[name].upstream) for name in self.order}
        self.roots = tuple(name for name in self.order if not self.nodes[name].upstream)

    def _step(self, node: Node, key: str, edges: list[Edge]) -> Step:
        wires = [
            Wire(
                e.target_port,
                e.source_node,
                e.source_port,
                e.is_scattered,
                e.is_gathered,
                e.item_key,
            )
            for e in edges
        ]
        slot_ports = {}
        wired = {w.port for w in wires}
        for port in node._input_ports:
            # A port that is neither wired, a component, nor fixed is still a user input:
            # ``graph.run(double__x=4)`` sets it; unset, the function's default applies.
            if port in wired or port in node._input_components or port in node._fixed_inputs:
                continue
            alias = f"{key}__{port}"
            self.slots[alias] = Slot(alias, None, [(key, port)])
            self.aliases[alias] = alias
            slot_ports[port] = alias
        for port, component in node._input_components.items():
            alias = f"{key}__{port}"
            slot_id = self._slot_of_component.get(id(component))
            if slot_id is None:
                slot_id = alias
                self._slot_of_component[id(component)] = slot_id
                self.slots[slot_id] = Slot(slot_id, component)
            self.slots[slot_id].uses.append((key, port))
            self.aliases[alias] = slot_id
            slot_ports[port] = slot_id
        return Step(node, wires, slot_ports, self.executor)


def _variant_keys(choice: ChoiceNode) -> list[str]:
    from daggr.graph import node_id

    names = [node_id(v.name) for v in choice.variants]
    return [n if names.count(n) == 1 else f"{n}_{i}" for i, n in enumerate(names)]


def _dispatch(step: Step) -> str:
    """Where a ready node runs (see :mod:`daggr.runtime.scheduler`)."""
    node = step.node
    if step.runner.inline:
        return INLINE
    if step.executor is not None:
        return LOOP  # the executor bounds the work; daggr only waits for it on its loop
    if not (node.concurrency_group or node.concurrent):
        return LANE
    return LOOP if node.is_async else POOL


def _fingerprint(node: Node) -> str:
    parts: list[Any] = [type(node).__name__, tuple(node._input_ports), tuple(node._output_ports)]
    parts += [
        callable_fingerprint(part) if part is None or callable(part) else part
        for part in node._definition()
    ]
    fixed = []
    for port, value in sorted(node._fixed_inputs.items()):
        if callable(value):
            continue
        try:
            fixed.append((port, canonical(value)))
        except Uncacheable:
            fixed.append((port, ("opaque", id(value))))
    parts.append(tuple(fixed))
    return digest(*parts)


UNSET = object()
_SHORT_KEY = 80  # characters of (variant, user values, upstream ids) kept unhashed in a key


def component_default(component: Any) -> Any:
    """A component's own value (a file path becomes a FileValue); ``UNSET`` for a port
    without a component, so that the function's default applies."""
    if component is None:
        return UNSET
    value = getattr(component, "value", None)
    if callable(value):
        value = value()
    if value is not None and getattr(component, "is_file", False) and isinstance(value, str):
        return FileValue(value)
    return value
