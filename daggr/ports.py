"""Port references: how one node's output is wired to another node's input.

``node.out`` is a :class:`Port`; ``node.out.each`` scatters it (the consumer runs once per
item), ``node.out.each["key"]`` scatters and takes ``item["key"]``, and
``node.out.all()`` gathers a scattered node's per-item values back into a list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from daggr.nodes.base import Node


class Port:
    """An output or input port of a node, named ``node.name``.

    Example:
        >>> from daggr import FnNode
        >>> a = FnNode(lambda: "hi", name="a", outputs={"text": None})
        >>> a.text
        Port(a.text)
    """

    __slots__ = ("node", "name")

    def __init__(self, node: Node, name: str):
        self.node = node
        self.name = name

    @property
    def each(self) -> ScatteredPort:
        """Run the consumer once per item of this list-valued port."""
        return ScatteredPort(self)

    def all(self) -> GatheredPort:
        """Collect a scattered node's per-item values of this port into one list."""
        return GatheredPort(self)

    def __getattr__(self, attr: str) -> ScatteredPort:
        # ItemList outputs expose their fields as scattered ports: ``node.items.speaker``.
        if attr.startswith("_"):
            raise AttributeError(attr)
        schema = self.node._item_list_schemas.get(self.name)
        if schema is not None and attr in schema.fields:
            return ScatteredPort(self, attr)
        raise AttributeError(f"Port '{self.name}' has no attribute '{attr}'")

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and other.node is self.node  # type: ignore[attr-defined]
            and other.name == self.name  # type: ignore[attr-defined]
        )

    def __hash__(self) -> int:
        return hash((id(self.node), self.name))

    def __repr__(self) -> str:
        return f"Port({self.node.name}.{self.name})"


class _WrappedPort:
    """A port used in a particular way; ``node`` and ``name`` are the wrapped port's."""

    __slots__ = ("port",)

    def __init__(self, port: Port):
        self.port = port

    @property
    def node(self) -> Node:
        return self.port.node

    @property
    def name(self) -> str:
        return self.port.name


class ScatteredPort(_WrappedPort):
    """A port whose list value is spread over items: the consumer runs once per item."""

    __slots__ = ("item_key",)

    def __init__(self, port: Port, item_key: str | None = None):
        super().__init__(port)
        self.item_key = item_key

    def __getitem__(self, key: str) -> ScatteredPort:
        return ScatteredPort(self.port, key)

    def __repr__(self) -> str:
        key = f"[{self.item_key!r}]" if self.item_key is not None else ""
        return f"ScatteredPort({self.port.node.name}.{self.port.name}{key})"


class GatheredPort(_WrappedPort):
    """The per-item values of a scattered node's port, collected in item order."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"GatheredPort({self.port.node.name}.{self.port.name}.all())"


AnyPort = Port | ScatteredPort | GatheredPort


def is_port(value: Any) -> bool:
    return isinstance(value, (Port, ScatteredPort, GatheredPort))


class ItemList:
    """An output that is an editable list of dicts, one field per component.

    Downstream nodes can scatter over a field with ``node.port.field``.

    Example:
        >>> from daggr import ItemList, components as gr
        >>> lines = ItemList(speaker=gr.Dropdown(choices=["A", "B"]), text=gr.Textbox())
        >>> sorted(lines.fields)
        ['speaker', 'text']
    """

    def __init__(self, **schema: Any):
        self.fields = schema

    @property
    def schema(self) -> dict[str, Any]:
        """``{field: component}``, as given (the original daggr's name for ``fields``)."""
        return self.fields

    # Read like its schema, as the original's ``node._item_list_schemas[port]`` was.
    def __contains__(self, field: object) -> bool:
        return field in self.fields

    def __iter__(self) -> Iterator[str]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __getitem__(self, field: str) -> Any:
        return self.fields[field]

    def __repr__(self) -> str:
        return f"ItemList({', '.join(self.fields)})"
