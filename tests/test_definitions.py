"""Defining graphs: nodes, ports, names, edges and the errors that teach."""

from __future__ import annotations

import pytest

import daggr
from daggr import ChoiceNode, FnNode, GradioNode, Graph, InferenceNode, InputNode, ItemList
from daggr import components as gr
from daggr.errors import GraphError
from daggr.ports import GatheredPort, Port, ScatteredPort


def test_version_and_public_names():
    assert daggr.__version__
    for name in [
        "Graph",
        "FnNode",
        "GradioNode",
        "InferenceNode",
        "InputNode",
        "ChoiceNode",
        "ItemList",
    ]:
        assert hasattr(daggr, name)


def test_fn_node_discovers_signature_and_default_output():
    def step_a(text, n=2):
        return text * n

    node = FnNode(step_a)
    assert node.name == "step_a"
    assert node._input_ports == ["text", "n"]
    assert node._output_ports == ["output"]
    assert "text" in dir(node) and "output" in dir(node)


def test_explicit_inputs_keep_fixed_values_including_none():
    node = FnNode(lambda a, b, c=3: None, name="n", inputs={"a": 1, "b": None})
    assert node._fixed_inputs == {"a": 1, "b": None}
    assert node._input_ports == ["a", "b"]


def test_invalid_fn_input_names_the_closest_parameter():
    def summarize(text, max_words=50):
        return text

    with pytest.raises(GraphError) as err:
        FnNode(summarize, inputs={"txt": "hi"})
    msg = str(err.value)
    assert "'txt' -> 'text'" in msg and "Valid parameters" in msg and "max_words" in msg


def test_kwargs_functions_accept_any_input_names():
    sink = FnNode(lambda **kw: sum(kw.values()), name="sink", inputs={"x0": 1, "x17": 2})
    assert sink._input_ports == ["x0", "x17"]


def test_item_list_output_registers_schema_and_field_ports():
    node = FnNode(
        lambda: [],
        name="lines",
        outputs={"items": ItemList(speaker=gr.Dropdown(choices=["A", "B"]), text=gr.Textbox())},
    )
    assert set(node._item_list_schemas["items"].fields) == {"speaker", "text"}
    field = node.items.speaker
    assert isinstance(field, ScatteredPort) and field.item_key == "speaker"
    with pytest.raises(AttributeError, match="has no attribute 'volume'"):
        _ = node.items.volume


def test_port_references():
    node = FnNode(lambda: [1], name="src")
    assert isinstance(node.output, Port) and node.output.name == "output"
    assert isinstance(node.output.each, ScatteredPort)
    assert node.output.each["k"].item_key == "k"
    assert isinstance(node.output.all(), GatheredPort)
    assert node._outputs._hidden.name == "_hidden"


def test_underscore_ports_warn():
    with pytest.warns(UserWarning, match="start with underscore"):
        FnNode(lambda: 1, name="u", outputs={"_secret": None})


def test_output_ports_named_like_node_methods_keep_the_methods():
    node = FnNode(lambda: (1, 2, 3), name="n", outputs={"test": None, "history": None, "out": None})
    assert callable(node.test)  # still node.test(), not a port
    assert node._outputs.test == Port(node, "test")
    assert node._outputs.history == Port(node, "history")
    assert node.out == Port(node, "out")
    sink = FnNode(lambda x, y: (x, y), name="sink", inputs={"x": node._outputs.test, "y": node.out})
    assert Graph("g", nodes=[sink], persist_key=False).run()["sink"] == {"output": (1, 3)}


def test_graph_requires_a_name():
    for bad in ["", None, "   "]:
        with pytest.raises(GraphError, match="requires a 'name'"):
            Graph(bad)


def test_persist_key_rules():
    assert Graph("My Cool App!").persist_key == "my_cool_app"
    assert Graph("x", persist_key=False).persist_key is None
    assert Graph("x", persist_key="pinned").persist_key == "pinned"


def test_upstream_nodes_are_added_and_ordered():
    a = FnNode(lambda: 1, name="a")
    b = FnNode(lambda x: x, name="b", inputs={"x": a.output})
    c = FnNode(lambda y: y, name="c", inputs={"y": b.output})
    g = Graph("g", nodes=[c], persist_key=False)
    assert list(g.nodes) == ["a", "b", "c"]
    assert g.get_execution_order() == ["a", "b", "c"]
    assert g.get_connections() == [("a", "output", "b", "x"), ("b", "output", "c", "y")]
    assert [n.name for n in g.get_entry_nodes()] == ["a"]
    assert g.get_output_nodes() == ["c"]  # names, like the original


def test_edge_api():
    a = FnNode(lambda: 1, name="step_a")
    b = FnNode(lambda data: data, name="step_b")
    g = Graph("g", nodes=[a, b], persist_key=False).edge(a.output, b.data)
    assert g.get_connections() == [("step_a", "output", "step_b", "data")]
    with pytest.raises(GraphError, match="Available inputs: data"):
        g.edge(a.output, b.dta)


