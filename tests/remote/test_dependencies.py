"""Upstream revision tracking per graph persist key."""

from __future__ import annotations

import json

import pytest

from daggr import GradioNode, Graph, InferenceNode
from daggr.remote import check_dependencies
from daggr.remote.dependencies import DependencyChanged


def test_revisions_are_recorded_then_changes_reported(fake_hub, daggr_home, capsys, monkeypatch):
    monkeypatch.delenv("DAGGR_DEPENDENCY_CHECK", raising=False)  # the suite's default: skip
    fake_hub.spaces["owner/tts"] = {"sha": "1" * 40, "host": "http://127.0.0.1:9"}
    fake_hub.models["acme/llm"] = {"sha": "2" * 40, "pipeline_tag": "text-generation"}
    graph = Graph(
        "Podcast",
        nodes=[
            GradioNode("owner/tts", validate=False, name="tts"),
            InferenceNode("acme/llm", validate=False, name="llm"),
            GradioNode("http://127.0.0.1:9", validate=False, name="local_app"),  # not on the Hub
        ],
    )
    first = check_dependencies(graph)
    assert {(c.node, c.kind, c.status) for c in first} == {
        ("tts", "space", "recorded"),
        ("llm", "model", "recorded"),
    }
    stored = json.loads((daggr_home / "dependencies.json").read_text())
    assert stored["podcast"]["tts"] == {"kind": "space", "id": "owner/tts", "sha": "1" * 40}
    assert {c.status for c in check_dependencies(graph)} == {"unchanged"}

    fake_hub.spaces["owner/tts"]["sha"] = "3" * 40
    with pytest.raises(DependencyChanged) as err:
        check_dependencies(graph, "error")
    assert "space 'owner/tts' (node 'tts'): 111111111111 → 333333333333" in str(err.value)
    assert "DAGGR_DEPENDENCY_CHECK=update" in str(err.value)

    changes = check_dependencies(graph)  # unset and no TTY: accepted with a notice
    assert [c.status for c in changes if c.node == "tts"] == ["changed"]
    assert "Upstream changed, accepted: space 'owner/tts'" in capsys.readouterr().err
    assert {c.status for c in check_dependencies(graph, "update")} == {"unchanged"}


def test_skip_offline_and_bad_modes(daggr_home):
    graph = Graph("g", nodes=[GradioNode("owner/x", validate=False)])
    assert check_dependencies(graph, "skip") == []
    assert check_dependencies(graph, "update") == []  # HF_HUB_OFFLINE=1: nothing to ask
    with pytest.raises(ValueError, match="Valid: skip, update, error, prompt"):
        check_dependencies(graph, "sometimes")
