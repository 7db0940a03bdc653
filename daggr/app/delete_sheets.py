"""``daggr app.py --delete-sheets``: remove every sheet of a graph, for every user.

Each sheet goes with its inputs, its results and the stored files no other sheet uses;
sheets of other graphs sharing the database are left alone.

Example:
    >>> from daggr import FnNode, Graph
    >>> from daggr.store import Store
    >>> store = Store.memory()
    >>> _ = store.sheets("demo").create(), store.sheets("demo", "visitor").create()
    >>> delete_graph_sheets(store, "demo", force=True, out=lambda *a: None)
    2
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from daggr.store import Store


def graph_sheets(store: Store, graph_key: str) -> list[tuple[str, str, str]]:
    """(user id, sheet id, name) of every sheet of the graph ``graph_key``."""
    rows = store.sql(
        "SELECT user_id, sheet_id, name FROM sheets WHERE graph_key = $1 "
        "ORDER BY user_id, created_at",
        [graph_key],
    ).rows
    return [tuple(r) for r in rows]  # type: ignore[misc]


def delete_graph_sheets(
    store: Store,
    graph_key: str,
    force: bool = False,
    ask: Callable[[str], str] = input,
    out: Callable[..., Any] = print,
) -> int:
    """Delete the sheets of ``graph_key`` after asking (unless ``force``); returns how
    many were deleted."""
    found = graph_sheets(store, graph_key)
    if not found:
        out(f"No sheets found for project '{graph_key}' in {store.path or 'memory'}.")
        return 0
    users = sorted({user for user, _, _ in found})
    out(f"Project: {graph_key}  (database: {store.path or 'memory'})")
    out(
        f"This deletes {len(found)} sheet(s) of {len(users)} user(s) with their inputs, "
        "results and the files only they use."
    )
    if not force:
        try:
            answer = ask("Are you sure you want to continue? [y/N] ")
        except (EOFError, KeyboardInterrupt):
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            out("Aborted.")
            return 0
    for user, sheet_id, _ in found:
        store.sheets(graph_key, user).delete(sheet_id)
    out(f"✓ Deleted {len(found)} sheet(s) for project '{graph_key}'")
    return len(found)
