"""Faults survived: each test checks a clear status per node, that the graph still works
afterwards, and that the history kept what it had."""

from __future__ import annotations

import asyncio
import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx
import pytest

from daggr import FileValue, FnNode, GradioNode, Graph
from daggr import components as gr
from tests.hardening.hardening_helpers import custom, from_front, wait_for


def _rows(graph: Graph, node: str) -> list[tuple]:
    graph.session.results.flush()
    return graph.history_sql(
        "SELECT status, outputs->>'$.output' FROM history WHERE node = ? ORDER BY seq", [node]
    ).fetchall()


# -- a Gradio app that dies in the middle of a call ---------------------------------------------
@pytest.mark.slow  # kills and restarts a Gradio app
def test_an_app_killed_mid_call_fails_only_its_node_and_works_after_restart(fault_app):
    remote = GradioNode(fault_app.url, api_name="/slow", name="remote", inputs={"text": "x"})
    after = FnNode(lambda s: s + "!", name="after", inputs={"s": remote.output})
    local = FnNode(lambda: "local ok", name="local")
    graph = Graph("app dies", nodes=[after, local])
    assert graph.run("local", progress=False)["local"] == {"output": "local ok"}
    before = _rows(graph, "local")

    handle = graph.start(progress=False, force=True)
    wait_for(lambda: handle.status.get("remote") == "running", timeout=15)
    time.sleep(1.0)  # the call is in flight in the app
    fault_app.kill()
    result = handle.result(timeout=60)
    assert result.status == {"remote": "error", "after": "skipped", "local": "ok"}
    message = result.outcome("remote").message
    assert fault_app.url in message or f"127.0.0.1:{fault_app.port}" in message, message

    fault_app.ensure_running()
    fixed = GradioNode(fault_app.url, api_name="/echo", name="remote", inputs={"text": "y"})
    graph2 = Graph(
        "app dies",
        nodes=[FnNode(lambda s: s + "!", name="after", inputs={"s": fixed.output}), local],
    )
    again = graph2.run(progress=False)
    assert again.ok, again.errors
    assert again["after"] == {"output": "echo:y!"}
    rows = _rows(graph2, "local")
    assert rows[: len(before)] == before  # earlier rows still there
    assert ("error",) in {r[:1] for r in _rows(graph2, "remote")}


# -- a Gradio app that hangs, in a bigger graph -------------------------------------------------
@pytest.mark.slow  # the fault app; waits for a timeout
def test_a_hanging_app_times_out_inside_a_bigger_graph(fault_app):
    source = FnNode(lambda: "seed", name="source")
    hang = GradioNode(
        fault_app.url, api_name="/hang", name="hang", inputs={"text": source.output}, timeout=1
    )
    downstream = FnNode(lambda s: s, name="downstream", inputs={"s": hang.output})
    echo = GradioNode(fault_app.url, api_name="/echo", name="echo", inputs={"text": source.output})
    tail = FnNode(lambda s: s.upper(), name="tail", inputs={"s": echo.output})
    graph = Graph("hang", nodes=[downstream, tail])
    result = graph.run(progress=False)
    assert result.status == {
        "source": "ok",
        "hang": "error",
        "downstream": "skipped",
        "echo": "ok",
        "tail": "ok",
    }
    assert "timeout" in result.outcome("hang").message
    assert result["tail"] == {"output": "ECHO:SEED"}
    # the graph is usable afterwards, and the timeout is in the history
    again = graph.run("tail", progress=False)
    assert again.ok and again["tail"] == {"output": "ECHO:SEED"}
    assert [r[0] for r in _rows(graph, "hang")] == ["error"]


# -- a Gradio app that returns something else than declared ------------------------------------
@pytest.mark.slow  # the fault app (a Gradio app)
def test_fewer_outputs_than_declared_map_to_none(fault_app):
    node = GradioNode(
        fault_app.url,
        api_name="/one_value",
        name="two",
        inputs={"text": "a"},
        outputs={"first": gr.Textbox(), "second": gr.Textbox()},
    )
    result = Graph("garbage", nodes=[node], persist_key=False).run(progress=False)
    assert result.ok, result.errors
    assert result["two"] == {"first": "only:a", "second": None}


