"""Property tests: random graphs give the values plain Python gives, on every path."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daggr import FnNode, Graph


@st.composite
def dags(draw):
    """A random DAG: node i may read any earlier node; each adds a constant to the sum
    of its inputs (possibly scattering over a list-producing node)."""
    n = draw(st.integers(min_value=1, max_value=12))
    spec = []
    for i in range(n):
        parents = draw(st.lists(st.integers(0, i - 1), unique=True, max_size=3)) if i else []
        const = draw(st.integers(-5, 5))
        concurrent = draw(st.booleans())
        spec.append((parents, const, concurrent))
    return spec


def evaluate(spec):
    values = []
    for parents, const, _ in spec:
        values.append(sum(values[p] for p in parents) + const)
    return values


def build(spec):
    nodes = []
    for i, (parents, const, concurrent) in enumerate(spec):
        inputs = {f"x{p}": nodes[p].output for p in parents}
        nodes.append(
            FnNode(
                lambda const=const, **kw: sum(kw.values()) + const,
                name=f"n{i}",
                inputs=inputs,
                concurrent=concurrent,
            )
        )
    return Graph("random dag", nodes=nodes, persist_key=False), nodes


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dags())
def test_random_dags_match_plain_python(spec):
    graph, _ = build(spec)
    expected = evaluate(spec)
    result = graph.run(progress=False)
    assert [result[f"n{i}"]["output"] for i in range(len(spec))] == expected
    again = graph.run(progress=False)  # everything fresh: nothing executes, same values
    assert again.executed == []
    assert [again[f"n{i}"]["output"] for i in range(len(spec))] == expected


@settings(max_examples=40, deadline=None)
@given(dags(), st.data())
def test_run_to_here_gives_the_same_values_as_a_full_run(spec, data):
    graph, _ = build(spec)
    target = data.draw(st.integers(0, len(spec) - 1))
    expected = evaluate(spec)
    result = graph.run(f"n{target}", progress=False)
    assert result[f"n{target}"]["output"] == expected[target]
    assert set(result) == {f"n{target}"} | graph.ancestors(f"n{target}")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-1000, 1000), max_size=40), st.booleans())
def test_scatter_gather_matches_a_list_comprehension(items, concurrent):
    source = FnNode(lambda: list(items), name="source")
    each = FnNode(
        lambda x: x * 3 - 1, name="each", inputs={"x": source.output.each}, concurrent=concurrent
    )
    total = FnNode(lambda xs: xs, name="total", inputs={"xs": each.output.all()})
    result = Graph("random scatter", nodes=[total], persist_key=False).run(progress=False)
    assert result["total"]["output"] == [x * 3 - 1 for x in items]
