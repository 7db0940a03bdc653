"""A sheet's hand-made layout on the canvas: the ``layout`` message, checked and merged.

The canvas keeps, per sheet, where cards were moved, which were resized or collapsed, the
groups drawn around cards and whether the minimap is shown. It sends each change as a
patch; the kernel checks it here and merges it into the sheet's saved viewport (the
``viewport`` trait, stored with the sheet). Nodes and wires are never part of it: the
code defines them.

Example:
    >>> patch = parse_layout({"type": "layout", "sizes": {"a": [320, 400]}}, {"a": "a"})
    >>> merge_layout({"x": 0, "y": 0, "zoom": 1}, patch)["sizes"]
    {'a': [320.0, 400.0]}
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from daggr.errors import DaggrError, did_you_mean, listing

MAX_COORD = 1e7
SIZE_LIMITS = ((120.0, 4000.0), (40.0, 8000.0))  # width, height
MAX_GROUPS = 200
MAX_TITLE = 200
MAX_ID = 64
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class LayoutError(DaggrError, ValueError):
    """A layout change the canvas sent that cannot be saved."""


def parse_layout(content: Mapping[str, Any], nodes: Mapping[str, str]) -> dict[str, Any]:
    """The layout patch in ``content``, checked against the graph's node ids.

    Raises:
        LayoutError: naming the field, what was wrong and what is valid.
    """
    patch: dict[str, Any] = {}
    if "positions" in content:
        patch["positions"] = {
            _node(k, nodes, "positions"): _pair(v, f"position of {k!r}", None)
            for k, v in _mapping(content["positions"], "positions").items()
        }
    if "sizes" in content:
        patch["sizes"] = {
            _node(k, nodes, "sizes"): None if v is None else _pair(v, f"size of {k!r}", SIZE_LIMITS)
            for k, v in _mapping(content["sizes"], "sizes").items()
        }
    if "collapsed" in content:
        collapsed = {}
        for k, v in _mapping(content["collapsed"], "collapsed").items():
            if not isinstance(v, bool):
                raise LayoutError(f"collapsed[{k!r}] must be true or false, got {v!r}.")
            collapsed[_node(k, nodes, "collapsed")] = v
        patch["collapsed"] = collapsed
    if "groups" in content:
        patch["groups"] = _groups(content["groups"], nodes)
    if "minimap" in content:
        shown = content["minimap"]
        if shown is not None and not isinstance(shown, bool):
            raise LayoutError(f"minimap must be true, false or null, got {shown!r}.")
        patch["minimap"] = shown
    return patch


def merge_layout(viewport: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """A new viewport: ``viewport`` with the patch applied (the argument is unchanged)."""
    out = dict(viewport)
    if "positions" in patch:
        out["positions"] = {**out.get("positions", {}), **patch["positions"]}
    if "sizes" in patch:
        sizes = dict(out.get("sizes", {}))
        for node, size in patch["sizes"].items():
            if size is None:
                sizes.pop(node, None)
            else:
                sizes[node] = size
        out["sizes"] = sizes
    if "collapsed" in patch:
        collapsed = [n for n in out.get("collapsed", []) if patch["collapsed"].get(n, True)]
        collapsed += [n for n, on in patch["collapsed"].items() if on and n not in collapsed]
        out["collapsed"] = collapsed
    if "groups" in patch:
        out["groups"] = patch["groups"]
    if "minimap" in patch:
        if patch["minimap"] is None:
            out.pop("minimap", None)
        else:
            out["minimap"] = patch["minimap"]
    return out


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise LayoutError(f"{what} is an object of node id -> value, got {type(value).__name__}.")
    return value


def _node(node: Any, nodes: Mapping[str, str], what: str) -> str:
    if not isinstance(node, str) or node not in nodes:
        raise LayoutError(
            f"{what}: no node {node!r} on this canvas.{did_you_mean(str(node), nodes)} "
            f"Nodes: {listing(nodes)}"
        )
    return node


def _pair(
    value: Any, what: str, limits: tuple[tuple[float, float], tuple[float, float]] | None
) -> list[float]:
    ok = isinstance(value, (list, tuple)) and len(value) == 2
    ok = ok and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value
    )
    if not ok:
        raise LayoutError(f"The {what} is two finite numbers, got {value!r}.")
    if limits is None:
        if any(abs(v) > MAX_COORD for v in value):
            raise LayoutError(f"The {what} must be within ±{MAX_COORD:g}, got {value!r}.")
        return [float(v) for v in value]
    (w0, w1), (h0, h1) = limits
    if not (w0 <= value[0] <= w1 and h0 <= value[1] <= h1):
        raise LayoutError(
            f"The {what} must be {w0:g}..{w1:g} wide and {h0:g}..{h1:g} high, got {value!r}."
        )
    return [float(v) for v in value]


def _groups(value: Any, nodes: Mapping[str, str]) -> list[dict[str, Any]]:
    if not isinstance(value, list) or len(value) > MAX_GROUPS:
        raise LayoutError(f"groups is a list of at most {MAX_GROUPS} groups, got {value!r:.80}.")
    out: list[dict[str, Any]] = []
    seen_ids: set[str] = set()
    seen_members: dict[str, str] = {}
    for g in value:
        if not isinstance(g, Mapping):
            raise LayoutError(
                f"A group is an object with id, title, color and members, got {g!r:.80}."
            )
        gid, title, colour = g.get("id"), g.get("title"), g.get("color")
        if not isinstance(gid, str) or not 0 < len(gid) <= MAX_ID or gid in seen_ids:
            raise LayoutError(f"A group id is a short unique string, got {gid!r}.")
        if not isinstance(title, str) or len(title) > MAX_TITLE:
            raise LayoutError(f"Group {gid!r}: a title is at most {MAX_TITLE} characters.")
        if not isinstance(colour, str) or not _COLOUR.match(colour):
            raise LayoutError(f"Group {gid!r}: color is '#rrggbb', got {colour!r}.")
        members = g.get("members")
        if not isinstance(members, list) or not members:
            raise LayoutError(f"Group {gid!r} needs a list of member node ids.")
        for m in members:
            _node(m, nodes, f"group {gid!r}")
            if m in seen_members:
                raise LayoutError(
                    f"Node {m!r} is in groups {seen_members[m]!r} and {gid!r}; a node is in "
                    "one group at most."
                )
            seen_members[m] = gid
        collapsed = g.get("collapsed", False)
        if not isinstance(collapsed, bool):
            raise LayoutError(f"Group {gid!r}: collapsed must be true or false.")
        seen_ids.add(gid)
        group: dict[str, Any] = {
            "id": gid,
            "title": title,
            "color": colour,
            "members": list(members),
        }
        if collapsed:
            group["collapsed"] = True
        out.append(group)
    return out
