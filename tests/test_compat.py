"""Drop-in compatibility with the original daggr 0.8.0.

1. Every public name and signature recorded from the installed 0.8.0
   (`/work/shared/reference/original-api.json`, copied to `tests/data/original-api.json`)
   exists here and accepts the same calls.
2. Graphs written the way the original's README, examples and tests write them (with
   `import gradio as gr`) build, run and answer the same. Tests named `test_same_*`
   check one documented behaviour that is identical; `test_differs_*` check a deliberate
   difference, which the README's comparison table must name.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import daggr
from daggr import ChoiceNode, Edge, FnNode, Graph, InputNode, InteractionNode, ItemList

gr = pytest.importorskip("gradio")

ROOT = Path(__file__).resolve().parent.parent
API = json.loads((Path(__file__).parent / "data" / "original-api.json").read_text())

# Where a default differs on purpose, and why (the README's comparison table says so too).
DIFFERENT_DEFAULTS = {
    ("Graph", "launch", "open_browser"): "None: a tab in a script, none from a notebook",
}


# -- 1. names and signatures ---------------------------------------------------------------
def _original_params(signature: str) -> list[tuple[str, str, object]]:
    """(name, kind, default) of a recorded signature string."""
    tree = ast.parse(f"def f{signature}: pass").body[0].args
    out: list[tuple[str, str, object]] = []
    positional = tree.posonlyargs + tree.args
    defaults = [inspect.Parameter.empty] * (len(positional) - len(tree.defaults))
    defaults += [ast.literal_eval(d) for d in tree.defaults]
    for arg, default in zip(positional, defaults, strict=True):
        out.append((arg.arg, "POSITIONAL_OR_KEYWORD", default))
    if tree.vararg:
        out.append((tree.vararg.arg, "VAR_POSITIONAL", inspect.Parameter.empty))
    for arg, default in zip(tree.kwonlyargs, tree.kw_defaults, strict=True):
        value = inspect.Parameter.empty if default is None else ast.literal_eval(default)
        out.append((arg.arg, "KEYWORD_ONLY", value))
    if tree.kwarg:
        out.append((tree.kwarg.arg, "VAR_KEYWORD", inspect.Parameter.empty))
    return out


def _ours(cls_name: str) -> type:
    if cls_name in ("GatheredPort", "ScatteredPort"):
        from daggr import port

        return getattr(port, cls_name)
    return getattr(daggr, cls_name)


MEMBERS = [(c, m, s) for c, members in API["classes"].items() for m, s in members.items()]


def test_same_public_names():
    missing = [name for name in API["__all__"] if not hasattr(daggr, name)]
    assert not missing, f"names of the original daggr missing here: {missing}"
    assert set(API["__all__"]) <= set(daggr.__all__)


@pytest.mark.parametrize(("cls_name", "member", "recorded"), MEMBERS, ids=lambda x: str(x)[:30])
def test_same_signature(cls_name, member, recorded):
    cls = _ours(cls_name)
    attr = inspect.getattr_static(cls, member, None)
    assert attr is not None, f"{cls_name}.{member} is missing"
    if recorded == "property":
        assert isinstance(attr, property), f"{cls_name}.{member} should be a property"
        return
    ours = list(inspect.signature(getattr(cls, member)).parameters.values())
    theirs = _original_params(recorded)
    for i, (name, kind, default) in enumerate(theirs):
        if kind == "VAR_KEYWORD":
            assert any(p.kind is p.VAR_KEYWORD for p in ours), f"{cls_name}.{member}: **{name}"
            continue
        assert i < len(ours), f"{cls_name}.{member} lacks parameter {name!r}"
        mine = ours[i]
        assert (mine.name, mine.kind.name) == (name, kind), (
            f"{cls_name}.{member}: parameter {i} is {mine.name} ({mine.kind.name}), "
            f"the original's is {name} ({kind})"
        )
        if (cls_name, member, name) in DIFFERENT_DEFAULTS:
            continue
        assert mine.default == default, (
            f"{cls_name}.{member}({name}=...): default {mine.default!r}, original {default!r}"
        )
    # What this daggr adds comes after, and is optional: old calls still mean the same.
    extra = [p for p in ours[len(theirs) :] if p.kind is not p.VAR_KEYWORD]
    assert all(p.default is not p.empty or p.kind is p.VAR_POSITIONAL for p in extra), extra


def test_same_module_names_and_helpers():
    from daggr.edge import Edge as EdgeFromModule
    from daggr.executor import SequentialExecutor
    from daggr.node import InteractionNode as FromNode
    from daggr.ops import Approve, ChooseOne, ImageInput, TextInput
    from daggr.port import ItemList as FromPort
    from daggr.server import DaggrServer
    from daggr.state import get_daggr_cache_dir, get_daggr_files_dir

    assert (EdgeFromModule, FromNode, FromPort) == (Edge, InteractionNode, ItemList)
    assert DaggrServer is daggr.DaggrServer and SequentialExecutor
    assert all(issubclass(c, InteractionNode) for c in (Approve, ChooseOne, ImageInput, TextInput))
    assert get_daggr_files_dir().is_dir() and get_daggr_cache_dir().is_dir()


# -- 2. graphs written as the original's README and examples write them -----------------
def test_same_readme_input_kinds_and_hidden_outputs():
    """Components are UI inputs, plain values fixed, callables re-run on every run; an
    output declared None is hidden but can still be wired."""
    draws = iter([0.25, 0.75])
    make = FnNode(
        lambda prompt, height, seed: (f"{prompt} {height}px", seed),
        name="make",
        inputs={
            "prompt": gr.Textbox(label="Prompt", value="A cheetah", lines=3),
            "height": 1024,
            "seed": lambda: next(draws),
        },
        outputs={"caption": gr.Textbox(label="Caption"), "seed": None},
    )
    use = FnNode(lambda seed: seed * 2, name="use", inputs={"seed": make.seed})
    graph = Graph(name="Transparent Background Image Generator", nodes=[make, use])
    assert graph.persist_key == "transparent_background_image_generator"
    first = graph.run(progress=False)
    assert first["make"] == {"caption": "A cheetah 1024px", "seed": 0.25}
    assert first["use"] == {"output": 0.5}
    second = graph.run(progress=False)  # the callable ran again: a new seed
    assert second["make"]["seed"] == 0.75 and second.status["make"] == "ok"
    assert [i["id"] for i in graph.get_api_schema()["subgraphs"][0]["inputs"]] == ["make__prompt"]


def test_same_mock_podcast_scatter_and_gather(tmp_path):
    """The README's podcast: a tuple onto two ports, `.each["key"]` over a JSON list, and
    `.all()` gathering the per-line results."""

    def generate_dialogue(topic: str, host_voice: str, guest_voice: str):
        dialogue = [
            {"voice": host_voice, "text": f"Hello, shall we talk about {topic}?"},
            {"voice": guest_voice, "text": "I'm great, thanks!"},
        ]
        return dialogue, "<b>Host:</b> Hello!<br><b>Guest:</b> I'm great!"

    def text_to_speech(text: str, audio: str) -> str:
        out = tmp_path / f"{abs(hash(text))}.txt"
        out.write_text(f"{audio}: {text}")
        return str(out)

    def combine_audio(audio_files: list[str]) -> str:
        return " / ".join(Path(p).read_text() for p in audio_files)

    dialogue = FnNode(
        fn=generate_dialogue,
        inputs={
            "topic": gr.Textbox(label="Topic", value="AI"),
            "host_voice": "host.wav",
            "guest_voice": "guest.wav",
        },
        outputs={"json": gr.JSON(visible=False), "html": gr.HTML(label="Script")},
    )
    samples = FnNode(
        fn=text_to_speech,
        inputs={"text": dialogue.json.each["text"], "audio": dialogue.json.each["voice"]},
        outputs={"audio": gr.Textbox(label="Sample")},
    )
    final = FnNode(
        fn=combine_audio,
        inputs={"audio_files": samples.audio.all()},
        outputs={"audio": gr.Textbox(label="Full Podcast")},
    )
    graph = Graph(name="Podcast Generator", nodes=[dialogue, samples, final], persist_key=False)
    result = graph.run(progress=False)
    assert result["dialogue" if "dialogue" in graph.nodes else "generate_dialogue"]["html"]
    assert result["combine_audio"]["audio"] == (
        "host.wav: Hello, shall we talk about AI? / guest.wav: I'm great, thanks!"
    )


def test_same_input_node_feeds_every_run():
    """examples/15: an InputNode's fields feed the nodes wired to them (and new values are
    used on the next run, which the original missed)."""
    inputs = InputNode(
        name="Settings", ports={"text": gr.Textbox(value="hello"), "times": gr.Number(value=2)}
    )
    repeat = FnNode(
        lambda text, times: text * int(times),
        name="repeat",
        inputs={"text": inputs.text, "times": inputs.times},
    )
    graph = Graph("Input node demo", nodes=[repeat], persist_key=False)
    assert graph.run(progress=False)["repeat"] == {"output": "hellohello"}
    assert graph.run(Settings__times=3, progress=False)["repeat"] == {"output": "hellohellohello"}
    assert inputs.test(text="x", times=1) == {"text": "x", "times": 1}


def test_same_choice_node_and_its_name():
    def quiet(text):
        return text.lower()

    def loud(text):
        return text.upper()

    a = FnNode(quiet, inputs={"text": gr.Textbox(value="Mixed")}, outputs={"out": gr.Textbox()})
    b = FnNode(loud, inputs={"text": gr.Textbox(value="Mixed")}, outputs={"out": gr.Textbox()})
    choice = a | b
    assert isinstance(choice, ChoiceNode) and choice.name == "quiet"
    choice.name = "Style"
    after = FnNode(lambda s: f"[{s}]", name="after", inputs={"s": choice.out})
    graph = Graph("Choice demo", nodes=[after], persist_key=False)
    assert graph.nodes["Style"] is choice
    assert graph.run(progress=False)["after"] == {"output": "[mixed]"}
    assert graph.run(Style___selected_variant=1, progress=False)["after"] == {"output": "[MIXED]"}


def test_same_item_list_with_schema_scatter_and_edits():
    def script(n: int) -> list:
        return [
            {"speaker": "Host" if i % 2 == 0 else "Guest", "text": f"line {i}"} for i in range(n)
        ]

    lines = FnNode(
        script,
        inputs={"n": gr.Number(value=3)},
        outputs={
            "items": ItemList(
                speaker=gr.Dropdown(choices=["Host", "Guest"]), text=gr.Textbox(lines=2)
            )
        },
    )
    say = FnNode(
        lambda speaker, text: f"{speaker}: {text}",
        name="say",
        inputs={"speaker": lines.items.speaker, "text": lines.items.text},
    )
    join = FnNode(lambda said: " | ".join(said), name="join", inputs={"said": say.output.all()})
    graph = Graph("Dialogue", nodes=[join], persist_key=False)
    assert sorted(lines._item_list_schemas["items"].schema) == ["speaker", "text"]
    assert "text" in lines._item_list_schemas["items"]
    first = graph.run(progress=False)["join"]["output"]
    assert first == "Host: line 0 | Guest: line 1 | Host: line 2"
    # editing an item on the canvas: the edited list is what downstream nodes get next
    edited = [dict(item) for item in graph.history("script")[-1].outputs["items"]]
    edited[1]["text"] = "an edited line"
    graph.session.override_outputs("script", {"items": edited})
    assert graph.run(progress=False)["join"]["output"] == (
        "Host: line 0 | Guest: an edited line | Host: line 2"
    )


def test_same_interaction_node_and_ops():
    node = InteractionNode(interaction_type="approve")
    assert node._input_ports == ["input"] and node._output_ports == ["output"]
    assert node._interaction_type == "approve" and node.name.startswith("interaction_")
    from daggr.ops import Approve, ChooseOne, ImageInput, TextInput

    assert ChooseOne()._input_ports[0] == "options" and ChooseOne()._output_ports == ["selected"]
    assert Approve()._output_ports == ["output"]
    assert TextInput(label="Topic")._output_ports == ["text"]
    assert ImageInput()._output_ports == ["image"]
    upstream = FnNode(lambda: "draft", name="draft")
    check = InteractionNode(name="check", inputs={"input": upstream.output})
    assert Graph("Check", nodes=[check], persist_key=False).run()["check"] == {"output": "draft"}


def test_same_edge_item_list_schema_and_queries():
    a = FnNode(lambda: [{"k": 1}], name="a", outputs={"rows": ItemList(k=gr.Number())})
    b = FnNode(lambda k: k, name="b")
    edge = Edge(a.rows.each["k"], b.k)
    assert edge.as_tuple() == ("a", "rows", "b", "k")
    assert (edge.is_scattered, edge.is_gathered, edge.item_key) == (True, False, "k")
    assert repr(edge) == "Edge(scatter['k']:a.rows -> b.k)"
    assert list(ItemList(k=gr.Number()).schema) == ["k"]
    graph = Graph("Queries", nodes=[a, b], persist_key=False).edge(a.rows.each["k"], b.k)
    assert graph.get_output_nodes() == ["b"]  # names, as the original returns
    assert [n.name for n in graph.get_entry_nodes()] == ["a"]
    assert graph.get_subgraphs() == [{"a", "b"}]
    assert graph.get_execution_order() == ["a", "b"]


def test_same_api_schema_and_call_as_the_original_api_tests():
    from starlette.testclient import TestClient

    from daggr.app.server import create_app

    doubler = FnNode(
        lambda x: x * 2,
        name="doubler",
        inputs={"x": gr.Number(value=1)},
        outputs={"doubled": gr.Number()},
    )
    adder = FnNode(
        lambda value: value + 10,
        name="adder",
        inputs={"value": doubler.doubled},
        outputs={"result": gr.Number()},
    )
    graph = Graph("API test", nodes=[adder], persist_key=False)
    schema = graph.get_api_schema()
    main = schema["subgraphs"][0]
    assert main["id"] == "main"
    assert [(i["node"], i["port"], i["type"], i["id"]) for i in main["inputs"]] == [
        ("doubler", "x", "number", "doubler__x")
    ]
    assert [(o["node"], o["port"], o["type"]) for o in main["outputs"]] == [
        ("adder", "result", "number")
    ]
    with TestClient(create_app(graph)) as client:
        assert client.get("/api/schema").json()["subgraphs"] == schema["subgraphs"]
        answer = client.post("/api/call", json={"inputs": {"doubler__x": 7}}).json()
    assert answer["outputs"]["adder"]["result"] == 24


def test_same_sequential_executor():
    from daggr.executor import SequentialExecutor

    counter = iter(range(1, 10))
    one = FnNode(lambda x: x + 1, name="one", inputs={"x": 10})
    two = FnNode(
        lambda y, tick: (y * 2, tick),
        name="two",
        inputs={"y": one.output, "tick": lambda: next(counter)},
        outputs={"value": None, "tick": None},
    )
    runner = SequentialExecutor(Graph("Legacy", nodes=[two], persist_key=False))
    runner.execute_node("one", {})
    assert runner.execute_node("two", {}) == {"value": 22, "tick": 1}
    assert runner.execute_node("two", {"y": 1}) == {"value": 2, "tick": 2}
    assert runner.execute_all({"one": {"x": 0}})["two"] == {"value": 2, "tick": 3}


def test_same_state_files_dir_for_generated_files():
    """The examples save what a node makes under `get_daggr_files_dir()` and pass the path."""
    from daggr.state import get_daggr_files_dir

    def render(text: str) -> str:
        path = get_daggr_files_dir() / f"{text}.txt"
        path.write_text(text * 3)
        return str(path)

    make = FnNode(render, inputs={"text": gr.Textbox(value="ab")}, outputs={"file": gr.File()})
    size = FnNode(lambda file: os.path.getsize(file), name="size", inputs={"file": make.file})
    graph = Graph("Files", nodes=[size])
    assert graph.run(progress=False)["size"] == {"output": 6}
    kept = graph.history("render")[-1].outputs["file"]
    assert Path(kept).read_text() == "ababab"


def test_same_node_test_with_and_without_inputs():
    def shout(text: str) -> str:
        return text.upper()

    node = FnNode(shout, inputs={"text": gr.Textbox(value="hey")})
    assert node.test(text="q") == {"output": "Q"}
    assert node.test()["output"].isupper()  # example inputs
    assert FnNode(lambda: 6, name="six").test() == {"output": 6}


def test_same_graph_construction_rules():
    with pytest.raises(ValueError, match="Graph requires a 'name' parameter"):
        Graph(name="")
    assert Graph("My Cool App!").persist_key == "my_cool_app"
    assert Graph("X", persist_key=False).persist_key is None
    a = FnNode(lambda x=0: x, name="a")
    b = FnNode(lambda x: x, name="b", inputs={"x": a.output})
    g = Graph("g", nodes=[b], persist_key=False)
    assert list(g.nodes) == ["a", "b"]  # upstream nodes come along
    with pytest.raises(ValueError, match="cycle"):
        g.edge(b.output, a.x)
    with pytest.raises(ValueError, match="already exists"):
        Graph("g", nodes=[FnNode(lambda: 1, name="n"), FnNode(lambda: 2, name="n")])


SCRIPT = """
import gradio as gr
from daggr import FnNode, Graph