def test_cycle_is_refused_and_rolled_back():
    a = FnNode(lambda x=0: x, name="a")
    b = FnNode(lambda x: x, name="b", inputs={"x": a.output})
    g = Graph("g", nodes=[b], persist_key=False)
    with pytest.raises(GraphError, match="cycle"):
        g.edge(b.output, a.x)
    assert g.get_connections() == [("a", "output", "b", "x")]


def test_unknown_output_port_suggests_the_closest():
    a = FnNode(lambda: 1, name="a", outputs={"image": None, "caption": None})
    b = FnNode(lambda x: x, name="b", inputs={"x": a.imag})
    with pytest.raises(GraphError) as err:
        Graph("g", nodes=[b], persist_key=False)
    assert "Available outputs: image, caption" in str(err.value)
    assert "Did you mean 'image'?" in str(err.value)


def test_validate_edges_aggregates_problems():
    a = FnNode(lambda: 1, name="a")
    b = FnNode(lambda data: data, name="b", inputs={"data": a.output})
    g = Graph("g", nodes=[b], persist_key=False)
    a._output_ports = ["result"]
    b._input_ports = ["payload"]
    with pytest.raises(GraphError) as err:
        g._validate_edges()
    msg = str(err.value)
    assert "Available outputs: result" in msg and "Available inputs: payload" in msg


def test_duplicate_explicit_names_raise_but_unnamed_nodes_get_suffixes():
    a1 = FnNode(lambda: 1, name="same")
    a2 = FnNode(lambda: 2, name="same")
    with pytest.raises(GraphError, match="already exists"):
        Graph("g", nodes=[a1, a2], persist_key=False)
    l1, l2 = FnNode(lambda: 1), FnNode(lambda: 2)
    g = Graph("g", nodes=[l1, l2], persist_key=False)
    assert [n.name for n in g] == ["lambda", "lambda_1"]
    assert g.run().ok


def test_names_that_map_to_the_same_id_are_refused():
    with pytest.raises(GraphError, match="both map to the id 'a_b'"):
        Graph(
            "g",
            nodes=[FnNode(lambda: 1, name="a-b"), FnNode(lambda: 1, name="a_b")],
            persist_key=False,
        )


def test_input_node_checks_its_ports():
    with pytest.raises(TypeError, match="must be a dictionary"):
        InputNode("form", ports=[gr.Textbox()])
    with pytest.raises(ValueError, match="Invalid entries: age \\(int\\)"):
        InputNode("form", ports={"name": gr.Textbox(), "age": 3})
    form = InputNode(ports={"name": gr.Textbox()})
    assert form.name == "Inputs" and form._output_ports == ["name"]


def test_choice_node_union_of_ports_and_names():
    a = FnNode(lambda text: text, name="a", outputs={"out": gr.Textbox()})
    b = FnNode(lambda text, extra=1: text, name="b", outputs={"out": None, "more": None})
    c = a | b
    assert isinstance(c, ChoiceNode) and c.name == "a"
    assert c._output_ports == ["out", "more"] and c._input_ports == ["text", "extra"]
    c.name = "Music generator"
    assert c.name == "Music generator"
    d = c | FnNode(lambda text: text, name="d")
    assert [v.name for v in d.variants] == ["a", "b", "d"]
    with pytest.raises(GraphError, match="at least one variant"):
        ChoiceNode([])
    with pytest.raises(GraphError, match="Did you mean 'b'"):
        d.variant_index("bb")


def test_remote_node_definitions_construct_offline():
    node = GradioNode(
        "owner/Z-Image-Turbo",
        api_name="generate",
        validate=False,
        inputs={"prompt": gr.Textbox()},
        outputs={"image": gr.Image()},
    )
    assert node.name == "Z-Image-Turbo" and node.api_name == "/generate"
    assert node.url == "https://huggingface.co/spaces/owner/Z-Image-Turbo"
    local = GradioNode("localhost:7860", validate=False)
    assert local.src == "http://localhost:7860" and local.api_name == "/predict"
    with pytest.raises(GraphError, match="Expected format"):
        GradioNode("not a space", validate=False)
    model = InferenceNode("org/tiny-llm:together", validate=False)
    assert (model.name, model.model, model.provider) == ("tiny-llm", "org/tiny-llm", "together")
    assert model._input_ports == ["input"] and model._output_ports == ["output"]


def test_repr_is_a_readable_summary():
    a = FnNode(lambda: [1, 2], name="a")
    b = FnNode(lambda x, prompt: x, name="b", inputs={"x": a.output.each, "prompt": gr.Textbox()})
    text = repr(Graph("Demo", nodes=[b], persist_key=False))
    assert "Graph('Demo': 2 nodes, 1 edges)" in text
    assert "x<-a.output.each" in text and "prompt*" in text
