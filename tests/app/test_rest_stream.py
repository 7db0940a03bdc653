"""``POST /api/stream``: an API call followed as server-sent events over real HTTP."""

from __future__ import annotations

import io
import json
import threading
import time

import httpx
from PIL import Image

from daggr import FnNode, Graph, progress
from daggr import components as gr


def events_of(response: httpx.Response) -> list[tuple[str, dict]]:
    out, kind = [], None
    for line in response.iter_lines():
        if line.startswith("event: "):
            kind = line[len("event: ") :]
        elif line.startswith("data: "):
            out.append((kind, json.loads(line[len("data: ") :])))
    return out


def storyteller() -> Graph:
    def tell(topic: str, words: int = 6):
        text = ""
        for i in range(words):
            progress((i, words), "writing", unit="words")
            text += f"{topic}{i} "
            yield text

    def cover(story: str):
        yield Image.new("RGB", (8, 8), (10, 10, 10))
        yield Image.new("RGB", (8, 8), (250, 10, 10))

    teller = FnNode(
        tell, inputs={"topic": gr.Textbox(value="cat")}, outputs={"story": gr.Textbox()}
    )
    art = FnNode(cover, inputs={"story": teller.story}, outputs={"picture": gr.Image()})
    return Graph("Stories", nodes=[art], persist_key=False)


def test_a_streamed_call_sends_progress_deltas_and_the_result(serve):
    app = serve(storyteller())
    with httpx.Client(base_url=app.url, timeout=30) as client:
        with client.stream("POST", "/api/stream", json={"inputs": {"tell__topic": "owl"}}) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            got = events_of(r)
        kinds = [k for k, _ in got]
        assert kinds[0] == "started" and kinds[-1] == "result"
        story = "".join(
            d["append"].get("story", "") for k, d in got if k == "partial" and d["node"] == "tell"
        )
        assert story == "".join(f"owl{i} " for i in range(6))
        said = [d["text"] for k, d in got if k == "progress"]
        assert said[0] == "0/6 words · writing" and said[-1] == "5/6 words · writing"
        pictures = [
            d["outputs"]["picture"] for k, d in got if k == "partial" and d["node"] == "cover"
        ]
        reds = [
            Image.open(io.BytesIO(client.get(url).content)).getpixel((0, 0))[0] for url in pictures
        ]
        assert reds[-1] == 250 and set(reds) <= {10, 250}  # frames, served as files
        finished = {d["node"]: d["status"] for k, d in got if k == "finished"}
        assert finished == {"tell": "ok", "cover": "ok"}
        # the final answer is what /api/call gives
        result = got[-1][1]
        called = client.post("/api/call", json={"inputs": {"tell__topic": "owl"}}).json()
        assert result["outputs"].keys() == called["outputs"].keys()
        assert result["outputs"]["cover"]["picture"] == called["outputs"]["cover"]["picture"]


def test_a_bad_streamed_call_is_a_json_error_before_any_event(serve):
    app = serve(storyteller())
    with httpx.Client(base_url=app.url, timeout=30) as client:
        r = client.post("/api/stream", json={"inputs": {"tell__topik": "owl"}})
    assert r.status_code == 400 and "Did you mean 'tell__topic'" in r.json()["error"]


def test_a_node_failing_mid_stream_ends_with_an_error_event(serve):
    def flaky(text: str):
        yield "half"
        raise RuntimeError(f"the model lost {text}")

    g = Graph(
        "Flaky", nodes=[FnNode(flaky, inputs={"text": gr.Textbox(value="it")})], persist_key=False
    )
    app = serve(g)
    with httpx.Client(base_url=app.url, timeout=30) as client:
        with client.stream("POST", "/api/stream", json={"inputs": {}}) as r:
            got = events_of(r)
    assert [k for k, _ in got] == ["started", "partial", "finished", "error"]
    assert got[1][1]["append"] == {"output": "half"}
    assert got[-1][1]["node"] == "flaky" and "the model lost it" in got[-1][1]["error"]


def test_closing_the_connection_stops_the_run(serve):
    stopped = threading.Event()

    def endless(seed: str):
        try:
            text = seed
            while True:
                text += "."
                yield text
                time.sleep(0.02)
        finally:
            stopped.set()

    g = Graph(
        "Endless",
        nodes=[FnNode(endless, inputs={"seed": gr.Textbox(value="x")})],
        persist_key="rest-stream-stop",
    )
    app = serve(g)
    with httpx.Client(base_url=app.url, timeout=30) as client:
        with client.stream("POST", "/api/stream", json={"inputs": {}}) as r:
            for line in r.iter_lines():
                if line.startswith("event: partial"):
                    break  # the client goes away mid-stream
    assert stopped.wait(10), "the run went on after its client left"
