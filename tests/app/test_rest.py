"""The REST API over real HTTP: schema, calls, errors, files, users."""

from __future__ import annotations

import time

import httpx

from tests.app.graphs import mixed_graph, parallel_graph

JSON = {"content-type": "application/json"}


def test_schema_and_call_run_independent_nodes_in_parallel(serve):
    app = serve(parallel_graph())
    with httpx.Client(base_url=app.url, timeout=30) as client:
        schema = client.get("/api/schema").json()
        (main,) = schema["subgraphs"]
        assert main["id"] == "main"
        assert {i["id"] for i in main["inputs"]} == {"a__x", "b__x"}
        assert all(i["type"] == "number" for i in main["inputs"])
        assert main["outputs"] == [{"node": "total", "port": "output", "type": "any"}]
        t0 = time.perf_counter()
        r = client.post("/api/call", json={"inputs": {"a__x": 5}})
        elapsed = time.perf_counter() - t0
    assert r.status_code == 200, r.text
    assert r.json()["outputs"] == {"total": {"output": 14}}  # 5*2 + default 2*2
    assert elapsed < 1.1, f"two 0.6 s nodes took {elapsed:.2f} s: not parallel"


def test_subgraphs_files_and_every_error_kind(serve):
    app = serve(mixed_graph())
    with httpx.Client(base_url=app.url, timeout=30) as client:
        ids = [s["id"] for s in client.get("/api/schema").json()["subgraphs"]]
        assert ids == ["subgraph_0", "subgraph_1", "subgraph_2"]

        r = client.post("/api/call", json={"inputs": {}})
        assert r.status_code == 400 and r.json()["available_subgraphs"] == ids

        r = client.post("/api/call/subgraph_9", json={"inputs": {}})
        assert r.status_code == 404 and "subgraph_9" in r.json()["error"]

        r = client.post("/api/call/subgraph_0", json={"inputs": {"shout__txt": "x"}})
        body = r.json()
        assert r.status_code == 400
        assert "Did you mean 'shout__text'" in body["error"] and body["valid"] == ["shout__text"]

        r = client.post("/api/call/subgraph_1", json={"inputs": {"check__n": "three"}})
        assert r.status_code == 422 and r.json()["node"] == "check"
        assert "takes a finite number" in r.json()["error"]

        r = client.post("/api/call/subgraph_2", json={"inputs": {}})
        assert r.status_code == 400 and r.json()["missing"] == ["needs__need"]

        r = client.post("/api/call/subgraph_1", json={"inputs": {"check__n": -1}})
        assert r.status_code == 500 and r.json()["node"] == "check"
        assert "n must not be negative" in r.json()["error"]

        r = client.post("/api/call/subgraph_1", content=b"{not json", headers=JSON)
        assert r.status_code == 400

        r = client.post("/api/call/subgraph_0", json={"inputs": {"shout__text": "hey"}})
        assert r.status_code == 200, r.text
        url = r.json()["outputs"]["saver"]["file"]
        assert "/file/" in url and "note" not in url  # a content id, not a path
        assert client.get(url).text == "HEY!"

        for bad in (
            "/file/../../etc/passwd",
            "/file/%2Fetc%2Fpasswd",
            "/file//etc/passwd",
            "/file/" + "0" * 64 + "/../../etc/passwd",
            "/file/" + "a" * 64 + ".txt",
        ):
            resp = client.get(bad)
            assert resp.status_code == 404, bad
            assert "root:" not in resp.text


def test_two_users_keep_separate_sheets(serve):
    app = serve(parallel_graph(persist=True))
    with (
        httpx.Client(base_url=app.url, timeout=30) as alice,
        httpx.Client(base_url=app.url, timeout=30) as bob,
    ):
        ra = alice.post("/api/call", json={"inputs": {"a__x": 10}}).json()
        rb = bob.post("/api/call", json={"inputs": {"a__x": 20}}).json()
        assert ra["outputs"]["total"]["output"] == 24 and rb["outputs"]["total"]["output"] == 44
        assert alice.get("/api/user").json() != bob.get("/api/user").json()
        a_sheets = {s["sheet_id"] for s in alice.get("/api/sheets").json()["sheets"]}
        b_sheets = {s["sheet_id"] for s in bob.get("/api/sheets").json()["sheets"]}
        assert ra["sheet_id"] in a_sheets and not a_sheets & b_sheets
        mine = alice.get(f"/api/sheets/{ra['sheet_id']}").json()
        assert mine["results"]["total"]["outputs"] == {"output": 24}
        theirs = bob.get(f"/api/sheets/{ra['sheet_id']}")
        assert theirs.status_code == 404 and "outputs" not in theirs.text
        assert bob.get("/api/sheets/no-such-sheet").status_code == 404
    # the notebook's own (server-side) session saw none of it
    assert app.graph.session.results.count("total") == 0


