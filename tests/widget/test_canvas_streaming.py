"""A running node on the canvas: its values so far go out as small deltas (text appended,
media replaced and fetched), its progress as a field of its state; the final value then
takes over, and a failure keeps what came."""

from __future__ import annotations

import threading
import time

from PIL import Image

from daggr import FnNode, Graph, progress
from daggr import components as gr
from daggr.widget import Canvas
from tests.widget.widget_helpers import clear, custom, from_front, size, wait_for


def writer(words: int, pause: float = 0.0):
    text = ""
    for i in range(words):
        text += f"tok{i} "
        yield text
        time.sleep(pause)


def rebuild(c: Canvas, nid: str, port: str) -> str:
    """The text a front end rebuilds from the partial deltas it got."""
    text = ""
    for message in custom(c, "partial"):
        op = message["nodes"].get(nid, {}).get(port)
        if op is None:
            continue
        at, added = op  # an append: [offset, text]
        assert at == len(text), (op, len(text))  # no gap, no overlap
        text += added
    return text


def run_and_wait(c: Canvas, g: Graph, **inputs) -> None:
    g.run(progress=False, **inputs)
    wait_for(lambda: c.node_state[next(iter(c._names))]["status"] not in ("running", "pending"))
    c._flush_states()


def test_text_grows_by_deltas_and_the_final_value_takes_over():
    g = Graph("story", nodes=[FnNode(writer, outputs={"story": gr.Textbox()})], persist_key=False)
    c = Canvas(g)
    clear(c)
    run_and_wait(c, g, writer__words=300)
    final = g.selected("writer").outputs["story"]
    assert rebuild(c, "writer", "story") == final
    # Appends only: every byte of the story crossed once (plus small framing).
    sent = sum(size(m) for m in custom(c, "partial"))
    assert sent < 2 * len(final.encode()) + 60 * len(custom(c, "partial"))
    # The card learnt its stream before its first delta, and forgot it with the result.
    states = [m["states"]["writer"] for m in custom(c, "node_state") if "writer" in m["states"]]
    stream_marks = [s["stream"] for s in states if "stream" in s]
    assert stream_marks[0].startswith("~") and stream_marks[-1] is None
    assert c.node_state["writer"]["status"] == "ok"
    assert c.node_state["writer"]["preview"]["story"]["text"].startswith("tok0 tok1")
    assert "stream" not in c.node_state["writer"] or c.node_state["writer"]["stream"] is None


def test_partial_deltas_are_merged_per_frame():
    g = Graph("burst", nodes=[FnNode(writer)], persist_key=False)
    c = Canvas(g)
    clear(c)
    run_and_wait(c, g, writer__words=2000)
    messages = custom(c, "partial")
    assert len(messages) < 200  # 2000 values, merged into frames
    assert rebuild(c, "writer", "output") == g.selected("writer").outputs["output"]


def test_a_card_opened_mid_stream_fetches_the_text_so_far():
    began, go_on, done_writing = threading.Event(), threading.Event(), threading.Event()

    def slow():
        yield "Once upon"
        began.set()
        go_on.wait(10)
        yield "Once upon a time"
        done_writing.wait(10)

    g = Graph("late", nodes=[FnNode(slow)], persist_key=False)
    handle = g.start()
    assert began.wait(10)
    c = Canvas(g)  # opened after the first words went out
    go_on.set()
    op = wait_for(lambda: [m["nodes"]["slow"]["output"] for m in custom(c, "partial")])[0]
    assert op == [9, " a time"]  # its front end lacks the first 9 characters
    stream = c.node_state["slow"]["stream"]
    from_front(c, {"type": "fetch", "id": "q1", "result": f"{stream}.r1", "port": "output"})
    answer = [(m, b) for kind, m, b in c.comm.log if kind == "comm_msg"][-1]
    assert answer[0]["content"] == {
        "type": "fetched",
        "id": "q1",
        "mime": answer[0]["content"]["mime"],
        "name": answer[0]["content"]["name"],
    }
    assert b"Once upon a time" in bytes(answer[1][0])
    done_writing.set()
    handle.result(10)
    c.close()


def test_images_are_replaced_and_fetched_by_their_partial_id():
    def paint(frames: int):
        for i in range(frames):
            yield Image.new("RGB", (20, 10), (i * 80, 0, 0))
            time.sleep(0.03)

    g = Graph("paint", nodes=[FnNode(paint, outputs={"picture": gr.Image()})], persist_key=False)
    c = Canvas(g)
    clear(c)
    handle = g.start(paint__frames=3)
    rid = wait_for(
        lambda: next(
            (
                m["nodes"]["paint"]["picture"]["rid"]
                for m in custom(c, "partial")
                if "paint" in m["nodes"]
            ),
            None,
        )
    )
    op = next(m for m in custom(c, "partial") if "paint" in m["nodes"])["nodes"]["paint"]
    assert op["picture"]["set"]["type"] == "image" and rid.startswith("~")
    from_front(c, {"type": "fetch", "id": "img", "result": rid, "port": "picture"})
    handle.result(10)
    answer = [m for m in custom(c, "fetched") if m["id"] == "img"]
    assert answer and answer[0].get("mime") == "image/png", answer


def test_progress_is_a_field_of_the_running_card_and_goes_with_the_run():
    gate = threading.Event()

    def render(frames: int) -> str:
        progress((1, frames), "rendering", unit="frames")
        gate.wait(10)
        return "done"

    g = Graph("render", nodes=[FnNode(render)], persist_key=False)
    c = Canvas(g)
    handle = g.start(render__frames=4)
    report = wait_for(lambda: c.node_state["render"].get("progress"))
    assert report == {"text": "1/4 frames · rendering", "share": 0.25}
    gate.set()
    handle.result(10)
    wait_for(lambda: c.node_state["render"]["status"] == "ok")
    assert c.node_state["render"].get("progress") is None


def test_a_failure_keeps_the_text_so_far_until_the_next_run():
    fail = {"now": True}

    def flaky():
        yield "half a sto"
        if fail["now"]:
            raise ConnectionError("the app went away")
        yield "a whole story"

    g = Graph("flaky", nodes=[FnNode(flaky)], persist_key=False)
    c = Canvas(g)
    run_and_wait(c, g)
    state = c.node_state["flaky"]
    assert state["status"] == "error" and "the app went away" in state["error"]
    old = state.get("stream")
    assert old, "the card should keep its values so far"
    assert rebuild(c, "flaky", "output") == "half a sto"
    fail["now"] = False
    clear(c)
    run_and_wait(c, g)
    marks = [
        m["states"]["flaky"]["stream"]
        for m in custom(c, "node_state")
        if "stream" in m["states"].get("flaky", {})
    ]
    # The next run starts without the old text: its card follows another stream (or none).
    assert marks and old not in marks
    assert c.node_state["flaky"]["status"] == "ok" and not c.node_state["flaky"].get("stream")
