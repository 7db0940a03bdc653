"""Where a returned value goes: by port name, whole, or by position, and the one-time
warning where the original daggr would have put it elsewhere."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from daggr import FnNode, Graph
from daggr import components as gr
from daggr.return_rule import ReturnValueWarning


def _warnings_of(fn):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        value = fn()
    return value, [w for w in seen if issubclass(w.category, ReturnValueWarning)]


def test_a_dict_keyed_by_ports_goes_port_by_port_and_says_so_once_per_node():
    def describe(text: str) -> dict:
        return {"summary": text[:5], "length": len(text)}

    node = FnNode(describe, outputs={"summary": gr.Textbox(), "length": gr.Number()})
    graph = Graph("dict by ports", nodes=[node], persist_key=False)
    result, seen = _warnings_of(lambda: graph.run(describe__text="a long text", progress=False))
    assert result["describe"] == {"summary": "a lon", "length": 11}
    assert len(seen) == 1
    assert "the original daggr put the whole dict on port 'summary'" in str(seen[0].message)
    assert "return (the_dict,)" in str(seen[0].message)
    again, seen = _warnings_of(
        lambda: graph.run(describe__text="other", force=True, progress=False)
    )
    assert again["describe"]["length"] == 5 and seen == []  # once per node


def test_a_tuple_in_a_one_tuple_keeps_the_original_first_port_reading():
    node = FnNode(lambda: ({"a": 1, "b": 2},), name="wrapped", outputs={"a": None, "b": None})
    value, seen = _warnings_of(node.test)
    assert value == {"a": {"a": 1, "b": 2}, "b": None} and seen == []


def test_a_tuple_is_the_whole_value_of_a_one_port_node():
    image = np.zeros((4, 4, 3), dtype=np.uint8)
    node = FnNode(lambda: (image, {"seed": 7}), name="generate", outputs={"result": gr.JSON()})
    value, seen = _warnings_of(node.test)
    assert value["result"][1] == {"seed": 7} and value["result"][0] is image
    assert len(seen) == 1 and "kept only its first element" in str(seen[0].message)


def test_audio_tuples_are_audio_values_and_not_mentioned():
    samples = np.sin(np.linspace(0, 3.14, 800)).astype(np.float32)
    node = FnNode(lambda: (16000, samples), name="tone", outputs={"audio": gr.Audio()})
    value, seen = _warnings_of(node.test)
    rate, data = value["audio"]
    assert rate == 16000 and data is samples and seen == []


def test_values_the_original_maps_the_same_way_are_not_mentioned():
    pair = FnNode(lambda: (1, 2), name="pair", outputs={"a": None, "b": None})
    one = FnNode(lambda: {"not": "a port"}, name="one", outputs={"a": None, "b": None})
    text = FnNode(lambda: "plain", name="text")
    for node, expected in (
        (pair, {"a": 1, "b": 2}),
        (one, {"a": {"not": "a port"}, "b": None}),
        (text, {"output": "plain"}),
    ):
        value, seen = _warnings_of(node.test)
        assert value == expected and seen == [], node.name


def test_the_warning_can_be_silenced_by_category():
    node = FnNode(lambda: (1, 2), name="silenced")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=ReturnValueWarning)
        assert node.test() == {"output": (1, 2)}
    with pytest.warns(ReturnValueWarning):  # told once: silenced above, said now
        FnNode(lambda: (3, 4), name="loud").test()