def test_server_hf_token_is_never_a_visitors_identity(serve, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_deployer_secret")
    app = serve(parallel_graph())
    with httpx.Client(base_url=app.url) as one, httpx.Client(base_url=app.url) as two:
        u1, u2 = one.get("/api/user").json()["user"], two.get("/api/user").json()["user"]
        # a bearer token is ignored unless DAGGR_TRUST_HF_TOKEN allows it
        u3 = httpx.get(app.url + "api/user", headers={"Authorization": "Bearer hf_x"}).json()
    assert u1.startswith("anon-") and u2.startswith("anon-") and u1 != u2
    assert u3["user"].startswith("anon-")


def test_file_inputs_are_uploads_or_server_files_never_paths(serve, tmp_path):
    import base64

    from daggr import FnNode, Graph
    from daggr import components as gr

    def size(doc: str) -> int:
        return len(open(doc, "rb").read())

    node = FnNode(size, name="size", inputs={"doc": gr.File()}, outputs={"n": gr.Number()})
    copy = FnNode(write_back, name="copy", inputs={"doc": gr.File()}, outputs={"out": gr.File()})
    app = serve(Graph("files", nodes=[node, copy], persist_key=False))
    secret = tmp_path / "secret.txt"
    secret.write_text("server-side secret")
    data = "data:text/plain;base64," + base64.b64encode(b"hello upload").decode()
    with httpx.Client(base_url=app.url, timeout=30) as client:
        r = client.post("/api/call/subgraph_0", json={"inputs": {"size__doc": data}})
        assert r.status_code == 200, r.text
        assert r.json()["outputs"] == {"size": {"n": 12}}
        r = client.post("/api/call/subgraph_0", json={"inputs": {"size__doc": str(secret)}})
        assert (
            r.status_code == 422
            and "not an upload or a file this server produced" in r.json()["error"]
        )
        r = client.post("/api/call/subgraph_0", json={"inputs": {"size__doc": "data:;base64,%%%"}})
        assert r.status_code == 422
        # a file the server produced can be fed back by its URL
        url = client.post("/api/call/subgraph_1", json={"inputs": {"copy__doc": data}}).json()[
            "outputs"
        ]["copy"]["out"]
        r = client.post("/api/call/subgraph_0", json={"inputs": {"size__doc": url}})
        assert r.status_code == 200 and r.json()["outputs"] == {"size": {"n": 12}}


def write_back(doc: str) -> str:
    import shutil
    import tempfile
    from pathlib import Path

    out = Path(tempfile.mkdtemp()) / "copy.txt"
    shutil.copy(doc, out)
    return str(out)


def test_trusted_bearer_token_names_the_hf_user(serve):
    from daggr.app.identity import Identity

    who = Identity(trust_hf_token=True, whoami=lambda t: "ada" if t == "hf_good" else None)
    app = serve(parallel_graph(), identity=who)
    good = httpx.get(app.url + "api/user", headers={"Authorization": "Bearer hf_good"}).json()
    bad = httpx.get(app.url + "api/user", headers={"Authorization": "Bearer hf_bad"}).json()
    assert good["user"] == "hf:ada" and bad["user"].startswith("anon-")


def test_api_server_false_drops_the_api(serve):
    app = serve(parallel_graph(), api_server=False)
    assert httpx.get(app.url + "api/schema").status_code == 404
    assert httpx.post(app.url + "api/call", json={"inputs": {}}).status_code in (404, 405)
    assert httpx.get(app.url).status_code == 200


def test_choice_selection_by_name_or_index_with_default(serve):
    from daggr import FnNode, Graph
    from daggr import components as gr

    up = FnNode(lambda text: text.upper(), name="upper", inputs={"text": gr.Textbox(value="a")})
    low = FnNode(lambda text: text.lower(), name="lower", inputs={"text": gr.Textbox(value="B")})
    case = up | low
    case.name = "case"
    end = FnNode(lambda s: s + "!", name="end", inputs={"s": case.output})
    app = serve(Graph("choices", nodes=[end], persist_key=False))
    with httpx.Client(base_url=app.url, timeout=30) as client:
        (sub,) = client.get("/api/schema").json()["subgraphs"]
        choice = next(i for i in sub["inputs"] if i["type"] == "choice")
        assert choice["id"] == "case___selected_variant" and choice["choices"] == ["upper", "lower"]

        def call(inputs):
            return client.post("/api/call", json={"inputs": inputs})

        assert call({"case___selected_variant": "lower", "lower__text": "XyZ"}).json()[
            "outputs"
        ] == {"end": {"output": "xyz!"}}
        assert call({}).json()["outputs"] == {"end": {"output": "A!"}}  # back to the default
        assert call({"case___selected_variant": 1}).json()["outputs"] == {"end": {"output": "b!"}}
        r = call({"case___selected_variant": "middle"})
        assert r.status_code == 422 and r.json()["valid"] == ["upper", "lower"]
