"""Live feedback from functions: generator FnNodes stream their values so far, node code
reports progress (daggr.progress, tqdm), and code follows a run while it goes on
(graph.stream(), on_update=). Only the final value becomes a result."""

from __future__ import annotations

import asyncio
import io
import threading
import time

import numpy as np
import pytest
from PIL import Image

from daggr import FnNode, Graph, GraphError, Update, progress
from daggr.progress_bar import Progress


def story(words: int):
    """An LLM-like writer: each yield is the whole text so far."""
    text = ""
    for i in range(words):
        text += f"word{i} "
        yield text


async def astory(words: int):
    text = ""
    for i in range(words):
        await asyncio.sleep(0.001)
        text += f"aword{i} "
        yield text


def graph(*nodes, name: str = "stream test", **kw) -> Graph:
    return Graph(name, nodes=list(nodes), persist_key=False, **kw)


def partial_texts(updates: list[Update], node: str, port: str = "output") -> list[str]:
    return [u.outputs[port] for u in updates if u.kind == "partial" and u.node == node]


def test_a_generator_streams_each_value_and_only_the_last_is_the_result():
    writer = FnNode(story)
    shout = FnNode(lambda text: text.upper(), name="shout", inputs={"text": writer.output})
    g = graph(shout)
    updates: list[Update] = []
    result = g.run(story__words=5, on_update=updates.append, progress=False)

    texts = partial_texts(updates, "story")
    assert texts == ["word0 ", "word0 word1 ", *texts[2:]] and len(texts) == 5
    appended = [u.appended["output"] for u in updates if u.kind == "partial"]
    assert appended == [f"word{i} " for i in range(5)]  # deltas, not the text again
    assert result["story"] == {"output": "word0 word1 word2 word3 word4 "}
    # downstream starts from the final value, once
    assert result["shout"] == {"output": "WORD0 WORD1 WORD2 WORD3 WORD4 "}
    assert [r.outputs["output"] for r in g.history("story")] == [texts[-1]]
    kinds = [(u.kind, u.node) for u in updates if u.kind != "partial"]
    assert kinds == [
        ("started", "story"),
        ("finished", "story"),
        ("started", "shout"),
        ("finished", "shout"),
    ]
    first_shout = next(i for i, u in enumerate(updates) if u.node == "shout")
    assert all(u.node == "story" for u in updates[:first_shout])


def test_graph_stream_iterates_updates_then_holds_the_result():
    g = graph(FnNode(story))
    stream = g.stream(story__words=40)
    grown = "".join(u.appended["output"] for u in stream if u.kind == "partial")
    assert grown == "".join(f"word{i} " for i in range(40))
    assert stream.done() and stream.result["story"]["output"] == grown
    assert len(g.history("story")) == 1


def test_async_for_over_an_async_generator_node():
    g = graph(FnNode(astory))

    async def follow() -> tuple[list[Update], object]:
        stream = g.stream(astory__words=6)
        seen = [u async for u in stream]
        return seen, stream.result

    seen, result = asyncio.run(follow())
    grown = "".join(u.appended["output"] for u in seen if u.kind == "partial")
    assert grown == "".join(f"aword{i} " for i in range(6))
    assert seen[-1].kind == "finished" and seen[-1].status == "ok"
    assert result["astory"]["output"] == grown


def test_a_slow_reader_gets_partial_values_merged_not_lost():
    release = threading.Event()

    def writer(words: int):
        text = ""
        for i in range(words):
            text += f"w{i} "
            yield text
        release.wait(5)  # the reader looks only now
        yield text + "end"

    g = graph(FnNode(writer))
    stream = g.stream(writer__words=200)
    time.sleep(0.3)  # 200 values come while nobody reads
    release.set()
    partials = [u for u in stream if u.kind == "partial"]
    assert len(partials) < 200
    assert "".join(u.appended["output"] for u in partials) == stream.result["writer"]["output"]


def test_image_and_array_frames_are_replaced_not_appended():
    def paint(frames: int):
        for i in range(frames):
            yield Image.new("RGB", (32, 24), (i * 60, 10, 10)), np.full((4, 4), i / frames)

    g = graph(FnNode(paint, outputs={"image": None, "mask": None}))
    updates: list[Update] = []
    result = g.run(paint__frames=3, on_update=updates.append, progress=False)
    frames = [u for u in updates if u.kind == "partial"]
    assert len(frames) == 3
    assert all(not u.appended for u in frames)
    assert [u.outputs["image"].getpixel((0, 0))[0] for u in frames] == [0, 60, 120]
    assert result["paint"]["image"].getpixel((0, 0))[0] == 120


def test_what_a_generator_returns_is_the_result():
    def drafts():
        yield "draft"
        return "final"

    assert graph(FnNode(drafts)).run(progress=False)["drafts"] == {"output": "final"}


def test_a_generator_that_fails_midway_is_an_error_with_no_result():
    def broken():
        yield "half"
        raise ValueError("the model fell over")

    g = graph(FnNode(broken))
    updates: list[Update] = []
    result = g.run(on_update=updates.append, progress=False)
    assert result.status["broken"] == "error"
    assert "the model fell over" in str(result.errors["broken"])
    assert [u.outputs["output"] for u in updates if u.kind == "partial"] == ["half"]
    assert [r.status for r in g.history("broken")] == ["error"]
    assert g.history("broken")[0].outputs == {}


