"""The `daggr` command: hot reload, the __main__ guard, demo, flags."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

SCRIPT = """
from daggr import FnNode, Graph
from daggr import components as gr

node = FnNode(lambda {port}: {port}.upper(), name="echo", inputs={{"{port}": gr.Textbox(value="a")}})
graph = Graph("reload me", nodes=[node], persist_key=False)

if __name__ == "__main__":
    graph.launch()
"""


def _start(args: list[str], cwd: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "daggr", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 30
    lines = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        m = re.search(r"running at (http://\S+)", line)
        if m:
            return proc, m.group(1)
    proc.kill()
    raise AssertionError("server did not start:\n" + "".join(lines))


def _schema_ids(url: str) -> list[str]:
    return [i["id"] for i in httpx.get(url + "api/schema").json()["subgraphs"][0]["inputs"]]


@pytest.mark.slow  # a served app in a subprocess, waiting for a reload
def test_hot_reload_swaps_the_served_graph(tmp_path):
    script = tmp_path / "app.py"
    script.write_text(SCRIPT.format(port="text"))
    proc, url = _start([str(script), "--port", "0", "--no-browser"], tmp_path)
    try:
        assert _schema_ids(url) == ["echo__text"]
        time.sleep(0.05)
        script.write_text(SCRIPT.format(port="words"))
        deadline = time.monotonic() + 15
        while _schema_ids(url) != ["echo__words"]:
            assert time.monotonic() < deadline, "the edit was not picked up"
            time.sleep(0.2)
        r = httpx.post(url + "api/call", json={"inputs": {"echo__words": "hot"}})
        assert r.json()["outputs"] == {"echo": {"output": "HOT"}}
        # a broken save keeps the last good graph served
        script.write_text("this is not python(")
        time.sleep(1.0)
        assert _schema_ids(url) == ["echo__words"]
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.slow  # serves from a subprocess
def test_no_reload_honours_host_port_and_the_main_guard(tmp_path):
    script = tmp_path / "guarded.py"
    script.write_text(SCRIPT.format(port="text"))
    proc, url = _start(
        [str(script), "--no-reload", "--host", "127.0.0.1", "--port", "0", "--no-browser"], tmp_path
    )
    try:
        assert url.startswith("http://127.0.0.1:")
        assert _schema_ids(url) == ["echo__text"]
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.slow  # serves from a subprocess
def test_demo_serves_the_quickstart_offline(tmp_path):
    proc, url = _start(["demo", "--port", "0", "--no-browser"], tmp_path)
    try:
        r = httpx.post(url + "api/call", json={"inputs": {"split__text": "One. Two!"}})
        assert r.status_code == 200, r.text
        assert r.json()["outputs"]["summarise"]["summary"].startswith("Summary: 2 sentences")
    finally:
        proc.terminate()
        proc.wait(10)


def test_cli_errors_are_short(tmp_path):
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    r = subprocess.run([sys.executable, "-m", "daggr", str(empty)], capture_output=True, text=True)
    assert r.returncode == 2 and "No Graph found" in r.stderr
    r = subprocess.run([sys.executable, "-m", "daggr", "nope.py"], capture_output=True, text=True)
    assert r.returncode == 2 and "no such file" in r.stderr


@pytest.mark.parametrize("busy", [True])
def test_busy_port_moves_to_the_next_and_says_so(busy, capsys):
    import socket

    from daggr.app.serve import bind

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        sock = bind("127.0.0.1", port)
        assert sock.getsockname()[1] > port
        sock.close()
    finally:
        taken.close()
    assert f"Port {port} is in use, using" in capsys.readouterr().out


def test_env_host_and_port_are_honoured(monkeypatch):
    import socket

    from daggr import FnNode, Graph
    from daggr.app.serve import launch

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    monkeypatch.setenv("GRADIO_SERVER_NAME", "127.0.0.1")
    monkeypatch.setenv("GRADIO_SERVER_PORT", str(port))
    g = Graph("env", nodes=[FnNode(lambda: 1, name="one")], persist_key=False)
    app = launch(g, block=False, open_browser=False, quiet=True)
    try:
        assert app.url == f"http://127.0.0.1:{port}/"
    finally:
        app.stop()


def test_import_daggr_does_not_import_the_server():
    code = "import sys, daggr; print(any(m in sys.modules for m in ('starlette', 'uvicorn')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip() == "False"