echo = FnNode(lambda text: text[::-1], name="echo",
              inputs={{"text": gr.Textbox(value="abc")}}, outputs={{"out": gr.Textbox()}})
graph = Graph(name="Script app", nodes=[echo], persist_key=False)

if __name__ == "__main__":
    graph.launch({args})
"""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # starts daggr in a subprocess
def test_same_python_app_py_serves_under_the_main_guard(tmp_path):
    script = tmp_path / "app.py"
    script.write_text(SCRIPT.format(args="open_browser=False"))
    port = _free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline, lines = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "running at" in line or not line:
                break
        assert f"127.0.0.1:{port}" in "".join(lines), "".join(lines)
        r = httpx.post(f"http://127.0.0.1:{port}/api/call", json={"inputs": {"echo__text": "xyz"}})
        assert r.json()["outputs"] == {"echo": {"out": "zyx"}}
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.slow  # starts daggr in a subprocess
def test_same_launch_parameter_order_and_share_fails_at_once_offline(tmp_path):
    """`launch(host, port, share, ...)`: share=True needs gradio's tunnel; offline it
    fails before anything is served, saying why."""
    script = tmp_path / "app.py"
    script.write_text(SCRIPT.format(args=f"'127.0.0.1', {_free_port()}, True, False"))
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "share=True cannot make a public link here" in done.stderr
    assert "HF_HUB_OFFLINE is set" in done.stderr and "daggr deploy" in done.stderr
    assert "running at" not in done.stdout


def test_same_theme_names_are_accepted():
    from daggr.app.theme import resolve_theme

    for name in ("default", "soft", "monochrome", "glass", "base"):
        assert "--color-accent" in resolve_theme(name).css
    assert "--color-accent" in resolve_theme(gr.themes.Soft()).css


# -- invalid wiring: refused, saying why -------------------------------------------------
def test_same_self_loops_and_invalid_wiring_are_refused():
    a = FnNode(lambda text: text, name="a")
    b = FnNode(lambda x: [x], name="b")
    form = InputNode("form", ports={"topic": gr.Textbox()})
    g = Graph("Wiring", nodes=[a, b, form], persist_key=False)
    cases = [
        (lambda: g.edge(a.output, a.text), "cannot take its own output as input"),
        (lambda: g.edge(a.output.each, a.text), "cannot take its own output as input"),
        (lambda: g.edge(a, b.x), "the node 'a' itself"),
        (lambda: g.edge(a.output, b), "An edge ends at an input port"),
        (lambda: g.edge(a.output, b.output.each), "An edge ends at an input port"),
        (lambda: g.edge(a.output, form.topic), "InputNode 'form' has no inputs"),
        (lambda: g.edge(a.output, b.y), "Input port 'y' not found on node 'b'"),
        (lambda: g.edge(a.outptu, b.x), "Did you mean 'output'?"),
    ]
    for wire, message in cases:
        with pytest.raises(ValueError, match=re.escape(message)):
            wire()
    g.edge(a.output, b.x)
    with pytest.raises(
        ValueError, match=re.escape("Input 'b.x' is already connected (from a.output)")
    ):
        g.edge(form.topic, b.x)
    with pytest.raises(ValueError, match="cycle"):
        g.edge(b.output, a.text)
    assert g.get_connections() == [("a", "output", "b", "x")]  # nothing else was added
    assert g.run(form__topic="t", a__text="ok", progress=False)["b"] == {"output": ["ok"]}


def test_same_wiring_into_a_choice_node_reaches_its_variants():
    src = FnNode(lambda: "from upstream", name="src")
    v1 = FnNode(lambda text: text.upper(), name="v1")
    v2 = FnNode(lambda text: text.title(), name="v2")
    choice = v1 | v2
    g = Graph("Choice wiring", nodes=[src, choice], persist_key=False).edge(src.output, choice.text)
    assert g.run(progress=False)["v1"] == {"output": "FROM UPSTREAM"}
    with pytest.raises(ValueError, match="its own variant"):
        g.edge(v1.output, choice.text)


# -- deliberate differences (each named in the README's comparison table) ----------------
def _readme_table() -> str:
    text = (ROOT / "README.md").read_text()
    return text[text.index("## Compared with the original daggr") :]


def test_differs_port_validation_happens_when_wiring():
    a = FnNode(lambda text: text, name="step_a")
    b = FnNode(lambda data: data, name="step_b")
    g = Graph("Early", nodes=[a, b], persist_key=False)
    with pytest.raises(ValueError, match="Output port 'nonexistent' not found on node 'step_a'"):
        g.edge(a.nonexistent, b.data)
    assert "Port names are checked when you wire" in _readme_table()


def test_differs_edge_names_its_nodes():
    a, b = FnNode(lambda: 1, name="a"), FnNode(lambda x: x, name="b")
    assert Edge(a.output, b.x).source_node == "a"  # the original: the node object
    assert "`Edge.source_node` / `target_node`" in _readme_table()


def test_differs_return_values_map_by_port_names():
    node = FnNode(lambda: {"a": 1, "b": 2}, name="pair", outputs={"a": None, "b": None})
    with pytest.warns(UserWarning, match="the original daggr put the whole dict on port 'a'"):
        assert node.test() == {"a": 1, "b": 2}
    audio = FnNode(lambda: (16000, [0.0, 0.5]), name="tone", outputs={"audio": gr.Audio()})
    assert audio.test() == {"audio": (16000, [0.0, 0.5])}  # a whole (rate, samples) value
    assert "Return values" in _readme_table()


def test_differs_approve_waits_for_approval():
    from daggr.ops import Approve, NotApproved

    with pytest.raises(NotApproved):
        Approve(name="gate").test(input="x")
    assert "`InteractionNode` / `daggr.ops`" in _readme_table()


def test_differs_theme_typo_warns_instead_of_silence():
    from daggr.app.theme import resolve_theme

    with pytest.warns(UserWarning, match="Did you mean 'glass'"):
        resolve_theme("glas")
    assert "Themes" in _readme_table()
