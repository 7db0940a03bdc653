"""Running graphs from code: results, caching, concurrency, scatter/gather, choices, errors."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import threading
import time

import pytest

from daggr import FnNode, Graph, InputNode, ItemList, NodeError, RunResult
from daggr import components as gr
from daggr.errors import InputError


def graph(*nodes, name="g"):
    return Graph(name, nodes=list(nodes), persist_key=False)


class Counter:
    """Counts calls and the most calls that were running at the same time."""

    def __init__(self):
        self.calls = 0
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()

    def enter(self):
        with self.lock:
            self.calls += 1
            self.active += 1
            self.peak = max(self.peak, self.active)

    def leave(self):
        with self.lock:
            self.active -= 1


# -- results and output mapping --------------------------------------------------------------
def test_single_node_with_fixed_input():
    node = FnNode(lambda x: x * 2, name="double", inputs={"x": 5})
    assert graph(node).run()["double"] == {"output": 10}


def test_chain_and_result_indexing():
    a = FnNode(lambda x: x + 1, name="a", inputs={"x": 10})
    b = FnNode(lambda y: y * 2, name="b", inputs={"y": a.output})
    result = graph(b).run()
    assert isinstance(result, RunResult) and result.ok
    assert result["b"] == {"output": 22}
    assert result[b] == {"output": 22}
    assert result.status == {"a": "ok", "b": "ok"}
    with pytest.raises(KeyError, match="Did you mean 'b'"):
        result["bb"]


def test_each_node_outcome_holds_its_record_in_run_order():
    # A run keeps only the record of a node that executed and succeeded; the outcome a
    # user reads is the same either way (status, outputs, record, duration).
    a = FnNode(lambda: [1.5, "x"], name="a")
    b = FnNode(lambda v: {"items": v}, name="b", inputs={"v": a.output})
    c = FnNode(lambda v: 1 / 0, name="c", inputs={"v": b.output})
    g = graph(c)
    result = g.run()
    assert list(result.outcomes) == ["a", "b", "c"] and len(result.outcomes) == 3
    outcome = result.outcome("b")
    assert outcome.status == "ok" and outcome.ok and outcome.error is None
    assert outcome.outputs == {"output": {"items": [1.5, "x"]}}
    assert outcome.record is g.session.results.latest("b") and outcome.record.ok
    assert outcome.duration == outcome.record.duration >= 0
    assert result.outcome("b") is outcome  # made once
    assert result.outcomes["c"].status == "error"
    assert isinstance(result.errors["c"], ZeroDivisionError)
    assert {n: o.status for n, o in result.outcomes.items()} == result.status


def test_tuple_maps_to_ports_in_order_and_other_values_to_the_first():
    two = FnNode(
        lambda: ("img.png", "a caption"), name="two", outputs={"image": None, "caption": None}
    )
    as_list = FnNode(lambda: [1, 2], name="as_list", outputs={"items": None, "count": None})
    by_name = FnNode(
        lambda: {"count": 2, "items": [1]}, name="by_name", outputs={"items": None, "count": None}
    )
    single = FnNode(lambda: (1, 2), name="single")
    result = graph(two, as_list, by_name, single).run()
    assert result["two"] == {"image": "img.png", "caption": "a caption"}
    assert result["as_list"] == {"items": [1, 2], "count": None}
    assert result["by_name"] == {"items": [1], "count": 2}
    assert result["single"] == {"output": (1, 2)}


def test_too_many_returned_values_is_a_clear_error():
    node = FnNode(lambda: (1, 2, 3), name="three", outputs={"a": None, "b": None})
    result = graph(node).run()
    assert not result.ok
    assert "returned 3 values but has 2 output ports (a, b)" in str(result.errors["three"])


def test_preprocess_and_postprocess():
    node = FnNode(
        lambda text: (text, len(text)),
        name="n",
        inputs={"text": "abc"},
        outputs={"upper": None, "length": None},
        preprocess=lambda kw: {"text": kw["text"] * 2},
        postprocess=lambda text, length: (text.upper(), length),
    )
    assert graph(node).run()["n"] == {"upper": "ABCABC", "length": 6}


def test_user_inputs_by_key_nested_and_bare_port():
    node = FnNode(
        lambda text, n: text * n,
        name="rep",
        inputs={"text": gr.Textbox(value="a"), "n": gr.Number(value=1)},
    )
    g = graph(node)
    assert g.run()["rep"] == {"output": "a"}
    assert g.run(rep__text="b", rep__n=2)["rep"] == {"output": "bb"}
    assert g.run({"rep": {"n": 3}})["rep"] == {"output": "bbb"}  # earlier inputs are kept
    assert g.run(text="c")["rep"] == {"output": "ccc"}


def test_unknown_or_wired_inputs_explain_themselves():
    a = FnNode(lambda: 1, name="a")
    b = FnNode(lambda x, prompt: x, name="b", inputs={"x": a.output, "prompt": gr.Textbox()})
    g = graph(b)
    with pytest.raises(InputError, match="Did you mean 'b__prompt'"):
        g.run(b__promt="hi")
    with pytest.raises(InputError, match="wired from 'a.output'"):
        g.run(b__x=3)
    with pytest.raises(InputError, match="ambiguous"):
        c = FnNode(lambda prompt: prompt, name="c", inputs={"prompt": gr.Textbox()})
        graph(b, c).run(prompt="x")


def test_callable_inputs_are_called_on_every_run():
    counter = iter(range(1, 100))
    node = FnNode(lambda x: x, name="tick", inputs={"x": lambda: next(counter)})
    g = graph(node)
    assert g.run()["tick"] == {"output": 1}
    assert g.run()["tick"] == {"output": 2}


def test_async_functions_run():
    async def fetch(x):
        await asyncio.sleep(0.01)
        return x + 1

    node = FnNode(fetch, name="fetch", inputs={"x": 1})
    assert graph(node).run()["fetch"] == {"output": 2}
    assert node.test(x=5) == {"output": 6}


# -- caching and run modes -------------------------------------------------------------------------
def make_chain(calls):
    def first(x):
        calls.append("a")
        return x + 1

    def second(y):
        calls.append("b")
        return y * 10

    a = FnNode(first, name="a", inputs={"x": gr.Number(value=1)})
    b = FnNode(second, name="b", inputs={"y": a.output})
    return a, b


def test_unchanged_rerun_executes_nothing_and_force_reexecutes():
    calls = []
    _, b = make_chain(calls)
    g = graph(b)
    assert g.run()["b"] == {"output": 20}
    second = g.run()
    assert second.status == {"a": "cached", "b": "cached"} and second["b"] == {"output": 20}
    assert calls == ["a", "b"]
    g.run(force=True)
    assert calls == ["a", "b", "a", "b"]


def test_changed_input_reruns_only_what_depends_on_it():
    calls = []
    a, b = make_chain(calls)
    c = FnNode(lambda: calls.append("c") or 0, name="c")
    g = graph(b, c)
    g.run()
    calls.clear()
    result = g.run(a__x=2)
    assert result["b"] == {"output": 30}
    assert sorted(calls) == ["a", "b"] and result.status["c"] == "cached"


def test_run_to_here_executes_target_and_stale_ancestors_only():
    calls = []
    _, b = make_chain(calls)
    other = FnNode(lambda: calls.append("other"), name="other")
    g = graph(b, other)
    g.run()
    calls.clear()
    result = g.run("b")
    assert list(result) == ["a", "b"] and result.status == {"a": "cached", "b": "ok"}
    assert calls == ["b"]


def test_run_this_step_uses_the_current_upstream_result():
    calls = []
    _, b = make_chain(calls)
    g = graph(b)
    result = g.run("b", only=True)
    assert result.status == {"b": "error"}
    assert "needs the output of 'a', which has no result yet" in str(result.errors["b"])
    g.run("a")
    calls.clear()
    assert g.run(b, only=True)["b"] == {"output": 20}
    assert calls == ["b"]


def test_editing_a_function_invalidates_its_cached_results():
    """Re-running a notebook cell with new code must not reuse the old code's results."""
    from daggr.runtime.plan import Plan

    def build(offset):
        node = FnNode(lambda x: x + offset, name="add", inputs={"x": 1})
        return Plan(graph(node)).nodes["add"].steps[0].definition_key()

    def build_other():
        node = FnNode(lambda x: x * 2, name="add", inputs={"x": 1})
        return Plan(graph(node)).nodes["add"].steps[0].definition_key()

    assert build(1) == build(1)  # same code, new objects: same identity
    assert build(1) != build(2)  # a captured value changed
    assert build(1) != build_other()  # the code changed


