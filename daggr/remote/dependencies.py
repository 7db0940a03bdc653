"""Upstream revisions per graph: which Space or model revision a graph was used with, and
what changed since.

Revisions are kept in ``$DAGGR_HOME/dependencies.json`` as
``{persist_key: {node: {"kind", "id", "sha"}}}``. ``DAGGR_DEPENDENCY_CHECK`` decides what
a change does: ``skip`` (no check), ``update`` (accept and say so), ``error`` (raise);
unset, it asks on a terminal and accepts with a notice otherwise.
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

MODES = ("skip", "update", "error", "prompt")
_lock = threading.Lock()


class DependencyChanged(DaggrError, RuntimeError):
    """An upstream Space or model changed and ``DAGGR_DEPENDENCY_CHECK=error``."""


@dataclass
class DependencyChange:
    """One upstream of one node: ``status`` is recorded / unchanged / changed / kept /
    unknown (the Hub could not be asked)."""

    node: str
    kind: str  # "space" | "model"
    repo_id: str
    old: str | None
    new: str | None
    status: str

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
                    out.append((label, "space", space))
            elif isinstance(variant, InferenceNode):
                if not variant.model.startswith(("http://", "https://")):
                    out.append((label, "model", variant.model))
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
    if mode == "skip" or not key or hub_offline():
        return []
    deps = upstreams(graph)
    if not deps:
        return []
    from daggr.remote.hub import current_revision
    from daggr.remote.pool import pool

    token = get_token()
    shas = list(pool().map(lambda d: current_revision(d[1], d[2], token), deps))
    with _lock:
        data = _load()
        recorded = data.setdefault(key, {})
        report = []
        for (node, kind, repo), sha in zip(deps, shas, strict=True):
            prev = recorded.get(node) or {}
            old = prev.get("sha") if prev.get("id") == repo else None
            if sha is None:
                status = "unknown"
            elif old is None:
                status = "recorded"
            elif old == sha:
                status = "unchanged"
            else:
                status = "changed"
            report.append(DependencyChange(node, kind, repo, old, sha, status))
        changed = [c for c in report if c.status == "changed"]
        if changed and mode == "error":
            lines = "\n".join(f"  • {c}" for c in changed)
            raise DependencyChanged(
                f"Upstream dependencies have changed:\n{lines}\n"
                "Set DAGGR_DEPENDENCY_CHECK=update to accept changes."
            )
        for change in changed:
            if mode in ("", "prompt") and sys.stdin is not None and sys.stdin.isatty():
                if not _ask(change):
                    change.status = "kept"
                    continue
            else:
                print(f"[daggr] Upstream changed, accepted: {change}", file=sys.stderr)
        for change in report:
            if change.status in ("recorded", "changed"):
                recorded[change.node] = {
                    "kind": change.kind,
                    "id": change.repo_id,
                    "sha": change.new,
                }
        _save(data)
    return report


def _ask(change: DependencyChange) -> bool:
    try:
        answer = input(f"[daggr] Upstream changed: {change}. Accept the new revision? [Y/n] ")
    except EOFError:
        return True
    return answer.strip().lower() not in ("n", "no")