@pytest.mark.slow  # the fault app (a Gradio app)
def test_a_text_where_a_file_is_declared_is_not_read_from_local_disk(fault_app):
    # The app returns "/etc/passwd" for an output daggr is told is a File: daggr must not
    # copy a file of *this* machine into the results because a remote app named it.
    node = GradioNode(
        fault_app.url,
        api_name="/not_a_file",
        name="file",
        inputs={"text": "a"},
        outputs={"file": gr.File()},
    )
    graph = Graph("garbage file", nodes=[node])
    result = graph.run(progress=False)
    assert result.status["file"] == "ok", result.errors
    value = result["file"]["file"]
    assert not isinstance(value, FileValue) and value == "/etc/passwd"  # a string, kept as is
    assert graph.history("file")[-1].outputs == {"file": "/etc/passwd"}
    files = graph.session.store.files_dir
    assert files is None or not any(
        "root:" in p.read_text(errors="replace") for p in files.rglob("*") if p.is_file()
    )


@pytest.mark.slow  # the fault app (a Gradio app)
def test_nested_json_from_an_app_round_trips(fault_app):
    node = GradioNode(fault_app.url, api_name="/weird_json", name="js", inputs={"text": "q"})
    graph = Graph("json out", nodes=[node])
    first = graph.run(progress=False)["js"]["output"]
    assert first == {"nested": [[1, 2], {"x": None}], "text": "q"}
    assert graph.history("js")[-1].outputs["output"] == first


# -- a node that raises inside a scatter --------------------------------------------------------
def test_failing_scatter_items_are_named_and_only_they_rerun():
    calls: list[int] = []
    broken = {3, 5}

    def each(x):
        calls.append(x)
        if x in broken:
            raise ValueError(f"item {x} is bad")
        return x * 10

    items = FnNode(lambda: list(range(8)), name="items", outputs={"xs": gr.JSON()})
    per = FnNode(each, name="per", inputs={"x": items.xs.each})
    total = FnNode(lambda xs: sum(xs), name="total", inputs={"xs": per.output.all()})
    independent = FnNode(lambda: 1, name="independent")
    graph = Graph("scatter faults", nodes=[total, independent])
    result = graph.run(progress=False)
    assert result.status == {"items": "ok", "per": "error", "total": "skipped", "independent": "ok"}
    message = result.outcome("per").message
    assert "item 3 is bad" in message and "2 of 8 items failed" in message
    record = graph.history("per")[-1]
    failed = {i: it["error"] for i, it in enumerate(record.items) if it["status"] == "error"}
    assert sorted(failed) == [3, 5] and "item 5 is bad" in failed[5]
    assert record.outputs["output"] == [0, 10, 20, None, 40, None, 60, 70]
    assert sorted(calls) == list(range(8))

    broken.clear()
    calls.clear()
    again = graph.run(progress=False)
    assert again.ok, again.errors
    assert sorted(calls) == [3, 5]  # only the failed items ran again
    assert again["total"] == {"output": sum(x * 10 for x in range(8))}
    assert [r[0] for r in _rows(graph, "per")][:1] == ["error"]


# -- the kernel killed while a canvas run is going ----------------------------------------------
KERNEL = textwrap.dedent(
    """
    import sys, threading, time
    sys.path.insert(0, {repo!r})
    import comm
    from tests.hardening.hardening_helpers import RecordingComm, from_front
    comm.create_comm = RecordingComm
    from daggr import FnNode, Graph, components as gr
    from daggr.widget import Canvas

    first = FnNode(lambda text: text.upper(), name="first",
                   inputs={{"text": gr.Textbox(value="hi")}})
    second = FnNode(lambda s: s + "?", name="second", inputs={{"s": first.output}})
    stuck = FnNode(lambda s: threading.Event().wait(600), name="stuck",
                   inputs={{"s": second.output}})
    g = Graph("killed kernel", nodes=[stuck])
    c = Canvas(g)
    from_front(c, {{"type": "run", "node": "stuck", "mode": "to_here"}})
    while c.node_state["stuck"]["status"] != "running":
        time.sleep(0.01)
    g.session.results.flush()
    print("RUNNING", flush=True)
    time.sleep(600)
    """
)