def test_non_deterministic_nodes_always_rerun():
    calls = []
    node = FnNode(lambda: calls.append(1) or len(calls), name="roll", deterministic=False)
    g = graph(node)
    g.run()
    assert g.run().status["roll"] == "ok" and len(calls) == 2


# -- concurrency ------------------------------------------------------------------------------------
def test_independent_concurrent_nodes_overlap():
    barrier = threading.Barrier(8, timeout=20)

    def wait(x):
        barrier.wait()  # breaks (and fails the node) unless all 8 run at the same time
        return x

    src = FnNode(lambda: 1, name="src")
    leaves = [
        FnNode(wait, name=f"leaf{i}", inputs={"x": src.output}, concurrent=True) for i in range(8)
    ]
    result = graph(*leaves).run()
    assert result.ok, result.errors


def test_fn_nodes_run_one_at_a_time_by_default():
    counter = Counter()

    def work(x):
        counter.enter()
        time.sleep(0.02)
        counter.leave()
        return x

    src = FnNode(lambda: 1, name="src")
    leaves = [FnNode(work, name=f"leaf{i}", inputs={"x": src.output}) for i in range(5)]
    assert graph(*leaves).run().ok
    assert counter.calls == 5 and counter.peak == 1


def test_concurrency_group_limit_is_shared_across_graphs_and_runs():
    counter = Counter()
    barrier = threading.Barrier(2, timeout=20)

    def work(x):
        counter.enter()
        if counter.calls <= 2:
            barrier.wait()  # proves two really overlap
        time.sleep(0.05)
        counter.leave()
        return x

    def make(tag):
        return [
            FnNode(
                work,
                name=f"{tag}{i}",
                inputs={"x": i},
                concurrency_group="gpu-test",
                max_concurrent=2,
            )
            for i in range(3)
        ]

    g1, g2 = graph(*make("a"), name="one"), graph(*make("b"), name="two")
    h1, h2 = g1.start(), g2.start()
    assert h1.result(30).ok and h2.result(30).ok
    assert counter.calls == 6 and counter.peak == 2


