"""One way to call a node's code: node.test() behaves like a run, a renamed node keeps its
results, and the engine reads what nodes declare instead of probing them."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from daggr import ChoiceNode, FnNode, Graph, InputNode, ItemList, NodeError, Status
from daggr import components as gr
from daggr.nodes.base import Node


def graph(*nodes, name="g", **kwargs):
    kwargs.setdefault("persist_key", False)
    return Graph(name, nodes=list(nodes), **kwargs)


# -- node.test() is called like a run calls it ------------------------------------------------------
def test_node_test_gives_up_at_the_timeout_with_the_error_a_run_gives():
    release = threading.Event()
    finished = []

    def hang():
        release.wait(30)
        finished.append("done")
        return "late"

    slow = FnNode(hang, name="slow", timeout=0.2)
    try:
        with pytest.raises(
            TimeoutError, match=r"no answer after 0.2 s \(the node's timeout\)"
        ) as err:
            slow.test()
        assert finished == []  # test() returned while the function was still waiting
        run_error = graph(slow).run(progress=False).outcome("slow").error
        assert type(err.value) is type(run_error)
    finally:
        release.set()


def test_node_test_of_an_async_node_gives_up_at_the_timeout():
    async def hang(text):
        await asyncio.sleep(30)
        return text

    with pytest.raises(TimeoutError, match="no answer after 0.2 s"):
        FnNode(hang, name="hang", timeout=0.2).test(text="never")


def test_node_test_runs_on_the_nodes_executor():
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="elsewhere") as executor:
        node = FnNode(lambda: threading.current_thread().name, name="where", executor=executor)
        assert node.test()["output"].startswith("elsewhere")
        # ... and on its graph's executor when it has none of its own
        plain = FnNode(lambda: threading.current_thread().name, name="where_in_graph")
        graph(plain, executor=executor)
        assert plain.test()["output"].startswith("elsewhere")


def test_node_test_preprocess_postprocess_and_kwargs_go_through_the_same_call():
    def summary(**fields):
        return ", ".join(f"{k}={v}" for k, v in sorted(fields.items()))

    node = FnNode(
        summary,
        name="summary",
        inputs={"a": 1, "b": gr.Textbox(value="x")},
        preprocess=lambda kwargs: {**kwargs, "c": "added"},
        postprocess=lambda text: text.upper(),
    )
    assert node.test(b="given") == {"output": "A=1, B=GIVEN, C=ADDED"}
    assert graph(node).run(progress=False)["summary"] == {"output": "A=1, B=X, C=ADDED"}


def test_a_node_of_an_unknown_kind_fails_alone_and_says_which_kinds_run():
    class Custom(Node):
        def __init__(self):
            super().__init__("custom")
            self._output_ports = ["output"]

    result = graph(Custom(), FnNode(lambda: 1, name="one")).run(progress=False)
    assert result.status == {"custom": "error", "one": "ok"}
    message = result.outcome("custom").message
    assert "Custom 'custom' cannot be run" in message
    assert "'fn', 'generator', 'gradio', 'inference', 'input'" in message
    assert "not part of this daggr version" not in message


# -- statuses -----------------------------------------------------------------------------------------
def test_statuses_are_one_enum_that_reads_as_the_stored_strings(daggr_home):
    node = FnNode(lambda x: x * 2, name="double", inputs={"x": 2})
    broken = FnNode(lambda: 1 / 0, name="broken")
    g = graph(node, broken, persist_key="statuses")
    first = g.run(progress=False)
    assert first.status == {"double": Status.OK, "broken": Status.ERROR}
    assert first.status["double"] == "ok" and f"{Status.CACHED}" == "cached"
    again = g.run(progress=False)
    assert again.status["double"] == Status.CACHED
    stored = graph(node, persist_key="statuses").history("double")[-1]
    assert stored.status == Status.OK and repr(Status.OK) == "'ok'"


# -- renamed nodes --------------------------------------------------------------------------------
def test_a_renamed_fn_node_keeps_its_results_and_both_histories_stay(daggr_home):
    calls = []

    def shout(text):
        calls.append(text)
        return text.upper() + "!"

    def build(name):
        words = FnNode(lambda: "hello", name="words")
        loud = FnNode(shout, name=name, inputs={"text": words.output})
        return Graph("renames", nodes=[loud], persist_key="renames")

    assert build("loud").run(progress=False).executed == ["words", "loud"]
    renamed = build("shout").run(progress=False)
    assert renamed.status == {"words": "cached", "shout": "cached"}
    assert renamed.executed == [] and renamed["shout"] == {"output": "HELLO!"}
    assert calls == ["hello"]
    g = build("shout")
    assert [r.outputs for r in g.history("shout")] == [{"output": "HELLO!"}]
    assert g.staleness().nodes["shout"] == "fresh"
    assert len(build("loud").history("loud")) == 1  # the old name's history is intact


def test_a_node_still_in_the_graph_does_not_lend_its_results_to_a_new_one(daggr_home):
    calls = []

    def shout(text):
        calls.append(text)
        return text.upper()

    first = FnNode(shout, name="first", inputs={"text": "a"})
    Graph("lending", nodes=[first], persist_key="lending").run(progress=False)
    second = FnNode(shout, name="second", inputs={"text": "a"})
    result = Graph("lending", nodes=[first, second], persist_key="lending").run(progress=False)
    assert result.status == {"first": "cached", "second": "ok"}
    assert calls == ["a", "a"]


# -- the engine never probes a node ----------------------------------------------------------------
@pytest.fixture
def ports_asked(monkeypatch):
    """Names that fell through to Node.__getattr__ (which answers with a port) once
    ``watch()`` is called: a graph is built with ports first, then run."""
    asked: list[tuple[str, str]] = []
    original = Node.__getattr__

    def watch():
        def spy(self, name):
            asked.append((self._name, name))
            return original(self, name)

        monkeypatch.setattr(Node, "__getattr__", spy)

    return asked, watch


def slow_double(x):
    return x * 2


async def async_inc(x):
    return x + 1


def test_running_every_local_kind_of_node_never_asks_a_node_for_a_port(ports_asked):
    asked, watch = ports_asked
    form = InputNode("form", ports={"n": gr.Number(value=3)})
    rows = FnNode(
        lambda n: [{"v": i} for i in range(int(n))],
        name="rows",
        inputs={"n": form.n},
        outputs={"rows": ItemList(v=gr.Number())},
    )
    each = FnNode(slow_double, name="each", inputs={"x": rows.rows.each["v"]}, timeout=10)
    together = FnNode(lambda xs: sum(xs), name="together", inputs={"xs": each.output.all()})
    awaited = FnNode(async_inc, name="awaited", inputs={"x": together.output}, concurrent=True)
    pick = FnNode(lambda x: x, name="pick", inputs={"x": awaited.output}) | FnNode(
        lambda x: -x, name="negate", inputs={"x": awaited.output}
    )
    with ThreadPoolExecutor(max_workers=2) as executor:
        shipped = FnNode(slow_double, name="shipped", inputs={"x": 5}, executor=executor)
        g = graph(pick, shipped)
        watch()
        result = g.run(progress=False)
        assert result.ok, result.errors
        assert result["pick"] == {"output": 7} and result["shipped"] == {"output": 10}
        assert g.run(progress=False).cached == list(result)
        assert form.test() == {"n": 3}
        assert rows.test(n=2) == {"rows": [{"v": 0}, {"v": 1}]}
        assert each.test(x=4) == {"output": 8} and together.test(xs=[1, 2]) == {"output": 3}
        assert awaited.test(x=1) == {"output": 2} and shipped.test() == {"output": 10}
        assert isinstance(pick, ChoiceNode) and pick.test(x=1) == {"output": 1}
    assert asked == []


def test_a_failing_node_is_reported_without_probing_it(ports_asked):
    asked, watch = ports_asked
    broken = FnNode(lambda: 1 / 0, name="broken", concurrent=True)
    g = graph(broken)
    watch()
    result = g.run(progress=False)
    with pytest.raises(NodeError, match="ZeroDivisionError"):
        result["broken"]
    with pytest.raises(ZeroDivisionError):
        broken.test()
    assert asked == []
