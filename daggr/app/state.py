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

import os
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from daggr.graph import Graph
    from daggr.remote.visitor import Visitor
    from daggr.session import Session
    from daggr.store import Store

MAX_SESSIONS = 512  # ``$DAGGR_MAX_SESSIONS``: visitors kept in memory; older ones reopen
# their sheets from the store
ANONYMOUS = "anon-"  # user ids of visitors known only by their cookie
DEFAULT_ANON_DAYS = 30.0  # ``$DAGGR_ANON_SHEET_DAYS``: how long an unused anonymous sheet stays


def anonymous_sheet_days() -> float:
    """Days an anonymous visitor's sheet is kept after its last use (their cookie lasts
    as long): ``$DAGGR_ANON_SHEET_DAYS``, default 30."""
    try:
        return max(0.0, float(os.environ.get("DAGGR_ANON_SHEET_DAYS") or DEFAULT_ANON_DAYS))
    except ValueError:
        return DEFAULT_ANON_DAYS


class AppState:
    """Holds the graph being served and the per-user sessions on it."""

    def __init__(self, graph: Graph) -> None:
        self._lock = threading.Lock()
        # First visits are created one at a time: two concurrent first requests of one
        # visitor must open the same new sheet, not create two.
        self._creating = threading.Lock()
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        # Visitors with an open canvas or a call in flight: their session is never
        # dropped, or a canvas would stop seeing the runs of a new session on its sheet.
        self._held: Counter[str] = Counter()
        # Each visitor's credentials for remote calls, as their latest request gave them.
        self._visitors: OrderedDict[str, Visitor] = OrderedDict()
        self._listeners: list[Callable[[], None]] = []
        self._next_sweep = 0.0  # when anonymous sheets are next looked at (time.time())
        self.max_sessions = int(os.environ.get("DAGGR_MAX_SESSIONS") or MAX_SESSIONS)
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
            self._sweep_when_due()
            session = Session(self.graph, store=self.store, user=user)
            with self._lock:
                session.visitor = self._visitors.get(user)
                self._sessions[user] = session
                dropped = self._evict()
            for old in dropped:
                old.results.flush()
        return session

    def _evict(self) -> list[Session]:
        # Least recently used first, never a held one (under self._lock).
        dropped = []
        for name in list(self._sessions):
            if len(self._sessions) <= self.max_sessions:
                break
            if not self._held[name]:
                dropped.append(self._sessions.pop(name))
        return dropped

    def _sweep_when_due(self) -> None:
        # New visitors are what adds sheets, so their arrival is when old ones are swept;
        # in the background, and at most every tenth of the keeping time (or hour).
        now = time.time()
        if now < self._next_sweep:
            return
        keep = anonymous_sheet_days() * 86400
        self._next_sweep = now + min(3600.0, max(1.0, keep / 10))
        threading.Thread(target=self.expire_anonymous, name="daggr-expire", daemon=True).start()

    def expire_anonymous(self, now: float | None = None) -> int:
        """Delete the sheets (results, inputs, files only they use) of anonymous visitors
        unused for :func:`anonymous_sheet_days`, except a visitor's whose canvas is open
        or call is running. Returns how many were deleted; ``now`` (epoch seconds) lets a
        caller look from another time."""
        from datetime import datetime, timezone

        from daggr.session import MEMORY_KEY
        from daggr.store import SheetNotFoundError

        key = self.graph.persist_key or MEMORY_KEY
        cutoff = (now or time.time()) - anonymous_sheet_days() * 86400
        stale = self.store.sql(
            "SELECT user_id, sheet_id FROM sheets WHERE graph_key = $1 "
            "AND starts_with(user_id, $2) AND updated_at < $3",
            [key, ANONYMOUS, datetime.fromtimestamp(cutoff, timezone.utc).replace(tzinfo=None)],
        ).rows
        deleted = 0
        for user, sheet_id in stale:
            # Under the first-visit lock: no session can open the sheet while it goes.
            with self._creating:
                with self._lock:
                    if self._held[user]:
                        continue
                    self._sessions.pop(user, None)  # its next visit opens a new sheet
                try:
                    self.store.sheets(key, user).delete(sheet_id)
                    deleted += 1
                except SheetNotFoundError:  # deleted meanwhile (another process's sweep)
                    pass
        return deleted

    @contextmanager
    def hold(self, user: str) -> Iterator[None]:
        """Keep ``user``'s session in memory while their canvas is open or a call runs."""
        with self._lock:
            self._held[user] += 1
        try:
            yield
        finally:
            with self._lock:
                self._held[user] -= 1
                if not self._held[user]:
                    del self._held[user]

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
