"""Serve a graph as a standalone app, export it as a Hugging Face Space, deploy it.

``launch`` serves with starlette, uvicorn and websockets (dependencies of daggr);
``launch(mcp_server=True)`` also needs ``pip install "daggr[mcp]"``. Nothing heavy is
imported until a function is called.

Example:
    >>> from daggr import FnNode, Graph
    >>> from daggr.app import launch
    >>> g = Graph("demo", nodes=[FnNode(lambda: 1, name="one")], persist_key=False)
    >>> app = launch(g, port=0, block=False, open_browser=False, quiet=True)
    >>> import httpx; httpx.post(app.url + "api/call", json={"inputs": {}}).json()["outputs"]
    {'one': {'output': 1}}
    >>> app.stop()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from daggr.app.serve import RunningApp
    from daggr.graph import Graph

__all__ = ["deploy", "export_space", "launch"]


def launch(graph: Graph, *args: Any, **kwargs: Any) -> RunningApp:
    """Serve ``graph`` (see :func:`daggr.app.serve.launch`)."""
    from daggr.app import hot_reload
    from daggr.app.serve import launch as _launch

    capture = hot_reload.capturing()
    if capture is not None:  # `daggr app.py` is importing the script: hand the graph over
        capture(graph, *args, **kwargs)
        return None  # type: ignore[return-value]
    return _launch(graph, *args, **kwargs)


def export_space(graph: Graph, directory: str | Path, **kwargs: Any) -> Path:
    """Write a Space (app.py, requirements.txt, README.md, local modules) to ``directory``."""
    from daggr.app.export import export_space as _export

    return _export(graph, directory, **kwargs)


def deploy(graph: Graph, **kwargs: Any) -> str:
    """Export and upload ``graph`` as a Space; returns its URL."""
    from daggr.app.deploy import deploy as _deploy

    return _deploy(graph, **kwargs)