def test_run_from_inside_a_running_event_loop():
    """A Jupyter cell runs inside an event loop; graph.run() must still work there."""
    node = FnNode(lambda: 42, name="answer")
    g = graph(node)

    async def cell():
        return g.run()["answer"]

    assert asyncio.run(cell()) == {"output": 42}


def test_run_async_and_cancelling_the_awaiting_task_cancels_the_run():
    started = threading.Event()

    async def slow():
        started.set()
        await asyncio.sleep(30)

    node = FnNode(slow, name="slow")
    g = graph(node)

    async def main():
        assert (await graph(FnNode(lambda: 1, name="one")).run_async())["one"] == {"output": 1}
        task = asyncio.ensure_future(g.run_async())
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


def test_cancel_stops_running_and_pending_nodes():
    started = threading.Event()

    async def slow():
        started.set()
        await asyncio.sleep(30)
        return "never"

    after = []
    a = FnNode(slow, name="slow")
    b = FnNode(lambda x: after.append(x), name="after", inputs={"x": a.output})
    handle = graph(b).start()
    assert started.wait(10)
    handle.cancel()
    result = handle.result(timeout=5)
    assert result.cancelled
    assert result.status == {"slow": "cancelled", "after": "cancelled"}
    assert after == []


def test_cancel_while_a_sync_function_runs_returns_at_once():
    release = threading.Event()
    started = threading.Event()

    def blocking():
        started.set()
        release.wait(20)
        return 1

    node = FnNode(blocking, name="blocking")
    handle = graph(node).start()
    assert started.wait(10)
    handle.cancel()
    result = handle.result(timeout=5)
    release.set()
    assert result.status == {"blocking": "cancelled"}


