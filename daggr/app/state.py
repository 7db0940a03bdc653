"""The served graph (swappable by hot reload) and one session per visitor.

Every visitor works in their own :class:`~daggr.session.Session` (their own sheets in
the shared store), so a served graph never mixes two users' inputs or results.

Example:
    >>> from daggr import FnNode, Graph
    >>> state = AppState(Graph("demo", nodes=[FnNode(lambda: 1, name="one")], persist_key=False))
    >>> a, b = state.session("anon-a"), state.session("anon-b")
    >>> a is state.session("anon-a"), a.user, a.results.sheet_id != b.results.sheet_id
    (True, 'anon-a', True)
    >>> _ = a.run(progress=False)
    >>> a.graph.history("one")[0].outputs, len(b.graph.history("one"))
    ({'output': 1}, 0)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from daggr.graph import Graph
    from daggr.session import Session
    from daggr.store import Store

MAX_SESSIONS = 512  # visitors kept in memory; older ones reopen their sheets from the store


class UserGraph:
    """The graph as one visitor sees it: the same nodes and edges, but ``session`` is the
    visitor's own. Graph methods run against this view (so ``view.staleness()`` or
    ``view.history(...)`` read the visitor's sheet); everything else is the graph's.

    Canvas, bridge and provenance all reach the session through ``graph.session``, so
    this one indirection gives every visitor the notebook's logic on their own sheets.
    """

    def __init__(self, graph: Graph) -> None:
        self.__dict__["_graph"] = graph
        self.__dict__["session"] = None

    def __getattr__(self, name: str) -> Any:
        graph = self.__dict__["_graph"]
        attr = getattr(type(graph), name, None)
        if attr is not None and hasattr(attr, "__get__") and not name.startswith("__"):
            return attr.__get__(self, type(graph))
        return getattr(graph, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.__dict__["_graph"], name, value)

    def __iter__(self) -> Any:
        return iter(self.__dict__["_graph"])

    def __len__(self) -> int:
        return len(self.__dict__["_graph"])

    def __contains__(self, item: object) -> bool:
        return item in self.__dict__["_graph"]

    def __getitem__(self, name: str) -> Any:
        return self.__dict__["_graph"][name]

    def __repr__(self) -> str:
        return repr(self.__dict__["_graph"])


class AppState:
    """Holds the graph being served and the per-user sessions on it."""

    def __init__(self, graph: Graph) -> None:
        self._lock = threading.Lock()
        # First visits are created one at a time: two concurrent first requests of one
        # visitor must open the same new sheet, not create two.
        self._creating = threading.Lock()
        self._sessions: OrderedDict[str, Session] = OrderedDict()
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
            view = UserGraph(self.graph)
            session = Session(view, store=self.store, user=user)  # type: ignore[arg-type]
            view.__dict__["session"] = session
            with self._lock:
                self._sessions[user] = session
                while len(self._sessions) > MAX_SESSIONS:
                    _, old = self._sessions.popitem(last=False)
                    old.results.flush()
        return session

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
