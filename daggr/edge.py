"""The original daggr's module name for edges: ``from daggr.edge import Edge``.

Example:
    >>> from daggr.edge import Edge
    >>> from daggr import FnNode
    >>> a, b = FnNode(lambda: 1, name="a"), FnNode(lambda x: x, name="b")
    >>> Edge(a.output, b.x).as_tuple()
    ('a', 'output', 'b', 'x')
"""

from daggr.graph import Edge

__all__ = ["Edge"]