# -- errors -------------------------------------------------------------------------------------------
def test_failing_node_keeps_the_rest_of_the_graph_running():
    def boom(x):
        raise ValueError("bad value")

    a = FnNode(lambda: 1, name="a")
    bad = FnNode(boom, name="bad", inputs={"x": a.output})
    after = FnNode(lambda y: y, name="after", inputs={"y": bad.output})
    fine = FnNode(lambda x: x + 1, name="fine", inputs={"x": a.output})
    result = graph(after, fine).run()
    assert not result.ok
    assert result.status == {"a": "ok", "bad": "error", "fine": "ok", "after": "skipped"}
    assert result["fine"] == {"output": 2}
    with pytest.raises(NodeError) as err:
        result["bad"]
    assert isinstance(err.value.__cause__, ValueError)
    assert "Node 'bad' failed: ValueError: bad value" in str(err.value)
    assert "in boom" in result.outcome("bad").traceback


def test_node_test_reraises_the_original_exception():
    def boom():
        raise KeyError("missing")

    with pytest.raises(KeyError, match="missing"):
        FnNode(boom, name="boom").test()


# -- node.test ---------------------------------------------------------------------------------------
def test_node_test_with_inputs_and_with_generated_examples():
    upstream = FnNode(lambda: "x", name="up", outputs={"text": gr.Textbox()})
    node = FnNode(
        lambda text, n, flag: f"{text}:{n}:{flag}",
        name="fmt",
        inputs={"text": upstream.text, "n": gr.Number(value=3), "flag": True},
    )
    assert node.test(text="hi", n=2) == {"output": "hi:2:True"}
    generated = node.test()["output"]  # the original crashes on the wired input here
    text, n, flag = generated.split(":")
    assert text and n == "3" and flag == "True"
    with pytest.raises(InputError, match="Did you mean 'text'"):
        node.test(txt="a")


# -- inputs ---------------------------------------------------------------------------------------------
def test_input_node_values_feed_every_run():
    form = InputNode("form", ports={"topic": gr.Textbox(value="cats")})
    seen = []
    write = FnNode(
        lambda topic: seen.append(topic) or topic.upper(),
        name="write",
        inputs={"topic": form.topic},
    )
    g = graph(write)
    assert g.run()["write"] == {"output": "CATS"}
    assert g.run(form__topic="dogs")["write"] == {"output": "DOGS"}
    assert g.run("write")["write"] == {"output": "DOGS"}
    assert seen == ["cats", "dogs", "dogs"]


def test_a_shared_component_feeds_every_node_that_uses_it():
    prompt = gr.Textbox(value="default")
    a = FnNode(lambda p: "a:" + p, name="a", inputs={"p": prompt})
    b = FnNode(lambda p: "b:" + p, name="b", inputs={"p": prompt})
    g = graph(a, b)
    result = g.run(b__p="shared")
    assert result["a"] == {"output": "a:shared"} and result["b"] == {"output": "b:shared"}


def test_fan_in_with_kwargs_function():
    sources = [FnNode(lambda i=i: i, name=f"s{i}") for i in range(20)]
    sink = FnNode(
        lambda **kw: sum(kw.values()),
        name="sink",
        inputs={f"x{i}": s.output for i, s in enumerate(sources)},
    )
    assert graph(sink).run()["sink"] == {"output": sum(range(20))}


