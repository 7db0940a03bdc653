"""A function that never returns is contained: Stop frees what its node held at once, a
timeout does not leave a thread of the shared pool behind, and the process still exits
(saying what it leaves behind)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from daggr import FnNode, Graph
from daggr import components as gr


def wait_until(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


@pytest.mark.parametrize("where", ["sequential", "concurrency group"])
def test_stop_frees_the_hung_nodes_slot_at_once(where):
    """After Stop, other nodes of the session (one at a time by default) or of the
    concurrency group no longer wait for the hung function (109 s were seen)."""
    release, entered = threading.Event(), threading.Event()

    def hang(x):
        entered.set()
        release.wait()
        return x

    extra = {"concurrency_group": "gpu-trust-test", "max_concurrent": 1}
    options = extra if where == "concurrency group" else {}
    stuck = FnNode(hang, name="stuck", inputs={"x": gr.Number(value=1)}, **options)
    other = FnNode(lambda y: y * 2, name="other", inputs={"y": gr.Number(value=2)}, **options)
    graph = Graph("hung", nodes=[stuck, other], persist_key=False)
    try:
        handle = graph.start("stuck")
        assert entered.wait(30)
        handle.cancel()  # Stop on the canvas
        assert handle.result(timeout=30).status == {"stuck": "cancelled"}
        result = graph.start("other").result(timeout=30)
        assert result["other"] == {"output": 4}
    finally:
        release.set()


HUNG_SCRIPT = """
import sys, threading, time
from daggr import FnNode, Graph, components as gr

def hang(x):
    threading.Event().wait()  # never returns

{body}
"""


def run_script(body: str, env: dict[str, str], timeout: float = 120):
    code = textwrap.dedent(HUNG_SCRIPT).format(body=textwrap.dedent(body))
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **env}
    return subprocess.run(
        [sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.slow  # a Python process
def test_timeouts_do_not_leave_threads_in_the_shared_pool(tmp_path):
    """Calls abandoned at their node's timeout kept their pool thread: enough of them and
    every synchronous node of every graph of the process waited for ever."""
    body = """
    hanging = [
        FnNode(hang, name=f"h{i}", inputs={"x": gr.Number(value=i)}, timeout=0.2, concurrent=True)
        for i in range(8)
    ]
    result = Graph("timeouts", nodes=hanging, persist_key=False).run(progress=False)
    print("timed out:", sorted(set(result.status.values())), flush=True)
    work = FnNode(lambda y: y + 1, name="work", inputs={"y": gr.Number(value=1)}, concurrent=True)
    print("unrelated:", Graph("other", nodes=[work], persist_key=False).run(progress=False)["work"])
    """
    env = {"DAGGR_HOME": str(tmp_path), "DAGGR_WORKERS": "4", "DAGGR_EXIT_GRACE": "1"}
    try:
        done = run_script(body, env, timeout=90)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the process hung: {exc.stdout!r} {exc.stderr!r}")
    assert "timed out: ['error']" in done.stdout, done.stderr[-2000:]
    assert "unrelated: {'output': 2}" in done.stdout, done.stderr[-2000:]
    assert "8 call(s) abandoned after their node's timeout" in done.stderr


@pytest.mark.slow  # Python processes
@pytest.mark.parametrize("how", ["script ends", "served app stopped"])
def test_the_process_exits_with_a_message_while_a_function_hangs(tmp_path, how):
    if how == "script ends":
        body = """
        node = FnNode(hang, name="forever", inputs={"x": gr.Number(value=1)})
        handle = Graph("hang", nodes=[node], persist_key=False).start()
        while handle.status["forever"] != "running":
            time.sleep(0.01)
        print("leaving", flush=True)
        """
    else:
        body = """
        import os, signal
        node = FnNode(hang, name="forever", inputs={"x": gr.Number(value=1)})
        graph = Graph("hang", nodes=[node], persist_key=False)
        app = graph.launch(port=0, block=False, open_browser=False, quiet=True)
        handle = app.state.session("anon-visitor-of-the-test").start()
        while handle.status["forever"] != "running":
            time.sleep(0.01)
        print("leaving", flush=True)
        app.stop()
        """
    env = {"DAGGR_HOME": str(tmp_path), "DAGGR_EXIT_GRACE": "1"}
    try:
        done = run_script(body, env, timeout=90)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the process did not exit: {exc.stdout!r} {exc.stderr!r}")
    assert "leaving" in done.stdout, done.stderr[-2000:]
    assert "daggr: exiting while 1 node call(s) still run after 1 s" in done.stderr
