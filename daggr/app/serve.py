"""``launch()``: serve a graph on 127.0.0.1 (or ``GRADIO_SERVER_NAME``) with uvicorn.

In a notebook the server runs in a background thread and ``launch()`` returns at once
with a link; in a script it blocks until Ctrl-C.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
import threading
import time
import webbrowser
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from daggr.app.identity import Identity
    from daggr.app.state import AppState
    from daggr.graph import Graph

DEFAULT_PORT = 7860
PORT_TRIES = 100


def in_notebook() -> bool:
    """True inside a running IPython kernel (Jupyter, VS Code, Colab)."""
    if "ipykernel" not in sys.modules:
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def bind(host: str, port: int, tries: int = PORT_TRIES) -> socket.socket:
    """A listening socket on ``port`` or the next free one, saying so when it moved."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    last: OSError | None = None
    for candidate in range(port, port + tries):
        sock = socket.socket(family, socket.SOCK_STREAM)
        # No SO_REUSEADDR: on Linux it would let us "share" a port another server holds.
        try:
            sock.bind((host, candidate))
        except OSError as exc:
            sock.close()
            if exc.errno not in (errno.EADDRINUSE, errno.EACCES):
                raise
            last = exc
            continue
        sock.listen(128)
        sock.set_inheritable(True)
        if candidate != port:
            print(f"Port {port} is in use, using {candidate} instead.")
        return sock
    raise OSError(
        f"No free port from {port} to {port + tries - 1} on {host}: {last}. "
        "Pass port= or set GRADIO_SERVER_PORT."
    )


class RunningApp:
    """A served graph: ``.url``, ``.stop()``, ``.wait()``; shows as a link in notebooks.

    Example:
        >>> from daggr import FnNode, Graph
        >>> from daggr.app import launch
        >>> g = Graph("demo", nodes=[FnNode(lambda: 1, name="one")], persist_key=False)
        >>> app = launch(g, port=0, block=False, open_browser=False, quiet=True)
        >>> app.url.startswith("http://127.0.0.1:")
        True
        >>> app.stop()
    """

    def __init__(self, server: Any, thread: threading.Thread, state: AppState, url: str):
        self._server = server
        self.thread = thread
        self.state = state
        self.url = url
        self.share_url: str | None = None  # the public link, with share=True
        # The link to give a person: through the notebook's proxy where there is one.
        self.public_url = url
        self.listen_socket: socket.socket | None = None

    @property
    def port(self) -> int:
        """The port the app listens on (chosen when ``port=0`` or the asked one was busy)."""
        return int(self.url.rsplit(":", 1)[1].strip("/"))

    @property
    def graph(self) -> Graph:
        return self.state.graph

    def swap(self, graph: Graph) -> None:
        """Serve another graph (hot reload); open pages reload themselves."""
        self.state.swap(graph)

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self.thread.join(timeout)

    def wait(self) -> None:
        """Block until the server stops; Ctrl-C stops it."""
        try:
            while self.thread.is_alive():
                self.thread.join(0.5)
        except KeyboardInterrupt:
            print("Stopping daggr…")
            self.stop()

    def __repr__(self) -> str:
        return f"<daggr app {self.state.graph.name!r} at {self.url}>"

    def _repr_html_(self) -> str:
        import html

        u = html.escape(self.public_url)
        return f'daggr app running at <a href="{u}" target="_blank">{u}</a>'


