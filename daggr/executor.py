"""``SequentialExecutor``: the original daggr's step-by-step runner, for scripts and tests
written against it.

It runs one node at a time in memory, feeding each node the results of the nodes it ran
before; nothing is recorded in the history. New code runs graphs with ``graph.run()``
(parallel, cached, recorded) and single nodes with ``node.test()``.

Example:
    >>> from daggr import FnNode, Graph
    >>> from daggr.executor import SequentialExecutor
    >>> one = FnNode(lambda x: x + 1, name="one", inputs={"x": 10})
    >>> two = FnNode(lambda y: y * 2, name="two", inputs={"y": one.output})
    >>> runner = SequentialExecutor(Graph("legacy", nodes=[two], persist_key=False))
    >>> runner.execute_all({})["two"]
    {'output': 22}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from daggr.errors import GraphError
from daggr.nodes.choice import ChoiceNode

if TYPE_CHECKING:
    from daggr.graph import Graph


class SequentialExecutor:
    """Run nodes one by one: ``execute_node(name, user_inputs)``, ``execute_all(inputs)``;
    ``results`` holds ``{node: {port: value}}`` of the nodes run so far."""

    def __init__(self, graph: Graph, hf_token: str | None = None):
        self.graph = graph
        self.hf_token = hf_token
        self.results: dict[str, dict[str, Any]] = {}
        self.selected_variants: dict[str, int] = {}

    def set_hf_token(self, token: str | None) -> None:
        """Kept for compatibility: daggr takes the token from ``HF_TOKEN`` or your login."""
        self.hf_token = token

    def execute_node(self, node_name: str, user_inputs: dict[str, Any] | None = None) -> dict:
        """Run one node with the results of earlier calls as its upstream values;
        ``user_inputs`` (``{port: value}``) override anything else."""
        name = self.graph.resolve(node_name)
        node = self.graph.nodes[name]
        if isinstance(node, ChoiceNode):
            node = node.variants[self.selected_variants.get(name, 0)]
        values: dict[str, Any] = {}  # fixed inputs (callables called) are node.test()'s own
        from daggr.runtime.plan import UNSET, component_default

        for port, component in node._input_components.items():
            default = component_default(component)
            if default is not UNSET:
                values[port] = default
        for edge in self.graph.in_edges(name):
            if (
                edge.variant is not None
                and node is not self.graph.nodes[name].variants[edge.variant]
            ):
                continue
            if edge.is_scattered:
                raise GraphError(
                    f"SequentialExecutor does not scatter (node '{name}' runs once per item "
                    "of its input); run the graph with graph.run() instead."
                )
            upstream = self.results.get(edge.source_node)
            if upstream is not None and edge.source_port in upstream:
                values[edge.target_port] = upstream[edge.source_port]
        values.update(user_inputs or {})
        from daggr.session import test_node

        result = test_node(node, values)
        self.results[name] = result
        return result

    def execute_all(self, entry_inputs: dict[str, dict[str, Any]] | None = None) -> dict:
        """Run every node in order; ``entry_inputs`` is ``{node: {port: value}}``."""
        self.results = {}
        for name in self.graph.get_execution_order():
            self.execute_node(name, (entry_inputs or {}).get(name))
        return self.results
