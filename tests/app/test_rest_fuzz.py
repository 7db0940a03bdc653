"""Whatever a client sends, bad input is a 4xx naming the problem, never a 500."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daggr import FnNode, Graph
from daggr import components as gr

JSON = {"content-type": "application/json"}
pytestmark = pytest.mark.slow  # property-based fuzzing

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
keys = st.sampled_from(
    ["shout__text", "scale__x", "scale__k", "pick__choice", "files__doc"]
) | st.text(max_size=12)


@pytest.fixture(scope="module")
def url():
    from daggr.app.serve import launch

    shout = FnNode(lambda text: text.upper(), name="shout", inputs={"text": gr.Textbox()})
    scale = FnNode(
        lambda x, k: x * k, name="scale", inputs={"x": gr.Number(value=1), "k": gr.Slider(0, 10)}
    )
    pick = FnNode(
        lambda choice: choice, name="pick", inputs={"choice": gr.Dropdown(choices=["a", "b"])}
    )
    files = FnNode(lambda doc: doc, name="files", inputs={"doc": gr.File()})
    app = launch(
        Graph("fuzz", nodes=[shout, scale, pick, files], persist_key=False),
        port=0,
        block=False,
        open_browser=False,
        quiet=True,
    )
    yield app.url
    app.stop()


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sub=st.sampled_from(["subgraph_0", "subgraph_1", "subgraph_2", "subgraph_3", "main", "x"]),
    body=st.one_of(
        json_values,
        st.fixed_dictionaries({"inputs": st.dictionaries(keys, json_values, max_size=4)}),
    ),
)
def test_random_bodies_never_500(url, sub, body):
    # json.dumps writes NaN/Infinity as Python's json.loads (and so the server) reads them
    r = httpx.post(f"{url}api/call/{sub}", content=json.dumps(body), headers=JSON, timeout=30)
    assert r.status_code < 500, (body, r.text)
    data = r.json()
    assert ("outputs" in data) if r.status_code == 200 else data["error"]
