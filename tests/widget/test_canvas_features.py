"""History, staleness, sheets, media fetch and upload, variants and items on the canvas,
driven through a recording comm."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daggr import FileValue, FnNode, Graph, InputNode
from daggr import components as gr
from daggr.widget import Canvas
from tests.widget.widget_helpers import clear, custom, from_front, sent, size, updates, wait_for


def chain() -> Graph:
    form = InputNode("form", ports={"text": gr.Textbox(value="hello")})
    shout = FnNode(lambda text: text.upper(), name="shout", inputs={"text": form.text})
    exclaim = FnNode(
        lambda s, n: s + "!" * int(n),
        name="exclaim",
        inputs={"s": shout.output, "n": gr.Number(value=1, minimum=0, maximum=5)},
    )
    return Graph("chain", nodes=[exclaim], persist_key=False)


def deliver(widget, content, buffers=()):
    widget._handle_msg(
        {
            "content": {"data": {"method": "custom", "content": content}},
            "buffers": [memoryview(b) for b in buffers],
        }
    )


def replies(widget, type_="fetched"):
    return [
        (d["content"], bufs)
        for kind, d, bufs in widget.comm.log
        if kind == "comm_msg" and d.get("method") == "custom" and d["content"]["type"] == type_
    ]


# -- history ----------------------------------------------------------------------------------
def test_browsing_history_sends_one_small_patch_per_changed_node():
    g = chain()
    g.run(form__text="one", progress=False)
    g.run(form__text="two", progress=False)
    c = Canvas(g)
    assert (c.node_state["exclaim"]["count"], c.node_state["exclaim"]["index"]) == (2, 1)
    clear(c)
    from_front(c, {"type": "select", "node": "shout", "index": 0})
    (inputs,) = custom(c, "inputs")
    assert inputs["values"] == {"form__text": "one"}
    (delta,) = custom(c, "node_state")
    states = delta["states"]
    # shout shows its first result; exclaim cascades to the result that consumed it
    assert states["shout"]["index"] == 0 and states["shout"]["preview"]["output"]["text"] == "ONE"
    assert states["exclaim"]["index"] == 0
    assert states["exclaim"]["preview"]["output"]["text"] == "ONE!"
    assert states["form"]["index"] == 0
    assert all(size(d) < 1500 for d in custom(c))
    assert all("node_state" not in u for u in updates(c))
    assert c.node_state["exclaim"]["fresh"] == "fresh"
    # an out-of-range index is refused without changing anything
    clear(c)
    from_front(c, {"type": "select", "node": "shout", "index": 7})
    assert "out of range" in custom(c, "error")[0]["message"]
    assert custom(c, "node_state") == []


# -- staleness ---------------------------------------------------------------------------------
def test_edges_turn_fresh_after_a_run_and_stale_after_an_input_edit():
    g = chain()
    c = Canvas(g)
    assert c.node_state["exclaim"]["fresh"] == "never run"
    from_front(c, {"type": "run", "node": "exclaim", "mode": "to_here"})
    wait_for(lambda: c.node_state["exclaim"].get("fresh") == "fresh")
    assert c.node_state["exclaim"]["edges"] == {"shout.output>s": True}
    assert c.node_state["shout"]["edges"] == {"form.text>text": True}
    c._flush_states()
    clear(c)
    from_front(c, {"type": "set_input", "key": "form__text", "value": "changed"})
    c._flush_states()
    (delta,) = custom(c, "node_state")
    assert delta["states"]["shout"] == {"fresh": "stale", "edges": {"form.text>text": False}}
    # downstream edges carry a value that would change: stale too
    assert delta["states"]["exclaim"] == {"fresh": "stale", "edges": {"shout.output>s": False}}
    assert delta["states"]["form"] == {"fresh": "stale"}
    assert size(delta) < 400


def test_staleness_agrees_with_the_session():
    g = chain()
    g.run(progress=False)
    g.run("shout", only=True, form__text="x", progress=False)
    c = Canvas(g)
    st = g.staleness()
    for name, state in st.nodes.items():
        assert c.node_state[g.id_of(name)]["fresh"] == state


# -- sheets ------------------------------------------------------------------------------------
def test_sheet_switch_reloads_inputs_results_and_viewport():
    g = chain()
    g.run(form__text="first sheet", progress=False)
    c = Canvas(g)
    first = g.sheet
    from_front(c, {"type": "move", "node": "shout", "x": 900, "y": 50})
    assert g.session.results.get_viewport()["positions"]["shout"] == [900.0, 50.0]
    old_rid = c.node_state["exclaim"]["rid"]
    clear(c)
    from_front(c, {"type": "sheet", "action": "new", "name": "Second"})
    assert g.sheet == "Second"
    # a result of another sheet cannot be fetched from this one
    deliver(c, {"type": "fetch", "id": "x", "result": old_rid, "port": "output"})
    assert "No result" in replies(c)[-1][0]["error"]
    assert c.sheets == {"current": "Second", "names": ["Second", first]}
    assert c.viewport == {}
    assert c.node_state["exclaim"]["status"] == "idle"
    assert c.node_state["exclaim"]["fresh"] == "never run"
    assert c.inputs["form__text"] == "hello"  # the new sheet starts from defaults
    from_front(c, {"type": "sheet", "action": "switch", "name": first})
    assert c.inputs["form__text"] == "first sheet"
    assert c.node_state["exclaim"]["preview"]["output"]["text"] == "FIRST SHEET!"
    assert c.viewport["positions"]["shout"] == [900.0, 50.0]
    from_front(c, {"type": "sheet", "action": "rename", "name": first, "new_name": "Main"})
    assert c.sheets["current"] == "Main" and g.sheet == "Main"
    from_front(c, {"type": "sheet", "action": "delete", "name": "Second"})
    assert c.sheets == {"current": "Main", "names": ["Main"]}
    clear(c)
    from_front(c, {"type": "sheet", "action": "delete", "name": "Main"})
    assert "only sheet" in custom(c, "error")[0]["message"]
    from_front(c, {"type": "sheet", "action": "switch", "name": "Mian"})
    assert "Did you mean 'Main'" in custom(c, "error")[-1]["message"]


def test_a_new_canvas_restores_the_sheets_viewport(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGGR_HOME", str(tmp_path))
    g = Graph("persisted", nodes=[FnNode(lambda: 1, name="one")], persist_key="canvas-vp")
    c = Canvas(g)
    from_front(c, {"type": "viewport", "x": 10, "y": 20, "zoom": 0.5})
    g.session.results.flush()
    g2 = Graph("persisted", nodes=[FnNode(lambda: 1, name="one")], persist_key="canvas-vp")
    assert Canvas(g2).viewport == {"x": 10.0, "y": 20.0, "zoom": 0.5}


# -- media ---------------------------------------------------------------------------------------
def image_graph(tmp_path: Path, data: bytes) -> Graph:
    png = tmp_path / "big.png"
    png.write_bytes(data)
    make = FnNode(lambda: FileValue(str(png)), name="make", outputs={"picture": gr.Image()})
    info = FnNode(
        lambda: {"a": [1, 2]}, name="info", outputs={"meta": gr.JSON(), "path": gr.Textbox()}
    )
    return Graph("media", nodes=[make, info], persist_key=False)


def test_an_image_is_fetched_as_a_binary_buffer_and_never_enters_the_widget_state(tmp_path):
    data = b"\x89PNG\r\n\x1a\n" + bytes(1_000_000)
    g = image_graph(tmp_path, data)
    c = Canvas(g)
    g.run(progress=False)
    wait_for(lambda: c.node_state["make"].get("rid"))
    rid = c.node_state["make"]["rid"]
    assert c.node_state["make"]["preview"]["picture"]["mime"] == "image/png"
    clear(c)
    deliver(c, {"type": "fetch", "id": "q1", "result": rid, "port": "picture"})
    ((reply, buffers),) = replies(c)
    assert reply == {"type": "fetched", "id": "q1", "mime": "image/png", "name": "big.png"}
    assert bytes(buffers[0]) == data
    state = json.dumps({k: v for k, v in c.get_state().items() if k not in ("_esm", "_css")})
    assert len(state) < 4_000, len(state)
    # a JSON value comes back as JSON bytes
    info_rid = c.node_state["info"]["rid"]
    deliver(c, {"type": "fetch", "id": "q2", "result": info_rid, "port": "meta"})
    reply, buffers = replies(c)[-1]
    assert reply["mime"] == "application/json" and json.loads(bytes(buffers[0])) == {"a": [1, 2]}


@pytest.mark.parametrize(
    ("request_", "fragment"),
    [
        ({"type": "fetch", "id": "x", "path": "/etc/passwd"}, "names a result id"),
        ({"type": "fetch", "id": "x", "result": "/etc/passwd", "port": "picture"}, "No result"),
        ({"type": "fetch", "id": "x", "result": "RID", "port": "nope"}, "no output 'nope'"),
        ({"type": "fetch", "id": "x", "result": "RID", "port": "picture", "item": 3}, "No item"),
        ({"type": "fetch", "id": "x", "key": "make__x"}, "No file input"),
        ({"type": "fetch", "id": 5, "result": "RID", "port": "picture"}, "short string"),
    ],
)
def test_fetches_that_do_not_name_a_value_of_this_graph_are_refused(tmp_path, request_, fragment):
    g = image_graph(tmp_path, b"png")
    g.run(progress=False)
    c = Canvas(g)
    request_ = {k: (c.node_state["make"]["rid"] if v == "RID" else v) for k, v in request_.items()}
    clear(c)
    deliver(c, request_)
    out = replies(c) + replies(c, "error")
    assert len(out) == 1
    content, buffers = out[0]
    assert fragment in (content.get("error") or content.get("message"))
    assert not buffers


def test_a_foreign_result_id_is_refused(tmp_path):
    g = image_graph(tmp_path, b"png")
    other = image_graph(tmp_path, b"png")
    other.run(progress=False)
    foreign = other.selected("make").id
    c = Canvas(g)
    deliver(c, {"type": "fetch", "id": "q", "result": foreign, "port": "picture"})
    ((reply, buffers),) = replies(c)
    assert "No result" in reply["error"] and not buffers
    # text that looks like a path is never read as a file
    g.run(progress=False)
    deliver(c, {"type": "fetch", "id": "t", "result": g.selected("info").id, "port": "path"})
    reply, buffers = replies(c)[-1]
    assert reply["mime"] == "application/json"


def test_an_upload_becomes_a_file_path_the_function_receives(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGGR_HOME", str(tmp_path))
    seen = {}

    def size_of(picture):
        seen["path"] = picture
        return Path(picture).read_bytes()

    node = FnNode(size_of, name="read", inputs={"picture": gr.Image()})
    g = Graph("upload", nodes=[node], persist_key=False)
    c = Canvas(g)
    payload = b"\x89PNG" + b"\x07" * 5000
    clear(c)
    deliver(c, {"type": "upload", "key": "read__picture", "name": "me.PNG"}, [payload])
    assert not custom(c, "error")
    path = c.inputs["read__picture"]
    assert path.startswith(str(tmp_path / "uploads")) and path.endswith(".png")
    assert custom(c, "inputs")[0]["values"] == {"read__picture": path}
    result = g.run(progress=False)
    assert result["read"]["output"] == payload
    assert isinstance(seen["path"], FileValue) and Path(seen["path"]).read_bytes() == payload
    # the uploaded file can be shown again, by input key
    deliver(c, {"type": "fetch", "id": "k", "key": "read__picture"})
    reply, buffers = replies(c)[-1]
    assert bytes(buffers[0]) == payload


def test_uploads_over_the_limit_and_malformed_uploads_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGGR_HOME", str(tmp_path))
    monkeypatch.setenv("DAGGR_MAX_UPLOAD_MB", "0.001")
    g = Graph(
        "up", nodes=[FnNode(lambda f: f, name="f", inputs={"f": gr.File()})], persist_key=False
    )
    c = Canvas(g)
    deliver(c, {"type": "upload", "key": "f__f", "name": "big.bin"}, [b"x" * 5000])
    assert "DAGGR_MAX_UPLOAD_MB" in custom(c, "error")[-1]["message"]
    deliver(c, {"type": "upload", "key": "f__f", "name": "none.bin"})
    assert "one binary buffer" in custom(c, "error")[-1]["message"]
    deliver(c, {"type": "upload", "key": "f__g", "name": "a"}, [b"x"])
    assert "Unknown input 'f__g'" in custom(c, "error")[-1]["message"]
    assert "f__f" not in g.session.inputs and not (tmp_path / "uploads").exists()


# -- more inputs, variants, items -----------------------------------------------------------------
def test_json_code_and_table_inputs_are_editable_and_checked():
    node = FnNode(
        lambda cfg, src, table: (cfg, src, table),
        name="f",
        inputs={"cfg": gr.JSON(), "src": gr.Code(), "table": gr.Dataframe()},
    )
    g = Graph("inputs", nodes=[node], persist_key=False)
    c = Canvas(g)
    from_front(c, {"type": "set_input", "key": "f__cfg", "value": {"k": [1, 2]}})
    from_front(c, {"type": "set_input", "key": "f__src", "value": "print(1)"})
    from_front(
        c, {"type": "set_input", "key": "f__table", "value": {"headers": ["a"], "data": [[1]]}}
    )
    assert not custom(c, "error")
    assert c.inputs["f__cfg"] == {"k": [1, 2]}
    from_front(c, {"type": "set_input", "key": "f__table", "value": "nope"})
    assert "Dataframe" in custom(c, "error")[-1]["message"]


def test_picking_a_variant_sets_it_in_the_session():
    a = FnNode(lambda text: text, name="a", inputs={"text": gr.Textbox(value="A")})
    b = FnNode(lambda n: n, name="b", inputs={"n": gr.Slider(0, 5, value=2)})
    g = Graph("choice", nodes=[a | b], persist_key=False)
    c = Canvas(g)
    (nid,) = c.node_state
    assert c.node_state[nid]["variant"] == 0
    clear(c)
    from_front(c, {"type": "variant", "node": nid, "index": 1})
    assert g.session.variant(g.nodes[nid].name if nid in g.nodes else nid) == 1
    assert custom(c, "node_state")[0]["states"][nid]["variant"] == 1
    assert g.run(progress=False)[nid]["output"] == 2
    from_front(c, {"type": "variant", "node": nid, "index": 5})
    assert "variants" in custom(c, "error")[-1]["message"]


def test_scattered_nodes_report_items_and_rerun_only_failed_ones():
    calls = []

    def flaky(x):
        calls.append(x)
        if x == 2 and calls.count(2) == 1:
            raise ValueError("first try fails")
        return x * 10

    items = FnNode(lambda: [1, 2, 3], name="items", outputs={"xs": gr.JSON()})
    each = FnNode(flaky, name="each", inputs={"x": items.xs.each})
    g = Graph("scatter", nodes=[each], persist_key=False)
    c = Canvas(g)
    from_front(c, {"type": "run", "node": "each", "mode": "to_here"})
    wait_for(lambda: c.node_state["each"]["status"] == "error")
    state = c.node_state["each"]["items"]
    assert state["n"] == 3 and state["failed"] == 1
    assert [r["s"] for r in state["list"]] == ["ok", "error", "ok"]
    assert state["list"][0]["t"] == "10" and "first try fails" in state["list"][1]["t"]
    from_front(c, {"type": "run", "node": "each", "mode": "step"})
    wait_for(lambda: c.node_state["each"]["status"] in ("ok", "cached"))
    assert c.node_state["each"]["items"]["failed"] == 0
    assert sorted(calls) == [1, 2, 2, 3]  # only the failed item ran again


def test_gallery_items_and_array_images_are_fetched_one_by_one(tmp_path):
    np = pytest.importorskip("numpy")
    pytest.importorskip("PIL")
    files = []
    for i in range(2):
        f = tmp_path / f"g{i}.png"
        f.write_bytes(b"\x89PNG" + bytes([i]) * 10)
        files.append(FileValue(str(f)))
    node = FnNode(
        lambda: (files, np.zeros((4, 6, 3), dtype=np.uint8)),
        name="pics",
        outputs={"gallery": gr.Gallery(), "array": gr.Image()},
    )
    g = Graph("gallery", nodes=[node], persist_key=False)
    g.run(progress=False)
    c = Canvas(g)
    rid = c.node_state["pics"]["rid"]
    deliver(c, {"type": "fetch", "id": "list", "result": rid, "port": "gallery"})
    reply, buffers = replies(c)[-1]
    assert reply["mime"] == "application/json" and len(json.loads(bytes(buffers[0]))) == 2
    deliver(c, {"type": "fetch", "id": "one", "result": rid, "port": "gallery", "item": 1})
    reply, buffers = replies(c)[-1]
    assert bytes(buffers[0]) == Path(files[1]).read_bytes() and reply["name"] == "g1.png"
    deliver(c, {"type": "fetch", "id": "arr", "result": rid, "port": "array"})
    reply, buffers = replies(c)[-1]
    assert reply["mime"] == "image/png" and bytes(buffers[0]).startswith(b"\x89PNG")


def test_changes_made_from_a_cell_reach_an_open_canvas():
    """graph.select(...), graph.sheet = ... and inputs set from code update the canvas at
    once, not at the next run."""
    a = FnNode(lambda text: text.upper(), name="a", inputs={"text": gr.Textbox(value="x")})
    b = FnNode(lambda s: s + "!", name="b", inputs={"s": a.output})
    g = Graph("live canvas", nodes=[b])
    g.run(a__text="one")
    g.run(a__text="two")
    canvas = Canvas(g)
    clear(canvas)
    g.select("a", 0)
    assert canvas.inputs["a__text"] == "one"
    assert canvas.node_state["b"]["rid"] == g.selected("b").id
    assert sent(canvas), "the selection made in a cell sent nothing to the canvas"
    clear(canvas)
    g.sheets.new("other")
    assert canvas.node_state["a"]["fresh"] == "never run"
    assert sent(canvas)


def test_a_scattered_node_shows_live_item_progress():
    """While a scattered node runs, its card counts finished (and failed) items."""
    import threading

    release = threading.Event()

    def work(x):
        if x == 3:
            release.wait(20)  # the run stays open while the test looks
        if x == 1:
            raise ValueError("bad item")
        return x

    items = FnNode(lambda: list(range(4)), name="items")
    each = FnNode(work, name="each", inputs={"x": items.output.each})
    g = Graph("live items", nodes=[each], persist_key=False)
    canvas = Canvas(g)
    handle = g.start()
    state = wait_for(
        lambda: canvas.node_state["each"].get("items_done") == 3 and canvas.node_state["each"]
    )
    assert state["items_total"] == 4 and state["items_failed"] == 1 and state["status"] == "running"
    release.set()
    handle.result(10)
    assert all(size(m) < 1024 for m in custom(canvas))
