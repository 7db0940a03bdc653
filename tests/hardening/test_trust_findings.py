"""The smaller findings of the served-app audit, each on real parts."""

from __future__ import annotations

import threading

import pytest

from daggr import ChoiceNode, FnNode, Graph
from daggr import components as gr
from daggr.errors import GraphError


def test_input_keys_that_join_into_one_name_are_refused_when_the_graph_is_built():
    """``a`` + ``b__c`` and ``a__b`` + ``c`` are both ``a__b__c``: the second would have
    silently taken the first one's value from graph.run(), REST and the canvas."""
    first = FnNode(lambda **kw: kw, name="a", inputs={"b__c": gr.Textbox(value="one")})
    second = FnNode(lambda c: c, name="a__b", inputs={"c": gr.Textbox(value="two")})
    with pytest.raises(GraphError) as caught:
        Graph("collide", nodes=[first, second], persist_key=False)
    message = str(caught.value)
    assert "'a.b__c' and 'a__b.c' are both named 'a__b__c'" in message
    assert "rename" in message

    # a choice's variants name inputs too
    left = FnNode(lambda x: x, name="left", inputs={"x": gr.Textbox()})
    right = FnNode(lambda x: x, name="right", inputs={"x": gr.Textbox()})
    clash = FnNode(lambda x: x, name="left", inputs={"x": gr.Textbox()})
    with pytest.raises(GraphError, match="'left__x'"):
        Graph("choice collide", nodes=[ChoiceNode([left, right], name="pick"), clash])


def test_names_with_double_underscores_that_do_not_collide_still_build():
    # a wired port is no user input, so 'a' + 'b__c' here names nothing
    up = FnNode(lambda: "x", name="src")
    wired = FnNode(lambda b__c: b__c, name="a", inputs={"b__c": up.output})
    mine = FnNode(lambda c: c, name="a__b", inputs={"c": gr.Textbox(value="v")})
    graph = Graph("no clash", nodes=[wired, mine], persist_key=False)
    assert graph.run(a__b__c="given", progress=False)["a__b"] == {"output": "given"}


def test_a_view_that_raises_does_not_stop_the_run_or_the_sessions_queue(caplog):
    """A view (a canvas, say) whose listener raises used to leave the run unfinished and
    the session's serial queue busy for ever: every later run of that session hung."""
    first = FnNode(lambda text: text.upper(), name="first", inputs={"text": gr.Textbox(value="a")})
    second = FnNode(lambda s: s + "!", name="second", inputs={"s": first.output})
    graph = Graph("broken view", nodes=[second], persist_key=False)

    def broken_view(kind, payload):
        raise RuntimeError("the view broke")

    graph.session.listeners.append(broken_view)
    result = graph.start().result(timeout=30)
    assert result.status == {"first": "ok", "second": "ok"} and result["second"] == {"output": "A!"}
    assert "a view failed on node_finished" in caplog.text

    graph.session.listeners.remove(broken_view)
    again = graph.start(first__text="b").result(timeout=30)  # the queue is free
    assert again["second"] == {"output": "B!"}


def test_a_queued_job_that_raises_frees_the_queue_for_the_next():
    from daggr.runtime.loop import SerialQueue

    queue, done = SerialQueue(), threading.Event()

    def fails() -> None:
        raise RuntimeError("boom")

    queue.submit(fails)
    queue.submit(done.set)
    assert done.wait(30)


def test_media_returned_as_a_temporary_path_are_kept_by_the_store(tmp_path):
    """A function that writes its picture (or sound) to a temporary file and returns the
    path: the history keeps a copy, so the result outlives the temporary file."""
    import shutil
    import wave

    import numpy as np
    from PIL import Image

    scratch = tmp_path / "scratch"

    def paint(size: int) -> tuple[str, str]:
        scratch.mkdir(exist_ok=True)
        picture = Image.fromarray(
            (np.linspace(0, 1, size * size * 4).reshape(size, size, 4) * 255).astype("uint8"),
            "RGBA",
        )
        picture.save(scratch / "out.png")
        with wave.open(str(scratch / "out.wav"), "wb") as sound:
            sound.setnchannels(1)
            sound.setsampwidth(2)
            sound.setframerate(16_000)
            sound.writeframes((np.sin(np.arange(1600) / 5) * 20_000).astype("<i2").tobytes())
        return str(scratch / "out.png"), str(scratch / "out.wav")

    def graph() -> Graph:
        node = FnNode(
            paint,
            name="paint",
            inputs={"size": gr.Number(value=16)},
            outputs={"picture": gr.Image(), "sound": gr.Audio()},
        )
        return Graph("temporary media", nodes=[node], persist_key="temporary-media")

    result = graph().run(progress=False)
    expected = np.asarray(Image.open(scratch / "out.png"))
    assert str(scratch) not in str(result["paint"]["picture"])  # the store's copy
    shutil.rmtree(scratch)

    (record,) = graph().history("paint")  # a new graph object: read back from the file
    assert np.array_equal(np.asarray(Image.open(record.outputs["picture"])), expected)
    with wave.open(str(record.outputs["sound"])) as sound:
        assert sound.getnframes() == 1600


def test_nodes_are_reported_finished_in_the_graphs_order_once_saved():
    """A node is reported once its row is on disk; a node after it (skipped, cached) is
    never reported first, so a view names the failure that skipped it."""
    import json

    parse = FnNode(lambda text: json.loads(text), name="parse", inputs={"text": gr.Textbox()})
    summary = FnNode(lambda data: len(data), name="summary", inputs={"data": parse.output})
    shout = FnNode(lambda text: text.upper(), name="shout", inputs={"text": gr.Textbox()})
    tail = FnNode(lambda s: s + "!", name="tail", inputs={"s": shout.output})
    graph = Graph("report order", nodes=[summary, tail], persist_key="report-order")
    seen: list[tuple[str, str]] = []
    graph.session.listeners.append(
        lambda kind, outcome: (
            kind == "node_finished" and seen.append((outcome.node, outcome.status))
        )
    )
    result = graph.run(parse__text="not json", shout__text="hi", progress=False)
    assert result.status == {"parse": "error", "summary": "skipped", "shout": "ok", "tail": "ok"}
    order = [node for node, _ in seen]
    assert order.index("parse") < order.index("summary") and order.index("shout") < order.index(
        "tail"
    )
    assert sorted(seen) == sorted(result.status.items())
