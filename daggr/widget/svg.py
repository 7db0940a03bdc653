"""A static SVG drawing of a graph, for where widgets cannot render.

GitHub, nbviewer, ``nbconvert --to html`` and a notebook reopened without its kernel
show this instead of the live canvas. It uses the canvas's own layout (``layout.py``),
so cards sit where the canvas put them, and plain SVG attributes rather than CSS so that
sanitising renderers keep the styling.

Example:
    >>> from daggr import FnNode, Graph
    >>> from daggr.widget import bridge
    >>> g = Graph("demo", nodes=[FnNode(lambda: 1, name="one")], persist_key=False)
    >>> render_svg(bridge.topology(g.session)).startswith("<svg")
    True
"""

from __future__ import annotations

import base64
from html import escape
from typing import Any

from daggr.records import Status
from daggr.widget import layout as L

BADGE_COLOURS = {
    "FN": "#7c3aed",
    "INPUT": "#0891b2",
    "GRADIO": "#ea580c",
    "MODEL": "#ca8a04",
    "CHOICE": "#db2777",
}
STATUS_COLOURS = {
    Status.OK: "#15803d",
    Status.CACHED: "#2563eb",
    Status.ERROR: "#b91c1c",
    Status.RUNNING: "#d97706",
    Status.PENDING: "#d97706",
    Status.SKIPPED: "#6b7280",
    Status.CANCELLED: "#a16207",
}
TEXT = "#1f2937"  # the default fill: every text not coloured otherwise
FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
MARGIN = 20


def render_svg(
    topology: dict[str, Any],
    node_state: dict[str, dict[str, Any]] | None = None,
    inputs: dict[str, Any] | None = None,
    positions: dict[str, Any] | None = None,
    pictures: dict[str, dict[str, bytes]] | None = None,
) -> str:
    """The graph as one ``<svg>`` element (cards, ports, edges, last status and previews).
    ``pictures``: node id -> port -> PNG or JPEG thumbnail of the picture that output
    shows."""
    node_state = node_state or {}
    inputs = inputs or {}
    pictures = pictures or {}
    pos = L.resolve_positions(topology, positions)
    scattered = L.scattered_nodes(topology)
    heights = {
        n["id"]: L.card_height(
            n, (node_state.get(n["id"]) or {}).get("variant") or 0, n["id"] in scattered
        )
        for n in topology["nodes"]
    }
    if pos:
        x0 = min(p[0] for p in pos.values()) - MARGIN
        y0 = min(p[1] for p in pos.values()) - MARGIN - 24
        x1 = max(p[0] + L.CARD_W for p in pos.values()) + MARGIN
        y1 = max(pos[i][1] + heights[i] for i in pos) + MARGIN
    else:
        x0, y0, x1, y1 = 0, 0, 320, 80
    w, h = x1 - x0, y1 - y0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="daggr-static" width="{w:.0f}" '
        f'height="{h:.0f}" viewBox="{x0:.0f} {y0:.0f} {w:.0f} {h:.0f}" '
        f'font-family="{FONT}" font-size="12" fill="{TEXT}" role="img" '
        f'aria-label="{escape(topology.get("name", ""))} (daggr graph)">',
        f'<rect x="{x0:.0f}" y="{y0:.0f}" width="{w:.0f}" height="{h:.0f}" fill="#f8fafc"/>',
        f'<text x="{x0 + MARGIN:.0f}" y="{y0 + 20:.0f}" font-weight="600" font-size="13">'
        f"{escape(topology.get('name', ''))}</text>",
    ]
    out += _edges(topology, pos)
    for n in topology["nodes"]:
        state = node_state.get(n["id"])
        shown = pictures.get(n["id"], {})
        out.append(_card(n, pos[n["id"]], heights[n["id"]], state, inputs, shown))
    out.append("</svg>")
    return "".join(out)


