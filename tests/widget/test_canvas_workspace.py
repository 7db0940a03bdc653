"""The kernel side of the working canvas: the sheet's hand-made layout (sizes, collapsed
cards, groups, minimap) saved per sheet, Run all / Stop all, and a failure's traceback as
``result.errors`` gives it, driven through a recording comm."""

from __future__ import annotations

import threading
import traceback

import pytest

from daggr import FnNode, Graph, InputNode
from daggr import components as gr
from daggr.widget import Canvas
from daggr.widget.sheet_layout import LayoutError, merge_layout, parse_layout
from tests.widget.widget_helpers import clear, custom, from_front, size, wait_for


def parse_json(text: str) -> dict:
    import json

    return json.loads(text)


def failing(persist: str | bool = False) -> Graph:
    form = InputNode("form", ports={"text": gr.Textbox(value="not json at all")})
    parse = FnNode(parse_json, name="parse", inputs={"text": form.text})
    summary = FnNode(lambda d: len(d), name="summary", inputs={"d": parse.output})
    return Graph("failing", nodes=[summary], persist_key=persist)


def replies(widget):
    return [
        (d["content"], bufs)
        for kind, d, bufs in widget.comm.log
        if kind == "comm_msg" and d.get("method") == "custom" and d["content"]["type"] == "fetched"
    ]


# -- layout -------------------------------------------------------------------------------------
GROUP = {"id": "g1", "title": "Parsing", "color": "#6366f1", "members": ["parse", "summary"]}


def test_layout_changes_are_saved_with_the_sheet_and_each_sheet_keeps_its_own():
    g = failing(persist="workspace-layout")
    c = Canvas(g)
    from_front(
        c,
        {
            "type": "layout",
            "positions": {"parse": [500, 80]},
            "sizes": {"summary": [360, 420]},
            "collapsed": {"parse": True},
            "groups": [GROUP],
            "minimap": False,
        },
    )
    assert custom(c, "error") == []
    vp = c.viewport
    assert vp["positions"]["parse"] == [500.0, 80.0]
    assert vp["sizes"] == {"summary": [360.0, 420.0]} and vp["collapsed"] == ["parse"]
    assert vp["groups"] == [GROUP] and vp["minimap"] is False
    # a second change merges: a size back to automatic, a card opened again
    from_front(c, {"type": "layout", "sizes": {"summary": None}, "collapsed": {"parse": False}})
    assert c.viewport["sizes"] == {} and c.viewport["collapsed"] == []
    assert c.viewport["groups"] == [GROUP]  # untouched

    # Another sheet starts with the automatic layout; switching back finds this one.
    from_front(c, {"type": "sheet", "action": "new", "name": "other"})
    assert "groups" not in c.viewport
    from_front(c, {"type": "sheet", "action": "switch", "name": "Sheet 1"})
    assert c.viewport["groups"] == [GROUP]
    c.close()
    # A new canvas (a new kernel, a reload) finds the layout in the store.
    again = Canvas(failing(persist="workspace-layout"))
    assert again.viewport["groups"] == [GROUP] and again.viewport["minimap"] is False


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            {"sizes": {"sumary": [300, 300]}},
            "no node 'sumary' on this canvas. Did you mean 'summary'?",
        ),
        ({"sizes": {"summary": [5, 300]}}, "must be 120..4000 wide"),
        ({"positions": {"parse": [1, "x"]}}, "two finite numbers"),
        ({"collapsed": {"parse": "yes"}}, "true or false"),
        ({"groups": [{**GROUP, "color": "red"}]}, "color is '#rrggbb'"),
        (
            {"groups": [GROUP, {**GROUP, "id": "g2"}]},
            "Node 'parse' is in groups 'g1' and 'g2'; a node is in one group at most.",
        ),
        ({"minimap": "on"}, "minimap must be true, false or null"),
    ],
)
def test_a_bad_layout_change_is_refused_by_name_and_changes_nothing(content, message):
    c = Canvas(failing())
    before = dict(c.viewport)
    clear(c)
    from_front(c, {"type": "layout", **content})
    (error,) = custom(c, "error")
    assert message in error["message"] and error["request"] == "layout"
    assert c.viewport == before


