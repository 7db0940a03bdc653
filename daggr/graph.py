"""Graph: the nodes, their edges, and the user-facing methods to run and inspect them.

Topology lives here; running, history and sheets are delegated to the graph's session
(``daggr.session``), imported on first use so that defining graphs stays cheap.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from daggr.errors import GraphError, did_you_mean, listing
from daggr.nodes.base import Node
from daggr.nodes.choice import ChoiceNode
from daggr.nodes.fn import check_executor
from daggr.ports import GatheredPort, Port, ScatteredPort, is_port
from daggr.records import History

if TYPE_CHECKING:
    from daggr.provenance import Staleness
    from daggr.records import ResultRecord
    from daggr.runtime.plan import Plan
    from daggr.runtime.result import RunHandle, RunResult
    from daggr.session import Session
    from daggr.sheets import Sheets
    from daggr.streaming import RunStream

_ID_UNSAFE = re.compile(r"[^0-9A-Za-z_]")


def node_id(name: str) -> str:
    """The id used in input keys (``{id}__{port}``), DOM and database rows."""
    if name.isascii() and name.isidentifier():  # the common case, without a regex
        return name
    return _ID_UNSAFE.sub("_", name)


def _input_label(owner: tuple[str, str | None]) -> str:
    node, port = owner
    return f"{node} (its variant choice)" if port is None else f"{node}.{port}"


def derive_persist_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


class Edge:
    """A connection from an output port to an input port.

    ``Edge(source_port, target_port)`` describes a wire the way ``graph.edge()`` makes
    one; ``source_node`` and ``target_node`` are node names. ``variant`` is set when the
    target is a ChoiceNode and only that variant consumes it.

    Example:
        >>> from daggr import Edge, FnNode
        >>> a = FnNode(lambda: [1, 2], name="a")
        >>> b = FnNode(lambda x: x, name="b")
        >>> Edge(a.output.each, b.x)
        Edge(scatter:a.output -> b.x)
        >>> Edge(a.output, b.x).as_tuple()
        ('a', 'output', 'b', 'x')
    """

    __slots__ = (
        "source_node",
        "source_port",
        "target_node",
        "target_port",
        "is_scattered",
        "is_gathered",
        "item_key",
        "variant",
    )

    def __init__(self, source: Port | ScatteredPort | GatheredPort, target: Port):
        if not is_port(source):
            raise GraphError(
                f"An edge starts at an output port like node.output (or node.output.each, "
                f"node.output.all()), got {_describe(source)}."
            )
        if type(target) is not Port:
            raise GraphError(
                f"An edge ends at an input port like node.text, got {_describe(target)}."
            )
        scattered = isinstance(source, ScatteredPort)
        self.source_node = source.node.name
        self.source_port = source.name
        self.target_node = target.node.name
        self.target_port = target.name
        self.is_scattered = scattered
        self.is_gathered = isinstance(source, GatheredPort)
        self.item_key = source.item_key if scattered else None
        self.variant = None

    @classmethod
    def between(
        cls,
        source_node: str,
        source_port: str,
        target_node: str,
        target_port: str,
        is_scattered: bool = False,
        is_gathered: bool = False,
        item_key: str | None = None,
        variant: int | None = None,
    ) -> Edge:
        """An edge between named nodes (what the graph stores)."""
        edge = object.__new__(cls)
        edge.source_node = source_node
        edge.source_port = source_port
        edge.target_node = target_node
        edge.target_port = target_port
        edge.is_scattered = is_scattered
        edge.is_gathered = is_gathered
        edge.item_key = item_key
        edge.variant = variant
        return edge

    def as_tuple(self) -> tuple[str, str, str, str]:
        return (self.source_node, self.source_port, self.target_node, self.target_port)

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f) for f in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is Edge and self._fields() == other._fields()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        mode = ""
        if self.is_scattered:
            mode = f"scatter[{self.item_key!r}]:" if self.item_key else "scatter:"
        elif self.is_gathered:
            mode = "gather:"
        return (
            f"Edge({mode}{self.source_node}.{self.source_port} -> "
            f"{self.target_node}.{self.target_port})"
        )


def _describe(value: Any) -> str:
    if isinstance(value, Node):
        return f"the node '{value.name}' itself (pick one of its ports: {value.name}.<port>)"
    return f"{type(value).__name__} {value!r}"[:200]


class Graph:
    """A named DAG of nodes. Passing the last nodes is enough: upstream nodes reached
    through their inputs are added automatically.

    Args:
        name: shown on the canvas; also the default ``persist_key``.
        nodes: nodes to add (their upstream nodes come along).
        persist_key: where history is kept: derived from ``name`` by default, a string to
            keep history across renames, or ``False`` to keep nothing on disk.
        executor: where FnNode functions run by default: a ``concurrent.futures.Executor``
            or a ``dask.distributed.Client`` (a node's own ``executor=`` wins).

    Example:
        >>> from daggr import FnNode, Graph
        >>> a = FnNode(lambda: 20, name="a")
        >>> b = FnNode(lambda x: x + 1, name="b", inputs={"x": a.output})
        >>> g = Graph("demo", nodes=[b], persist_key=False)
        >>> g.run()["b"]
        {'output': 21}
    """

    def __init__(
        self,
        name: str,
        nodes: Iterable[Node] | None = None,
        persist_key: str | bool | None = None,
        executor: Any = None,
    ):
        if not isinstance(name, str) or not name.strip():
            raise GraphError(
                "Graph requires a 'name' parameter. Example: "
                "Graph(name='My Podcast Generator', nodes=[...])"
            )
        self.name = name
        if persist_key is False:
            self.persist_key: str | None = None
        elif isinstance(persist_key, str) and persist_key:
            self.persist_key = persist_key
        else:
            self.persist_key = derive_persist_key(name) or "graph"
        check_executor(executor, f"Graph '{name}'")
        self.executor = executor
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self._ids: dict[str, str] = {}
        # "node__port" -> (node, port) it stands for (port None: a choice's variant pick)
        self._input_keys: dict[str, tuple[str, str | None]] = {}
        self._in_edges: dict[str, list[Edge]] = {}
        self._out_edges: dict[str, list[Edge]] = {}
        self._order: list[str] | None = None
        self._version = 0
        self._plan: Plan | None = None  # compiled on first run (daggr.session.compiled_plan)
        self._session: Session | None = None
        for node in nodes or ():
            self.add(node)

    # -- building ---------------------------------------------------------------------
    def add(self, node: Node) -> Graph:
        """Add a node and, recursively, every node its inputs are wired from."""
        if not isinstance(node, Node):
            raise GraphError(f"Graph.add expects a node, got {type(node).__name__}: {node!r}")
        # Iterative post-order walk: upstream nodes first, so insertion order is already a
        # topological order and each new node's edges can't close a cycle.
        stack: list[tuple[Node, bool]] = [(node, False)]
        wires: dict[int, list] = {}
        nodes = self.nodes
        added = False
        while stack:
            current, expanded = stack.pop()
            if nodes.get(current._name) is current:
                continue
            if expanded:
                self._add_single(current, wires[id(current)])
                added = True
                continue
            if id(current) in wires:
                continue
            wires[id(current)] = found = _connections(current)
            stack.append((current, True))
            for _, source, _ in found:
                upstream = source.node
                if nodes.get(upstream._name) is not upstream:
                    stack.append((upstream, False))
        if added:
            self._changed()
        return self

    def _contains_object(self, node: Node) -> bool:
        return self.nodes.get(node._name) is node

    def _add_single(self, node: Node, wires: list) -> None:
        """Add one node whose upstream nodes are all in the graph already."""
        name = node._name
        existing = self.nodes.get(name)
        if existing is not None:
            if node._name_explicit:
                raise GraphError(
                    f"Node with name '{name}' already exists in graph '{self.name}'. "
                    "Give one of them another name=."
                )
            name = self._free_name(name)
            node._name = name
        nid = node_id(name)
        other = self._ids.get(nid)
        if other is not None:
            raise GraphError(
                f"Node names '{other}' and '{name}' both map to the id '{nid}' used in "
                "input keys; rename one of them."
            )
        self._claim_input_keys(name, nid, node, wires)
        self.nodes[name] = node
        node._graph = self
        self._ids[nid] = name
        in_edges: list[Edge] = []
        self._in_edges[name] = in_edges
        self._out_edges[name] = []
        out_edges = self._out_edges
        edges = self.edges
        # A new node has no out-edges yet, so its in-edges cannot close a cycle.
        for target_port, source, variant in wires:
            edge = self._make_edge(source, name, target_port, variant)
            edges.append(edge)
            in_edges.append(edge)
            out_edges[edge.source_node].append(edge)

    def _claim_input_keys(self, name: str, nid: str, node: Node, wires: list) -> None:
        """User inputs are named ``{node id}__{port}`` (``graph.run(node__port=...)``, the
        REST API, the canvas): two inputs whose names join into one key would share one
        value without a word, so the second one is refused."""
        keys = self._input_keys
        if type(node) is not ChoiceNode and not isinstance(node, ChoiceNode):
            components, fixed = node._input_components, node._fixed_inputs
            wired = {w[0] for w in wires} if wires else ()  # a sink of a fan has thousands
            claims = []
            for port in node._input_ports:
                if port in components or (port not in fixed and port not in wired):
                    claims.append((f"{nid}__{port}", (name, port)))
        else:
            claims = self._choice_claims(name, nid, node, wires)
        for key, what in claims:
            other = keys.get(key)
            if other is not None:
                raise GraphError(
                    f"Inputs '{_input_label(other)}' and '{_input_label(what)}' are both "
                    f"named '{key}' (node__port), so graph.run() and the REST API could not "
                    "tell them apart; rename a node or a port (names without '__' never "
                    "collide)."
                )
        keys.update(claims)

    @staticmethod
    def _choice_claims(
        name: str, nid: str, node: ChoiceNode, wires: list
    ) -> list[tuple[str, tuple[str, str | None]]]:
        """A choice's input keys: each variant's ports under its own prefix, and the pick."""
        from daggr.inputs import VARIANT_PORT

        ids = [node_id(v.name) for v in node.variants]
        claims: list[tuple[str, tuple[str, str | None]]] = [
            (f"{nid}__{VARIANT_PORT}", (name, None))
        ]
        for i, (n, variant) in enumerate(zip(ids, node.variants, strict=True)):
            prefix = n if ids.count(n) == 1 else f"{n}_{i}"
            wired = {port for port, _, v in wires if v == i}
            for port in variant._input_ports:
                if port in variant._input_components or (
                    port not in wired and port not in variant._fixed_inputs
                ):
                    claims.append((f"{prefix}__{port}", (variant._name, port)))
        return claims

    def _free_name(self, base: str) -> str:
        i = 1
        while f"{base}_{i}" in self.nodes or node_id(f"{base}_{i}") in self._ids:
            i += 1
        return f"{base}_{i}"

    def _make_edge(
        self,
        source: Port | ScatteredPort | GatheredPort,
        target: str,
        target_port: str,
        variant: int | None = None,
    ) -> Edge:
        """The edge for a wire from a node in the graph; checks that the port exists."""
        src_node = source.node
        port = source.name
        if port not in src_node._output_ports:
            raise GraphError(
                f"Output port '{port}' not found on node '{src_node._name}'. Available outputs: "
                f"{listing(src_node._output_ports)}.{did_you_mean(port, src_node._output_ports)}"
            )
        kind = type(source)
        if kind is Port:
            return Edge.between(src_node._name, port, target, target_port, variant=variant)
        scattered = isinstance(source, ScatteredPort)
        return Edge.between(
            src_node._name,
            port,
            target,
            target_port,
            scattered,
            isinstance(source, GatheredPort),
            source.item_key if scattered else None,
            variant,
        )

    def _connect(
        self,
        source: Port | ScatteredPort | GatheredPort,
        target: str,
        port: str,
        variant: int | None = None,
    ) -> Edge:
        """Wire by hand (``graph.edge``): the source may be new, and the edge may close a cycle."""
        if not self._contains_object(source.node):
            self.add(source.node)
        edge = self._make_edge(source, target, port, variant)
        src_name = edge.source_node
        if self._out_edges[target] and self._reaches(target, src_name):
            raise GraphError(
                f"Connection would create a cycle in the DAG: {src_name}.{edge.source_port} -> "
                f"{target}.{port}"
            )
        self.edges.append(edge)
        self._in_edges[target].append(edge)
        self._out_edges[src_name].append(edge)
        return edge

    def _reaches(self, start: str, goal: str) -> bool:
        if start == goal:
            return True
        stack, seen = [start], {start}
        while stack:
            for edge in self._out_edges.get(stack.pop(), ()):
                nxt = edge.target_node
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return False

    def edge(self, source: Port | ScatteredPort | GatheredPort, target: Port) -> Graph:
        """Wire ``source`` (an output port) into ``target`` (an input port) by hand.

        A wire that cannot work is refused with the reason: a node feeding itself, a
        cycle, an input that is already wired, a port the node does not have, an
        ``InputNode`` as target (it has no inputs).

        Example:
            >>> from daggr import FnNode, Graph
            >>> a = FnNode(lambda: 1, name="a")
            >>> b = FnNode(lambda data: data, name="b")
            >>> Graph("g", nodes=[a, b], persist_key=False).edge(a.output, b.data).get_connections()
            [('a', 'output', 'b', 'data')]
        """
        wire = Edge(source, target)  # checks both are ports, with a clear message
        node = target.node
        name, port = node.name, target.name
        if source.node is node:
            raise GraphError(
                f"Node '{name}' cannot take its own output as input: "
                f"{wire.source_node}.{wire.source_port} -> {name}.{port} would create a cycle in the "
                "DAG. Wire the output into another node, or compute both in one function."
            )
        from daggr.nodes.input import InputNode

        if isinstance(node, InputNode):
            raise GraphError(
                f"InputNode '{name}' has no inputs to wire into; its ports ("
                f"{listing(node._output_ports)}) are outputs. Wire {name}.<port> into "
                "another node instead."
            )
        if not self._contains_object(node):
            self.add(node)
        if isinstance(node, ChoiceNode):
            self._edge_into_choice(source, node, port)
        else:
            self._check_input_port(node, port)
            if port not in node._input_ports:
                node._input_ports.append(port)
            self._connect(source, node.name, port)
            node._port_connections[port] = source
            node._fixed_inputs.pop(port, None)
            node._input_components.pop(port, None)
        self._changed()
        return self

    def _check_input_port(self, node: Node, port: str) -> None:
        """An input a node can take: a declared one, or any name for ``**kwargs``."""
        if port in node._port_connections:
            raise GraphError(
                f"Input '{node.name}.{port}' is already connected (from "
                f"{_source_label(node._port_connections[port])}); an input takes one wire."
            )
        if port in node._input_ports or getattr(node, "_accepts_any", False):
            return
        raise GraphError(
            f"Input port '{port}' not found on node '{node.name}'. Available inputs: "
            f"{listing(node._input_ports)}.{did_you_mean(port, node._input_ports)}"
        )

    def _edge_into_choice(
        self, source: Port | ScatteredPort | GatheredPort, choice: ChoiceNode, port: str
    ) -> None:
        """Every variant that has the input gets the wire (what ``inputs=`` on each
        variant would do)."""
        if any(v is source.node for v in choice.variants):
            raise GraphError(
                f"ChoiceNode '{choice.name}' cannot take the output of its own variant "
                f"'{source.node.name}' as input: that would create a cycle in the DAG."
            )
        takers = [
            i
            for i, v in enumerate(choice.variants)
            if port in v._input_ports or getattr(v, "_accepts_any", False)
        ]
        if not takers:
            raise GraphError(
                f"Input port '{port}' not found on any variant of ChoiceNode '{choice.name}'. "
                f"Available inputs: {listing(choice._input_ports)}."
                f"{did_you_mean(port, choice._input_ports)}"
            )
        for i in takers:
            self._check_input_port(choice.variants[i], port)
        for i in takers:
            variant = choice.variants[i]
            self._connect(source, choice.name, port, variant=i)
            if port not in variant._input_ports:
                variant._input_ports.append(port)
            variant._port_connections[port] = source
            variant._fixed_inputs.pop(port, None)
            variant._input_components.pop(port, None)
        if port not in choice._input_ports:
            choice._input_ports.append(port)

    def _changed(self) -> None:
        self._order = None
        self._version += 1

    # -- queries ----------------------------------------------------------------------
    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes.values())

    def __len__(self) -> int:
        return len(self.nodes)

    def __contains__(self, node: object) -> bool:
        if isinstance(node, Node):
            return self._contains_object(node)
        return isinstance(node, str) and (node in self.nodes or node in self._ids)

    def __getitem__(self, name: str) -> Node:
        return self.nodes[self.resolve(name)]

    def resolve(self, node: str | Node) -> str:
        """The graph's name for a node given by name, id or object (with "did you mean")."""
        if isinstance(node, Node):
            if self._contains_object(node):
                return node._name
            raise GraphError(f"Node '{node._name}' is not part of graph '{self.name}'.")
        if node in self.nodes:
            return node
        if node in self._ids:
            return self._ids[node]
        raise GraphError(
            f"No node '{node}' in graph '{self.name}'.{did_you_mean(node, self.nodes)} "
            f"Nodes: {listing(self.nodes)}"
        )

    def id_of(self, name: str) -> str:
        return node_id(name)

    def in_edges(self, name: str) -> list[Edge]:
        return self._in_edges[name]

    def out_edges(self, name: str) -> list[Edge]:
        return self._out_edges[name]

    def get_connections(self) -> list[tuple[str, str, str, str]]:
        return [e.as_tuple() for e in self.edges]

    def get_entry_nodes(self) -> list[Node]:
        return [n for name, n in self.nodes.items() if not self._in_edges[name]]

    def get_output_nodes(self) -> list[str]:
        """Names of the nodes nothing consumes (the ends of the graph)."""
        return [name for name in self.nodes if not self._out_edges[name]]

    def get_execution_order(self) -> list[str]:
        """Node names in a topological order (stable: follows insertion order)."""
        if self._order is None:
            indegree = {n: 0 for n in self.nodes}
            for e in self.edges:
                indegree[e.target_node] += 1
            ready = [n for n in self.nodes if indegree[n] == 0]
            order: list[str] = []
            i = 0
            while i < len(ready):
                n = ready[i]
                i += 1
                order.append(n)
                for e in self._out_edges[n]:
                    indegree[e.target_node] -= 1
                    if indegree[e.target_node] == 0:
                        ready.append(e.target_node)
            self._order = order
        return list(self._order)

    def ancestors(self, name: str) -> set[str]:
        seen: set[str] = set()
        stack = [name]
        while stack:
            for e in self._in_edges[stack.pop()]:
                if e.source_node not in seen:
                    seen.add(e.source_node)
                    stack.append(e.source_node)
        return seen

    def descendants(self, name: str) -> set[str]:
        seen: set[str] = set()
        stack = [name]
        while stack:
            for e in self._out_edges[stack.pop()]:
                if e.target_node not in seen:
                    seen.add(e.target_node)
                    stack.append(e.target_node)
        return seen

    def get_subgraphs(self) -> list[set[str]]:
        """Weakly connected components, in order of their first node."""
        parent = {n: n for n in self.nodes}

        def find(x: str) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for e in self.edges:
            parent[find(e.source_node)] = find(e.target_node)
        groups: dict[str, set[str]] = {}
        for n in self.nodes:
            groups.setdefault(find(n), set()).add(n)
        return list(groups.values())

    def _validate_edges(self) -> None:
        """Check every wired port exists; all problems are reported together."""
        errors = []
        for e in self.edges:
            src = self.nodes[e.source_node]
            dst = self.nodes[e.target_node]
            if e.source_port not in src._output_ports:
                errors.append(
                    f"Output port '{e.source_port}' not found on node '{e.source_node}'. "
                    f"Available outputs: {listing(src._output_ports)}."
                    f"{did_you_mean(e.source_port, src._output_ports)}"
                )
            if e.target_port not in dst._input_ports:
                errors.append(
                    f"Input port '{e.target_port}' not found on node '{e.target_node}'. "
                    f"Available inputs: {listing(dst._input_ports)}."
                    f"{did_you_mean(e.target_port, dst._input_ports)}"
                )
        if errors:
            raise GraphError("Invalid port connections:\n" + "\n".join(f"  - {m}" for m in errors))

    def __repr__(self) -> str:
        lines = [f"Graph({self.name!r}: {len(self.nodes)} nodes, {len(self.edges)} edges)"]
        for name in self.get_execution_order():
            node = self.nodes[name]
            ins = []
            for port in node._input_ports:
                src = next((e for e in self._in_edges[name] if e.target_port == port), None)
                if src is not None:
                    mark = ".each" if src.is_scattered else ".all()" if src.is_gathered else ""
                    ins.append(f"{port}<-{src.source_node}.{src.source_port}{mark}")
                elif port in node._input_components:
                    ins.append(f"{port}*")
                else:
                    ins.append(port)
            outs = ", ".join(node._output_ports)
            lines.append(f"  [{node.kind}] {name}({', '.join(ins)}) -> {outs}")
        return "\n".join(lines)

    # -- running (delegated to the session) ----------------------------------------------
    @property
    def session(self) -> Session:
        if self._session is None:
            from daggr.session import Session

            self._session = Session(self)
        return self._session

    def run(self, *targets: str | Node | dict, **kwargs: Any) -> RunResult:
        """Run the graph (or ``targets`` and the ancestors they need) and wait for it.

        Inputs are given as ``node__port=value`` (or a dict ``{node: {port: value}}``, or a
        bare port name when only one input has it). Nodes whose inputs did not change since
        a stored result reuse it; ``force=True`` re-executes everything; ``only=True`` runs
        just the targets with their upstream nodes' current results. ``progress=False``
        hides the progress bar. ``on_update=fn`` calls ``fn(update)`` (a
        :class:`~daggr.streaming.Update`) for every partial value, progress report and
        node outcome while the run goes on (see also :meth:`stream`).

        Example:
            >>> from daggr import FnNode, Graph, components as gr
            >>> shout = FnNode(lambda text: text.upper() + "!", name="shout",
            ...                inputs={"text": gr.Textbox()})
            >>> Graph("demo", nodes=[shout], persist_key=False).run(shout__text="hi")["shout"]
            {'output': 'HI!'}
        """
        return self.session.run(*targets, **kwargs)

    async def run_async(self, *targets: str | Node | dict, **kwargs: Any) -> RunResult:
        """``await``-able :meth:`run`; cancelling the awaiting task cancels the run."""
        return await self.session.run_async(*targets, **kwargs)

    def start(self, *targets: str | Node | dict, **kwargs: Any) -> RunHandle:
        """Start a run in the background and return its handle (``.result()``, ``.cancel()``)."""
        return self.session.start(*targets, **kwargs)

    def stream(self, *targets: str | Node | dict, **kwargs: Any) -> RunStream:
        """Start a run (as :meth:`run` takes it) and follow it while it goes on: iterate
        the returned :class:`~daggr.streaming.RunStream` with ``for`` or ``async for`` to
        get each node's start, values so far (text as it grows, the latest image), queue
        position and progress, and outcome. Iteration ends with the run; ``.result`` then
        holds what :meth:`run` would have returned, and ``.cancel()`` stops it.

        Example:
            >>> from daggr import FnNode, Graph
            >>> def count(n: int):
            ...     for i in range(1, n + 1):
            ...         yield " ".join(map(str, range(1, i + 1)))
            >>> g = Graph("count", nodes=[FnNode(count)], persist_key=False)
            >>> stream = g.stream(count__n=3)
            >>> "".join(u.appended["output"] for u in stream if u.kind == "partial")
            '1 2 3'
            >>> stream.result["count"]
            {'output': '1 2 3'}
        """
        return self.session.stream(*targets, **kwargs)

    # -- history, sheets, staleness ------------------------------------------------------------
    def history(self, node: str | Node) -> History:
        """Every result of a node on the current sheet, oldest first: entry ``i`` is the
        canvas's ``i+1/N``. Each record holds outputs, the exact inputs, the upstream
        result ids it consumed, timing and status.

        Example:
            >>> from daggr import FnNode, Graph
            >>> n = FnNode(lambda x: x * 2, name="double")
            >>> g = Graph("history demo", nodes=[n], persist_key=False)
            >>> _ = g.run(double__x=1), g.run(double__x=2)
            >>> [(r.inputs["x"], r.outputs["output"]) for r in g.history(n)]
            [(1, 2), (2, 4)]
        """
        return self.session.history(self.resolve(node))

    def select(self, node: str | Node, index: int) -> ResultRecord:
        """Select result ``index`` of a node (negative counts from the newest): its inputs
        are restored, the upstream results it consumed are selected too, and each
        downstream node selects its newest result that consumed them (or none)."""
        return self.session.select(self.resolve(node), index)

    def selected(self, node: str | Node) -> ResultRecord | None:
        """The node's selected result (the newest unless another was selected)."""
        return self.session.selected(self.resolve(node))

    def staleness(self) -> Staleness:
        """Fresh / stale / never run for each node, fresh or stale for each edge: what a
        "run to here" would re-execute."""
        return self.session.staleness()

    def history_sql(self, query: str, params: Any = None) -> Any:
        """Run a read-only SELECT over daggr's history tables (see ``daggr.store.schema``):
        the ``history`` view has one row per execution with its sheet, node, status,
        inputs and outputs as JSON, timing and the upstream results it consumed.

        Example:
            >>> from daggr import FnNode, Graph
            >>> g = Graph("sql demo", nodes=[FnNode(lambda x: x, name="echo")], persist_key=False)
            >>> _ = g.run(echo__x="kept")
            >>> g.history_sql("SELECT inputs->>'$.x' AS x FROM history WHERE node = 'echo'").to_dicts()
            [{'x': 'kept'}]
        """
        self.session.results.flush()
        return self.session.store.sql(query, params)

    @property
    def sheets(self) -> Sheets:
        """This graph's sheets: ``new()``, ``rename()``, ``delete()``, ``switch()``."""
        return self.session.sheets

    @property
    def sheet(self) -> str:
        """The current sheet's name; assign a name to switch sheets."""
        return self.session.sheet

    @sheet.setter
    def sheet(self, name: str) -> None:
        self.sheets.switch(name)

    # -- display -----------------------------------------------------------------------------------
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> Any:
        from daggr.widget import mimebundle

        return mimebundle(self, include=include, exclude=exclude, **kwargs)

    def _ipython_display_(self) -> None:
        # Shown with a display id: the canvas keeps that output's drawing current.
        from daggr.widget import show

        show(self)

    def show(self) -> None:
        """Display the interactive canvas in the current cell."""
        from daggr.widget import show

        show(self)

    # -- sharing ---------------------------------------------------------------------------------------
    def launch(
        self,
        host: str | None = None,
        port: int | None = None,
        share: bool | None = None,
        open_browser: bool | None = None,
        theme: Any = None,
        api_server: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Serve this graph's canvas and REST API as a web page.

        In a notebook it returns at once with a link; in a script it serves until Ctrl-C.
        ``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT`` are honoured; a busy port moves to
        the next free one.

        Args:
            host, port: where to listen (default 127.0.0.1:7860).
            share: open a public gradio share link (needs gradio and the internet; fails
                at once, saying why, where no tunnel can be made).
            open_browser: open a tab (default: in a script, not in a notebook).
            theme: a gradio theme (``gr.themes.Soft()``), a name ("default", "soft",
                "monochrome", "glass", "base", ...) or a Hub theme ("gradio/seafoam");
                the page has a light/dark toggle either way.
            api_server: serve ``/api/schema`` and ``/api/call``.
            **kwargs: passed to ``daggr.app.launch``: ``block``, ``quiet``, ``view``
                ("form" shows a form first), ``mcp_server`` (each subgraph as an MCP
                tool), ``root_path`` (behind a prefixing proxy), ``oauth`` and
                ``owner_token`` (whose token visitors' calls use), ... and on to uvicorn.

        Example:
            ``graph.launch(theme="soft")`` in a script, guarded by
            ``if __name__ == "__main__":``; ``app = graph.launch()`` in a notebook cell.
        """
        from daggr.app import launch

        return launch(
            self,
            host=host,
            port=port,
            share=share,
            open_browser=open_browser,
            theme=theme,
            api_server=api_server,
            **kwargs,
        )

    def get_api_schema(self) -> dict[str, Any]:
        """The inputs and outputs of each subgraph, as ``GET /api/schema`` answers:
        ``{"subgraphs": [{"id", "inputs": [{node, port, id, type, ...}], "outputs"}]}``.
        An input's ``id`` (``node__port``) is its key in ``POST /api/call``.

        Example:
            >>> from daggr import FnNode, Graph, components as gr
            >>> n = FnNode(lambda x: x * 2, name="doubler", inputs={"x": gr.Number(value=1)})
            >>> sub = Graph("api", nodes=[n], persist_key=False).get_api_schema()["subgraphs"][0]
            >>> sub["id"], [i["id"] for i in sub["inputs"]], sub["outputs"][0]["node"]
            ('main', ['doubler__x'], 'doubler')
        """
        from daggr.app.rest import schema

        return schema(self)

    def export_space(self, directory: str, **kwargs: Any) -> Any:
        """Write a Hugging Face Space folder: ``app.py``, ``requirements.txt``, ``README.md``."""
        from daggr.app import export_space

        return export_space(self, directory, **kwargs)

    def deploy(self, **kwargs: Any) -> str:
        """Export this graph and upload it as a Space; returns its URL (``dry_run=True``
        shows what would be uploaded, offline)."""
        from daggr.app import deploy

        return deploy(self, **kwargs)


def _source_label(source: Port | ScatteredPort | GatheredPort) -> str:
    mark = ".each" if isinstance(source, ScatteredPort) else ""
    mark = ".all()" if isinstance(source, GatheredPort) else mark
    return f"{source.node.name}.{source.name}{mark}"


def _connections(node: Node) -> list[tuple[str, Port | ScatteredPort | GatheredPort, int | None]]:
    """(target port, source port reference, variant index) for every wire into a node."""
    if isinstance(node, ChoiceNode):
        return [
            (port, source, i)
            for i, variant in enumerate(node.variants)
            for port, source in variant._port_connections.items()
        ]
    return [(port, source, None) for port, source in node._port_connections.items()]
