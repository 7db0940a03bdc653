"""What a notebook keeps of a canvas when it is saved: a read-only copy, small and bounded.

A saved notebook is opened without a kernel in many places (an HTML export, nbviewer-style
renderers, a notebook viewer on a Hub page, a JupyterLab whose kernel is gone). Two parts
of it show the graph there, and both are built here from the same facts:

- the canvas's synced traits (widget state in the notebook's metadata), from which the
  canvas itself renders read-only, with the small thumbnails of :func:`thumbnail_set`
  standing in for the media it cannot fetch;
- the display's ``text/html`` (:func:`drawing`): the SVG drawing as an image under a
  line saying it is a static copy, for renderers that do not run widgets. :func:`drawing_from_widget_state` rebuilds it
  from a saved notebook's widget state (what ``daggr.widget.nbconvert`` does).

Media beyond a small size stay out: a thumbnail is at most :data:`THUMB_PX` pixels on its
longest side and :data:`MAX_THUMB_BYTES` bytes, and one canvas keeps at most
:data:`MAX_THUMBS_BYTES` of them, whatever the size of the images behind them.

Example:
    >>> import io
    >>> from PIL import Image
    >>> big = io.BytesIO()
    >>> Image.new("RGB", (4000, 3000), "red").save(big, format="PNG")
    >>> small = compact_thumbnail(big.getvalue())
    >>> Image.open(io.BytesIO(small)).size, len(small) <= MAX_THUMB_BYTES
    ((96, 72), True)
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any
from urllib.parse import quote

from daggr.widget.svg import render_svg

NOTICE = "static copy — run the notebook to work with it"
THUMB_PX = 96  # longest side of a thumbnail kept in a notebook
MAX_THUMB_BYTES = 8_000  # one thumbnail, after encoding
MAX_THUMBS_BYTES = 64_000  # every thumbnail of one canvas
_ATTEMPTS = ((THUMB_PX, 72), (THUMB_PX, 50), (64, 50), (48, 40))  # (pixels, JPEG quality)
CANVAS_MARKERS = ("topology", "node_state")  # traits that make a widget a daggr canvas


def compact_thumbnail(picture: bytes) -> bytes | None:
    """A small PNG or JPEG (whichever is smaller) of an encoded picture, at most
    :data:`THUMB_PX` pixels on its longest side and :data:`MAX_THUMB_BYTES` bytes; None if
    the picture cannot be read or made that small."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(picture)) as opened:
            opened.load()
            image = _eight_bit(opened)
    except Exception:  # not a picture PIL reads, or no PIL: the card keeps its text preview
        return None
    for px, quality in _ATTEMPTS:
        small = image.copy()
        small.thumbnail((px, px))
        best = min(_encodings(small, quality), key=len)
        if len(best) <= MAX_THUMB_BYTES:
            return best
    return None