def test_merge_layout_leaves_its_input_alone():
    nodes = {"a": "a", "b": "b"}
    vp = {"x": 1, "y": 2, "zoom": 0.5, "positions": {"a": [0, 0]}, "collapsed": ["a"]}
    out = merge_layout(vp, parse_layout({"collapsed": {"a": False, "b": True}}, nodes))
    assert out["collapsed"] == ["b"] and vp["collapsed"] == ["a"]
    with pytest.raises(LayoutError, match="is an object of node id"):
        parse_layout({"sizes": [1, 2]}, nodes)


# -- run all, stop all --------------------------------------------------------------------------
def test_run_all_runs_what_is_stale_and_reuses_what_is_fresh():
    form = InputNode("form", ports={"text": gr.Textbox(value="hi")})
    shout = FnNode(lambda text: text.upper(), name="shout", inputs={"text": form.text})
    other = FnNode(lambda: "loose", name="other")
    g = Graph("g", nodes=[shout, other], persist_key=False)
    g.run("other", progress=False)
    c = Canvas(g)
    assert (
        c.node_state["shout"]["fresh"] == "never run" and c.node_state["other"]["fresh"] == "fresh"
    )
    clear(c)
    from_front(c, {"type": "run_all"})
    wait_for(lambda: c.node_state["shout"]["status"] == "ok")
    wait_for(lambda: c.node_state["other"]["status"] == "cached")
    assert c.node_state["shout"]["preview"]["output"]["text"] == "HI"
    assert g.history("other").__len__() == 1  # reused, not executed again
    assert all(size(m) < 1024 for m in custom(c))


def test_stop_all_cancels_the_canvas_runs_and_says_when_there_is_none():
    release = threading.Event()
    slow = FnNode(lambda: release.wait(10) and "done", name="slow")
    c = Canvas(Graph("g", nodes=[slow], persist_key=False))
    from_front(c, {"type": "stop_all"})
    assert "No run started from this canvas is in progress" in custom(c, "error")[0]["message"]
    from_front(c, {"type": "run_all"})
    wait_for(lambda: c.node_state["slow"]["status"] == "running")
    from_front(c, {"type": "stop_all"})
    wait_for(lambda: c.node_state["slow"]["status"] == "cancelled")
    release.set()


# -- failures -------------------------------------------------------------------------------------
def test_a_failed_card_gets_the_traceback_result_errors_gives_in_code():
    g = failing()
    c = Canvas(g)
    result = g.run(progress=False)  # from code: the open canvas follows it
    assert result.status == {"form": "ok", "parse": "error", "summary": "skipped"}
    expected = "".join(traceback.format_exception(result.errors["parse"])).rstrip("\n")
    state = wait_for(lambda: c.node_state["parse"].get("trace") and c.node_state["parse"])
    assert state["status"] == "error" and state["error"].startswith("JSONDecodeError:")
    assert state["trace"] == {"rid": state["rid"], "size": len(expected)}
    # the skipped node's message names the upstream node that failed
    assert c.node_state["summary"]["status"] == "skipped"
    assert "upstream node 'parse' failed" in c.node_state["summary"]["error"]
    # the text itself is sent when the card asks for it, not in node state
    assert all(size(m) < 1024 for m in custom(c, "node_state"))
    clear(c)
    from_front(c, {"type": "traceback", "id": "t1", "node": "parse", "result": state["rid"]})
    ((reply, buffers),) = replies(c)
    assert reply == {"type": "fetched", "id": "t1", "mime": "text/plain", "name": "traceback.txt"}
    text = bytes(buffers[0]).decode()
    assert text == expected
    assert "in parse_json\n    return json.loads(text)" in text
    assert text.splitlines()[-1].startswith("json.decoder.JSONDecodeError: Expecting value")


def test_a_failure_restored_from_history_says_its_traceback_is_not_kept():
    g = failing(persist="workspace-failure")
    g.run(progress=False)
    c = Canvas(failing(persist="workspace-failure"))  # a new kernel, say
    rid = c.node_state["parse"]["rid"]
    assert c.node_state["parse"]["status"] == "error" and "trace" not in c.node_state["parse"]
    from_front(c, {"type": "traceback", "id": "t2", "node": "parse", "result": rid})
    ((reply, _),) = replies(c)
    assert reply["id"] == "t2" and "not kept" in reply["error"]
    from_front(c, {"type": "traceback", "id": "t3", "node": "nope"})
    assert "No node 'nope' on this canvas" in custom(c, "error")[-1]["message"]


