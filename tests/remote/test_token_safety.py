"""The HF token reaches the services that need it and nothing else: not logs, errors,
results, reprs, or files daggr writes."""

from __future__ import annotations

import logging
import secrets
import traceback

import pytest

from daggr import GradioNode, Graph, InferenceNode


@pytest.mark.slow  # five remote services, some failing after retries
def test_a_fake_token_never_shows_up_anywhere(
    fake_hub, gradio_app, monkeypatch, caplog, capfd, daggr_home
):
    token = "hf_fake" + secrets.token_hex(16)
    monkeypatch.setenv("HF_TOKEN", token)
    monkeypatch.setenv("DAGGR_TOKEN_HOSTS", "127.0.0.1")
    caplog.set_level(logging.DEBUG)
    fake_hub.spaces["owner/app"] = {"sha": "c" * 40, "host": gradio_app.url}
    fake_hub.models["acme/tiny-chat"] = {"pipeline_tag": "text-generation"}
    fake_hub.models["acme/leaky"] = {"pipeline_tag": "summarization", "leaky": True}

    nodes = [
        GradioNode("owner/app", api_name="/echo", name="space_echo", inputs={"text": "hi"}),
        GradioNode(gradio_app.url, api_name="/auth_seen", name="seen", inputs={"x": "?"}),
        GradioNode(gradio_app.url, api_name="/leak", name="leak", inputs={"x": "?"}),
        InferenceNode("acme/tiny-chat", name="chat", inputs={"prompt": "hello"}),
        InferenceNode("acme/leaky", name="leaky_model", inputs={"text": "hello"}),
    ]
    graph = Graph("token safety", nodes=nodes)
    result = graph.run(progress=False)

    # The token was used where it belongs...
    assert result["space_echo"]["output"] == "echo:hi"
    assert result["seen"]["output"] == "token"
    assert any(r.authorized for r in fake_hub.requests if r.path.startswith("/api/"))
    assert any(r.authorized for r in fake_hub.requests if r.path.startswith("/models/"))
    # ...and the two services that echo it back in their errors were redacted.
    assert result.status["leak"] == "error" and "hf_***" in result.outcome("leak").message
    assert result.status["leaky_model"] == "error"
    assert "hf_***" in result.outcome("leaky_model").message

    seen = [repr(result), result._repr_html_(), repr(graph), *map(repr, nodes)]
    for name, outcome in result.outcomes.items():
        seen += [name, repr(outcome.outputs), outcome.message or "", str(outcome.error or "")]
        if outcome.error is not None:
            seen.append("".join(traceback.format_exception(outcome.error)))
        if outcome.record is not None:
            seen.append(repr(outcome.record))
    seen += [record.getMessage() for record in caplog.records]
    out, err = capfd.readouterr()
    seen += [out, err]
    for path in daggr_home.rglob("*"):
        if path.is_file() and path.suffix in ("", ".json", ".log", ".txt"):
            seen.append(path.read_text(errors="replace"))
    leaks = [text[:200] for text in seen if token in text or token[7:] in text]
    assert not leaks, leaks
