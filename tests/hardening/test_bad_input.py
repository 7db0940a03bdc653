"""Bad input tried: random REST bodies, random canvas messages, random stored values.

Extends tests/app/test_rest_fuzz.py (random JSON bodies) with wrong types, huge strings,
deep nesting and non-JSON bytes; tests/widget/test_canvas.py (a fixed list of malformed
messages) with random contents for every message type; tests/store/test_codec.py (codec
round trips) with random values and files through a real DuckDB file and a reopen.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daggr import FileValue, FnNode, Graph, InputNode, ItemList
from daggr import components as gr
from tests.hardening.hardening_helpers import RecordingComm, custom, from_front

pytestmark = pytest.mark.slow  # property-based fuzzing

JSON = {"content-type": "application/json"}

SETTINGS = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(["", "\x00", "\ud800", "a" * 5000, "../../etc/passwd", "<script>"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def deep(depth: int) -> object:
    value: object = "x"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


# -- REST ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rest_url():
    from daggr.app.serve import launch

    # Total functions: a node's own exception is a 500 naming the node (by design, see
    # tests/app/test_rest.py), so any 500 here would be the server's fault.
    form = InputNode("form", ports={"text": gr.Textbox(), "n": gr.Number(value=1)})
    shout = FnNode(lambda text: str(text).upper(), name="shout", inputs={"text": form.text})
    twice = FnNode(lambda n: repr(n) * 2, name="twice", inputs={"n": form.n})
    files = FnNode(lambda doc: str(doc), name="files", inputs={"doc": gr.File()})
    app = launch(
        Graph("bad rest", nodes=[shout, twice, files], persist_key=False),
        port=0,
        block=False,
        open_browser=False,
        quiet=True,
    )
    yield app.url
    app.stop()


KEYS = st.sampled_from(["form__text", "form__n", "files__doc", "text", "n", "doc"]) | st.text(
    max_size=10
)
BODIES = st.one_of(
    json_values,
    st.fixed_dictionaries({"inputs": json_values}),
    st.fixed_dictionaries({"inputs": st.dictionaries(KEYS, json_values, max_size=4)}),
    st.fixed_dictionaries(
        {"inputs": st.dictionaries(KEYS, json_values, max_size=3)},
        optional={"sheet": json_values, "outputs": json_values, "extra": json_values},
    ),
    st.integers(50, 3000).map(lambda d: {"inputs": {"form__text": deep(d)}}),
    st.integers(50, 3000).map(deep),
    st.integers(10_000, 3_000_000).map(lambda n: {"inputs": {"form__text": "x" * n}}),
)


@settings(max_examples=60, **SETTINGS)
@given(body=BODIES, path=st.sampled_from(["api/call", "api/call/subgraph_0", "api/call/zzz"]))
def test_random_rest_bodies_get_4xx_never_500(rest_url, body, path):
    try:
        content = json.dumps(body)
    except RecursionError:
        return
    r = httpx.post(rest_url + path, content=content, headers=JSON, timeout=60)
    assert r.status_code < 500, (str(body)[:300], r.text[:500])
    if r.status_code >= 400:
        assert r.json()["error"]


@settings(max_examples=40, **SETTINGS)
@given(
    raw=st.binary(max_size=200)
    | st.sampled_from([b"", b"{", b"[1,", b'{"inputs": NaN}', b"\xff\xfe", b"null", b'"s"']),
    ctype=st.sampled_from(
        [
            "application/json",
            "text/plain",
            "multipart/form-data",
            "application/x-www-form-urlencoded",
            "",
        ]
    ),
)
def test_malformed_bytes_and_content_types_get_4xx(rest_url, raw, ctype):
    headers = {"content-type": ctype} if ctype else {}
    r = httpx.post(rest_url + "api/call", content=raw, headers=headers, timeout=30)
    assert r.status_code < 500, (raw, ctype, r.text[:300])


def test_the_app_still_answers_after_the_fuzzing(rest_url):
    r = httpx.post(
        rest_url + "api/call/subgraph_0", json={"inputs": {"form__text": "ok"}}, timeout=30
    )
    assert r.status_code == 200, r.text
    assert "OK" in json.dumps(r.json()["outputs"])


# -- canvas messages ----------------------------------------------------------------------------
def _canvas_graph() -> Graph:
    form = InputNode("form", ports={"text": gr.Textbox(value="hello")})
    shout = FnNode(lambda text: text.upper(), name="shout", inputs={"text": form.text})
    exclaim = FnNode(
        lambda s, n: s + "!" * int(n),
        name="exclaim",
        inputs={"s": shout.output, "n": gr.Number(value=1, minimum=0, maximum=5)},
    )
    rows = FnNode(lambda: [{"a": 1}], name="rows", outputs={"rows": ItemList(a=gr.Number())})
    up = FnNode(lambda doc: str(doc), name="up", inputs={"doc": gr.File()})
    choice = FnNode(lambda: "a", name="va") | FnNode(lambda: "b", name="vb")
    return Graph("fuzz canvas", nodes=[exclaim, rows, up, choice])


@pytest.fixture(scope="module")
def canvas_and_graph():
    import comm

    from daggr.widget import Canvas

    real = comm.create_comm
    comm.create_comm = RecordingComm
    try:
        graph = _canvas_graph()
        graph.run("exclaim", progress=False)
        yield Canvas(graph), graph
    finally:
        comm.create_comm = real


def _snapshot(canvas, graph) -> str:
    session = graph.session
    return json.dumps(
        {
            "state": canvas.get_state(),
            "inputs": dict(session.inputs),
            "sheet": session.sheet,
            "sheets": [s.name for s in graph.sheets.list()]
            if hasattr(graph.sheets, "list")
            else None,
            "selected": {n: getattr(session.selected(n), "id", None) for n in graph.nodes},
            "counts": {n: session.results.count(n) for n in graph.nodes},
        },
        sort_keys=True,
        default=str,
    )


def _message_types() -> list[str]:
    from daggr.widget.protocol import REQUEST_FIELDS

    return sorted(REQUEST_FIELDS)


field_values = json_values | st.sampled_from(
    [
        "shout",
        "exclaim",
        "form__text",
        "exclaim__n",
        "up__doc",
        "rows",
        "Sheet 1",
        -1,
        10**9,
        math.inf,
        math.nan,
        "x" * 300,
        [],
        {},
    ]
)


@st.composite
def messages(draw):
    from daggr.widget.protocol import REQUEST_FIELDS

    kind = draw(st.sampled_from(_message_types()) | st.text(max_size=8))
    fields = list(REQUEST_FIELDS.get(kind, ())) + [
        "node",
        "key",
        "value",
        "index",
        "action",
        "name",
        "new_name",
        "id",
        "result",
        "port",
        "item",
        "x",
        "y",
        "zoom",
        "mode",
        "edits",
    ]
    chosen = draw(st.lists(st.sampled_from(fields), unique=True, max_size=6))
    body = {f: draw(field_values) for f in chosen}
    # some messages are valid by chance; keep runs and sheet edits off so state changes
    # can only come from a message the canvas accepted (checked below)
    return {"type": kind, **body}


@settings(max_examples=250, **SETTINGS)
@given(content=messages() | json_values, buffers=st.sampled_from([[], [b"x"], [b"a", b"b"]]))
def test_random_canvas_messages_are_rejected_without_touching_state(
    canvas_and_graph, content, buffers
):
    canvas, graph = canvas_and_graph
    before = _snapshot(canvas, graph)
    canvas.comm.log.clear()
    from_front(canvas, content, buffers)  # must not raise
    answers = custom(canvas)
    errors = [a for a in answers if a.get("type") == "error"]
    if errors:
        assert all(e["message"] for e in errors)
        if not (
            isinstance(content, dict) and content.get("type") in ("select", "variant", "sheet")
        ):
            assert _snapshot(canvas, graph) == before, content
    # a message accepted by chance may change state (a move, a viewport, an input);
    # put things back so the next example starts from the same place
    if _snapshot(canvas, graph) != before:
        _restore(canvas, graph)


def _restore(canvas, graph) -> None:
    for handle in list(getattr(canvas, "_handles", [])):
        handle.cancel()
        try:
            handle.result(timeout=10)
        except Exception:
            pass


def test_history_survives_the_canvas_fuzzing(canvas_and_graph):
    canvas, graph = canvas_and_graph
    assert graph.history("exclaim")[0].outputs == {"output": "HELLO!"}
    result = graph.run("exclaim", progress=False)
    assert result.ok


# -- values through a real database -------------------------------------------------------------
stored_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        | st.tuples(inner, inner)
    ),
    max_leaves=15,
)


@settings(max_examples=25, **SETTINGS)
@given(value=stored_values, blobs=st.lists(st.binary(max_size=2000), max_size=3))
def test_random_values_and_files_round_trip_through_a_reopened_store(
    tmp_path_factory, value, blobs
):
    from daggr.store import Store

    home = tmp_path_factory.mktemp("roundtrip")
    paths = []
    for i, blob in enumerate(blobs):
        p = home / f"in{i}.bin"
        p.write_bytes(blob)
        paths.append(FileValue(str(p)))
    out = {"value": value, "files": paths}
    store = Store(home / "db.duckdb", files_dir=home / "files")
    graph = Graph("roundtrip", nodes=[FnNode(lambda: out, name="make", outputs={"o": gr.JSON()})])
    from daggr.session import Session

    session = Session(graph, store=store)
    assert session.run(progress=False).ok
    sheet_id = session.results.sheet_id
    store.close()
    for p in paths:
        Path(p).unlink()  # the originals may go away
    again = Store(home / "db.duckdb", files_dir=home / "files")
    try:
        sheet = again.sheets(graph.persist_key, session.user).open(sheet_id)
        record = sheet.latest("make")
        back = record.outputs["o"]
        assert back["value"] == value and type(back["value"]) is type(value)
        assert [Path(f).read_bytes() for f in back["files"]] == blobs
    finally:
        again.close()