def test_a_later_success_clears_the_traceback_mark():
    flaky = {"fail": True}

    def maybe(x: int) -> int:
        if flaky["fail"]:
            raise ValueError("not yet")
        return x

    node = FnNode(maybe, name="maybe", inputs={"x": gr.Number(value=1)})
    g = Graph("g", nodes=[node], persist_key=False)
    c = Canvas(g)
    g.run(progress=False)
    wait_for(lambda: c.node_state["maybe"].get("trace"))
    flaky["fail"] = False
    g.run(force=True, progress=False)
    wait_for(lambda: c.node_state["maybe"]["status"] == "ok")
    assert c.node_state["maybe"]["trace"] is None


# -- what the cards of a multi-modal graph fetch ------------------------------------------------
def test_a_pil_image_and_rate_samples_audio_are_fetched_as_png_and_wav():
    import io
    import wave

    import numpy as np
    from PIL import Image

    picture = FnNode(
        lambda: Image.new("P", (64, 48), 3),
        name="picture",
        outputs={"image": gr.Image()},
    )
    rate = 22050
    tone = np.sin(np.linspace(0, 440 * 2 * np.pi, rate // 2)).astype(np.float32) * 0.5
    sound = FnNode(
        lambda: (rate, np.stack([tone, tone], axis=1)), name="sound", outputs={"audio": gr.Audio()}
    )
    g = Graph("media", nodes=[picture, sound], persist_key=False)
    g.run(progress=False)
    c = Canvas(g)
    for nid, port, fid in (("picture", "image", "p"), ("sound", "audio", "s")):
        rid = c.node_state[nid]["rid"]
        from_front(c, {"type": "fetch", "id": fid, "result": rid, "port": port})
    (png_reply, png), (wav_reply, wav) = replies(c)
    assert png_reply["mime"] == "image/png" and wav_reply["mime"] == "audio/wav"
    assert Image.open(io.BytesIO(bytes(png[0]))).size == (64, 48)
    with wave.open(io.BytesIO(bytes(wav[0]))) as w:
        assert (w.getframerate(), w.getnchannels(), w.getnframes()) == (rate, 2, rate // 2)


# -- the end of a run ----------------------------------------------------------------------------
def test_an_input_changed_while_a_run_goes_on_leaves_its_nodes_stale_at_the_end():
    gate = threading.Event()
    form = InputNode("form", ports={"text": gr.Textbox(value="one")})
    slow = FnNode(
        lambda text: gate.wait(10) and text.upper(), name="slow", inputs={"text": form.text}
    )
    g = Graph("g", nodes=[slow], persist_key=False)
    c = Canvas(g)
    from_front(c, {"type": "run", "node": "slow", "mode": "to_here"})
    wait_for(lambda: c.node_state["slow"]["status"] == "running")
    from_front(c, {"type": "set_input", "key": "form__text", "value": "two"})
    gate.set()
    wait_for(lambda: c.node_state["slow"]["status"] == "ok")
    # The finished node ran on "one": the end of the run checks it against "two".
    wait_for(lambda: c.node_state["slow"]["fresh"] == "stale")
    assert c.node_state["slow"]["preview"]["output"]["text"] == "ONE"


def test_a_run_that_leaves_a_downstream_node_behind_marks_it_stale():
    form = InputNode("form", ports={"text": gr.Textbox(value="a")})
    up = FnNode(lambda text: text * 2, name="up", inputs={"text": form.text})
    down = FnNode(lambda x: x + "!", name="down", inputs={"x": up.output})
    g = Graph("g", nodes=[down], persist_key=False)
    g.run(progress=False)
    c = Canvas(g)
    assert c.node_state["down"]["fresh"] == "fresh"
    # "up" runs again (a run's target always executes): "down" consumed its old result.
    from_front(c, {"type": "run", "node": "up", "mode": "to_here"})
    wait_for(
        lambda: c.node_state["up"]["fresh"] == "fresh" and c.node_state["up"]["status"] == "ok"
    )
    wait_for(lambda: c.node_state["down"]["fresh"] == "stale")
