"""ChoiceNode: alternatives for one step (``a | b | c``); the selected one runs."""

from __future__ import annotations

from daggr.errors import GraphError
from daggr.nodes.base import Node


class ChoiceNode(Node):
    """Alternative nodes for one step. Only the selected variant runs, with its own inputs.

    Output ports are the union of the variants' outputs; input edges are the union of the
    variants' connections, so upstream nodes of every variant are part of the graph.

    Example:
        >>> from daggr import FnNode
        >>> upper = FnNode(lambda text: text.upper(), name="upper")
        >>> lower = FnNode(lambda text: text.lower(), name="lower")
        >>> step = upper | lower
        >>> [v.name for v in step.variants]
        ['upper', 'lower']
    """

    kind = "CHOICE"

    def __init__(self, variants: list[Node], name: str | None = None):
        flat: list[Node] = []
        for v in variants or []:
            flat.extend(v.variants if isinstance(v, ChoiceNode) else [v])
        if not flat:
            raise GraphError("ChoiceNode requires at least one variant")
        super().__init__(name)
        if not name:
            self._name = flat[0].name
        self.variants = flat
        for variant in flat:
            for port in variant._output_ports:
                if port not in self._output_ports:
                    self._output_ports.append(port)
                    self._output_components[port] = variant._output_components.get(port)
                elif self._output_components.get(port) is None:
                    self._output_components[port] = variant._output_components.get(port)
            for port in variant._input_ports:
                if port not in self._input_ports:
                    self._input_ports.append(port)
            for port, schema in variant._item_list_schemas.items():
                self._item_list_schemas.setdefault(port, schema)
        self._deterministic = all(v._deterministic for v in flat)

    def __or__(self, other: Node) -> ChoiceNode:
        return ChoiceNode([*self.variants, other], name=self._name)

    def variant_index(self, which: int | str | Node) -> int:
        """The index of a variant given by index, name or node."""
        names = [v.name for v in self.variants]
        if isinstance(which, Node):
            for i, v in enumerate(self.variants):
                if v is which:
                    return i
            which = which.name
        if isinstance(which, bool) or not isinstance(which, (int, str)):
            raise GraphError(f"A variant is chosen by index or name, got {which!r}.")
        if isinstance(which, int):
            if 0 <= which < len(names):
                return which
            raise GraphError(
                f"ChoiceNode '{self.name}' has {len(names)} variants (0..{len(names) - 1}); "
                f"got index {which}. Variants: {', '.join(names)}"
            )
        if which in names:
            return names.index(which)
        from daggr.errors import did_you_mean

        raise GraphError(
            f"ChoiceNode '{self.name}' has no variant '{which}'."
            f"{did_you_mean(which, names)} Variants: {', '.join(names)}"
        )
