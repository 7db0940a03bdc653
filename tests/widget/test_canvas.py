"""The Canvas through a recording comm: traits, deltas, requests, and their sizes."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse

import pytest

from daggr import FileValue, FnNode, Graph, InputNode, ItemList
from daggr import components as gr
from daggr.widget import Canvas, canvas_for, mimebundle
from tests.widget.widget_helpers import (
    clear,
    custom,
    described,
    from_front,
    size,
    updates,
    wait_for,
)


def chain() -> Graph:
    form = InputNode("form", ports={"text": gr.Textbox(value="hello")})
    shout = FnNode(lambda text: text.upper(), name="shout", inputs={"text": form.text})
    exclaim = FnNode(
        lambda s, n: s + "!" * int(n),
        name="exclaim",
        inputs={"s": shout.output, "n": gr.Number(value=1, minimum=0, maximum=5)},
    )
    return Graph("chain", nodes=[exclaim], persist_key=False)


def wide(n: int) -> Graph:
    """n independent nodes whose ids are as long as 'exclaim', plus it."""
    g = chain()
    for i in range(n):
        g.add(FnNode(lambda: 1, name=f"n{i:06d}"))
    return g


# -- traits ------------------------------------------------------------------------------------
def test_topology_describes_cards_ports_fields_and_edges():
    items = FnNode(lambda: [1, 2], name="items", outputs={"xs": None, "shown": gr.JSON()})
    each = FnNode(lambda x: x * 2, name="each", inputs={"x": items.xs.each})
    total = FnNode(lambda xs, k: sum(xs), name="total", inputs={"xs": each.output.all(), "k": 3})
    remote = FnNode(lambda: None, name="remote")
    g = Graph("shapes", nodes=[total, remote], persist_key=False)
    topo = Canvas(g).topology
    nodes = {n["id"]: n for n in topo["nodes"]}
    assert topo["name"] == "shapes"
    assert [n["id"] for n in topo["nodes"]] == g.get_execution_order()
    # unset properties stay out of the topology (it is saved into notebooks)
    assert nodes["items"]["outputs"] == [
        {"name": "xs", "hidden": True},
        {"name": "shown", "hidden": False, "component": described(gr.JSON())},
    ]
    # the fixed input k is not a port row
    assert nodes["total"]["inputs"] == [{"name": "xs", "wired": True}]
    assert {(e["source"], e["target"], e["scatter"], e["gather"]) for e in topo["edges"]} == {
        ("items", "each", True, False),
        ("each", "total", False, True),
    }
    assert nodes["remote"]["kind"] == "FN" and nodes["remote"]["url"] is None


def test_initial_state_inputs_and_kinds():
    g = chain()
    c = Canvas(g)
    topo = {n["id"]: n for n in c.topology["nodes"]}
    assert topo["form"]["kind"] == "INPUT"
    assert topo["form"]["outputs"] == [{"name": "text", "hidden": False}]
    assert topo["form"]["fields"] == [
        {"key": "form__text", "port": "text", "component": described(gr.Textbox(value="hello"))}
    ]
    never = {"status": "idle", "count": 0, "index": None, "fresh": "never run"}
    assert c.node_state == {
        "form": {**never, "edges": {}},
        "shout": {**never, "edges": {"form.text>text": False}},
        "exclaim": {**never, "edges": {"shout.output>s": False}},
    }
    assert c.inputs == {"form__text": "hello", "exclaim__n": 1}


def test_remote_nodes_carry_their_url():
    from daggr import GradioNode, InferenceNode

    tts = GradioNode("owner/tts", api_name="/speak", validate=False, inputs={"t": gr.Textbox()})
    llm = InferenceNode("org/model", validate=False, inputs={"input": tts.output})
    nodes = {
        n["id"]: n for n in Canvas(Graph("r", nodes=[llm], persist_key=False)).topology["nodes"]
    }
    assert nodes["tts"]["url"] == "https://huggingface.co/spaces/owner/tts"
    assert nodes["tts"]["kind"] == "GRADIO"
    assert nodes["model"]["url"] == "https://huggingface.co/org/model"
    assert nodes["model"]["kind"] == "MODEL"


def test_choice_node_lists_variants_and_their_fields():
    a = FnNode(lambda text: text, name="a", inputs={"text": gr.Textbox()})
    b = FnNode(lambda n: n, name="b", inputs={"n": gr.Slider(0, 5)})
    g = Graph("choice", nodes=[a | b], persist_key=False)
    (node,) = Canvas(g).topology["nodes"]
    assert node["kind"] == "CHOICE"
    assert node["variants"] == ["a", "b"]
    assert [(f["key"], f["variant"]) for f in node["fields"]] == [("a__text", 0), ("b__n", 1)]


def test_canvas_of_a_graph_with_results_shows_them():
    g = chain()
    g.run(form__text="yo", progress=False)
    c = Canvas(g)
    assert c.node_state["exclaim"] == {
        "status": "ok",
        "duration": pytest.approx(c.node_state["exclaim"]["duration"]),
        "error": None,
        "preview": {"output": {"type": "text", "text": "YO!"}},
        "rid": g.selected("exclaim").id,
        "items": None,
        "lists": None,
        "count": 1,
        "index": 0,
        "fresh": "fresh",
        "edges": {"shout.output>s": True},
    }
    assert c.inputs["form__text"] == "yo"


# -- deltas ------------------------------------------------------------------------------------
def run_and_collect(g: Graph) -> Canvas:
    c = Canvas(g)
    clear(c)
    g.run("exclaim", progress=False)
    wait_for(lambda: c.node_state["exclaim"]["status"] == "ok")
    c._flush_states()  # deltas of quick nodes are merged for up to 16 ms
    return c


def patches_in_order(c: Canvas) -> list[tuple[str, str | None]]:
    return [
        (nid, p.get("status")) for d in custom(c, "node_state") for nid, p in d["states"].items()
    ]


def test_a_run_from_code_pushes_small_deltas_in_order():
    g = chain()
    c = run_and_collect(g)
    deltas = custom(c, "node_state")
    # The first event goes out at once; quicker ones are merged (last status wins).
    assert deltas[0] == {
        "type": "node_state",
        "states": {
            "form": {
                "status": "running",
                "started": pytest.approx(time.time(), abs=5),
                "error": None,
            }
        },
    }
    seen = [p for p in patches_in_order(c) if p[1] is not None]
    order = ["form", "shout", "exclaim"]
    firsts = [next(i for i, (nid, _) in enumerate(seen) if nid == n) for n in order]
    assert firsts == sorted(firsts)
    for node in order:
        statuses = [st for nid, st in seen if nid == node]
        assert statuses[-1] == "ok" and set(statuses) <= {"running", "ok"}
    merged = {}
    for d in deltas:
        for nid, p in d["states"].items():
            merged[nid] = {**merged.get(nid, {}), **p}
    assert merged["exclaim"]["preview"] == {"output": {"type": "text", "text": "HELLO!"}}
    assert (merged["exclaim"]["count"], merged["exclaim"]["index"]) == (1, 0)
    assert merged["exclaim"]["started"] is None
    # The whole node_state trait is never re-sent: the browser merges deltas itself...
    assert all("node_state" not in u for u in updates(c))
    # ...and the kernel's copy is the same merge.
    assert c.node_state["exclaim"]["status"] == "ok"
    assert c.node_state["exclaim"]["preview"] == merged["exclaim"]["preview"]


def test_a_slow_nodes_status_changes_each_go_out_at_once():
    import threading

    gate = threading.Event()
    g = Graph("slow", nodes=[FnNode(lambda: gate.wait(5), name="wait")], persist_key=False)
    c = Canvas(g)
    clear(c)
    handle = g.start("wait", progress=False)
    wait_for(lambda: custom(c, "node_state"))
    assert custom(c, "node_state")[0]["states"]["wait"]["status"] == "running"
    time.sleep(0.05)
    gate.set()
    handle.result(timeout=5)
    wait_for(lambda: len(custom(c, "node_state")) >= 2)
    assert custom(c, "node_state")[1]["states"]["wait"]["status"] == "ok"


def test_status_message_size_does_not_grow_with_the_graph():
    sizes = []
    for g in (chain(), wide(300)):
        c = run_and_collect(g)
        per_node = [
            size(p)
            for d in custom(c, "node_state")
            for nid, p in d["states"].items()
            if nid == "exclaim"
        ]
        sizes.append(sum(per_node))
    # Equal but for the digits of a timestamp or a duration.
    assert abs(sizes[0] - sizes[1]) <= 12
    assert sizes[1] < 1024  # the target: one node status update <= 1 KB
    print(f"\nbytes of exclaim's status patches in one run: {sizes[1]}")


def test_a_cached_result_is_marked_cached():
    g = chain()
    g.run("exclaim", progress=False)
    c = Canvas(g)
    clear(c)
    g.run("exclaim", "shout", only=False, progress=False)
    wait_for(
        lambda: any(
            d["states"].get("form", {}).get("status") == "cached" for d in custom(c, "node_state")
        )
    )
    assert c.node_state["form"]["status"] == "cached"


def test_inputs_set_from_code_are_mirrored_as_a_delta():
    g = chain()
    c = Canvas(g)
    clear(c)
    g.run("exclaim", form__text="from code", progress=False)
    assert custom(c, "inputs") == [{"type": "inputs", "values": {"form__text": "from code"}}]
    assert c.inputs["form__text"] == "from code"
    assert all("inputs" not in u for u in updates(c))


def test_no_media_or_large_values_in_traits_or_messages(tmp_path):
    png = tmp_path / "cat.png"
    png.write_bytes(b"\x89PNG" + b"\0" * 10_000)

    def produce():
        return (
            "x" * 1_000_000,
            b"\1" * 100_000,
            list(range(100_000)),
            FileValue(str(png)),
            {"deep": {"deeper": {"deepest": {"x": 1}}}},
            1.5,
        )

    ports = {
        "text": gr.Textbox(),
        "blob": None,
        "numbers": gr.JSON(),
        "image": gr.Image(),
        "nested": gr.JSON(),
        "num": gr.Number(),
    }
    g = Graph("big", nodes=[FnNode(produce, name="big", outputs=ports)], persist_key=False)
    c = Canvas(g)
    clear(c)
    g.run(progress=False)
    wait_for(lambda: c.node_state["big"]["status"] == "ok")
    preview = c.node_state["big"]["preview"]
    assert preview["text"]["truncated"] is True and len(preview["text"]["text"]) == 300
    assert preview["blob"] == {"type": "binary", "size": 100_000}
    image = preview["image"]
    assert image == {"type": "file", "name": "cat.png", "mime": "image/png", "size": image["size"]}
    assert preview["num"] == {"type": "number", "text": "1.5"}
    assert "… 99980 more" in preview["numbers"]["text"]
    assert len(json.dumps(c.node_state)) < 2_000
    for _, data, buffers in c.comm.log:
        assert not buffers
        assert size(data) < 2_000


def test_large_component_defaults_stay_out_of_the_topology():
    big = gr.Textbox(value="x" * 50_000)
    g = Graph("g", nodes=[FnNode(lambda t: t, name="f", inputs={"t": big})], persist_key=False)
    c = Canvas(g)
    (field,) = c.topology["nodes"][0]["fields"]
    assert field["component"]["value"] is None and field["component"]["value_omitted"]
    assert "f__t" not in c.inputs  # the value stays in Python
    assert len(json.dumps(c.get_state())) < 20_000 + len(str(c._esm)) + len(str(c._css))


# -- requests ----------------------------------------------------------------------------------
def test_run_from_the_canvas_returns_before_the_node_finishes():
    release = threading.Event()

    def slow(text):
        release.wait(10)
        return text.upper()

    form = InputNode("form", ports={"text": gr.Textbox(value="hi")})
    g = Graph(
        "slow", nodes=[FnNode(slow, name="slow", inputs={"text": form.text})], persist_key=False
    )
    c = Canvas(g)
    clear(c)
    begun = time.perf_counter()
    from_front(c, {"type": "run", "node": "slow", "mode": "to_here"})
    took = time.perf_counter() - begun
    assert took < 0.5, f"the handler blocked for {took:.2f}s"
    assert not release.is_set()
    first = custom(c, "node_state")[0]
    assert first == {
        "type": "node_state",
        "states": {
            "form": {"status": "pending", "error": None},
            "slow": {"status": "pending", "error": None},
        },
    }
    wait_for(lambda: c.node_state["slow"]["status"] == "running")
    release.set()
    wait_for(lambda: c.node_state["slow"]["status"] == "ok")
    assert c.node_state["slow"]["preview"] == {"output": {"type": "text", "text": "HI"}}


def test_stop_cancels_a_run_started_from_the_canvas():
    release = threading.Event()
    g = Graph("stop", nodes=[FnNode(lambda: release.wait(10), name="wait")], persist_key=False)
    c = Canvas(g)
    from_front(c, {"type": "run", "node": "wait", "mode": "step"})
    wait_for(lambda: c.node_state["wait"]["status"] == "running")
    from_front(c, {"type": "stop", "node": "wait"})
    wait_for(lambda: c.node_state["wait"]["status"] == "cancelled")
    assert c.node_state["wait"]["error"] == "cancelled while running"
    release.set()


def test_stop_without_a_canvas_run_explains_itself():
    g = chain()
    c = Canvas(g)
    clear(c)
    from_front(c, {"type": "stop", "node": "shout"})
    (err,) = custom(c, "error")
    assert err["request"] == "stop"
    assert "interrupt" in err["message"]


def test_run_this_step_uses_upstream_results_and_reports_missing_ones():
    g = chain()
    c = Canvas(g)
    clear(c)
    from_front(c, {"type": "run", "node": "exclaim", "mode": "step"})
    wait_for(lambda: c.node_state["exclaim"]["status"] == "error")
    assert "needs the output of 'shout'" in c.node_state["exclaim"]["error"]
    assert c.node_state["shout"]["status"] == "idle"


def test_set_input_then_run_uses_the_new_value():
    g = chain()
    c = Canvas(g)
    clear(c)
    from_front(c, {"type": "set_input", "key": "form__text", "value": "daggr"})
    from_front(c, {"type": "set_input", "key": "exclaim__n", "value": 3})
    assert c.inputs == {"form__text": "daggr", "exclaim__n": 3}
    assert c.comm.log == []  # the browser already shows what it sent: nothing is echoed
    from_front(c, {"type": "run", "node": "exclaim", "mode": "to_here"})
    wait_for(lambda: c.node_state["exclaim"]["status"] == "ok")
    assert c.node_state["exclaim"]["preview"]["output"]["text"] == "DAGGR!!!"
    assert g.run("exclaim", progress=False)["exclaim"] == {"output": "DAGGR!!!"}


def test_a_run_applies_the_inputs_it_carries_before_starting():
    # The canvas sends edits it had not sent yet inside the run request: messages sent
    # back to back may be handled out of order by the kernel.
    g = chain()
    c = Canvas(g)
    clear(c)
    from_front(
        c,
        {
            "type": "run",
            "node": "exclaim",
            "mode": "to_here",
            "inputs": {"form__text": "carried", "exclaim__n": 2},
        },
    )
    wait_for(lambda: c.node_state["exclaim"]["status"] == "ok")
    assert c.node_state["exclaim"]["preview"]["output"]["text"] == "CARRIED!!"
    assert c.inputs == {"form__text": "carried", "exclaim__n": 2}
    assert c.node_state["exclaim"]["fresh"] == "fresh"  # the run used what the card shows
    assert g.history("exclaim")[-1].inputs["n"] == 2


def test_a_run_carrying_a_bad_input_is_refused_and_runs_nothing():
    g = chain()
    c = Canvas(g)
    g.run("exclaim", progress=False)
    clear(c)
    bad = {"type": "run", "node": "exclaim", "mode": "to_here", "inputs": {"exclaim__m": 2}}
    from_front(c, bad)
    (err,) = custom(c, "error")
    assert err["request"] == "run" and "Did you mean 'exclaim__n'" in err["message"]
    from_front(c, {**bad, "inputs": {"exclaim__n": "many"}})
    assert "exclaim__n" in custom(c, "error")[-1]["message"]
    assert len(g.history("exclaim")) == 1  # nothing ran


MALFORMED = [
    ("not a dict", "JSON object"),
    ({"no": "type"}, "Unknown message type None"),
    ({"type": "rnu", "node": "shout"}, "Did you mean 'run'"),
    ({"type": "run", "node": "shout"}, "missing mode"),
    ({"type": "run", "node": "shuot", "mode": "to_here"}, "Did you mean 'shout'"),
    ({"type": "run", "node": "shout", "mode": "everything"}, "Run mode must be one of"),
    ({"type": "set_input", "key": "form__txt", "value": "x"}, "Did you mean 'form__text'"),
    ({"type": "set_input", "key": "form__text", "value": 3}, "takes text"),
    ({"type": "set_input", "key": "exclaim__n", "value": "3"}, "finite number"),
    ({"type": "set_input", "key": "exclaim__n", "value": 9}, "between 0 and 5"),
    ({"type": "set_input", "key": "exclaim__n", "value": True}, "finite number"),
    ({"type": "move", "node": "shout", "x": "1", "y": 2}, "x must be a finite number"),
    ({"type": "move", "node": "shout", "x": 1, "y": float("nan")}, "y must be"),
    ({"type": "viewport", "x": 0, "y": 0, "zoom": 0}, "zoom must be"),
]


@pytest.mark.parametrize(("content", "fragment"), MALFORMED)
def test_malformed_requests_are_rejected_without_touching_state(content, fragment):
    g = chain()
    c = Canvas(g)
    before = (json.dumps(c.get_state(), sort_keys=True, default=str), dict(g.session.inputs))
    clear(c)
    from_front(c, content)
    (err,) = custom(c, "error")
    assert fragment in err["message"]
    # besides the error, at most the rejected field put back on the kernel's value
    others = [m for m in custom(c) if m["type"] != "error"]
    assert all(m["type"] == "inputs" for m in others) and not updates(c)
    assert (
        json.dumps(c.get_state(), sort_keys=True, default=str),
        dict(g.session.inputs),
    ) == before
    assert g.session.results.count("shout") == 0


@pytest.mark.parametrize(
    ("component", "good", "bad"),
    [
        (gr.Checkbox(), True, 1),
        (gr.Dropdown(["a", ("B", "b")]), "b", "B"),
        (gr.Dropdown(["a", "b"], multiselect=True), ["a", "b"], "a"),
        (gr.Dropdown(["a"], allow_custom_value=True), "zzz", 3),
        (gr.Radio(["x", "y"]), "y", "z"),
        (gr.CheckboxGroup(["x", "y"]), ["y"], ["q"]),
        (gr.Slider(0, 10), 7.5, 11),
        (gr.TextArea(), "two\nlines", 3),
        (gr.ColorPicker(), "#00ff00", 0),
    ],
)
def test_set_input_checks_values_against_the_component(component, good, bad):
    g = Graph(
        "g", nodes=[FnNode(lambda v: v, name="f", inputs={"v": component})], persist_key=False
    )
    c = Canvas(g)
    from_front(c, {"type": "set_input", "key": "f__v", "value": good})
    assert c.inputs["f__v"] == good
    clear(c)
    from_front(c, {"type": "set_input", "key": "f__v", "value": bad})
    assert custom(c, "error")
    assert c.inputs["f__v"] == good


def test_media_inputs_are_not_editable_from_the_canvas():
    g = Graph(
        "g", nodes=[FnNode(lambda im: im, name="f", inputs={"im": gr.Image()})], persist_key=False
    )
    c = Canvas(g)
    from_front(c, {"type": "set_input", "key": "f__im", "value": "/etc/passwd"})
    (err,) = custom(c, "error")
    assert "not an upload or a file this server produced" in err["message"]
    assert "f__im" not in g.session.inputs


def test_move_and_viewport_are_kept_without_echo():
    g = chain()
    c = Canvas(g)
    clear(c)
    from_front(c, {"type": "move", "node": "shout", "x": 500, "y": 60.5})
    from_front(c, {"type": "viewport", "x": -20, "y": 10, "zoom": 0.75})
    assert c.viewport == {
        "positions": {"shout": [500.0, 60.5]},
        "x": -20.0,
        "y": 10.0,
        "zoom": 0.75,
    }
    assert c.comm.log == []
    c.viewport = {"x": 0, "y": 0, "zoom": 1}  # from code: synced as usual
    assert updates(c) == [{"viewport": {"x": 0, "y": 0, "zoom": 1}}]


def test_the_topology_follows_a_growing_graph():
    g = chain()
    c = Canvas(g)
    g.add(FnNode(lambda: 2, name="late"))
    clear(c)
    from_front(c, {"type": "run", "node": "late", "mode": "step"})
    assert any("topology" in u for u in updates(c))
    assert "late" in c.node_state
    wait_for(lambda: c.node_state["late"]["status"] == "ok")


def test_closing_stops_following_the_session():
    g = chain()
    c = Canvas(g)
    n = len(g.session.listeners)
    c.close()
    assert len(g.session.listeners) == n - 1
    g.run(progress=False)


def test_item_list_outputs_preview_as_json():
    lines = FnNode(
        lambda: [{"speaker": "A", "text": "hi"}],
        name="lines",
        outputs={"items": ItemList(speaker=gr.Textbox(), text=gr.Textbox())},
    )
    g = Graph("items", nodes=[lines], persist_key=False)
    c = Canvas(g)
    g.run(progress=False)
    wait_for(lambda: c.node_state["lines"]["status"] == "ok")
    assert json.loads(c.node_state["lines"]["preview"]["items"]["text"]) == [
        {"speaker": "A", "text": "hi"}
    ]


# -- display -----------------------------------------------------------------------------------
def test_mimebundle_has_the_widget_a_text_repr_and_a_static_drawing():
    g = chain()
    data, _ = mimebundle(g)
    assert data["text/plain"] == repr(g)
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == canvas_for(g).model_id
    html = data["text/html"]
    # an image (sanitising renderers keep <img>, drop <svg>) under a line saying what it is
    assert "static copy — run the notebook to work with it" in html
    src = re.search(r'<img src="data:image/svg\+xml,([^"]+)"', html).group(1)
    svg = urllib.parse.unquote(src)
    assert svg.startswith("<svg") and svg.count("class='daggr-static-node'") == 3
    assert canvas_for(g) is canvas_for(g)


def test_a_closed_canvas_is_replaced():
    g = chain()
    first = canvas_for(g)
    first.close()
    assert canvas_for(g) is not first


def test_the_bundle_is_built_and_small():
    import gzip
    from pathlib import Path

    static = Path(__import__("daggr").__file__).parent / "static"
    js = (static / "widget.js").read_bytes()
    css = (static / "widget.css").read_bytes()
    assert "daggr-root" in str(Canvas._esm)  # the built bundle, not the "missing" stub
    assert b"cdn.jsdelivr" not in js and b"esm.sh" not in js and b"unpkg.com" not in js
    total = len(gzip.compress(js, 9)) + len(gzip.compress(css, 9))
    assert total < 150_000
