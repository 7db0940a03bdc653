"""FnNode work on a process pool and on a real Dask cluster (processes on 127.0.0.1)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from daggr import FileValue, FnNode, Graph
from daggr.errors import GraphError


def pid_of(x):
    time.sleep(0.05)
    return (x * x, os.getpid())


def explode(x):
    raise ValueError(f"bad item {x}")


def nap(x):
    time.sleep(6)  # long enough to be cancelled; the pool still waits for it at shutdown
    return x


def write_file(text):
    folder = tempfile.mkdtemp(prefix="daggr-worker-")
    path = os.path.join(folder, "note.txt")
    with open(path, "w") as fh:
        fh.write(text)
    return FileValue(path)


def source():
    return list(range(6))


# Workers (pool and Dask processes) inherit this: where the test marks reported items.
# Set once: a worker that imports this module again must keep its parent's folder.
if "DAGGR_TEST_REPORTED" not in os.environ:
    os.environ["DAGGR_TEST_REPORTED"] = tempfile.mkdtemp(prefix="daggr-reported-")


def reported_after_another(x):
    """Item 0 returns only once daggr has reported another item (the test's listener marks
    each one), without relying on a clock. (Not after all five: Dask may queue some items
    behind it on its worker.)"""
    if x == 0:
        marks = Path(os.environ["DAGGR_TEST_REPORTED"])
        deadline = time.monotonic() + 60
        while not any(marks.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.02)
    return x * 10


def follow_items(graph) -> list[tuple]:
    """The ``item_finished`` events of the graph's runs, in the order daggr reports them."""
    marks = Path(os.environ["DAGGR_TEST_REPORTED"])
    for mark in marks.iterdir():
        mark.unlink()
    events: list[tuple] = []

    def listen(kind, payload):
        if kind == "item_finished":
            events.append(payload)
            (marks / str(payload[1])).touch()

    graph.session.listeners.append(listen)
    return events


@pytest.fixture(scope="module")
def pool():
    with ProcessPoolExecutor(max_workers=2) as executor:
        yield executor


def scatter_graph(fn, executor, name, **kw):
    items = FnNode(source, name="items")
    each = FnNode(fn, name="each", inputs={"x": items.output.each}, executor=executor, **kw)
    return Graph(name, nodes=[each], persist_key=False), each


def test_process_pool_runs_items_as_separate_tasks(pool):
    g, _ = scatter_graph(pid_of, pool, "pool")
    result = g.run()
    values = result["each"]["output"]
    assert [v[0] for v in values] == [x * x for x in range(6)]
    pids = {v[1] for v in values}
    assert os.getpid() not in pids


def test_pool_items_are_reported_as_they_complete_not_in_submission_order(pool):
    # All items go to the pool at once; each is reported when it completes: the quick
    # ones while the slow first item still runs (a canvas shows them progressing).
    g, _ = scatter_graph(reported_after_another, pool, "pool streaming")
    events = follow_items(g)
    result = g.run()
    assert result["each"]["output"] == [x * 10 for x in range(6)]
    assert events[0][1] != 0  # as they completed: another item before the first one
    assert sorted(e[1] for e in events) == list(range(6))
    assert all(e[0] == "each" and e[2] == "ok" and e[3] == 6 for e in events)


def test_graph_level_executor_applies_to_every_fn_node(pool):
    node = FnNode(pid_of, name="one", inputs={"x": 3})
    result = Graph("graph pool", nodes=[node], persist_key=False, executor=pool).run()
    value, pid = result["one"]["output"]
    assert value == 9 and pid != os.getpid()


def test_worker_errors_keep_the_item_and_the_remote_traceback(pool):
    g, _ = scatter_graph(explode, pool, "pool errors")
    result = g.run()
    assert "item 0 failed: ValueError: bad item 0 (6 of 6 items failed)" in str(
        result.errors["each"]
    )
    cause = result.outcome("each").error.__cause__
    assert isinstance(cause, ValueError)
    assert "in explode" in str(cause.__cause__)  # the worker's own traceback


def test_lambda_on_a_process_pool_says_what_to_change(pool):
    with pytest.raises(GraphError, match="define the function at the top level"):
        FnNode(lambda x: x, name="lam", inputs={"x": 1}, executor=pool)
    node = FnNode(lambda x: x, name="lam", inputs={"x": 1})
    result = Graph("lambda pool", nodes=[node], persist_key=False, executor=pool).run()
    assert "cannot be pickled" in str(result.errors["lam"])