@pytest.mark.slow  # kills a kernel subprocess
def test_a_kernel_killed_during_a_canvas_run_keeps_finished_nodes(daggr_home, fake_comm, tmp_path):
    repo = str(Path(__file__).resolve().parents[2])
    script = tmp_path / "kernel.py"
    script.write_text(KERNEL.format(repo=repo))
    env = dict(os.environ, DAGGR_HOME=str(daggr_home))
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
        start_new_session=True,
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        line = proc.stdout.readline() if ready else ""
        assert line.strip() == "RUNNING", (line, proc.stderr.read() if proc.poll() else "")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    from daggr.widget import Canvas

    first = FnNode(lambda text: text.upper(), name="first", inputs={"text": gr.Textbox(value="hi")})
    second = FnNode(lambda s: s + "?", name="second", inputs={"s": first.output})
    stuck = FnNode(lambda s: s, name="stuck", inputs={"s": second.output})
    g = Graph("killed kernel", nodes=[stuck])  # the database opens after the kill
    assert [r.outputs for r in g.history("first")] == [{"output": "HI"}]
    assert [r.outputs for r in g.history("second")] == [{"output": "HI?"}]
    c = Canvas(g)
    assert c.node_state["first"]["count"] == 1 and c.node_state["second"]["count"] == 1
    assert c.node_state["stuck"]["count"] == 0
    # a new run reuses what survived and finishes the rest
    result = g.run(progress=False)
    assert result.status == {"first": "cached", "second": "cached", "stuck": "ok"}


# -- a websocket dropped and reconnected in app mode --------------------------------------------
def _frame(content: dict) -> str:
    return json.dumps({"type": "comm", "data": {"method": "custom", "content": content}})


@pytest.mark.slow  # waits for a reconnect
def test_a_dropped_socket_reconnects_and_its_run_still_lands(serve):
    websockets = pytest.importorskip("websockets")

    def slow(x: float) -> float:
        time.sleep(1.0)
        return x * 3

    node = FnNode(slow, name="slow", inputs={"x": gr.Number(value=2)})
    app = serve(Graph("socket drop", nodes=[node]))
    ws_url = app.url.replace("http://", "ws://") + "ws"
    cookie = f"daggr_uid={httpx.get(app.url).cookies['daggr_uid']}"
    headers = {"Cookie": cookie}

    async def first():
        async with websockets.connect(ws_url, additional_headers=headers) as ws:
            opened = json.loads(await ws.recv())
            await ws.send(_frame({"type": "set_input", "key": "slow__x", "value": 5}))
            await ws.send(_frame({"type": "run", "node": "slow", "mode": "to_here"}))
            await asyncio.sleep(0.3)
            return opened["user"]
        # the socket closes here, while the node is still running

    async def second():
        async with websockets.connect(ws_url, additional_headers=headers) as ws:
            opened = json.loads(await ws.recv())
            return opened

    user = asyncio.run(first())
    opened = asyncio.run(second())
    assert opened["user"] == user  # the same visitor, the same sheet
    assert opened["state"]["inputs"]["slow__x"] == 5
    session = app.state.session(user)
    wait_for(lambda: session.results.count("slow") == 1, timeout=15)
    assert session.results.latest("slow").outputs == {"output": 15}
    opened = asyncio.run(second())
    assert opened["state"]["node_state"]["slow"]["count"] == 1
    r = httpx.post(app.url + "api/call", json={"inputs": {"slow__x": 1}}, headers=headers)
    assert r.status_code == 200 and r.json()["outputs"]["slow"] == {"output": 3}


# -- two views running the same node at once ----------------------------------------------------
def test_two_canvases_running_one_node_at_once(fake_comm):
    from daggr.widget import Canvas

    gate = threading.Event()
    calls: list[int] = []

    def work(text: str) -> str:
        calls.append(1)
        gate.wait(10)
        return text[::-1]

    node = FnNode(work, name="work", inputs={"text": gr.Textbox(value="abc")})
    graph = Graph("two views", nodes=[node])
    one, two = Canvas(graph), Canvas(graph)
    from_front(one, {"type": "run", "node": "work", "mode": "to_here"})
    from_front(two, {"type": "run", "node": "work", "mode": "to_here"})
    time.sleep(0.2)
    gate.set()
    done = {"ok", "cached"}
    wait_for(lambda: one.node_state["work"]["status"] in done | {"error"})
    wait_for(lambda: two.node_state["work"]["status"] in done | {"error"})
    errors = custom(one, "error") + custom(two, "error")
    states = [one.node_state["work"]["status"], two.node_state["work"]["status"]]
    # both finish, or one of them is told clearly why not
    assert all(s in done for s in states) or errors, (states, errors)
    history = graph.history("work")
    assert 1 <= len(history) <= 2 and all(r.outputs == {"output": "cba"} for r in history)
    assert one.node_state["work"]["count"] == two.node_state["work"]["count"] == len(history)
    assert graph.run(progress=False).status["work"] == "cached"


