"""Remote nodes keep their results when renamed, and run without the engine asking them
for ports: a real Gradio app and the loopback Hub, through the real clients."""

from __future__ import annotations

import json
import uuid

import pytest
from gradio_client import Client

from daggr import FnNode, GradioNode, Graph, InferenceNode
from daggr.nodes.base import Node


def _app_calls(url: str, tag: str) -> list[str]:
    """The /slow calls the app recorded for ``tag``."""
    events = Client(url, verbose=False).predict(api_name="/events")
    return [line for line in events if line.startswith(f"slow {tag} ")]


def test_a_renamed_gradio_node_keeps_its_cached_results(gradio_app, daggr_home):
    tag = uuid.uuid4().hex[:8]

    def build(name):
        text = FnNode(lambda: tag, name="text")
        slow = GradioNode(gradio_app.url, api_name="/slow", name=name, inputs={"x": text.output})
        return Graph("renamed remote", nodes=[slow], persist_key="renamed-remote")

    first = build("slow").run(progress=False)
    assert first["slow"] == {"output": f"slow:{tag}"}
    renamed = build("slow_call").run(progress=False)
    assert renamed.status == {"text": "cached", "slow_call": "cached"}
    assert renamed.executed == [] and renamed["slow_call"] == {"output": f"slow:{tag}"}
    assert len(_app_calls(gradio_app.url, tag)) == 1
    assert len(build("slow_call").history("slow_call")) == 1


def test_a_renamed_inference_node_keeps_its_cached_results(fake_hub, daggr_home):
    fake_hub.models["acme/tiny-chat"] = {"pipeline_tag": "text-generation"}

    def build(name):
        chat = InferenceNode("acme/tiny-chat", name=name, inputs={"prompt": "hello"})
        return Graph("renamed model", nodes=[chat], persist_key="renamed-model")

    first = build("chat").run(progress=False)
    asked = len(fake_hub.paths("/models/acme/tiny-chat/v1/chat/completions"))
    assert asked == 1
    renamed = build("assistant").run(progress=False)
    assert renamed.status == {"assistant": "cached"} and renamed.executed == []
    assert renamed["assistant"] == first["chat"]
    assert len(fake_hub.paths("/models/acme/tiny-chat/v1/chat/completions")) == asked


def test_remote_nodes_run_and_test_without_being_asked_for_ports(gradio_app, fake_hub, monkeypatch):
    fake_hub.models["acme/tiny-chat"] = {"pipeline_tag": "text-generation"}
    words = FnNode(lambda: ["a", "b"], name="words")
    echo = GradioNode(gradio_app.url, api_name="/echo", inputs={"text": words.output.each})
    chat = InferenceNode("acme/tiny-chat", name="chat", inputs={"prompt": "hi"}, timeout=30)
    g = Graph("probe", nodes=[echo, chat], persist_key=False)
    asked: list[tuple[str, str]] = []
    original = Node.__getattr__

    def spy(self, name):
        asked.append((self._name, name))
        return original(self, name)

    monkeypatch.setattr(Node, "__getattr__", spy)
    result = g.run(progress=False)
    assert result.ok, result.errors
    assert result["echo"] == {"output": ["echo:a", "echo:b"]}
    assert json.loads(result["chat"]["output"])["messages"][-1]["content"] == "hi"
    assert echo.test(text="t") == {"output": "echo:t"}
    assert json.loads(chat.test()["output"])["messages"][-1]["content"] == "hi"
    assert asked == []


def test_a_remote_nodes_timeout_applies_in_node_test_too(gradio_app):
    node = GradioNode(gradio_app.url, api_name="/hang", inputs={"x": "t"}, timeout=0.5)
    with pytest.raises(TimeoutError, match=r"no answer after 0.5 s \(the node's timeout\)"):
        node.test()
