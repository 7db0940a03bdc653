"""Auto-layout of the canvas, mirrored from ``js/src/layout.ts``.

The static SVG fallback must place cards where the live canvas does, so both sides use
these rules and numbers, and ``js/test/fixtures/layout.json`` pins the result for both
test suites: a node's column is its longest path from a source; cards are stacked per
column in topological order; nodes with no edge form a grid beside the connected ones;
card heights are estimated from their rows.

Example:
    >>> topo = {"nodes": [{"id": "a", "kind": "FN", "inputs": [], "outputs": [],
    ...                    "fields": []}], "edges": []}
    >>> auto_layout(topo)
    {'a': (40, 40)}
"""

from __future__ import annotations

import math
from typing import Any

CARD_W = 280
COL_GAP = 80
ROW_GAP = 30
X0 = 40
Y0 = 40
HEADER_H = 36
PORT_PAD = 8
PORT_ROW_H = 22
FIELD_H = 52
LINE_H = 18
CHECK_H = 30
PREVIEW_H = 56
FOOTER_H = 26
MEDIA_FIELD_H = 84  # a drop zone with a thumbnail
CODE_FIELD_H = FIELD_H + 3 * LINE_H
TALL_PREVIEW_H = 170  # images, video, tables, rendered documents
AUDIO_PREVIEW_H = 72
ITEMS_H = 110  # "Items (N)" list of a scattered node
VARIANT_ROW_H = 22

MEDIA_KINDS = ("image", "audio", "video", "file", "gallery", "model3d")
TALL_OUTPUTS = (
    "image",
    "video",
    "gallery",
    "model3d",
    "html",
    "markdown",
    "dataframe",
    "json",
    "code",
    "label",
    "highlightedtext",
    "dialogue",
    "plot",
    "annotatedimage",
)

Point = tuple[float, float]


def field_height(component: dict[str, Any]) -> int:
    kind = component.get("kind")
    if kind == "checkbox":
        return CHECK_H
    if kind in MEDIA_KINDS:
        return MEDIA_FIELD_H
    if kind in ("json", "code", "dataframe"):
        return CODE_FIELD_H
    props = component.get("props") or {}
    lines = props.get("lines")
    if lines is None:
        lines = 7 if kind == "textarea" else 1
    try:
        lines = int(lines) or 1
    except (TypeError, ValueError):
        lines = 1
    if kind == "textarea" or (kind == "textbox" and lines > 1):
        return FIELD_H + LINE_H * (min(max(lines, 1), 6) - 1)
    return FIELD_H


def visible_fields(node: dict[str, Any], variant: int = 0) -> list[dict[str, Any]]:
    return [f for f in node["fields"] if f.get("variant") in (None, variant)]


def port_rows(node: dict[str, Any]) -> int:
    return max(len(node["inputs"]), len(node["outputs"]), 1)


def preview_height(output: dict[str, Any]) -> int:
    """Height of an output's box: media and documents get room to be seen."""
    if output.get("item_list"):
        return TALL_PREVIEW_H  # "Items (N)" with editable fields
    component = output.get("component") or {}
    kind = component.get("kind")
    if kind == "audio":
        return AUDIO_PREVIEW_H
    try:
        lines = int((component.get("props") or {}).get("lines") or 1)
    except (TypeError, ValueError):
        lines = 1
    if kind in ("textbox", "textarea") and lines > 1:
        return PREVIEW_H + LINE_H * (min(lines, 8) - 1)  # long text gets room to be read
    return TALL_PREVIEW_H if kind in TALL_OUTPUTS else PREVIEW_H


def card_height(node: dict[str, Any], variant: int = 0, scattered: bool = False) -> int:
    h = HEADER_H + PORT_PAD + PORT_ROW_H * port_rows(node)
    h += VARIANT_ROW_H * len(node.get("variants") or [])
    h += sum(field_height(f["component"]) for f in visible_fields(node, variant))
    if node["kind"] != "INPUT":
        h += sum(preview_height(o) for o in node["outputs"])
    if scattered:
        h += ITEMS_H
    return h + FOOTER_H


def scattered_nodes(topology: dict[str, Any]) -> set[str]:
    """Ids of nodes that run once per item (a scattered edge leads into them)."""
    return {e["target"] for e in topology["edges"] if e.get("scatter")}


def depths(topology: dict[str, Any]) -> dict[str, int]:
    """Longest path from a source, per node id (Kahn order, stable)."""
    ids = [n["id"] for n in topology["nodes"]]
    indeg = dict.fromkeys(ids, 0)
    out: dict[str, list[str]] = {i: [] for i in ids}
    for e in topology["edges"]:
        if e["source"] in out and e["target"] in indeg:
            out[e["source"]].append(e["target"])
            indeg[e["target"]] += 1
    depth = {i: 0 for i in ids if indeg[i] == 0}
    queue = list(depth)
    for node in queue:
        for t in out[node]:
            depth[t] = max(depth.get(t, 0), depth[node] + 1)
            indeg[t] -= 1
            if indeg[t] == 0:
                queue.append(t)
    for i in ids:
        depth.setdefault(i, 0)
    return depth


def isolated_nodes(topology: dict[str, Any]) -> set[str]:
    """Ids of nodes with no edge at all: they get a grid of their own."""
    wired = {e["source"] for e in topology["edges"]} | {e["target"] for e in topology["edges"]}
    return {n["id"] for n in topology["nodes"] if n["id"] not in wired}


def grid_columns(count: int) -> int:
    """Columns of the grid of ``count`` unconnected cards (about twice as wide as tall)."""
    return max(1, min(count, math.ceil(math.sqrt(2 * count))))


def auto_layout(topology: dict[str, Any]) -> dict[str, Point]:
    """Top-left corner of every card; unconnected nodes in a grid right of the others."""
    depth = depths(topology)
    scattered = scattered_nodes(topology)
    isolated = isolated_nodes(topology)
    next_y: dict[int, float] = {}
    pos: dict[str, Point] = {}
    columns = 0
    for node in topology["nodes"]:
        if node["id"] in isolated:
            continue
        d = depth[node["id"]]
        y = next_y.get(d, Y0)
        pos[node["id"]] = (X0 + d * (CARD_W + COL_GAP), y)
        next_y[d] = y + card_height(node, 0, node["id"] in scattered) + ROW_GAP
        columns = max(columns, d + 1)
    loose = [n for n in topology["nodes"] if n["id"] in isolated]
    cols = grid_columns(len(loose))
    y = Y0
    for start in range(0, len(loose), cols):
        row = loose[start : start + cols]
        for i, node in enumerate(row):
            pos[node["id"]] = (X0 + (columns + i) * (CARD_W + COL_GAP), y)
        y += max(card_height(n) for n in row) + ROW_GAP
    return pos


def resolve_positions(
    topology: dict[str, Any], saved: dict[str, Any] | None = None
) -> dict[str, Point]:
    """Saved positions win; nodes without one get their automatic place."""
    auto = auto_layout(topology)
    saved = saved or {}
    return {
        n["id"]: tuple(saved[n["id"]]) if n["id"] in saved else auto[n["id"]]  # type: ignore[misc]
        for n in topology["nodes"]
    }


def input_anchor(pos: Point, index: int) -> Point:
    return (pos[0], pos[1] + HEADER_H + PORT_PAD / 2 + index * PORT_ROW_H + PORT_ROW_H / 2)


def output_anchor(pos: Point, index: int) -> Point:
    return (
        pos[0] + CARD_W,
        pos[1] + HEADER_H + PORT_PAD / 2 + index * PORT_ROW_H + PORT_ROW_H / 2,
    )
