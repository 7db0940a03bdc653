"""One input path: ``graph.run()``, the REST API and the canvas check keys and values with
the session's own functions, so the same mistake gets the same message from each, and
nothing runs or changes. Also: one session per web visitor, with no proxy graph."""

from __future__ import annotations

import asyncio
import json

import httpx
import numpy as np
import pytest
from PIL import Image

import daggr.app.state
from daggr import FnNode, Graph
from daggr import components as gr
from daggr.errors import InputError

websockets = pytest.importorskip("websockets")


def describe(n: float, pet: str, note: str) -> str:
    return f"{note}: {pet} x{n}"


def pets_graph() -> Graph:
    node = FnNode(
        describe,
        name="describe",
        inputs={
            "n": gr.Number(value=1, minimum=0, maximum=5),
            "pet": gr.Dropdown(["cat", "dog"], value="cat"),
            "note": gr.Textbox(value="pets"),
        },
    )
    return Graph("pets", nodes=[node], persist_key=False)


BAD = [
    ({"describe__m": 2}, 400, "Did you mean 'describe__n'?"),
    ({"describe__n": "three"}, 422, "takes a finite number"),
    ({"describe__n": 9}, 422, "must be between 0 and 5"),
    ({"describe__pet": "cta"}, 422, "Did you mean 'cat'?"),
    ({"describe__note": 7}, 422, "takes text"),
]


def code_message(graph: Graph, given: dict) -> str:
    with pytest.raises(InputError) as caught:
        graph.run(progress=False, **given)
    return str(caught.value)


def canvas_messages(app, inputs: list[dict]) -> list[str]:
    """The canvas's answer to a set_input of each, over the served app's websocket."""

    async def visit() -> list[str]:
        async with websockets.connect(app.url.replace("http://", "ws://") + "ws") as ws:
            assert json.loads(await ws.recv())["type"] == "open"
            out = []
            for given in inputs:
                ((key, value),) = given.items()
                content = {"type": "set_input", "key": key, "value": value}
                await ws.send(
                    json.dumps({"type": "comm", "data": {"method": "custom", "content": content}})
                )
                async with asyncio.timeout(20):
                    while True:
                        frame = json.loads(await ws.recv())
                        answer = frame.get("data", {}).get("content") or {}
                        if answer.get("type") == "error":
                            out.append(answer["message"])
                            break
            return out

    return asyncio.run(visit())


def test_the_same_bad_input_gets_the_same_message_everywhere(serve):
    graph = pets_graph()
    app = serve(graph)
    from_code = [code_message(graph, given) for given, _, _ in BAD]
    with httpx.Client(base_url=app.url, timeout=30) as client:
        from_rest = []
        for given, status, _ in BAD:
            r = client.post("/api/call", json={"inputs": given})
            assert r.status_code == status, r.text
            from_rest.append(r.json()["error"])
    from_canvas = canvas_messages(app, [given for given, _, _ in BAD])
    for (_, _, fragment), code, rest, canvas in zip(
        BAD, from_code, from_rest, from_canvas, strict=True
    ):
        assert fragment in code
        assert code == rest == canvas
    # nothing ran, no input changed
    assert graph.session.results.count("describe") == 0 and graph.session.inputs == {}
    visitors = list(app.state._sessions.values())
    assert visitors and all(s.results.count("describe") == 0 for s in visitors)
    assert all(s.inputs == {} for s in visitors)


def test_rest_names_what_is_valid_and_where_the_mistake_is(serve):
    app = serve(pets_graph())
    with httpx.Client(base_url=app.url, timeout=30) as client:
        unknown = client.post("/api/call", json={"inputs": {"describe__m": 2}}).json()
        assert unknown["input"] == "describe__m"
        assert unknown["valid"] == ["describe__n", "describe__pet", "describe__note"]
        bad = client.post("/api/call", json={"inputs": {"describe__pet": "cow"}}).json()
        assert bad["node"] == "describe" and bad["valid"] == ["cat", "dog"]
        # what graph.run() accepts, REST accepts too: a bare port name, a node's dict
        ok = client.post("/api/call", json={"inputs": {"pet": "dog", "describe": {"n": 2}}})
        assert ok.status_code == 200 and ok.json()["outputs"]["describe"]["output"] == (
            "pets: dog x2"
        )


def test_code_still_passes_what_models_take():
    """Values only code can pass (objects, arrays, paths) are not held to wire rules."""
    seen = {}

    def take(picture, table, n, text):
        seen.update(picture=picture, table=table, n=n, text=text)
        return "ok"

    node = FnNode(
        take,
        name="take",
        inputs={
            "picture": gr.Image(),
            "table": gr.Dataframe(),
            "n": gr.Slider(0, 10),
            "text": gr.Textbox(),
        },
    )
    g = Graph("code values", nodes=[node], persist_key=False)
    pandas = pytest.importorskip("pandas")
    picture = Image.new("RGB", (8, 8))
    frame = pandas.DataFrame({"a": [1, 2]})
    result = g.run(
        take__picture=picture,
        take__table=frame,
        take__n=np.float32(2.5),
        take__text="x" * 2_000_000,  # longer than a browser may send
        progress=False,
    )
    assert result.ok and seen["picture"] is picture and seen["table"] is frame
    assert seen["n"] == 2.5 and len(seen["text"]) == 2_000_000


def test_two_visitors_each_get_their_own_session_on_the_real_graph(serve):
    graph = pets_graph()
    app = serve(graph)
    assert not hasattr(daggr.app.state, "UserGraph")
    alice = httpx.Client(base_url=app.url, timeout=30)
    bob = httpx.Client(base_url=app.url, timeout=30)
    with alice, bob:
        assert alice.post("/api/call", json={"inputs": {"describe__n": 1}}).status_code == 200
        assert alice.post("/api/call", json={"inputs": {"describe__n": 2}}).status_code == 200
        assert bob.post("/api/call", json={"inputs": {"describe__pet": "dog"}}).status_code == 200
        a = app.state.session(alice.get("/api/user").json()["user"])
        b = app.state.session(bob.get("/api/user").json()["user"])
    # no proxy: both sessions are on the served graph itself
    assert a is not b and a.graph is graph and b.graph is graph
    assert [r.outputs["output"] for r in a.history("describe")] == ["pets: cat x1", "pets: cat x2"]
    assert [r.outputs["output"] for r in b.history("describe")] == ["pets: dog x1"]
    # selecting, staleness and sheets are per visitor
    a.select("describe", 0)
    assert a.selected("describe").outputs["output"] == "pets: cat x1"
    assert b.selected("describe").outputs["output"] == "pets: dog x1"
    assert a.staleness().nodes == {"describe": "fresh"}
    assert graph.staleness().nodes == {"describe": "never run"}  # the notebook's own session
    a.sheets.new("alice's")
    assert "alice's" in a.sheets and "alice's" not in b.sheets and "alice's" not in graph.sheets
