"""Live feedback from remote work, with real apps on 127.0.0.1: a Gradio generator endpoint
(text and image), an endpoint serving one caller at a time (real queue positions), one
with ``gr.Progress``, and an OpenAI-compatible chat server streaming tokens through the
real ``huggingface_hub`` client. Stop and a dying app mid-stream too."""

from __future__ import annotations

import json
import urllib.request

import pytest
from gradio_client import Client
from PIL import Image

from daggr import FnNode, GradioNode, Graph, InferenceNode, Update
from daggr import components as gr
from tests.widget.widget_helpers import wait_for

pytestmark = pytest.mark.slow  # Gradio apps and a chat server started for the module


def follow(*nodes, **inputs) -> tuple[list[Update], object, Graph]:
    g = Graph("remote stream test", nodes=list(nodes), persist_key=False)
    stream = g.stream(**inputs)
    updates = list(stream)
    return updates, stream.result, g


def partials(updates: list[Update], node: str) -> list[Update]:
    return [u for u in updates if u.kind == "partial" and u.node == node]


def reports(updates: list[Update], node: str) -> list[str]:
    return [u.progress.text for u in updates if u.kind == "progress" and u.node == node]


# -- Gradio ------------------------------------------------------------------------------------
def test_a_generator_endpoint_streams_text_and_downstream_gets_the_final_value(stream_app):
    tokens = GradioNode(
        stream_app.url, api_name="/tokens", inputs={"n": 8, "delay": 0.05}, name="tokens"
    )
    count = FnNode(lambda text: len(text.split()), name="count", inputs={"text": tokens.output})
    updates, result, g = follow(count)
    texts = [u.outputs["output"] for u in partials(updates, "tokens")]
    final = "".join(f"word{i} " for i in range(8))
    assert len(texts) >= 3  # the words arrive while the app writes them
    assert all(
        later.startswith(earlier) for earlier, later in zip(texts[:-1], texts[1:], strict=True)
    )
    assert "".join(u.appended["output"] for u in partials(updates, "tokens")) == texts[-1]
    assert result["tokens"]["output"] == final and result["count"]["output"] == 8
    assert [r.outputs["output"] for r in g.history("tokens")] == [final]  # one row


def test_a_generator_endpoint_streams_image_frames(stream_app):
    frames = GradioNode(
        stream_app.url,
        api_name="/frames",
        inputs={"n": 4, "delay": 0.25},
        outputs={"picture": gr.Image()},
    )
    updates, result, g = follow(frames)
    shown = [u.outputs["picture"] for u in partials(updates, "frames")]
    assert len(shown) >= 2 and len(set(shown)) == len(shown)  # new frames, not repeats
    reds = [Image.open(path).convert("RGB").getpixel((0, 0))[0] for path in shown]
    assert reds == sorted(reds)  # each frame brighter than the last
    final = Image.open(result["frames"]["picture"]).convert("RGB").getpixel((0, 0))
    assert abs(final[0] - 255) <= 4 and len(g.history("frames")) == 1


def test_queue_positions_appear_while_callers_wait_their_turn(stream_app):
    callers = [
        GradioNode(stream_app.url, api_name="/busy", name=f"caller{i}", inputs={"x": str(i)})
        for i in range(3)
    ]
    updates, result, _ = follow(*callers)
    assert result.ok, result.errors
    queued = [u.progress for u in updates if u.kind == "progress" and u.progress.queued]
    assert any(p.queue_position >= 2 for p in queued), [p.text for p in queued]
    assert all(p.text.startswith(f"queue {p.queue_position}") for p in queued)
    # Each caller that waited says so until its turn comes, then says nothing more.
    for caller in {p.node for p in queued}:
        mine = [u for u in updates if u.node == caller and u.kind in ("progress", "finished")]
        assert mine[-1].kind == "finished" and mine[-2].progress.text == ""


def test_gr_progress_of_the_app_is_reported(stream_app):
    steps = GradioNode(stream_app.url, api_name="/steps", inputs={"n": 3}, name="steps")
    updates, result, _ = follow(steps)
    said = [t for t in reports(updates, "steps") if not t.startswith("queue") and t]
    assert said[0] == "0/3 steps · denoising"
    assert "2/3 steps · denoising" in said and said[-1] == "100% · decoding"
    shares = [u.progress.share for u in updates if u.kind == "progress" and u.progress.share]
    assert shares == sorted(shares) and shares[-1] == 1.0
    assert result["steps"]["output"] == "3 steps"