def test_stop_mid_stream_closes_the_generator_and_keeps_nothing():
    closed = threading.Event()

    def endless():
        text = ""
        try:
            while True:
                text += "t "
                yield text
                time.sleep(0.005)
        finally:
            closed.set()

    g = graph(FnNode(endless))
    stream = g.stream()
    for update in stream:
        if update.kind == "partial" and len(update.outputs["output"]) > 20:
            stream.cancel()
    assert stream.result.status["endless"] == "cancelled"
    assert closed.wait(5), "the generator's finally block never ran"
    assert len(g.history("endless")) == 0


def test_stop_mid_stream_closes_an_async_generator():
    closed = threading.Event()

    async def endless():
        try:
            while True:
                await asyncio.sleep(0.005)
                yield "x"
        finally:
            closed.set()

    g = graph(FnNode(endless))
    handle = g.start()
    time.sleep(0.2)
    handle.cancel()
    assert handle.result(5).status["endless"] == "cancelled"
    assert closed.wait(5)
    assert len(g.history("endless")) == 0


def test_a_generator_past_its_timeout_is_closed():
    closed = threading.Event()

    def slow():
        try:
            while True:
                time.sleep(0.02)
                yield "more"
        finally:
            closed.set()

    result = graph(FnNode(slow, timeout=0.2)).run(progress=False)
    assert result.status["slow"] == "error" and "timeout" in str(result.errors["slow"])
    assert closed.wait(5)


def test_a_generator_cannot_run_on_an_executor():
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool, pytest.raises(GraphError, match="generator function"):
        FnNode(story, executor=pool)


def test_node_test_of_a_generator_returns_the_final_value():
    assert FnNode(story).test(words=2) == {"output": "word0 word1 "}


# -- progress ------------------------------------------------------------------------------
def test_progress_helper_reports_fraction_counts_and_description():
    def render(frames: int) -> str:
        progress(0.0, "warming up")
        for i in range(frames):
            progress((i + 1, frames), "rendering", unit="frames")
        return "done"

    updates: list[Update] = []
    graph(FnNode(render)).run(render__frames=2, on_update=updates.append, progress=False)
    texts = [u.progress.text for u in updates if u.kind == "progress"]
    assert texts == ["0% · warming up", "1/2 frames · rendering", "2/2 frames · rendering"]
    shares = [u.progress.share for u in updates if u.kind == "progress"]
    assert shares == [0.0, 0.5, 1.0]


def test_progress_outside_a_run_does_nothing():
    progress(0.5, "nobody listens")  # no error
    assert FnNode(lambda: progress(0.3) or 1, name="quiet").test() == {"output": 1}


def test_tqdm_inside_a_function_is_picked_up_in_any_kind_of_call():
    from tqdm.auto import tqdm

    def crunch(n: int) -> int:
        return sum(tqdm(range(n), desc="crunching", mininterval=0, file=io.StringIO()))

    async def acrunch(n: int) -> int:
        bar = tqdm(total=n, desc="async crunch", file=io.StringIO())
        for _ in range(n):
            await asyncio.sleep(0)
            bar.update(1)
        bar.close()
        return n

    plain = FnNode(crunch)  # the fast path
    timed = FnNode(crunch, name="timed", timeout=30)  # a worker thread
    asynchronous = FnNode(acrunch)
    updates: list[Update] = []
    graph(plain, timed, asynchronous).run(
        crunch__n=3, timed__n=3, acrunch__n=2, on_update=updates.append, progress=False
    )
    by_node: dict[str, list[str]] = {}
    for u in updates:
        if u.kind == "progress":
            by_node.setdefault(u.node, []).append(u.progress.text)
    assert by_node["crunch"][0] == "0/3 · crunching"
    assert by_node["crunch"][-1] == "3/3 · crunching"
    assert by_node["timed"][-1] == "3/3 · crunching"
    assert by_node["acrunch"][-1] == "2/2 · async crunch"


def test_the_run_progress_bar_shows_what_running_nodes_report():
    bar = Progress("demo", 2)
    bar._begun -= 10  # as if the run had been going for a while
    bar.show_at = 0
    bar.note("render", "queue 3/7 · ~12 s")
    assert bar._bar is not None and "render: queue 3/7 · ~12 s" in bar._bar.postfix
    bar.note("render", None)
    bar.refresh()
    assert "render" not in (bar._bar.postfix or "")
    bar.close()


def test_a_run_from_code_shows_what_its_node_reports_in_the_progress_bar(capfd):
    def render(frames: int) -> str:
        for i in range(frames):
            progress((i + 1, frames), "rendering", unit="frames")
            time.sleep(0.4)  # past the half second after which the bar shows
        return "done"

    graph(FnNode(render), name="Bar").run(render__frames=3)  # progress bar on
    drawn = capfd.readouterr().err
    assert "Bar" in drawn and "render: 3/3 frames · rendering" in drawn


def test_a_failing_on_update_callback_never_breaks_the_run():
    def boom(update: Update) -> None:
        raise RuntimeError("callback bug")

    with pytest.warns(RuntimeWarning, match="on_update raised RuntimeError"):
        result = graph(FnNode(story)).run(story__words=3, on_update=boom, progress=False)
    assert result["story"]["output"] == "word0 word1 word2 "


def test_runs_of_the_session_do_not_leak_into_each_others_streams():
    g = graph(FnNode(story), FnNode(astory))
    first = g.stream("story", story__words=3)
    second = g.stream("astory", astory__words=3)
    assert {u.node for u in first} == {"story"}
    assert {u.node for u in second} == {"astory"}
