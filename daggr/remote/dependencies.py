"""Upstream revisions per graph: which Space or model revision a graph was used with, and
what changed since.

Revisions are kept in ``$DAGGR_HOME/dependencies.json`` as
``{persist_key: {node: {"kind", "id", "sha"}}}``. ``DAGGR_DEPENDENCY_CHECK`` decides what
a change does: ``skip`` (no check), ``update`` (accept and say so), ``error`` (raise),
``duplicate`` (copy a changed Space at its recorded revision under your namespace and use
that copy); unset, it asks on a terminal (for a Space: duplicate, update or keep asking)
and accepts with a notice otherwise.

A duplicate is remembered (``"duplicate": "you/space-1a2b3c4"`` in the node's entry):
later launches call it instead of the changed Space, and say so.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from typing import Any

from daggr.errors import DaggrError
from daggr.remote.auth import get_token
from daggr.remote.config import daggr_home, hub_offline

MODES = ("skip", "update", "error", "prompt", "duplicate")
_lock = threading.Lock()


class DependencyChanged(DaggrError, RuntimeError):
    """An upstream Space or model changed and ``DAGGR_DEPENDENCY_CHECK=error``."""


@dataclass
class DependencyChange:
    """One upstream of one node: ``status`` is recorded / unchanged / changed / kept /
    duplicated / pinned (a duplicate made earlier is used) / unknown (the Hub could not
    be asked). ``duplicate`` names the Space used instead, if any."""

    node: str
    kind: str  # "space" | "model"
    repo_id: str
    old: str | None
    new: str | None
    status: str
    duplicate: str | None = None

    def __str__(self) -> str:
        old, new = (self.old or "?")[:12], (self.new or "?")[:12]
        return f"{self.kind} '{self.repo_id}' (node '{self.node}'): {old} → {new}"


def _path():
    return daggr_home() / "dependencies.json"


def _load() -> dict[str, Any]:
    try:
        data = json.loads(_path().read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save(data: dict[str, Any]) -> None:
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def upstreams(graph: Any) -> list[tuple[str, str, str]]:
    """(node name, "space" | "model", repo id) for each Hub-hosted upstream of the graph,
    ChoiceNode variants included."""
    return [(label, kind, repo) for label, kind, repo, _ in _upstream_nodes(graph)]


def _upstream_nodes(graph: Any) -> list[tuple[str, str, str, Any]]:
    """Like :func:`upstreams`, with the node (or variant) object last."""
    from daggr.nodes.choice import ChoiceNode
    from daggr.nodes.remote import GradioNode, InferenceNode, space_id_of

    out = []
    for name, node in graph.nodes.items():
        variants = node.variants if isinstance(node, ChoiceNode) else [node]
        for variant in variants:
            label = name if variant is node else f"{name}/{variant.name}"
            if isinstance(variant, GradioNode):
                space = space_id_of(variant.src)
                if space:
                    out.append((label, "space", space, variant))
            elif isinstance(variant, InferenceNode):
                if not variant.model.startswith(("http://", "https://")):
                    out.append((label, "model", variant.model, variant))
    return out


def check_dependencies(graph: Any, mode: str | None = None) -> list[DependencyChange]:
    """Record the revision of every Space and model the graph uses (first sight) and
    report the ones that changed since.

    Example:
        >>> from daggr import Graph, GradioNode
        >>> g = Graph("demo", nodes=[GradioNode("owner/app", validate=False)])
        >>> [str(c) for c in check_dependencies(g, "update")]  # doctest: +SKIP
        ["space 'owner/app' (node 'app'): 3f2a… → 3f2a…"]
    """
    mode = (mode or os.environ.get("DAGGR_DEPENDENCY_CHECK") or "").strip().lower()
    if mode and mode not in MODES:
        raise ValueError(
            f"DAGGR_DEPENDENCY_CHECK={mode!r} is not a mode. Valid: {', '.join(MODES)}."
        )
    key = getattr(graph, "persist_key", None)
    if mode == "skip" or not key:
        return []
    found = _upstream_nodes(graph)
    if not found:
        return []
    pinned, deps = _split_pinned(graph, key, found)
    if not deps or hub_offline():
        return pinned
    from daggr.remote.hub import current_revision
    from daggr.remote.pool import pool

    token = get_token()
    shas = list(pool().map(lambda d: current_revision(d[1], d[2], token), deps))
    with _lock:
        data = _load()
        recorded = data.setdefault(key, {})
        report = [
            DependencyChange(node, kind, repo, _recorded_sha(recorded, node, repo), sha, "")
            for (node, kind, repo, _), sha in zip(deps, shas, strict=True)
        ]
        for change in report:
            change.status = _status(change.old, change.new)
        changed = [c for c in report if c.status == "changed"]
        if changed and mode == "error":
            lines = "\n".join(f"  • {c}" for c in changed)
            raise DependencyChanged(
                f"Upstream dependencies have changed:\n{lines}\n"
                "Set DAGGR_DEPENDENCY_CHECK=update to accept changes, or =duplicate to keep "
                "calling the recorded revision of each Space from a copy of your own."
            )
        nodes = {label: node for label, _, _, node in deps}
        for change in changed:
            _decide(graph, change, nodes[change.node], mode, token)
        for change in report:
            _remember(recorded, change)
        _save(data)
    return pinned + report


def _split_pinned(graph: Any, key: str, found: list) -> tuple[list[DependencyChange], list]:
    """Duplicates chosen at an earlier launch are used without asking the Hub again;
    the rest are to be checked."""
    with _lock:
        recorded = _load().get(key, {})
    pinned, deps = [], []
    for label, kind, repo, node in found:
        prev = recorded.get(label) or {}
        if kind == "space" and prev.get("id") == repo and prev.get("duplicate"):
            pinned.append(_use_duplicate(graph, label, repo, prev, node))
        else:
            deps.append((label, kind, repo, node))
    return pinned, deps


def _recorded_sha(recorded: dict[str, Any], node: str, repo: str) -> str | None:
    prev = recorded.get(node) or {}
    return prev.get("sha") if prev.get("id") == repo else None


def _status(old: str | None, sha: str | None) -> str:
    if sha is None:
        return "unknown"
    if old is None:
        return "recorded"
    return "unchanged" if old == sha else "changed"


def _decide(graph: Any, change: DependencyChange, node: Any, mode: str, token: Any) -> None:
    """Ask (or follow ``mode``): accept the new revision, keep the recorded one, or call
    a duplicate of the Space at the recorded revision."""
    interactive = sys.stdin is not None and sys.stdin.isatty()
    if mode in ("", "prompt") and interactive:
        choice = _ask(change)
    elif mode == "duplicate" and change.kind == "space":
        choice = "duplicate"
    else:
        print(f"[daggr] Upstream changed, accepted: {change}", file=sys.stderr)
        choice = "update"
    if choice == "keep":
        change.status = "kept"
    elif choice == "duplicate":
        _duplicate(graph, change, node, token)


def _remember(recorded: dict[str, Any], change: DependencyChange) -> None:
    if change.status in ("recorded", "changed"):
        recorded[change.node] = {"kind": change.kind, "id": change.repo_id, "sha": change.new}
    elif change.status == "duplicated":
        recorded[change.node] = {
            "kind": change.kind,
            "id": change.repo_id,
            "sha": change.old,
            "duplicate": change.duplicate,
        }


def _use_duplicate(
    graph: Any, label: str, repo: str, entry: dict[str, Any], node: Any
) -> DependencyChange:
    duplicate = entry["duplicate"]
    _point_at(graph, node, duplicate)
    sha = entry.get("sha")
    print(
        f"[daggr] Node '{label}' calls '{duplicate}', your copy of Space '{repo}' at revision "
        f"{(sha or '?')[:12]} (chosen when '{repo}' changed). To call '{repo}' again, remove "
        f"'{label}' from {_path()}.",
        file=sys.stderr,
    )
    return DependencyChange(label, "space", repo, sha, sha, "pinned", duplicate)


def _point_at(graph: Any, node: Any, space_id: str) -> None:
    node.src = space_id
    changed = getattr(graph, "_changed", None)
    if changed is not None:
        changed()  # the node's key includes its source: plans are rebuilt


def _duplicate(graph: Any, change: DependencyChange, node: Any, token: str | None) -> None:
    """Copy the Space at its recorded revision and point the node at the copy; when that
    fails, say why and accept the new revision (the original daggr did the same)."""
    from daggr.remote.duplicate import DuplicateError, duplicate_space

    assert change.old is not None
    print(
        f"[daggr] Duplicating '{change.repo_id}' at revision {change.old[:12]} under your "
        "namespace...",
        file=sys.stderr,
    )
    try:
        copy = duplicate_space(change.repo_id, change.old, token)
    except DuplicateError as exc:
        print(f"[daggr] {exc} Using the new revision instead.", file=sys.stderr)
        return
    _point_at(graph, node, copy)
    change.status = "duplicated"
    change.duplicate = copy
    print(
        f"[daggr] Duplicated → '{copy}'. Node '{change.node}' now calls it (remembered for "
        "later launches).",
        file=sys.stderr,
    )


def _ask(change: DependencyChange) -> str:
    """ "duplicate", "update" or "keep", asked on the terminal."""
    if change.kind != "space":
        try:
            answer = input(f"[daggr] Upstream changed: {change}. Accept the new revision? [Y/n] ")
        except EOFError:
            return "update"
        return "keep" if answer.strip().lower() in ("n", "no") else "update"
    print(
        f"[daggr] Upstream changed: {change}.\n"
        f"  [1] Duplicate the recorded revision under your namespace and call that (safer)\n"
        f"  [2] Update to the latest version\n"
        f"  [3] Decide later (ask again at the next launch)"
    )
    while True:
        try:
            answer = input("  Choice [1]: ").strip() or "1"
        except EOFError:
            answer = "1"
        choice = {"1": "duplicate", "2": "update", "3": "keep"}.get(answer)
        if choice is not None:
            return choice
        print(f"  '{answer}' is not one of 1, 2, 3.")