def test_stop_mid_stream_cancels_the_job_in_the_app_and_keeps_nothing(stream_app):
    endless = GradioNode(
        stream_app.url, api_name="/endless", inputs={"x": "stop-me"}, name="endless"
    )
    g = Graph("stop", nodes=[endless], persist_key=False)
    stream = g.stream()
    for update in stream:
        if update.kind == "partial" and update.outputs["output"].count("t") >= 5:
            stream.cancel()
    assert stream.result.status["endless"] == "cancelled"
    assert len(g.history("endless")) == 0
    client = Client(stream_app.url, verbose=False)
    wait_for(lambda: "endless-closed stop-me" in client.predict(api_name="/events"), 15)


def test_an_app_dying_mid_stream_fails_with_a_clear_error(doomed_stream_app, monkeypatch):
    monkeypatch.setenv("DAGGR_REMOTE_RETRIES", "1")
    tokens = GradioNode(
        doomed_stream_app.url, api_name="/tokens", inputs={"n": 500, "delay": 0.02}, name="doomed"
    )
    g = Graph("dying", nodes=[tokens], persist_key=False)
    stream = g.stream()
    seen = 0
    for update in stream:
        if update.kind == "partial":
            seen += 1
            if seen == 5:
                doomed_stream_app.kill()
    assert stream.result.status["doomed"] == "error"
    message = str(stream.result.errors["doomed"])
    assert "broke after" in message and "partial result" in message, message
    assert [r.status for r in g.history("doomed")] == ["error"]
    assert g.history("doomed")[0].outputs == {}


# -- a chat model ------------------------------------------------------------------------------
@pytest.fixture
def hub_online(fake_hub):
    """huggingface_hub refuses every request with HF_HUB_OFFLINE=1, loopback ones too: the
    fake Hub's fixture lifts it (the no-internet guard still stands)."""
    return fake_hub


def chat_node(server, prompt: str, name: str = "chat") -> InferenceNode:
    return InferenceNode(
        server.url, name=name, inputs={"prompt": gr.Textbox(value=prompt)}, outputs=["reply"]
    )


def server_events(server) -> list[str]:
    with urllib.request.urlopen(server.url + "/events", timeout=5) as answer:
        return json.load(answer)


def test_a_chat_model_streams_its_answer_token_by_token(chat_server, hub_online):
    updates, result, g = follow(chat_node(chat_server, "n=12 delay=0.02"))
    appended = [u.appended["reply"] for u in partials(updates, "chat")]
    assert appended == [f"w{i} " for i in range(12)]
    assert result["chat"]["reply"] == "".join(appended)
    assert [r.outputs["reply"] for r in g.history("chat")] == [result["chat"]["reply"]]


def test_a_chat_model_without_a_run_answers_whole(chat_server, hub_online):
    assert chat_node(chat_server, "n=3 delay=0").test() == {"reply": "w0 w1 w2 "}


def test_stop_closes_the_chat_stream_and_the_server_sees_it(chat_server, hub_online):
    g = Graph("stop chat", nodes=[chat_node(chat_server, "n=400 delay=0.02")], persist_key=False)
    stream = g.stream()
    for update in stream:
        if update.kind == "partial" and len(update.outputs["reply"]) > 30:
            stream.cancel()
    assert stream.result.status["chat"] == "cancelled" and len(g.history("chat")) == 0
    wait_for(lambda: any(e.startswith("client-gone") for e in server_events(chat_server)), 15)


def test_a_chat_server_killed_mid_answer_fails_clearly(doomed_chat_server, hub_online, monkeypatch):
    monkeypatch.setenv("DAGGR_REMOTE_RETRIES", "1")
    g = Graph(
        "dying chat",
        nodes=[chat_node(doomed_chat_server, "n=1000 delay=0.01", name="doomed")],
        persist_key=False,
    )
    stream = g.stream()
    for update in stream:
        if update.kind == "partial" and len(update.outputs["reply"]) > 20:
            doomed_chat_server.kill()
    assert stream.result.status["doomed"] == "error"
    message = str(stream.result.errors["doomed"])
    assert "token stream" in message and "broke after" in message, message
    assert g.history("doomed")[0].outputs == {}


def test_a_server_that_does_not_stream_answers_whole_and_is_asked_so_after(chat_server, hub_online):
    node = chat_node(chat_server, "n=4 delay=0 whole=1", name="whole")
    before = len(server_events(chat_server))
    g = Graph("whole", nodes=[node], persist_key=False)
    assert g.run(progress=False)["whole"]["reply"] == "w0 w1 w2 w3 "
    assert g.run(force=True, progress=False)["whole"]["reply"] == "w0 w1 w2 w3 "
    starts = [e for e in server_events(chat_server)[before:] if e.startswith("start")]
    # asked to stream once, answered whole; from then on asked for a whole answer
    assert starts == ["start stream", "start whole", "start whole"]
