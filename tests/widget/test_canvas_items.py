"""Editing ItemList outputs on the canvas (edit_items), driven through a recording comm."""

from __future__ import annotations

import pytest

from daggr import FnNode, Graph, InputNode, ItemList
from daggr import components as gr
from daggr.widget import Canvas, bridge
from tests.widget.widget_helpers import clear, custom, from_front, size, wait_for


def script(n: int = 2, text: str = "line") -> Graph:
    form = InputNode("form", ports={"topic": gr.Textbox(value="cats")})
    lines = FnNode(
        lambda topic: [
            {"speaker": "A" if i % 2 == 0 else "B", "text": f"{text} {i} {topic}", "n": i}
            for i in range(n)
        ],
        name="lines",
        inputs={"topic": form.topic},
        outputs={
            "items": ItemList(
                speaker=gr.Dropdown(choices=["A", "B"]),
                text=gr.Textbox(lines=2),
                n=gr.Number(minimum=0, maximum=1000),
            )
        },
    )
    join = FnNode(
        lambda items: " | ".join(f"{d['speaker']}: {d['text']}" for d in items),
        name="join",
        inputs={"items": lines.items},
    )
    return Graph("script", nodes=[join], persist_key=False)


def edit(c, index, field, value, **more):
    from_front(
        c,
        {
            "type": "edit_items",
            "node": "lines",
            "port": "items",
            "index": index,
            "field": field,
            "value": value,
            **more,
        },
    )


def test_topology_carries_the_schema_and_state_the_items():
    g = script()
    g.run(progress=False)
    c = Canvas(g)
    out = next(n for n in c.topology["nodes"] if n["id"] == "lines")["outputs"][0]
    assert [f["field"] for f in out["item_list"]] == ["speaker", "text", "n"]
    assert out["item_list"][0]["component"]["kind"] == "dropdown"
    lists = c.node_state["lines"]["lists"]
    assert lists["items"]["n"] == 2
    assert lists["items"]["rows"][1] == {"speaker": "B", "text": "line 1 cats", "n": 1}
    assert lists["items"]["clipped"] == [] and "note" not in lists["items"]
    assert c.node_state["join"]["lists"] is None


@pytest.mark.parametrize(
    ("msg", "error"),
    [
        ({"node": "nope"}, "No node 'nope'"),
        ({"port": "output"}, "no ItemList output 'output'"),
        ({"field": "speakr"}, "no field 'speakr'"),
        ({"index": 5}, "2 item(s)"),
        ({"index": -1}, "0 or more"),
        ({"index": "1"}, "index must be an integer"),
        ({"field": "speaker", "value": "C"}, "'C' is not a choice"),
        ({"field": "text", "value": 3}, "takes text"),
        ({"field": "n", "value": "3"}, "finite number"),
        ({"field": "n", "value": 5000}, "between 0 and 1000"),
        ({"more": "yes"}, "more must be"),
    ],
)
def test_bad_edits_are_refused_and_change_nothing(msg, error):
    g = script()
    g.run(progress=False)
    c = Canvas(g)
    before = (g.session.results.count("lines"), dict(c.node_state["lines"]))
    clear(c)
    from_front(
        c,
        {
            "type": "edit_items",
            "node": "lines",
            "port": "items",
            "index": 0,
            "field": "text",
            "value": "x",
            **msg,
        },
    )
    (err,) = custom(c, "error")
    assert error in err["message"] and err["request"] == "edit_items"
    # at most the unchanged items again, to put the card's controls back
    assert all(
        m["states"] == {"lines": {"lists": before[1]["lists"]}} for m in custom(c, "node_state")
    )
    assert (g.session.results.count("lines"), c.node_state["lines"]) == before


def test_an_edit_is_one_history_row_downstream_goes_stale_and_consumes_it():
    g = script()
    g.run(progress=False)
    c = Canvas(g)
    assert c.node_state["join"]["fresh"] == "fresh"
    clear(c)
    edit(c, 1, "text", "edited!")
    assert g.session.results.count("lines") == 2
    (delta,) = custom(c, "node_state")
    st = delta["states"]["lines"]
    assert (st["count"], st["index"]) == (2, 1)
    assert st["lists"]["items"]["rows"][1]["text"] == "edited!"
    assert delta["states"]["join"]["fresh"] == "stale"
    assert delta["states"]["join"]["edges"] == {"lines.items>items": False}
    assert all(size(d) < 3000 for d in custom(c))
    # "Run to here" on the downstream node reuses the edit (lines' inputs are unchanged)
    from_front(c, {"type": "run", "node": "join", "mode": "to_here"})
    wait_for(lambda: c.node_state["join"].get("fresh") == "fresh")
    wait_for(lambda: "edited!" in c.node_state["join"]["preview"]["output"]["text"])
    assert g.session.results.count("lines") == 2
    assert g.session.selected("join").outputs["output"] == "A: line 0 cats | B: edited!"


def test_a_burst_of_edits_is_one_row():
    g = script(n=3)
    g.run(progress=False)
    c = Canvas(g)
    edit(c, 0, "speaker", "B", more=True)
    edit(c, 0, "text", "hi", more=True)
    edit(c, 2, "n", 7, more=True)
    assert g.session.results.count("lines") == 1  # nothing applied before the burst ends
    edit(c, 2, "text", "bye")
    assert g.session.results.count("lines") == 2
    items = g.session.selected("lines").outputs["items"]
    assert items[0] == {"speaker": "B", "text": "hi", "n": 0}
    assert items[2] == {"speaker": "A", "text": "bye", "n": 7}
    assert c.node_state["lines"]["index"] == 1
    # a burst with a bad edit is dropped whole
    clear(c)
    edit(c, 0, "text", "kept?", more=True)
    edit(c, 0, "speaker", "Z", more=True)
    edit(c, 1, "text", "alone")
    assert g.session.results.count("lines") == 3
    assert g.session.selected("lines").outputs["items"][0]["text"] == "hi"


def test_item_state_is_bounded():
    g = script(n=500, text="x" * 3000)
    g.run(progress=False)
    c = Canvas(g)
    lst = c.node_state["lines"]["lists"]["items"]
    assert lst["n"] == 500 and len(lst["rows"]) == bridge.MAX_LIST_ITEMS
    assert "first 200 of 500" in lst["note"]
    assert len(lst["rows"][0]["text"]) == bridge.MAX_LIST_TEXT
    assert [0, "text"] in lst["clipped"]
    assert size(c.node_state["lines"]) < 600_000
    # beyond the mirrored items, or a clipped field: refused, nothing changes
    clear(c)
    edit(c, 300, "n", 1)
    assert "edits items 0 to 199" in custom(c, "error")[0]["message"]
    edit(c, 0, "text", "short")
    assert "longer than the canvas shows" in custom(c, "error")[1]["message"]
    # the card's controls are put back on the kernel's items
    assert custom(c, "node_state")[-1]["states"]["lines"]["lists"] == c.node_state["lines"]["lists"]
    assert g.session.results.count("lines") == 1
    edit(c, 0, "n", 9)  # another field of a clipped item is fine
    assert g.session.results.count("lines") == 2


def test_an_edit_before_any_run_is_refused():
    c = Canvas(script())
    edit(c, 0, "text", "x")
    assert "run it first" in custom(c, "error")[0]["message"]
