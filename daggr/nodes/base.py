"""The node base class: ports read as attributes, inputs sorted into edges, UI inputs and
fixed values, and the ``a | b`` shorthand for choices."""

from __future__ import annotations

import functools
import warnings
from typing import TYPE_CHECKING, Any

from daggr.components import as_component
from daggr.errors import GraphError
from daggr.ports import GatheredPort, ItemList, Port, ScatteredPort, is_port
from daggr.records import History

if TYPE_CHECKING:
    from daggr.nodes.choice import ChoiceNode


class PortNamespace:
    """``node._inputs.x`` / ``node._outputs.x``: reach ports whose names start with ``_``."""

    __slots__ = ("_node",)

    def __init__(self, node: Node):
        self._node = node

    def __getattr__(self, name: str) -> Port:
        return Port(self._node, name)


class Node:
    """Base class of every node. A node's ports are read as attributes: ``node.prompt``.

    Subclasses fill the port tables in their constructor; the graph and the engine only
    read these tables, so every kind of node is wired and run the same way.
    """

    kind = "NODE"  # badge shown on the canvas
    # What the engine reads from any node, declared here so that it never falls through
    # to __getattr__ (which answers with a port). Names the engine adds start with "_":
    # any other name may be a user's port.
    _runner: str | None = None  # the engine runner of this kind (daggr.runtime.runners)
    _accepts_any = False  # takes inputs of any name (a function with **kwargs)
    is_async = False  # its code is awaited on daggr's event loop
    concurrent = False
    concurrency_group: str | None = None
    max_concurrent = 1
    executor: Any = None
    preprocess: Any = None
    postprocess: Any = None
    timeout: float | None = None  # seconds one call (one item) may take

    def __init__(self, name: str | None = None):
        self._name = name or ""
        self._name_explicit = name is not None
        self._input_ports: list[str] = []
        self._output_ports: list[str] = []
        self._input_components: dict[str, Any] = {}
        self._output_components: dict[str, Any] = {}
        self._port_connections: dict[str, Port | ScatteredPort | GatheredPort] = {}
        self._fixed_inputs: dict[str, Any] = {}
        self._item_list_schemas: dict[str, ItemList] = {}
        self._deterministic = True
        self._graph: Any = None  # the graph this node was last added to

    # -- naming ---------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = value
        self._name_explicit = True

    @property
    def _name_explicitly_set(self) -> bool:  # the original daggr's attribute name
        return self._name_explicit

    # -- ports as attributes --------------------------------------------------------
    def __getattr__(self, name: str) -> Port:
        if name[:1] == "_":
            raise AttributeError(name)
        return Port(self, name)

    def _expose_output_ports(self) -> None:
        """Make ``node.port`` a plain attribute for each output port: wiring a graph reads
        them once per consumer, and a lookup that falls through to ``__getattr__`` is slow.
        Names the class already uses (methods, properties) keep their meaning."""
        attrs = self.__dict__
        taken = _class_attributes(type(self))
        for port in self._output_ports:
            if port not in attrs and port not in taken:
                attrs[port] = Port(self, port)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._input_ports) | set(self._output_ports))

    @property
    def _inputs(self) -> PortNamespace:
        return PortNamespace(self)

    @property
    def _outputs(self) -> PortNamespace:
        return PortNamespace(self)

    def __or__(self, other: Node) -> ChoiceNode:
        from daggr.nodes.choice import ChoiceNode

        return ChoiceNode([self, other], name=self._name or None)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r})"

    # -- definition helpers used by subclasses -----------------------------------------
    def _process_inputs(self, inputs: dict[str, Any] | None) -> None:
        if not inputs:
            return
        ports = self._input_ports
        known = set(ports)  # a fan-in node may have thousands of inputs
        connections = self._port_connections
        hidden = []
        for port, value in inputs.items():
            if port not in known:
                known.add(port)
                ports.append(port)
                if port[:1] == "_":
                    hidden.append(port)
            if is_port(value):
                connections[port] = value
                continue
            if isinstance(value, History):
                raise GraphError(
                    f"Input '{port}' got the result history of node '{value.node}' "
                    f"(node.history). To wire its output port named 'history', use "
                    f"{value.node}._outputs.history."
                )
            component = as_component(value)
            if component is not None:
                self._input_components[port] = component
            else:
                # A callable here is called on every run, so it is a value, not a function
                # of the node: it stays a fixed input and makes the node non-deterministic.
                self._fixed_inputs[port] = value
        if hidden:
            _warn_underscore_ports(hidden)

    def _process_outputs(self, outputs: dict[str, Any] | list[str] | None) -> None:
        if outputs is None:
            return
        if isinstance(outputs, (list, tuple)):
            outputs = dict.fromkeys(outputs)
        if not isinstance(outputs, dict):
            raise GraphError(
                f"{type(self).__name__} `outputs` must be a dict mapping port names to "
                f"components (or None for a hidden port), got {type(outputs).__name__}."
            )
        for port, value in outputs.items():
            self._output_ports.append(port)
            if isinstance(value, ItemList):
                self._item_list_schemas[port] = value
                self._output_components[port] = None
            elif value is None:
                self._output_components[port] = None
            else:
                component = as_component(value)
                if component is None:
                    raise GraphError(
                        f"Output '{port}' of node '{self._name}' must be a component, None "
                        f"(hidden) or ItemList(...), got {type(value).__name__}."
                    )
                self._output_components[port] = component
        _warn_underscore_ports(self._output_ports)

    def _definition(self) -> tuple:
        """What decides this node's results besides its ports and fixed inputs: part of
        its execution key. Functions are fingerprinted by their code. Never the node's
        name, so that a renamed node finds its results again."""
        return ()

    def _has_nondeterministic_inputs(self) -> bool:
        return any(callable(v) for v in self._fixed_inputs.values())

    @property
    def history(self) -> History:
        """This node's results on its graph's current sheet, oldest first. (A port named
        ``history`` is reached with ``node._outputs.history``.)"""
        if self._graph is None:
            raise GraphError(f"Node '{self._name}' is not in a graph yet; add it to a Graph first.")
        return self._graph.history(self)

    def test(self, **inputs: Any) -> dict[str, Any]:
        """Run this node alone and return ``{port: value}``.

        Upstream nodes are not run: inputs wired from them take the upstream output
        component's example value unless given here. With no arguments every input gets
        an example value.

        Example:
            >>> from daggr import FnNode
            >>> FnNode(lambda x: x * 2, name="double").test(x=21)
            {'output': 42}
        """
        from daggr.session import test_node

        return test_node(self, inputs)


@functools.cache
def _class_attributes(cls: type) -> frozenset[str]:
    return frozenset(dir(cls))


def _warn_underscore_ports(ports: list[str]) -> None:
    hidden = [p for p in ports if p[:1] == "_"]  # callers may pass every port
    if hidden:
        warnings.warn(
            f"Port names {hidden} start with underscore. "
            "Use node._inputs.X or node._outputs.X to access.",
            UserWarning,
            stacklevel=4,
        )