def _edges(topology: dict[str, Any], pos: dict[str, tuple[float, float]]) -> list[str]:
    by_id = {n["id"]: n for n in topology["nodes"]}
    out = []
    for e in topology["edges"]:
        src, dst = by_id.get(e["source"]), by_id.get(e["target"])
        if src is None or dst is None:
            continue
        oi = _index(src["outputs"], e["source_port"])
        ii = _index(dst["inputs"], e["target_port"])
        if oi < 0 or ii < 0:
            continue
        a = L.output_anchor(pos[src["id"]], oi)
        b = L.input_anchor(pos[dst["id"]], ii)
        out.append(f'<path d="{edge_path(a, b)}" fill="none" stroke="#94a3b8" stroke-width="2"/>')
        if e.get("scatter"):
            out.append(_fork(b, "target"))
        if e.get("gather"):
            out.append(_fork(a, "source"))
    return out


def edge_path(a: tuple[float, float], b: tuple[float, float]) -> str:
    dx = max(40.0, abs(b[0] - a[0]) / 2)
    return (
        f"M{_r(a[0])},{_r(a[1])} C{_r(a[0] + dx)},{_r(a[1])} "
        f"{_r(b[0] - dx)},{_r(b[1])} {_r(b[0])},{_r(b[1])}"
    )


def _fork(at: tuple[float, float], side: str) -> str:
    x, y = at
    base = x - 14 if side == "target" else x + 14
    d = " ".join(f"M{_r(base)},{_r(y)} L{_r(x)},{_r(y + k)}" for k in (-6, 0, 6))
    return f'<path d="{d}" stroke="#94a3b8" stroke-width="2" stroke-linecap="round"/>'


def _card(
    n: dict[str, Any],
    p: tuple[float, float],
    height: int,
    state: dict[str, Any] | None,
    inputs: dict[str, Any],
    pictures: dict[str, bytes],
) -> str:
    x, y = p
    status = (state or {}).get("status", "idle")
    stroke = (
        STATUS_COLOURS.get(status, "#d4dae3")
        if status in (Status.ERROR, Status.RUNNING)
        else "#d4dae3"
    )
    parts = [
        f'<g class="daggr-static-node" data-id="{escape(n["id"])}">',
        f'<rect x="{x}" y="{y}" width="{L.CARD_W}" height="{height}" rx="8" fill="#ffffff" '
        f'stroke="{stroke}"/>',
        f'<line x1="{x}" y1="{y + L.HEADER_H}" x2="{x + L.CARD_W}" y2="{y + L.HEADER_H}" '
        f'stroke="#d4dae3"/>',
    ]
    kind = str(n["kind"])
    badge_w = 8 + 7 * len(kind)
    parts.append(
        f'<rect x="{x + 8}" y="{y + 10}" width="{badge_w}" height="16" rx="4" '
        f'fill="{BADGE_COLOURS.get(kind, "#64748b")}"/>'
        f'<text x="{x + 12}" y="{y + 22}" font-size="10" font-weight="700" '
        f'fill="#ffffff">{escape(kind)}</text>'
    )
    name = f'<text x="{x + badge_w + 14}" y="{y + 23}" font-weight="600">'
    name += f"{escape(_cut(n['name'], 26))}</text>"
    if n.get("url"):
        name = f'<a href="{escape(n["url"])}" target="_blank">{name}</a>'
    parts.append(name)
    if status != "idle":
        parts.append(
            f'<text x="{x + L.CARD_W - 8}" y="{y + 23}" text-anchor="end" font-size="11" '
            f'fill="{STATUS_COLOURS.get(status, "#6b7280")}">{escape(status)}</text>'
        )
    # Port dots share their stroke, port names their colour: set once per card.
    dots, names = [], []
    for i, port in enumerate(n["inputs"]):
        cx, cy = L.input_anchor(p, i)
        fill = "#94a3b8" if port.get("wired") else "#ffffff"
        dots.append(f'<circle cx="{_r(cx)}" cy="{_r(cy)}" r="4" fill="{fill}"/>')
        names.append(
            f'<text x="{_r(cx + 12)}" y="{_r(cy + 4)}">{escape(_cut(port["name"], 18))}</text>'
        )
    for i, port in enumerate(n["outputs"]):
        cx, cy = L.output_anchor(p, i)
        style = ' font-style="italic"' if port.get("hidden") else ""
        dots.append(f'<circle cx="{_r(cx)}" cy="{_r(cy)}" r="4" fill="#94a3b8"/>')
        names.append(
            f'<text x="{_r(cx - 12)}" y="{_r(cy + 4)}" text-anchor="end"{style}>'
            f"{escape(_cut(port['name'], 18))}</text>"
        )
    if dots:
        parts.append(f'<g stroke="#94a3b8" stroke-width="2">{"".join(dots)}</g>')
        parts.append(f'<g fill="#6b7280">{"".join(names)}</g>')
    top = y + L.HEADER_H + L.PORT_PAD + L.PORT_ROW_H * L.port_rows(n)
    variant = (state or {}).get("variant") or 0
    for i, vname in enumerate(n.get("variants") or []):
        mark = "●" if i == variant else "○"
        parts.append(f'<text x="{x + 8}" y="{top + 15}">{mark} {escape(_cut(vname, 34))}</text>')
        top += L.VARIANT_ROW_H
    for f in L.visible_fields(n, variant):
        fh = L.field_height(f["component"])
        label = f["component"].get("props", {}).get("label") or f["port"]
        value = inputs.get(f["key"], f["component"].get("value"))
        parts.append(
            f'<text x="{x + 8}" y="{top + 16}" font-size="11" fill="#6b7280">'
            f"{escape(_cut(str(label), 40))}</text>"
            f'<rect x="{x + 8}" y="{top + 21}" width="{L.CARD_W - 16}" height="{fh - 26}" rx="4" '
            f'fill="#ffffff" stroke="#cbd5e1"/>'
            f'<text x="{x + 14}" y="{top + 38}">'
            f"{escape(_cut('' if value is None else str(value), 40))}</text>"
        )
        top += fh
    if n["kind"] != "INPUT":
        parts.append(_outputs(n, x, top, (state or {}).get("preview") or {}, pictures))
    if state and state.get("error") and status == Status.ERROR:
        parts.append(
            f'<text x="{x + 8}" y="{y + height - 9}" font-size="11" fill="#b91c1c">'
            f"{escape(_cut(state['error'], 44))}</text>"
        )
    parts.append("</g>")
    return "".join(parts)


