"""Pictures models return (PIL images, float arrays in 0..1) shown on the notebook canvas:
fetched as PNG, previewed as images, drawn in the static SVG, as the value registry says."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

from daggr import FnNode, Graph
from daggr import components as gr
from daggr.widget import Canvas
from tests.widget.widget_helpers import clear, from_front, wait_for

W, H = 64, 48


def pictures() -> dict[str, object]:
    """What image models hand back, all 64×48."""
    gradient = np.linspace(0.0, 1.0, W * H * 3).reshape(H, W, 3)  # floats in 0..1
    return {
        "rgb": Image.new("RGB", (W, H), (200, 30, 30)),
        "gray": Image.new("L", (W, H), 128),
        "palette": Image.new("RGB", (W, H), (0, 90, 200)).convert("P"),
        "floats": gradient,
        "mask": np.linspace(0.0, 1.0, W * H).reshape(H, W),  # 2-D on an Image port
        "bare": Image.new("RGBA", (W, H), (0, 200, 0, 128)),  # no component declared
    }


PORTS = list(pictures())


def picture_graph() -> Graph:
    outputs = {port: gr.Image() for port in PORTS}
    outputs["bare"] = None
    make = FnNode(lambda: tuple(pictures().values()), name="make", outputs=outputs)
    return Graph("pictures", nodes=[make], persist_key=False)


def fetched(canvas: Canvas, request_id: str) -> tuple[dict, bytes]:
    for kind, data, buffers in canvas.comm.log:
        content = (data or {}).get("content") or {}
        if kind == "comm_msg" and content.get("type") == "fetched" and content["id"] == request_id:
            return content, bytes(buffers[0]) if buffers else b""
    raise AssertionError(f"no answer to fetch {request_id}")


@pytest.fixture
def shown() -> tuple[Graph, Canvas]:
    g = picture_graph()
    canvas = Canvas(g)
    g.run(progress=False)
    wait_for(lambda: canvas.node_state["make"].get("rid"))
    return g, canvas


@pytest.mark.parametrize("port", PORTS)
def test_every_picture_is_fetched_as_a_png_of_its_size(shown, port):
    _, canvas = shown
    clear(canvas)
    rid = canvas.node_state["make"]["rid"]
    from_front(canvas, {"type": "fetch", "id": port, "result": rid, "port": port})
    reply, data = fetched(canvas, port)
    assert reply["mime"] == "image/png", reply
    assert Image.open(io.BytesIO(data)).size == (W, H)


@pytest.mark.parametrize("port", PORTS)
def test_every_picture_previews_as_an_image_the_card_fetches(shown, port):
    _, canvas = shown
    preview = canvas.node_state["make"]["preview"][port]
    # the mime type makes the card fetch the picture even where no component says "image"
    assert preview == {"type": "image", "name": f"image {W}×{H}", "mime": "image/png"}


def test_the_static_drawing_shows_every_picture(shown):
    _, canvas = shown
    svg = canvas.static_svg()
    hrefs = re.findall(r'<image [^>]*href="data:image/(?:png|jpeg);base64,([^"]+)"', svg)
    assert len(hrefs) == len(PORTS)
    for href in hrefs:
        thumb = Image.open(io.BytesIO(base64.b64decode(href)))
        assert thumb.size[0] <= 96 and abs(thumb.size[0] / thumb.size[1] - W / H) < 0.1
    # the synced state keeps the same small thumbnails (for a saved notebook's read-only
    # copy), as bytes that travel as binary buffers, never base64 text
    canvas.checkpoint()
    kept = canvas.thumbnails[canvas.node_state["make"]["rid"]]
    assert sorted(kept) == sorted(PORTS)
    assert all(isinstance(b, bytes) and len(b) <= 8_000 for b in kept.values())
    traits = {k: v for k, v in canvas.get_state().items() if k not in ("_esm", "_css")}
    assert "base64" not in str(traits)  # the canvas's own code (_esm) is not state


def test_an_image_file_output_is_drawn_too(tmp_path):
    path = tmp_path / "cat.png"
    Image.new("RGB", (W, H), (10, 10, 10)).save(path)
    from daggr import FileValue

    g = Graph(
        "file picture",
        nodes=[FnNode(lambda: FileValue(str(path)), name="f", outputs={"img": gr.Image()})],
        persist_key=False,
    )
    canvas = Canvas(g)
    g.run(progress=False)
    wait_for(lambda: canvas.node_state["f"].get("rid"))
    assert re.search("data:image/(png|jpeg);base64,", canvas.static_svg())


def test_a_matrix_stays_numbers_where_no_image_is_declared():
    g = Graph(
        "matrix",
        nodes=[FnNode(lambda: np.eye(3), name="m", outputs={"weights": gr.JSON()})],
        persist_key=False,
    )
    canvas = Canvas(g)
    g.run(progress=False)
    wait_for(lambda: canvas.node_state["m"].get("rid"))
    clear(canvas)
    rid = canvas.node_state["m"]["rid"]
    from_front(canvas, {"type": "fetch", "id": "w", "result": rid, "port": "weights"})
    reply, data = fetched(canvas, "w")
    assert reply["mime"] == "application/json"
    assert data == b"[[1.0,0.0,0.0],[0.0,1.0,0.0],[0.0,0.0,1.0]]"


def test_a_new_kind_of_value_is_one_entry_that_every_view_uses():
    """A kind daggr does not know (a molecule object) becomes one registry entry, and the
    card's preview and the canvas's fetch both use it."""
    from dataclasses import dataclass

    from daggr import values

    @dataclass
    class Molecule:
        name: str
        atoms: list

    class MoleculeKind(values.ValueKind):
        name = "molecule"

        def recognises(self, value, component):
            return isinstance(value, Molecule)

        def to_bytes(self, value, component):
            lines = [str(len(value.atoms)), value.name, *(f"{a} 0 0 0" for a in value.atoms)]
            return "\n".join(lines).encode(), "chemical/x-xyz", f"{value.name}.xyz"

        def preview(self, value, component):
            return {"type": "file", "name": f"{value.name} ({len(value.atoms)} atoms)"}

    values.register(MoleculeKind(), before="json")
    try:
        water = Molecule("water", ["O", "H", "H"])
        g = Graph(
            "molecules",
            nodes=[FnNode(lambda: water, name="make", outputs={"m": gr.JSON()})],
            persist_key=False,
        )
        canvas = Canvas(g)
        g.run(progress=False)
        wait_for(lambda: canvas.node_state["make"].get("rid"))
        assert canvas.node_state["make"]["preview"]["m"]["name"] == "water (3 atoms)"
        clear(canvas)
        rid = canvas.node_state["make"]["rid"]
        from_front(canvas, {"type": "fetch", "id": "s", "result": rid, "port": "m"})
        reply, data = fetched(canvas, "s")
        assert reply["mime"] == "chemical/x-xyz" and data.startswith(b"3\nwater\nO")
    finally:
        values.KINDS[:] = [k for k in values.KINDS if k.name != "molecule"]
