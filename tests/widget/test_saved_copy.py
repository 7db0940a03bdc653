"""What a saved notebook keeps of a canvas: the latest results where no front end merges
deltas, small bounded thumbnails, a drawing marked as a static copy, and the hello that
tells a live view from a kernel-less copy."""

from __future__ import annotations

import io
import re
import urllib.parse

import numpy as np
import pytest
from PIL import Image

from daggr import FnNode, Graph
from daggr import components as gr
from daggr.widget import Canvas
from daggr.widget.static_copy import (
    MAX_THUMB_BYTES,
    MAX_THUMBS_BYTES,
    NOTICE,
    THUMB_PX,
    compact_thumbnail,
    drawing_from_widget_state,
)
from tests.widget.widget_helpers import clear, custom, from_front, updates, wait_for


def photo(side: int, seed: int = 0) -> Image.Image:
    """A noisy gradient, as a generated picture looks (noise keeps PNG and JPEG honest)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:side, 0:side] / side
    base = np.stack([xx, yy, (xx + yy) / 2], axis=-1)
    pixels = np.clip(base + rng.normal(0, 0.08, base.shape), 0, 1)
    return Image.fromarray((pixels * 255).astype("uint8"))


def pictures_graph(n: int, side: int) -> Graph:
    nodes = [
        FnNode(lambda i=i: photo(side, i), name=f"paint{i}", outputs={"picture": gr.Image()})
        for i in range(n)
    ]
    nodes.append(FnNode(lambda: "all done " * 40, name="note", outputs={"text": gr.Textbox()}))
    return Graph("pictures", nodes=nodes, persist_key=False)


def ran(graph: Graph) -> Canvas:
    canvas = Canvas(graph)
    graph.run(progress=False)
    wait_for(lambda: all(s.get("status") == "ok" for s in canvas.node_state.values()))
    return canvas


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


# -- thumbnails ------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P", "I;16"])
def test_a_thumbnail_is_small_whatever_the_picture(mode):
    big = photo(600).convert(mode) if mode != "I;16" else photo(600).convert("L").convert("I;16")
    thumb = compact_thumbnail(png_bytes(big))
    assert thumb is not None and len(thumb) <= MAX_THUMB_BYTES
    assert max(Image.open(io.BytesIO(thumb)).size) <= THUMB_PX


def test_thumbnails_are_made_once_per_result_and_forgotten_when_no_card_shows_it():
    from daggr.widget.static_copy import thumbnail_set

    made: list[str] = []
    picture = png_bytes(photo(200))

    def make(nid, rid, port):
        made.append(rid)
        return picture

    cache: dict = {}
    first = thumbnail_set([("a", "r1", "out"), ("b", "r2", "out")], make, cache)
    again = thumbnail_set([("a", "r1", "out"), ("b", "r3", "out")], make, cache)
    assert sorted(first) == ["r1", "r2"] and sorted(again) == ["r1", "r3"]
    assert made == ["r1", "r2", "r3"]  # r1 is not made twice
    assert sorted(cache) == [("r1", "out"), ("r3", "out")]  # r2 is shown nowhere now


def test_what_is_not_a_picture_has_no_thumbnail():
    assert compact_thumbnail(b"not a picture at all") is None


@pytest.mark.slow
def test_kept_thumbnails_stay_within_the_budget_and_do_not_grow_with_the_images():
    sizes = {}
    for side in (256, 2048):
        canvas = ran(pictures_graph(10, side))
        canvas.checkpoint()
        kept = [b for ports in canvas.thumbnails.values() for b in ports.values()]
        assert kept and sum(map(len, kept)) <= MAX_THUMBS_BYTES
        assert all(len(b) <= MAX_THUMB_BYTES for b in kept)
        sizes[side] = sum(map(len, kept))
    # 64 times the pixels, about the same bytes in the notebook
    assert sizes[2048] < 1.5 * sizes[256]


# -- checkpoints -----------------------------------------------------------------------------------
def test_without_a_front_end_a_checkpoint_sends_the_latest_state_once():
    g = pictures_graph(1, 64)
    canvas = Canvas(g)
    clear(canvas)
    g.run(progress=False)
    wait_for(lambda: canvas.node_state["note"].get("status") == "ok")
    canvas.checkpoint()
    sent = updates(canvas)
    whole = [u for u in sent if "node_state" in u]
    assert len(whole) == 1  # what nbclient records for the saved notebook
    assert {nid: s["status"] for nid, s in whole[0]["node_state"].items()} == {
        "paint0": "ok",
        "note": "ok",
    }
    assert any("thumbnails" in u for u in sent)
    clear(canvas)
    canvas.checkpoint()  # nothing changed since: nothing is sent
    assert updates(canvas) == []


def test_a_live_view_says_hello_and_then_merges_deltas_itself():
    g = pictures_graph(1, 64)
    canvas = Canvas(g)
    g.run(progress=False)  # before the view listens: its deltas may be lost on the way
    wait_for(lambda: canvas.node_state["note"].get("status") == "ok")
    clear(canvas)
    from_front(canvas, {"type": "hello"})
    assert custom(canvas, "hello") == [{"type": "hello"}]
    (whole,) = [u for u in updates(canvas) if "node_state" in u]  # it starts from all of it
    assert whole["node_state"]["note"]["status"] == "ok"
    clear(canvas)
    g.run(progress=False, force=True)
    wait_for(lambda: canvas.node_state["note"].get("count") == 2)
    canvas.checkpoint()
    # the view has every delta: no whole node state, only the new thumbnail
    assert [sorted(u) for u in updates(canvas)] == [["thumbnails"]]


def test_changes_outside_cells_are_checkpointed_once_they_settle():
    g = pictures_graph(1, 64)
    canvas = Canvas(g)
    clear(canvas)
    from_front(canvas, {"type": "run_all"})  # a run started from the canvas, not a cell
    wait_for(lambda: any("node_state" in u for u in updates(canvas)), timeout=10)


def test_a_served_canvas_keeps_no_copy():
    g = pictures_graph(1, 64)
    canvas = Canvas(g, static_copy=False)
    g.run(progress=False)
    wait_for(lambda: canvas.node_state["note"].get("status") == "ok")
    clear(canvas)
    canvas.checkpoint()
    assert updates(canvas) == [] and canvas.thumbnails == {}


# -- the drawing -----------------------------------------------------------------------------------
def svg_of(html: str) -> str:
    return urllib.parse.unquote(re.search(r'<img src="data:image/svg\+xml,([^"]+)"', html).group(1))


def test_the_drawing_is_marked_shows_the_latest_results_and_reads_as_text():
    canvas = ran(pictures_graph(2, 300))
    html = canvas.static_html()
    assert NOTICE in html
    svg = svg_of(html)
    assert "all done all done" in svg
    assert len(re.findall(r"<image [^>]*href='data:image/(?:png|jpeg);base64,", svg)) == 2
    alt = re.search(r'alt="([^"]*)"', html).group(1)
    assert "paint0: ok; picture: image 300×300" in alt and "note: ok; text: all done" in alt


def test_the_drawing_from_saved_widget_state_is_the_canvas_drawing():
    import base64

    from ipywidgets.widgets.widget import _remove_buffers

    canvas = ran(pictures_graph(2, 300))
    canvas.checkpoint()
    # as a notebook saves it: binary buffers apart, base64 encoded, with their paths
    state, paths, buffers = _remove_buffers(canvas.get_state())
    entry = {
        "state": state,
        "buffers": [
            {"path": p, "encoding": "base64", "data": base64.b64encode(b).decode()}
            for p, b in zip(paths, buffers, strict=True)
        ],
    }
    assert drawing_from_widget_state(entry) == canvas.static_html()
    assert drawing_from_widget_state({"state": {"value": 3}}) is None