def _outputs(
    n: dict[str, Any],
    x: float,
    top: float,
    shown: dict[str, Any],
    pictures: dict[str, bytes],
) -> str:
    """The output boxes of a card from ``top`` down: a picture's thumbnail, else the
    preview's text."""
    parts = []
    for port in n["outputs"]:
        box = L.preview_height(port)
        parts.append(
            f'<text x="{x + 8}" y="{top + 14}" font-size="11" fill="#6b7280">'
            f"{escape(_cut(port['name'], 40))}</text>"
        )
        picture = pictures.get(port["name"])
        if picture is not None:
            parts.append(_picture(x + 8, top + 18, L.CARD_W - 16, box - 20, picture))
        else:
            prev = shown.get(port["name"]) or {}
            text = prev.get("text") or prev.get("name") or "—"
            parts.append(
                f'<rect x="{x + 8}" y="{top + 18}" width="{L.CARD_W - 16}" height="36" '
                f'rx="4" fill="#f1f5f9"/>'
                f'<text x="{x + 14}" y="{top + 40}" font-family="ui-monospace, monospace">'
                f"{escape(_cut(text.replace(chr(10), ' '), 38))}</text>"
            )
        top += box
    return "".join(parts)


def _picture(x: float, y: float, w: float, h: float, picture: bytes) -> str:
    mime = "image/jpeg" if picture[:3] == b"\xff\xd8\xff" else "image/png"
    href = f"data:{mime};base64," + base64.b64encode(picture).decode()
    return (
        f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="4" fill="#f1f5f9"/>'
        f'<image x="{x}" y="{y}" width="{w}" height="{h}" href="{href}" '
        f'preserveAspectRatio="xMidYMid meet"/>'
    )


def _index(ports: list[dict[str, Any]], name: str) -> int:
    return next((i for i, p in enumerate(ports) if p["name"] == name), -1)


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _r(v: float) -> float | int:
    v = round(v * 10) / 10
    return int(v) if v.is_integer() else v