def test_two_sockets_of_one_visitor_running_one_node(serve):
    websockets = pytest.importorskip("websockets")

    def slow(x: float) -> float:
        time.sleep(0.5)
        return x + 1

    app = serve(Graph("two sockets", nodes=[FnNode(slow, name="slow", inputs={"x": 1})]))
    ws_url = app.url.replace("http://", "ws://") + "ws"
    headers = {"Cookie": f"daggr_uid={httpx.get(app.url).cookies['daggr_uid']}"}

    async def view():
        async with websockets.connect(ws_url, additional_headers=headers) as ws:
            opened = json.loads(await ws.recv())
            await ws.send(_frame({"type": "run", "node": "slow", "mode": "to_here"}))
            seen = []
            async with asyncio.timeout(20):
                while True:
                    frame = json.loads(await ws.recv())
                    content = frame.get("data", {}).get("content", {})
                    seen.append(content)
                    status = content.get("states", {}).get("slow", {}).get("status")
                    if content.get("type") == "error" or status in ("ok", "cached", "error"):
                        return opened["user"], content

    async def both():
        return await asyncio.gather(view(), view())

    (user1, end1), (user2, end2) = asyncio.run(both())
    assert user1 == user2
    for end in (end1, end2):
        assert end.get("type") == "error" or end["states"]["slow"]["status"] in ("ok", "cached")
    records = app.state.session(user1).results.history("slow")
    assert 1 <= len(records) <= 2 and all(r.outputs == {"output": 2} for r in records)


# -- cancel pressed again and again -------------------------------------------------------------
def test_cancel_ten_times_fast_and_after_the_end():
    release = threading.Event()
    node = FnNode(lambda: release.wait(10), name="wait")
    other = FnNode(lambda: "fine", name="other")
    graph = Graph("cancel storm", nodes=[node, other])
    handle = graph.start("wait", progress=False)
    wait_for(lambda: handle.status.get("wait") == "running")
    threads = [threading.Thread(target=handle.cancel) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = handle.result(timeout=10)
    assert result.cancelled and result.status == {"wait": "cancelled"}
    release.set()
    for _ in range(10):
        handle.cancel()  # on a finished run: nothing happens
    assert handle.result().status == {"wait": "cancelled"}
    statuses = [r[0] for r in _rows(graph, "wait")]
    assert statuses.count("ok") == 0 and len(statuses) <= 1
    after = graph.run(progress=False)
    assert after.ok and after["other"] == {"output": "fine"}

    fin = graph.start("other", progress=False)
    fin.result(timeout=10)
    for _ in range(10):
        fin.cancel()
    assert fin.result().status["other"] in ("ok", "cached") and not fin.result().cancelled


def test_stop_pressed_ten_times_on_the_canvas(fake_comm):
    from daggr.widget import Canvas

    release = threading.Event()
    graph = Graph("stop storm", nodes=[FnNode(lambda: release.wait(10) and "done", name="wait")])
    c = Canvas(graph)
    from_front(c, {"type": "run", "node": "wait", "mode": "step"})
    wait_for(lambda: c.node_state["wait"]["status"] == "running")
    for _ in range(10):
        from_front(c, {"type": "stop", "node": "wait"})
    wait_for(lambda: c.node_state["wait"]["status"] == "cancelled")
    release.set()
    for _ in range(10):
        from_front(c, {"type": "stop", "node": "wait"})  # nothing running: told, no crash
    assert c.node_state["wait"]["status"] == "cancelled"
    from_front(c, {"type": "run", "node": "wait", "mode": "step"})
    wait_for(lambda: c.node_state["wait"]["status"] == "ok")
    assert graph.history("wait")[-1].outputs == {"output": "done"}


def test_a_node_raising_cancelled_error_by_itself_fails_instead_of_hanging():
    # A library may raise CancelledError from inside a node (gradio_client does when the
    # app goes away); unless the run was cancelled, that is the node's error.
    async def odd():
        raise asyncio.CancelledError("raised by the node, nobody cancelled")

    graph = Graph("odd cancel", nodes=[FnNode(odd, name="odd"), FnNode(lambda: 1, name="fine")])
    result = graph.start(progress=False).result(timeout=20)
    assert result.status == {"odd": "error", "fine": "ok"} and not result.cancelled
    assert "CancelledError" in result.outcome("odd").message
    assert graph.run("fine", progress=False).ok