def _eight_bit(image: Any) -> Any:
    """The picture in a mode both resizing and JPEG/PNG take (16-bit grey scaled down)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        return image.convert("I").point(lambda v: v / 257).convert("L")
    if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
        return image.convert("RGBA" if "A" in image.getbands() else "RGB")
    return image.copy()


def _encodings(image: Any, quality: int) -> list[bytes]:
    from PIL import Image

    out = []
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    out.append(buf.getvalue())
    # JPEG keeps photographs small; a transparent picture is put on white first.
    flat = image.convert("RGBA")
    background = Image.new("RGB", flat.size, "white")
    background.paste(flat, mask=flat.getchannel("A"))
    buf = io.BytesIO()
    background.save(buf, format="JPEG", quality=quality, optimize=True)
    out.append(buf.getvalue())
    return out


def thumbnail_set(
    shown: Iterable[tuple[str, str, str]],
    make: Any,
    cache: dict[tuple[str, str], bytes | None],
) -> dict[str, dict[str, bytes]]:
    """The thumbnails a canvas keeps: result id -> port -> bytes, within
    :data:`MAX_THUMBS_BYTES` (pictures past the budget keep their text preview).

    Args:
        shown: (node id, result id, port) of every picture the cards show, in card order.
        make: ``make(node_id, result_id, port)`` -> an encoded picture (PNG) or None.
        cache: (result id, port) -> compact thumbnail, kept between calls (a result never
            changes, so its thumbnail is made once while a card shows it).
    """
    out: dict[str, dict[str, bytes]] = {}
    total = 0
    shown = list(shown)
    for stale in set(cache) - {(rid, port) for _, rid, port in shown}:
        del cache[stale]  # results no card shows any more: the cache stays the cards' size
    for nid, rid, port in shown:
        key = (rid, port)
        if key not in cache:
            picture = make(nid, rid, port)
            cache[key] = compact_thumbnail(picture) if picture is not None else None
        thumb = cache[key]
        if thumb is None or total + len(thumb) > MAX_THUMBS_BYTES:
            continue
        total += len(thumb)
        out.setdefault(rid, {})[port] = thumb
    return out


def drawing_svg(
    topology: Mapping[str, Any],
    node_state: Mapping[str, Mapping[str, Any]],
    inputs: Mapping[str, Any],
    viewport: Mapping[str, Any] | None,
    thumbnails: Mapping[str, Mapping[str, bytes]] | None,
) -> str:
    """The graph as one SVG element: cards where the canvas put them, each showing its
    selected result (thumbnails by result id, as :func:`thumbnail_set` gives them)."""
    thumbnails = thumbnails or {}
    pictures: dict[str, dict[str, bytes]] = {}
    for nid, state in node_state.items():
        by_port = thumbnails.get(str((state or {}).get("rid")))
        if by_port:
            pictures[nid] = dict(by_port)
    positions = (viewport or {}).get("positions")
    return render_svg(dict(topology), dict(node_state), dict(inputs), positions, pictures)


def drawing(
    topology: Mapping[str, Any],
    node_state: Mapping[str, Mapping[str, Any]],
    inputs: Mapping[str, Any],
    viewport: Mapping[str, Any] | None,
    thumbnails: Mapping[str, Mapping[str, bytes]] | None,
) -> str:
    """The static copy as HTML: the notice, then the SVG drawing as an image.

    An image, not inline SVG: renderers that sanitise HTML (JupyterLab with an untrusted
    notebook, notebook viewers) drop ``<svg>`` and keep ``<img>`` with a ``data:`` URL.
    Its ``alt`` text says what each card shows, for readers and searches."""
    svg = drawing_svg(topology, node_state, inputs, viewport, thumbnails)
    width, height = _size(svg)
    name = str(topology.get("name", ""))
    return (
        '<div class="daggr-static-copy">'
        '<div style="margin:2px 0 6px;font-size:12px;font-style:italic;color:#92400e">'
        f"daggr · {escape(name)} · {escape(NOTICE)}</div>"
        f'<img src="data:image/svg+xml,{_url_encoded(svg)}" width="{width}" '
        f'height="{height}" style="max-width:100%;height:auto" '
        f'alt="{escape(summary(topology, node_state), quote=True)}"/></div>'
    )


_URL_SAFE = " =/:;,.+-_()!*'@?&$~"  # left as they are inside a double-quoted attribute


def _url_encoded(svg: str) -> str:
    """The SVG in a ``data:`` URL, percent-encoded where it must be. Its attributes are
    quoted with ``'`` (never escaped by ``html.escape``, which writes ``&#x27;`` for a
    quote in a value), so the URL stays about the SVG's own size."""
    return quote(svg.replace('"', "'"), safe=_URL_SAFE)


MAX_SUMMARY = 2_000


def summary(topology: Mapping[str, Any], node_state: Mapping[str, Mapping[str, Any]]) -> str:
    """One line per card (name, status, what its outputs show), bounded."""
    lines = [f"{topology.get('name', '')} (daggr graph, {NOTICE})"]
    for node in topology.get("nodes", ()):
        state = node_state.get(node["id"]) or {}
        shown = []
        for port, preview in (state.get("preview") or {}).items():
            if isinstance(preview, dict):
                text = preview.get("text") or preview.get("name") or preview.get("type")
                shown.append(f"{port}: {str(text)[:80]}")
        lines.append(
            f"{node['name']}: {state.get('status', 'idle')}" + "".join(f"; {s}" for s in shown)
        )
    text = "\n".join(lines)
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1] + "…"


def _size(svg: str) -> tuple[str, str]:
    found = re.match(r'<svg [^>]*?width="(\d+)" height="(\d+)"', svg)
    return found.groups() if found else ("320", "80")  # type: ignore[return-value]


def is_canvas_state(state: Mapping[str, Any]) -> bool:
    """Whether a saved widget's state is a daggr canvas's."""
    return all(k in state for k in CANVAS_MARKERS) and isinstance(state.get("topology"), dict)


def drawing_from_widget_state(entry: Mapping[str, Any]) -> str | None:
    """The drawing of a canvas from one model entry of a notebook's saved widget state
    (``{"state": {...}, "buffers": [{"path": [...], "data": base64}]}``); None when the
    entry is not a daggr canvas."""
    state = dict(entry.get("state") or {})
    if not is_canvas_state(state):
        return None
    thumbnails: dict[str, dict[str, bytes]] = {}
    for buffer in entry.get("buffers") or ():
        path = buffer.get("path") or []
        if len(path) == 3 and path[0] == "thumbnails" and buffer.get("encoding") == "base64":
            try:
                data = base64.b64decode(buffer.get("data") or "")
            except ValueError:
                continue
            thumbnails.setdefault(str(path[1]), {})[str(path[2])] = data
    return drawing(
        state["topology"],
        state.get("node_state") or {},
        state.get("inputs") or {},
        state.get("viewport") or {},
        thumbnails,
    )