# -- scatter / gather --------------------------------------------------------------------------------------
def test_scatter_and_gather_keep_item_order():
    items = FnNode(lambda: [3, 1, 2], name="items")
    inc = FnNode(lambda x: x + 1, name="inc", inputs={"x": items.output.each})
    total = FnNode(lambda xs: xs, name="total", inputs={"xs": inc.output.all()})
    result = graph(total).run()
    assert result["inc"] == {"output": [4, 2, 3]}
    assert result["total"] == {"output": [4, 2, 3]}


def test_scatter_by_key_and_zip_of_two_scattered_inputs():
    rows = FnNode(lambda: [{"name": "a", "n": 1}, {"name": "b", "n": 2}], name="rows")
    join = FnNode(
        lambda name, n: name * n,
        name="join",
        inputs={"name": rows.output.each["name"], "n": rows.output.each["n"]},
    )
    assert graph(join).run()["join"] == {"output": ["a", "bb"]}


def test_scattered_inputs_of_different_lengths_are_an_error():
    a = FnNode(lambda: [1, 2], name="a")
    b = FnNode(lambda: [1, 2, 3], name="b")
    both = FnNode(lambda x, y: x + y, name="both", inputs={"x": a.output.each, "y": b.output.each})
    result = graph(both).run()
    assert "'x' has 2, 'y' has 3" in str(result.errors["both"])


def test_failing_item_fails_the_node_names_the_index_and_reruns_only_failed_items():
    calls = []
    flaky = {"fail": True}

    def work(x):
        calls.append(x)
        if x == 2 and flaky["fail"]:
            raise RuntimeError("item exploded")
        return x * 10

    items = FnNode(lambda: [0, 1, 2, 3], name="items")
    each = FnNode(work, name="each", inputs={"x": items.output.each})
    gather = FnNode(lambda xs: sum(xs), name="gather", inputs={"xs": each.output.all()})
    g = graph(gather)
    result = g.run()
    assert result.status["each"] == "error" and result.status["gather"] == "skipped"
    assert "item 2 failed: RuntimeError: item exploded" in str(result.errors["each"])
    outcome = result.outcome("each")
    assert outcome.record.outputs["output"] == [0, 10, None, 30]  # other items are kept
    flaky["fail"] = False
    calls.clear()
    result = g.run()
    assert calls == [2]  # only the failed item ran again
    assert result["gather"] == {"output": 60}


def test_concurrent_scatter_overlaps_items():
    barrier = threading.Barrier(4, timeout=20)
    items = FnNode(lambda: list(range(4)), name="items")
    each = FnNode(
        lambda x: barrier.wait() * 0 + x,
        name="each",
        inputs={"x": items.output.each},
        concurrent=True,
    )
    assert graph(each).run()["each"] == {"output": [0, 1, 2, 3]}


def test_item_list_fields_scatter():
    lines = FnNode(
        lambda: [{"speaker": "A", "text": "hi"}, {"speaker": "B", "text": "yo"}],
        name="lines",
        outputs={"items": ItemList(speaker=gr.Textbox(), text=gr.Textbox())},
    )
    say = FnNode(lambda text: text.upper(), name="say", inputs={"text": lines.items.text})
    assert graph(say).run()["say"] == {"output": ["HI", "YO"]}


# -- choices ---------------------------------------------------------------------------------------------
def test_choice_runs_the_selected_variant_with_its_own_inputs_and_upstream_edges():
    src = FnNode(lambda: "Hello", name="src")
    upper = FnNode(
        lambda text, suffix: text.upper() + suffix,
        name="upper",
        inputs={"text": src.output, "suffix": gr.Textbox(value="!")},
    )
    lower = FnNode(
        lambda text, suffix: text.lower() + suffix,
        name="lower",
        inputs={"text": src.output, "suffix": gr.Textbox(value="?")},
    )
    style = upper | lower
    style.name = "style"
    out = FnNode(lambda s: f"[{s}]", name="out", inputs={"s": style.output})
    g = graph(out)
    assert ("src", "output", "style", "text") in g.get_connections()
    assert g.run()["out"] == {"output": "[HELLO!]"}
    assert g.run(style___selected_variant="lower")["out"] == {"output": "[hello?]"}
    assert g.run(lower__suffix="...")["out"] == {"output": "[hello...]"}
    # switching back reuses the stored result of the first variant (the selection is in the key)
    result = g.run(style___selected_variant=0)
    assert result["out"] == {"output": "[HELLO!]"} and result.status["style"] == "cached"


