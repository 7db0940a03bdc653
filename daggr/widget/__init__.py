"""The notebook canvas for daggr graphs.

Example:
    >>> from daggr import FnNode, Graph
    >>> from daggr.widget import canvas_for
    >>> g = Graph("demo", nodes=[FnNode(lambda: 1, name="one")], persist_key=False)
    >>> canvas_for(g) is canvas_for(g)   # one canvas per graph, shown by displaying g
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from daggr.widget.canvas import Canvas

if TYPE_CHECKING:
    from daggr.graph import Graph

__all__ = ["Canvas", "canvas_for", "mimebundle", "show"]

_ATTR = "_daggr_canvas"


def canvas_for(graph: Graph) -> Canvas:
    """The graph's canvas, created on first use and reused after (so positions, zoom and
    open views stay in step); a closed canvas is replaced."""
    canvas = graph.__dict__.get(_ATTR)
    if canvas is None or canvas.comm is None:
        canvas = Canvas(graph)
        # Kept on the graph itself: a dict keyed by graph would keep every graph alive,
        # since the canvas refers to its graph.
        graph.__dict__[_ATTR] = canvas
    return canvas


def mimebundle(graph: Graph, **kwargs: Any) -> tuple[dict, dict] | None:
    """What ``Graph._repr_mimebundle_`` returns: the live canvas, with ``text/plain``
    (``repr(graph)``) and, in ``text/html``, the static copy's drawing for front ends
    that cannot show widgets (:mod:`daggr.widget.static_copy`)."""
    return canvas_for(graph)._repr_mimebundle_(**kwargs)


def show(graph: Graph) -> None:
    """Display the graph's canvas in the current cell.

    Returns nothing, so that ``graph.show()`` as a cell's last line shows one canvas, not
    two; ``canvas_for(graph)`` gives the canvas itself."""
    from IPython.display import display

    display(canvas_for(graph))
