"""The original daggr's module name for ports: ``from daggr.port import ItemList, Port``.

Example:
    >>> from daggr.port import ItemList, Port, ScatteredPort
    >>> Port.__module__
    'daggr.ports'
"""

from daggr.ports import AnyPort as PortLike
from daggr.ports import GatheredPort, ItemList, Port, ScatteredPort, is_port

__all__ = ["GatheredPort", "ItemList", "Port", "PortLike", "ScatteredPort", "is_port"]
