"""The Python layout and static SVG agree with the canvas's own (js/src/layout.ts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daggr import FnNode, Graph, InputNode
from daggr import components as gr
from daggr.widget import Canvas, bridge
from daggr.widget.layout import auto_layout, card_height, depths, resolve_positions
from daggr.widget.svg import render_svg

FIXTURE = Path(__file__).resolve().parents[2] / "js" / "test" / "fixtures" / "layout.json"
CASES = json.loads(FIXTURE.read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["topology"]["name"] for c in CASES])
def test_layout_matches_the_golden_positions_shared_with_js(case):
    got = {k: list(v) for k, v in auto_layout(case["topology"]).items()}
    assert got == case["positions"]


def test_columns_are_longest_paths_and_saved_positions_win():
    topo = CASES[1]["topology"]
    assert depths(topo) == {"a": 0, "b": 1, "c": 1, "d": 2, "lonely": 0}
    pos = resolve_positions(topo, {"d": [1, 2]})
    assert pos["d"] == (1, 2) and pos["a"] == (40, 40)


def test_layout_of_a_real_graph():
    form = InputNode("form", ports={"text": gr.Textbox(), "many": gr.TextArea()})
    f = FnNode(lambda text, many: text, name="f", inputs={"text": form.text, "many": form.many})
    topo = bridge.topology(Graph("g", nodes=[f], persist_key=False).session)
    assert auto_layout(topo) == {"form": (40, 40), "f": (400, 40)}
    # input card: 2 port rows, a textbox and a 6-line textarea, no previews
    assert card_height(topo["nodes"][0]) == 36 + 8 + 44 + 52 + (52 + 5 * 18) + 26


def test_static_svg_draws_cards_edges_forks_and_results():
    items = FnNode(lambda: ["a", "b"], name="items", outputs={"xs": None})
    upper = FnNode(lambda x: x.upper(), name="upper", inputs={"x": items.xs.each})
    joined = FnNode(lambda xs: "+".join(xs), name="joined <&>", inputs={"xs": upper.output.all()})
    g = Graph("svg & co", nodes=[joined], persist_key=False)
    g.run(progress=False)
    c = Canvas(g)
    svg = c.static_svg()
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count('class="daggr-static-node"') == 3
    assert svg.count("stroke-linecap") == 2  # one scatter fork, one gather fork
    assert "svg &amp; co" in svg and "joined &lt;&amp;&gt;" in svg
    assert "A+B" in svg  # the last result's preview
    # the SVG parses as XML
    import xml.etree.ElementTree as ET

    ET.fromstring(svg)


def test_static_svg_uses_positions_moved_on_the_canvas():
    g = Graph("g", nodes=[FnNode(lambda: 1, name="one")], persist_key=False)
    topo = bridge.topology(g.session)
    assert 'viewBox="20 -4 320' in render_svg(topo)
    assert 'viewBox="480 456 320' in render_svg(topo, positions={"one": [500, 500]})


@pytest.mark.parametrize(
    "module",
    [
        "bridge",
        "canvas",
        "failures",
        "layout",
        "protocol",
        "sheet_layout",
        "svg",
        "static_copy",
        "saved_copy",
        pytest.param("nbconvert", marks=pytest.mark.slow),  # imports nbconvert
        "__init__",
    ],
)
def test_docstring_examples_run(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"daggr.widget.{module}".removesuffix(".__init__"))
    result = doctest.testmod(mod)
    assert result.failed == 0