def test_files_made_on_workers_reach_the_session(pool, daggr_home):
    node = FnNode(write_file, name="write", inputs={"text": "from a worker"}, executor=pool)
    result = Graph("pool files", nodes=[node], persist_key=False).run()
    path = Path(result["write"]["output"])
    assert isinstance(result["write"]["output"], FileValue)
    assert path.read_text() == "from a worker"
    assert daggr_home in path.parents


@pytest.mark.slow  # the pool finishes the cancelled naps before it shuts down (~18 s)
def test_cancel_stops_waiting_for_the_pool(pool):
    g, _ = scatter_graph(nap, pool, "pool cancel")
    handle = g.start()
    time.sleep(0.5)
    handle.cancel()
    result = handle.result(timeout=5)
    assert result.status["each"] == "cancelled"


def test_node_test_runs_on_the_process_pool_and_returns_its_files(pool, daggr_home):
    value, pid = FnNode(pid_of, name="alone", executor=pool).test(x=5)["output"]
    assert value == 25 and pid != os.getpid()
    made = FnNode(write_file, name="write_alone", executor=pool).test(text="tested")["output"]
    assert isinstance(made, FileValue) and Path(made).read_text() == "tested"
    assert daggr_home in Path(made).parents


def test_node_test_of_a_process_pool_node_still_reports_its_own_error(pool):
    with pytest.raises(ValueError, match="bad item 3"):
        FnNode(explode, name="explode_alone", executor=pool).test(x=3)


def test_unknown_executor_type_is_refused():
    with pytest.raises(GraphError, match="concurrent.futures.Executor"):
        FnNode(pid_of, executor="threads")


# -- Dask --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    import cloudpickle

    # Workers are fresh processes that cannot import this test module: ship its
    # functions by value.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.slow  # a dask cluster
def test_dask_runs_items_on_its_workers(dask_client):
    g, _ = scatter_graph(pid_of, dask_client, "dask")
    values = g.run()["each"]["output"]
    assert [v[0] for v in values] == [x * x for x in range(6)]
    worker_pids = set(dask_client.run(os.getpid).values())
    assert {v[1] for v in values} <= worker_pids and os.getpid() not in worker_pids


@pytest.mark.slow  # a dask cluster
def test_dask_items_are_reported_as_they_complete(dask_client):
    g, _ = scatter_graph(reported_after_another, dask_client, "dask streaming")
    events = follow_items(g)
    assert g.run()["each"]["output"] == [x * 10 for x in range(6)]
    order = [e[1] for e in events]
    assert order[0] != 0 and sorted(order) == list(range(6))


@pytest.mark.slow  # a dask cluster
def test_node_test_of_a_dask_node_runs_on_its_workers(dask_client):
    value, pid = FnNode(pid_of, name="dask_alone", executor=dask_client).test(x=6)["output"]
    assert value == 36 and pid in set(dask_client.run(os.getpid).values())


@pytest.mark.slow  # a dask cluster
def test_dask_ships_lambdas_and_reports_errors(dask_client):
    node = FnNode(lambda x: x + 1, name="lam", inputs={"x": 41}, executor=dask_client)
    assert Graph("dask lambda", nodes=[node], persist_key=False).run()["lam"] == {"output": 42}
    g, _ = scatter_graph(explode, dask_client, "dask errors")
    result = g.run()
    assert "ValueError: bad item 0" in str(result.errors["each"])


@pytest.mark.slow  # a dask cluster
def test_dask_files_and_cancel(dask_client, daggr_home):
    node = FnNode(write_file, name="write", inputs={"text": "from dask"}, executor=dask_client)
    path = Path(Graph("dask files", nodes=[node], persist_key=False).run()["write"]["output"])
    assert path.read_text() == "from dask" and daggr_home in path.parents
    g, _ = scatter_graph(nap, dask_client, "dask cancel")
    handle = g.start()
    time.sleep(1.0)
    handle.cancel()
    assert handle.result(timeout=10).status["each"] == "cancelled"
    deadline = time.time() + 20
    while (
        time.time() < deadline
        and dask_client.processing()
        and any(dask_client.processing().values())
    ):
        time.sleep(0.2)
    assert not any(dask_client.processing().values())  # the cluster dropped the work
