"""``DaggrServer``: the original daggr's server object, for scripts that build one.

``DaggrServer(graph, theme=..., api_server=...).run(host, port, ...)`` is
``graph.launch(...)`` in two steps; ``.app`` is the ASGI app, for mounting it elsewhere.

Example:
    >>> from daggr import DaggrServer, FnNode, Graph
    >>> server = DaggrServer(Graph("demo", nodes=[FnNode(lambda: 1, name="one")], persist_key=False))
    >>> running = server.run(port=0, open_browser=False, block=False, quiet=True)
    >>> import httpx; httpx.get(running.url + "api/schema").json()["subgraphs"][0]["id"]
    'main'
    >>> running.stop()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from daggr.app.serve import RunningApp
    from daggr.graph import Graph


class DaggrServer:
    """Serve a graph: ``.app`` (ASGI), ``.state`` (the served graph and its visitors'
    sessions), ``.run()``.

    Args:
        graph: the graph to serve.
        theme: a gradio theme, a theme name or a Hub theme (see ``Graph.launch``).
        api_server: serve ``/api/schema`` and ``/api/call``.
    """

    def __init__(self, graph: Graph, theme: Any = None, api_server: bool = True):
        from daggr.app.server import create_app
        from daggr.app.state import AppState

        self.graph = graph
        self.theme = theme
        self.api_server = api_server
        self.state = AppState(graph)
        self.app = create_app(self.state, api_server=api_server, theme=theme)

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        share: bool | None = None,
        open_browser: bool = True,
        **kwargs: Any,
    ) -> RunningApp:
        """Serve until Ctrl-C in a script; return at once in a notebook (see ``launch``)."""
        from daggr.app.serve import launch

        return launch(
            self.state,
            host,
            port,
            open_browser,
            share=share,
            theme=self.theme,
            api_server=self.api_server,
            **kwargs,
        )
