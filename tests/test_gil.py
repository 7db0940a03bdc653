"""CPU-bound items on threads are noticed: once in code (GILWarning), on the node's
outcome and on its card, naming the fix (executor=); items that wait are not.

The decision reads how long each item's thread ran or waited for a CPU, against the time
the items took together (daggr.runtime.gil): no timing threshold here. The work is
unambiguous: a CPU-bound item computes in Python until its thread has used 0.1 s of CPU;
an I/O-bound item sleeps.
"""

from __future__ import annotations

import os
import time
import warnings

import pytest

from daggr import FnNode, GILWarning, Graph
from daggr.widget import bridge

pytestmark = pytest.mark.skipif(
    (os.cpu_count() or 1) < 2, reason="with one CPU, processes would not help either"
)


def compute(x: int) -> int:
    """Pure-Python arithmetic until this thread has used 0.1 s of CPU."""
    total = 0
    end = time.thread_time() + 0.1
    while time.thread_time() < end:
        for i in range(1000):
            total += (i * x) % 7
    return total


def wait(x: int) -> int:
    time.sleep(0.1)
    return x


def six_items() -> list[int]:
    return list(range(6))


def scatter(fn, name: str) -> Graph:
    items = FnNode(six_items, name="items")
    each = FnNode(fn, name="each", inputs={"x": items.output.each}, concurrent=True)
    return Graph(name, nodes=[each], persist_key=False)


def gil_warnings(seen: list) -> list[str]:
    return [str(w.message) for w in seen if issubclass(w.category, GILWarning)]


def test_cpu_bound_items_on_threads_are_noticed_once_with_the_fix():
    graph = scatter(compute, "cpu on threads")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        first = graph.run()
        second = graph.run(force=True)
    said = gil_warnings(seen)
    assert len(said) == 1, said  # once per node, not once per run or per item
    assert "CPU-bound items on threads" in said[0]
    assert "executor=ProcessPoolExecutor()" in said[0] and "dask.distributed.Client()" in said[0]
    assert "'each'" in said[0] and "6 items" in said[0]
    for result in (first, second):
        assert result.ok and len(result["each"]["output"]) == 6
        assert "executor=" in (result.outcome("each").notice or "")
    # The card's state carries it (js/src/cardState.ts shows it in the footer).
    patch = bridge.finished_patch(graph.session, second.outcome("each"))
    assert "executor=" in patch["notice"]


def test_items_that_wait_on_threads_are_not_noticed():
    graph = scatter(wait, "io on threads")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        result = graph.run()
    assert result.ok and result["each"]["output"] == list(range(6))
    assert gil_warnings(seen) == []
    assert result.outcome("each").notice is None
    assert bridge.finished_patch(graph.session, result.outcome("each"))["notice"] is None


def test_items_run_one_at_a_time_are_not_noticed():
    # Without concurrent=True the items run in turn on one thread: nothing to advise.
    items = FnNode(six_items, name="items")
    each = FnNode(compute, name="each", inputs={"x": items.output.each})
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        result = Graph("cpu in turn", nodes=[each], persist_key=False).run()
    assert result.ok and gil_warnings(seen) == [] and result.outcome("each").notice is None
