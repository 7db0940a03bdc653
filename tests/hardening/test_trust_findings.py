"""The smaller findings of the served-app audit, each on real parts."""

from __future__ import annotations

import pytest

from daggr import ChoiceNode, FnNode, Graph
from daggr import components as gr
from daggr.errors import GraphError


def test_input_keys_that_join_into_one_name_are_refused_when_the_graph_is_built():
    """``a`` + ``b__c`` and ``a__b`` + ``c`` are both ``a__b__c``: the second would have
    silently taken the first one's value from graph.run(), REST and the canvas."""
    first = FnNode(lambda **kw: kw, name="a", inputs={"b__c": gr.Textbox(value="one")})
    second = FnNode(lambda c: c, name="a__b", inputs={"c": gr.Textbox(value="two")})
    with pytest.raises(GraphError) as caught:
        Graph("collide", nodes=[first, second], persist_key=False)
    message = str(caught.value)
    assert "'a.b__c' and 'a__b.c' are both named 'a__b__c'" in message
    assert "rename" in message

    # a choice's variants name inputs too
    left = FnNode(lambda x: x, name="left", inputs={"x": gr.Textbox()})
    right = FnNode(lambda x: x, name="right", inputs={"x": gr.Textbox()})
    clash = FnNode(lambda x: x, name="left", inputs={"x": gr.Textbox()})
    with pytest.raises(GraphError, match="'left__x'"):
        Graph("choice collide", nodes=[ChoiceNode([left, right], name="pick"), clash])


def test_names_with_double_underscores_that_do_not_collide_still_build():
    # a wired port is no user input, so 'a' + 'b__c' here names nothing
    up = FnNode(lambda: "x", name="src")
    wired = FnNode(lambda b__c: b__c, name="a", inputs={"b__c": up.output})
    mine = FnNode(lambda c: c, name="a__b", inputs={"c": gr.Textbox(value="v")})
    graph = Graph("no clash", nodes=[wired, mine], persist_key=False)
    assert graph.run(a__b__c="given", progress=False)["a__b"] == {"output": "given"}