def test_a_run_leaves_nothing_for_the_cycle_collector():
    # Whatever a run builds is freed as soon as its result is dropped; a reference cycle
    # would keep every outcome alive until the next full collection.
    first = FnNode(lambda: 1, name="first")
    second = FnNode(lambda x: x + 1, name="second", inputs={"x": first.output})
    g = graph(second)
    g.run()
    gc.collect()
    gc.disable()
    try:
        g.run(force=True)
        g.run()
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_result_ids_are_unique_across_threads_and_batches():
    from daggr.records import new_result_id

    ids: list[str] = []

    def make() -> None:
        ids.extend(new_result_id() for _ in range(3000))

    threads = [threading.Thread(target=make) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == 12000 and len(set(ids)) == 12000
    assert not any("|" in i for i in ids)  # execution keys join ids with "|"


# -- progress ----------------------------------------------------------------------------------------------
@pytest.mark.slow  # runs long enough to show a progress bar
def test_long_runs_show_a_progress_bar_unless_quiet(capsys):
    node = FnNode(lambda: time.sleep(0.9), name="sleepy")
    g = graph(node)
    g.run()
    assert "g:" in capsys.readouterr().err
    g.run(force=True, progress=False)
    assert capsys.readouterr().err == ""


def test_the_progress_bar_counts_finished_nodes():
    first = FnNode(lambda: time.sleep(0.7) or 1, name="first")
    second = FnNode(lambda x: x + 1, name="second", inputs={"x": first.output})
    third = FnNode(lambda x: x + 1, name="third", inputs={"x": second.output})
    g = graph(third)
    with contextlib.redirect_stderr(io.StringIO()) as err:
        assert g.run()["third"] == {"output": 3}
    shown = err.getvalue()
    assert "1/3" in shown and "3/3" in shown, shown


# -- timeouts -------------------------------------------------------------------------------
def test_a_node_that_hangs_fails_with_its_timeout_and_the_rest_goes_on():
    release = threading.Event()

    def hang():
        release.wait(30)
        return "late"

    async def hang_async():
        await asyncio.sleep(30)

    slow = FnNode(hang, name="slow", timeout=0.2)
    slow_async = FnNode(hang_async, name="slow_async", timeout=0.2)
    after = FnNode(lambda x: x, name="after", inputs={"x": slow.output})
    fine = FnNode(lambda: "ok", name="fine")
    result = graph(after, slow_async, fine).run()
    release.set()
    assert result.status == {
        "slow": "error",
        "after": "skipped",
        "slow_async": "error",
        "fine": "ok",
    }
    assert "no answer after 0.2 s (the node's timeout)" in str(result.errors["slow"])
    assert "no answer after 0.2 s" in str(result.errors["slow_async"])


def test_timeouts_apply_per_item_and_are_checked():
    items = FnNode(lambda: [0.0, 5.0, 0.0], name="items")
    each = FnNode(
        lambda s: time.sleep(s) or s,
        name="each",
        inputs={"s": items.output.each},
        timeout=0.3,
        concurrent=True,
    )
    result = graph(each).run()
    assert "item 1 failed: NodeTimeout" in str(result.errors["each"])
    assert result.outcome("each").record.outputs["output"] == [0.0, None, 0.0]
    with pytest.raises(Exception, match="positive number of seconds"):
        FnNode(lambda: 1, timeout=0)
