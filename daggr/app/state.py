"""The served graph (swappable by hot reload) and one session per visitor.

Every visitor works in their own :class:`~daggr.session.Session` on the served graph
(their own sheets in the shared store), so a served graph never mixes two users' inputs
or results. Views (the canvas, REST answers) are built on that session.

Example:
    >>> from daggr import FnNode, Graph
    >>> state = AppState(Graph("demo", nodes=[FnNode(lambda: 1, name="one")], persist_key=False))
    >>> a, b = state.session("anon-a"), state.session("anon-b")
    >>> a is state.session("anon-a"), a.user, a.results.sheet_id != b.results.sheet_id
    (True, 'anon-a', True)
    >>> _ = a.run(progress=False)
    >>> a.history("one")[0].outputs, len(b.history("one")), a.graph is b.graph
    ({'output': 1}, 0, True)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from daggr.graph import Graph
    from daggr.remote.visitor import Visitor
    from daggr.session import Session
    from daggr.store import Store

MAX_SESSIONS = 512  # visitors kept in memory; older ones reopen their sheets from the store


class AppState:
    """Holds the graph being served and the per-user sessions on it."""

    def __init__(self, graph: Graph) -> None:
        self._lock = threading.Lock()
        # First visits are created one at a time: two concurrent first requests of one
        # visitor must open the same new sheet, not create two.
        self._creating = threading.Lock()
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        # Each visitor's credentials for remote calls, as their latest request gave them.
        self._visitors: OrderedDict[str, Visitor] = OrderedDict()
        self._listeners: list[Callable[[], None]] = []
        self.version = 0
        self.graph = graph
        self.store = _store_for(graph)

    def session(self, user: str) -> Session:
        from daggr.session import Session

        with self._lock:
            session = self._sessions.get(user)
            if session is not None:
                self._sessions.move_to_end(user)
                return session
        with self._creating:
            with self._lock:
                session = self._sessions.get(user)
            if session is not None:
                return session
            session = Session(self.graph, store=self.store, user=user)
            with self._lock:
                session.visitor = self._visitors.get(user)
                self._sessions[user] = session
                while len(self._sessions) > MAX_SESSIONS:
                    _, old = self._sessions.popitem(last=False)
                    old.results.flush()
        return session

    def visit(self, user: str, visitor: Visitor) -> None:
        """Remember ``user``'s credentials; their session's remote calls use them."""
        with self._lock:
            self._visitors[user] = visitor
            self._visitors.move_to_end(user)
            while len(self._visitors) > MAX_SESSIONS:
                self._visitors.popitem(last=False)
            session = self._sessions.get(user)
        if session is not None:
            session.visitor = visitor

    def swap(self, graph: Graph) -> None:
        """Serve ``graph`` from now on (hot reload); open pages are told to reload."""
        with self._lock:
            old = list(self._sessions.values())
            self._sessions.clear()
            self.graph = graph
            self.store = _store_for(graph)
            self.version += 1
            listeners = list(self._listeners)
        for session in old:
            session.results.flush()
        for listener in listeners:
            listener()

    def on_swap(self, listener: Callable[[], None]) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove


def _store_for(graph: Graph) -> Store:
    # The notebook session's store when there is one (one DuckDB handle per process);
    # otherwise a new one, without creating a sheet for the server's own user.
    from daggr.store import Store

    if graph._session is not None:
        return graph._session.store
    return Store.memory() if graph.persist_key is None else Store()
