"""The notebook canvas and code see the same values: what a card shows (previews, fetched
bytes, the static drawing), what ``graph.history()`` and ``node.test()`` return, what a
new process restores; component defaults before any run; values no store can keep."""

from __future__ import annotations

import io
import json
import re
import socket
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from daggr import FnNode, Graph
from daggr import components as gr
from daggr.widget import Canvas
from tests.values import media as m
from tests.values.matrix import CASES, fn_graph
from tests.widget.widget_helpers import clear, from_front, wait_for


def fetch(canvas: Canvas, request: dict) -> tuple[dict, bytes]:
    clear(canvas)
    from_front(canvas, {"type": "fetch", "id": "q", **request})
    for kind, data, buffers in canvas.comm.log:
        content = (data or {}).get("content") or {}
        if kind == "comm_msg" and content.get("type") == "fetched" and content["id"] == "q":
            return content, bytes(buffers[0]) if buffers else b""
    raise AssertionError("no answer")


@pytest.fixture
def matrix(tmp_path):
    g = fn_graph(tmp_path / "media", persist="value-matrix")
    canvas = Canvas(g)
    result = g.run(progress=False)
    wait_for(lambda: all(canvas.node_state[c.name].get("rid") for c in CASES), timeout=20)
    return g, canvas, result


def test_the_canvas_fetches_every_case_and_draws_its_pictures(matrix):
    g, canvas, result = matrix
    assert set(result.status.values()) == {"ok"}
    for case in CASES:
        state = canvas.node_state[case.name]
        assert state["preview"]["value"]["type"] != "none", case.name
        if case.name == "opaque":
            continue
        reply, data = fetch(canvas, {"result": state["rid"], "port": "value"})
        assert "error" not in reply and data, (case.name, reply)
        if case.expect.get("img") and case.name not in ("chat",):
            assert Image.open(io.BytesIO(data)).size == case.expect["img"], case.name
    svg = canvas.static_html()
    # pictures, the gallery, the plot and the annotated image are drawn as thumbnails
    pictures = sum(1 for c in CASES if "img" in c.expect and c.name != "chat")
    thumbnails = len(re.findall(r"data:image/(?:png|jpeg);base64,", svg))
    assert thumbnails >= pictures + 1
    # no media in the synced state (the canvas's own code, _esm, is not state)
    traits = {k: v for k, v in canvas.get_state().items() if k not in ("_esm", "_css")}
    assert "base64" not in json.dumps(traits, default=str)


def test_history_test_and_a_new_process_give_the_same_values(matrix, tmp_path):
    g, canvas, result = matrix
    from daggr import values

    for case in CASES:
        node = g.nodes[case.name]
        component = node._output_components.get("value")
        kept = g.history(case.name)[-1].outputs["value"]
        assert values.preview(kept, component) == canvas.node_state[case.name]["preview"]["value"]
        if case.name not in ("opaque", "plot"):  # a figure / an object has no equality
            tested = node.test(seed="go")["value"]
            assert values.encode(tested, component)[:2] == values.encode(kept, component)[:2]
    # a new process (a restarted kernel) restores every result and previews it the same
    script = (
        "import json, sys; from pathlib import Path\n"
        "from daggr import values\n"
        "from tests.values.matrix import CASES, fn_graph\n"
        f"g = fn_graph(Path({str(tmp_path / 'media2')!r}), persist='value-matrix')\n"
        "out = {n: values.preview(g.history(n)[-1].outputs['value'], "
        "g.nodes[n]._output_components.get('value')) for n in (c.name for c in CASES)}\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    restored = json.loads(done.stdout)
    for case in CASES:
        want = canvas.node_state[case.name]["preview"]["value"]
        assert restored[case.name] == want, case.name


def test_component_defaults_show_before_the_first_run(made):
    poster = m.picture()
    node = FnNode(
        lambda image, sound, notes, link: "ok",
        name="use",
        inputs={
            "image": gr.Image(value=poster),
            "sound": gr.Audio(value=m.tone()),
            "notes": gr.File(value=str(made["txt"])),
            "link": gr.Image(value="https://example.org/cat.png"),
        },
    )
    g = Graph("defaults", nodes=[node], persist_key=False)
    canvas = Canvas(g)
    fields = {f["port"]: f for f in canvas.topology["nodes"][0]["fields"]}
    assert fields["link"]["component"]["value"] == "https://example.org/cat.png"  # shown as a link
    for port, mime in [("image", "image/png"), ("sound", "audio/"), ("notes", "text/plain")]:
        assert fields[port]["component"]["value"], port  # the field shows a file
        reply, data = fetch(canvas, {"key": f"use__{port}", "item": None})
        assert reply.get("mime", "").startswith(mime), (port, reply)
    reply, data = fetch(canvas, {"key": "use__image", "item": None})
    assert Image.open(io.BytesIO(data)).size == poster.size
    # and runs use the same values
    assert g.run(progress=False)["use"]["output"] == "ok"


@pytest.mark.parametrize("persist", ["bad-values", False], ids=["duckdb", "memory"])
def test_values_no_store_can_keep_fail_clearly_and_touch_nothing_else(persist):
    sock = socket.socket()
    calls = {"n": 0}

    def steady() -> str:
        calls["n"] += 1
        return f"fine {calls['n']}"

    nodes = [
        FnNode(lambda: (i for i in range(3)), name="gen"),
        FnNode(lambda: sock, name="sock"),
        FnNode(steady, name="steady", deterministic=False),
    ]
    g = Graph("bad values", nodes=nodes, persist_key=persist)
    canvas = Canvas(g)
    g.run(progress=False)
    before = [r.outputs for r in g.history("steady")]
    result = g.run(progress=False)
    sock.close()
    assert (
        result.status["steady"] == "ok" and [r.outputs for r in g.history("steady")][:1] == before
    )
    for name, hint in [("gen", "return a list"), ("sock", "open socket")]:
        assert result.status[name] == "error" and hint in str(result.errors[name])
        with pytest.raises(Exception, match=hint):
            result[name]
        wait_for(lambda n=name: canvas.node_state[n]["status"] == "error")
        assert hint in canvas.node_state[name]["error"]


def test_a_huge_array_is_kept_for_code_and_described_on_the_card():
    huge = FnNode(lambda: np.zeros(300 * 2**20 // 8), name="huge")  # 300 MB of float64
    g = Graph("huge", nodes=[huge], persist_key=False)
    canvas = Canvas(g)
    result = g.run(progress=False)
    assert result["huge"]["output"].nbytes == 300 * 2**20  # code has it all
    wait_for(lambda: canvas.node_state["huge"].get("rid"))
    preview = canvas.node_state["huge"]["preview"]["output"]
    assert preview["type"] == "object" and "300 MB" in preview["name"]
    assert "read it in code" in preview["hint"]
    reply, _ = fetch(canvas, {"result": canvas.node_state["huge"]["rid"], "port": "output"})
    assert "too large to show" in reply["error"]
    assert len(json.dumps(canvas.node_state)) < 5_000
