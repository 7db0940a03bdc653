"""How GradioNode calls behave under load, cancellation and failures."""

from __future__ import annotations

import time

import pytest
from gradio_client import Client

from daggr import FnNode, GradioNode, Graph
from daggr import components as gr
from daggr.remote.errors import RemoteUnreachable


def _events(url: str) -> list[str]:
    return Client(url, verbose=False).predict(api_name="/events")


def _wait_for(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_eight_gradio_nodes_run_at_once(gradio_app):
    # The app's endpoint waits on a Barrier(8): unless all eight calls are in flight
    # together, it times out and every call fails.
    nodes = [
        GradioNode(gradio_app.url, api_name="/barrier", name=f"b{i}", inputs={"x": f"{i}"})
        for i in range(8)
    ]
    result = Graph("barrier", nodes=nodes, persist_key=False).run(progress=False)
    assert result.ok, result.errors
    assert {result[f"b{i}"]["output"] for i in range(8)} == {f"met:{i}" for i in range(8)}


def test_cancelling_a_run_cancels_the_remote_job(gradio_app):
    tag = f"c{time.time_ns()}"
    node = GradioNode(gradio_app.url, api_name="/hang", inputs={"x": tag})
    handle = Graph("cancel", nodes=[node], persist_key=False).start(progress=False)
    assert _wait_for(lambda: f"hang-start {tag}" in _events(gradio_app.url))
    handle.cancel()
    result = handle.result(timeout=10)
    assert result.cancelled and result.status["hang"] == "cancelled"
    # The app's own task was cancelled (it records that), not just abandoned by daggr.
    assert _wait_for(lambda: f"hang-cancelled {tag}" in _events(gradio_app.url))


@pytest.mark.slow  # waits for a timeout
def test_a_hanging_app_fails_with_the_timeout_and_the_job_is_cancelled(gradio_app):
    tag = f"t{time.time_ns()}"
    node = GradioNode(gradio_app.url, api_name="/hang", inputs={"x": tag}, timeout=1.0)
    fine = FnNode(lambda: "still runs", name="fine")
    result = Graph("timeout", nodes=[node, fine], persist_key=False).run(progress=False)
    assert result.status == {"hang": "error", "fine": "ok"}
    assert "no answer after 1 s (the node's timeout)" in result.outcome("hang").message
    assert _wait_for(lambda: f"hang-cancelled {tag}" in _events(gradio_app.url))


@pytest.mark.slow  # restarts a Gradio app
def test_retry_reaches_the_app_after_it_restarts(own_app, monkeypatch):
    monkeypatch.setenv("DAGGR_REMOTE_RETRIES", "8")
    monkeypatch.setenv("DAGGR_RETRY_BACKOFF", "0.25")
    node = GradioNode(own_app.url, api_name="/echo", inputs={"text": gr.Textbox()})
    graph = Graph("restart", nodes=[node], persist_key=False)
    assert graph.run(progress=False, echo__text="before")["echo"]["output"] == "echo:before"
    own_app.stop()
    own_app.start(wait=False)  # comes back while daggr is retrying
    result = graph.run(progress=False, echo__text="after")
    assert result.ok, result.errors
    assert result["echo"]["output"] == "echo:after"


@pytest.mark.slow  # a second Gradio app
def test_retries_are_bounded_and_report_the_last_error(own_app, monkeypatch):
    node = GradioNode(own_app.url, api_name="/echo", inputs={"text": gr.Textbox()})
    graph = Graph("down", nodes=[node], persist_key=False)
    assert graph.run(progress=False, echo__text="up").ok
    own_app.stop()
    try:
        monkeypatch.setenv("DAGGR_REMOTE_RETRIES", "2")
        result = graph.run(progress=False, echo__text="down")
        outcome = result.outcome("echo")
        assert isinstance(outcome.error, RemoteUnreachable)
        assert "after 3 attempts" in outcome.message and "refused" in outcome.message.lower()
    finally:
        own_app.start(wait=False)


@pytest.mark.slow  # a queue of slow calls
def test_calls_to_one_app_are_bounded(gradio_app, monkeypatch):
    monkeypatch.setenv("DAGGR_GRADIO_CONCURRENCY", "2")
    tag = f"bd{time.time_ns()}"
    nodes = [
        GradioNode(gradio_app.url, api_name="/slow", name=f"k{i}", inputs={"x": f"{tag}-{i}"})
        for i in range(6)
    ]
    assert Graph("bounded", nodes=nodes, persist_key=False).run(progress=False).ok
    spans = sorted(
        (float(line.split()[2]), float(line.split()[3]))
        for line in _events(gradio_app.url)
        if line.startswith(f"slow {tag}")
    )
    # At no start time were more than two calls running.
    for start, _ in spans:
        assert sum(1 for s, e in spans if s <= start < e) <= 2


@pytest.mark.parametrize("hosts, expected", [("", "none"), ("127.0.0.1", "token")])
def test_token_goes_only_to_allowed_hosts(gradio_app, monkeypatch, hosts, expected):
    monkeypatch.setenv("HF_TOKEN", "hf_" + "x" * 34)
    monkeypatch.setenv("DAGGR_TOKEN_HOSTS", hosts)
    node = GradioNode(gradio_app.url, api_name="/auth_seen", inputs={"x": "?"})
    result = Graph("auth", nodes=[node], persist_key=False).run(progress=False)
    assert result["auth_seen"]["output"] == expected