def launch(
    graph: Graph | AppState,
    host: str | None = None,
    port: int | None = None,
    open_browser: bool | None = None,
    *,
    block: bool | None = None,
    api_server: bool = True,
    identity: Identity | None = None,
    quiet: bool = False,
    share: bool | None = None,
    theme: Any = None,
    root_path: str | None = None,
    forwarded_allow_ips: str | list[str] | None = None,
    oauth: Any = None,
    owner_token: bool | None = None,
    view: str = "canvas",
    mcp_server: bool = False,
    log_level: str = "warning",
    **uvicorn_kwargs: Any,
) -> RunningApp:
    """Serve the graph's canvas and REST API.

    Args:
        graph: the graph (or an ``AppState``, whose graph can be swapped).
        host: default ``$GRADIO_SERVER_NAME`` or ``127.0.0.1``.
        port: default ``$GRADIO_SERVER_PORT`` or 7860; a busy port moves to the next free
            one (and says so); ``0`` picks any free port.
        open_browser: open a tab (default: in a script, not in a notebook).
        block: wait until Ctrl-C (default: in a script, not in a notebook).
        api_server: serve ``/api/schema`` and ``/api/call``.
        identity: how visitors are told apart (default: anonymous cookie; HF bearer
            tokens only with ``DAGGR_TRUST_HF_TOKEN=1``).
        quiet: print nothing.
        share: also open a public link through gradio's share tunnel; raises
            :class:`daggr.app.share.ShareError` at once where none can be made.
        theme: a gradio theme, a theme name or a Hub theme (see :mod:`daggr.app.theme`).
        root_path: the path prefix a reverse proxy serves the app under ("/apps/demo");
            default ``$DAGGR_ROOT_PATH``, else the proxy's ``X-Forwarded-Prefix``.
        forwarded_allow_ips: proxies whose ``X-Forwarded-*`` headers are believed
            (default ``$FORWARDED_ALLOW_IPS`` or this machine; ``"*"`` for all). See
            :mod:`daggr.app.prefix`.
        oauth: "Sign in with Hugging Face": an :class:`daggr.app.oauth.OAuthConfig`, or
            None to turn it on where a Space provides it (``hf_oauth: true``), or False.
        owner_token: whether calls of visitors without a token of their own may use the
            server's token (default: only for an app on this machine, never on a Space).
        view: what visitors see first: ``"canvas"`` or ``"form"`` (the graph's inputs,
            one Run button, the final outputs); a tab on the page switches.
        mcp_server: also serve each subgraph as an MCP tool (streamable HTTP at ``/mcp``;
            needs ``pip install "daggr[mcp]"``).

    Example:
        ``graph.launch()`` in a script; ``app = graph.launch()`` in a notebook cell, then
        ``app.stop()``.
    """
    from daggr.app.needs import check_installed

    check_installed(mcp=mcp_server)  # a missing package fails now, not as a page that spins
    from daggr.app.server import create_app
    from daggr.app.trust import Policy
    from daggr.app.visitors import default_owner_token

    if share:
        from daggr.app.share import check_share_possible

        check_share_possible()  # before anything starts: a clear error, no half-served app
    notebook = in_notebook()
    host = host or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    port = _default_port() if port is None else port
    block = (not notebook) if block is None else block
    open_browser = (not notebook and block) if open_browser is None else open_browser
    _check_dependencies(graph)
    # Requests must name this address (or a configured public host): see daggr.app.trust.
    policy = Policy.for_address(host, port)
    app = create_app(
        graph,
        api_server=api_server,
        identity=identity,
        theme=theme,
        root_path=_from_env(root_path, "DAGGR_ROOT_PATH"),
        forwarded_allow_ips=_from_env(forwarded_allow_ips, "FORWARDED_ALLOW_IPS"),
        oauth=oauth,
        owner_token=default_owner_token(host) if owner_token is None else owner_token,
        view=view,
        mcp_server=mcp_server,
        policy=policy,
    )
    running = _serve(app, host, port, log_level, uvicorn_kwargs)
    if notebook:
        from daggr.app.notebook_link import notebook_url

        running.public_url = notebook_url(running.port, running.url)
        policy.admit(running.public_url)  # the notebook's proxy names the app its own way
    if share:
        _open_share(running, policy, host, quiet)
    if not quiet:
        _announce(running, notebook, mcp_server)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(running.public_url,)).start()
    if block:
        running.wait()
    return running


def _from_env(given: Any, name: str) -> Any:
    """``given``, or when it is None the environment variable ``name`` (unset or empty:
    None)."""
    return (os.environ.get(name) or None) if given is None else given


def _default_port() -> int:
    env = os.environ.get("GRADIO_SERVER_PORT") or os.environ.get("DAGGR_SERVER_PORT")
    return int(env) if env else DEFAULT_PORT


def _check_dependencies(graph: Graph | AppState) -> None:
    """Like the original: a launch records (or checks) the revisions of the Spaces and
    models the graph calls; DAGGR_DEPENDENCY_CHECK=skip|update|error decides what a change
    does."""
    from daggr.graph import Graph as GraphType
    from daggr.remote import check_dependencies

    check_dependencies(graph if isinstance(graph, GraphType) else graph.graph)


def _serve(
    app: Any, host: str, port: int, log_level: str, uvicorn_kwargs: dict[str, Any]
) -> RunningApp:
    """Start uvicorn on ``host:port`` (or the next free port) in a thread of its own."""
    import uvicorn

    from daggr.app.restart import adopt_socket

    sock = adopt_socket() or bind(host, port, tries=1 if port == 0 else PORT_TRIES)
    actual = sock.getsockname()[1]
    uvicorn_kwargs.setdefault("timeout_graceful_shutdown", 3)
    # Forwarded headers are read by daggr.app.prefix (which also needs the proxy's own
    # address to decide whether to trust them), not by uvicorn.
    uvicorn_kwargs.setdefault("proxy_headers", False)
    config = uvicorn.Config(app, log_level=log_level, lifespan="off", **uvicorn_kwargs)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="daggr-app", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    if not thread.is_alive():
        raise RuntimeError(f"The daggr app could not start on {host}:{actual}; see the log above.")
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{actual}/"
    running = RunningApp(server, thread, app.state.daggr, url)
    running.listen_socket = sock
    return running


def _open_share(running: RunningApp, policy: Any, host: str, quiet: bool) -> None:
    from daggr.app.share import open_tunnel

    try:
        running.share_url = open_tunnel(host, running.port)
        policy.admit(running.share_url)
    except BaseException:
        running.stop()
        raise
    if not quiet:
        print(
            f"daggr app public URL: {running.share_url} (expires in a week; "
            "`daggr deploy` makes a permanent Space)"
        )


def _announce(running: RunningApp, notebook: bool, mcp_server: bool) -> None:
    # Printed, not displayed: the returned app also renders as a link when it is a cell's
    # value, and one link is enough.
    stop = "app.stop() to stop" if notebook else "Ctrl-C to stop"
    print(f"daggr app '{running.state.graph.name}' running at {running.public_url}  ({stop})")
    if mcp_server:
        print(f"MCP server (streamable HTTP): {running.public_url}mcp")
