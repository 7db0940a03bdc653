"""Export to a Space folder, and the exported app running in a fresh venv."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from daggr import FnNode, Graph
from daggr.app.export import ExportError, export_cells, export_source
from tests.app.app_helpers import LAUNCH_APP_PY, free_port

REPO = Path(__file__).resolve().parents[2]

SCRIPT = '''"""A graph in a script, using a local helper module."""
from daggr import FnNode, Graph
from daggr import components as gr
from helpers import shout

node = FnNode(shout, name="shout", inputs={"text": gr.Textbox(value="hi")},
              outputs={"loud": gr.Textbox()})
graph = Graph("Shout Space", nodes=[node], persist_key=False)

if __name__ == "__main__":
    print(graph.run())
'''
HELPERS = "def shout(text: str) -> str:\n    return text.upper() + '!'\n"

CELLS = [
    "%matplotlib inline\nfrom daggr import FnNode, Graph\nfrom daggr import components as gr",
    "GREETING = 'Hello'\n\ndef greet(name: str) -> str:\n    return f'{GREETING}, {name}!'",
    "node = FnNode(greet, name='greet', inputs={'name': gr.Textbox(value='you')})\n"
    "g = Graph('Greeter', nodes=[node], persist_key=False)",
    "g.run(greet__name='notebook')",
    "g",
    "result = g.run()\nprint(result)",
]


def _notebook(path: Path, cells: list[str]) -> Path:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "source": c,
                "outputs": [],
                "execution_count": None,
            }
            for c in cells
        ]
        + [{"cell_type": "markdown", "metadata": {}, "source": "# notes"}],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb))
    return path


def _front_matter(readme: str) -> dict[str, str]:
    block = readme.split("---")[1]
    return dict(
        (k.strip(), v.strip().strip('"'))
        for k, _, v in (ln.partition(":") for ln in block.splitlines())
        if k.strip()
    )


def test_script_export_copies_script_and_local_modules(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text(SCRIPT)
    (src / "helpers.py").write_text(HELPERS)
    out = export_source(src / "app.py", tmp_path / "space")
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md",
        "app.py",
        "daggr",
        "helpers.py",
        "requirements.txt",
    ]
    app = (out / "app.py").read_text()
    assert "print(graph.run())" not in app and app.rstrip().endswith("graph.launch()")
    reqs = (out / "requirements.txt").read_text().split()
    # The Space runs this daggr, copied beside app.py (bundle included): never the package
    # index's "daggr", which is another project.
    assert not any(re.match(r"daggr\b", r) for r in reqs) and "helpers" not in " ".join(reqs)
    assert {"duckdb", "gradio-client", "starlette", "uvicorn", "websockets"} <= {
        re.split(r"[<>=\[]", r)[0].replace("_", "-") for r in reqs
    }
    assert (out / "daggr" / "static" / "widget.js").is_file()
    assert (out / "daggr" / "app" / "server.py").read_bytes() == (
        REPO / "daggr" / "app" / "server.py"
    ).read_bytes()
    assert not list((out / "daggr").rglob("__pycache__"))
    fm = _front_matter((out / "README.md").read_text())
    assert fm["title"] == "Shout Space" and fm["sdk"] == "gradio" and fm["app_file"] == "app.py"
    assert fm["emoji"] and fm["colorFrom"] and fm["colorTo"]
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", fm["sdk_version"])
    assert fm["python_version"] == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert "- daggr" in (out / "README.md").read_text()
    assert "hf_oauth" not in (out / "README.md").read_text()


def test_a_daggr_line_in_the_requirements_is_replaced_and_oauth_is_declared(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text(SCRIPT)
    (src / "helpers.py").write_text(HELPERS)
    (src / "requirements.txt").write_text("daggr[app]>=0.1.0\nnumpy\ngradio_client\n")
    out = export_source(src / "app.py", tmp_path / "space", oauth=True)
    reqs = (out / "requirements.txt").read_text().split()
    assert not any(re.match(r"daggr\b", r) for r in reqs) and "numpy" in reqs
    assert sum(r.replace("-", "_").startswith("gradio_client") for r in reqs) == 1
    readme = (out / "README.md").read_text()
    fm = _front_matter(readme)
    assert fm["hf_oauth"] == "true" and fm["sdk"] == "gradio" and fm["app_file"] == "app.py"
    assert "hf_oauth_scopes:\n  - inference-api" in readme


def test_notebook_export_keeps_definitions_and_drops_runs(tmp_path):
    nb = _notebook(tmp_path / "greeter.ipynb", CELLS)
    r = subprocess.run(
        [sys.executable, "-m", "daggr", "export", str(nb), "-o", str(tmp_path / "space")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    app = (tmp_path / "space" / "app.py").read_text()
    assert "def greet" in app and "GREETING = 'Hello'" in app
    assert ".run(" not in app and "%matplotlib" not in app and "print(" not in app
    assert app.rstrip().endswith("g.launch()")


def test_unexportable_nodes_are_named():
    lock = threading.Lock()
    closing = FnNode(lambda x: (lock, x)[1], name="locked")
    closing.fn.__module__ = "__main__"  # as a notebook cell defines it
    with pytest.raises(ExportError, match=r"Node 'locked'.*closes over 'lock' \(lock\)"):
        export_cells([], "/nonexistent", expect=Graph("g", nodes=[closing], persist_key=False))
    ns: dict = {}
    exec("def made(x):\n    return x", ns)
    ns["made"].__module__ = "__main__"
    ghost = FnNode(ns["made"], name="ghost")
    with pytest.raises(
        ExportError, match=r"Node 'ghost'.*source of its fn 'made' is not available"
    ):
        export_cells([], "/nonexistent", expect=Graph("g", nodes=[ghost], persist_key=False))
    with pytest.raises(ExportError, match=r"NameError: name 'missing' is not defined"):
        export_cells(
            [
                "from daggr import FnNode, Graph",
                "g = Graph('x', nodes=[FnNode(missing, name='m')])",
            ],
            "/tmp/never",
        )


@pytest.mark.slow
def test_exported_app_runs_in_a_fresh_venv(tmp_path):
    """Plain venv + our package by path (pip's cache, no internet needed once cached)."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text(SCRIPT)
    (src / "helpers.py").write_text(HELPERS)
    space = export_source(src / "app.py", tmp_path / "space")
    nb_space = export_cells(CELLS, tmp_path / "nb-space")
    venv = tmp_path / "venv"
    t0 = time.perf_counter()
    subprocess.run([shutil.which("python3") or sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    # As the Space does: its requirements.txt only; daggr itself is the copy in the folder.
    pip = [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    for folder in (space, nb_space):
        subprocess.run([*pip, "-r", str(folder / "requirements.txt")], check=True)
    print(f"fresh venv + install: {time.perf_counter() - t0:.1f} s")
    shown = subprocess.run([str(py), "-m", "pip", "show", "daggr"], capture_output=True, text=True)
    assert shown.returncode != 0, "the package index's daggr was installed"
    where = subprocess.run(
        [str(py), "-c", "import daggr; print(daggr.__file__)"],
        cwd=space,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(space)
    for folder, call, expected in [
        (space, {"shout__text": "space"}, {"shout": {"loud": "SPACE!"}}),
        (nb_space, {"greet__name": "venv"}, {"greet": {"output": "Hello, venv!"}}),
    ]:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGGR_", "PYTHON"))}
        env.update(
            GRADIO_SERVER_NAME="127.0.0.1",
            GRADIO_SERVER_PORT=str(port),
            DAGGR_HOME=str(tmp_path / "home"),
            PYTHONUNBUFFERED="1",
        )
        proc = subprocess.Popen(
            [str(py), "-c", LAUNCH_APP_PY, "app.py"],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            url = f"http://127.0.0.1:{port}/"
            deadline = time.monotonic() + 30
            while True:
                try:
                    r = httpx.post(url + "api/call", json={"inputs": call}, timeout=10)
                    break
                except httpx.TransportError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(proc.stdout.read()) from None
                    time.sleep(0.2)
            assert r.status_code == 200, r.text
            assert r.json()["outputs"] == expected
            assert "daggr" in httpx.get(url).text
            _page_connects(url)
        finally:
            proc.terminate()
            proc.wait(10)


def _page_connects(url: str) -> None:
    """The exported app's page in Chromium: the canvas bundle the Space carries loads and
    its websocket connects (skipped without Chromium)."""
    from tests.e2e.jupyter_harness import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        return
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(url)
            expect(page.locator("body[data-daggr-ready='1']")).to_have_count(1, timeout=30_000)
            expect(page.locator(".daggr-node").first).to_be_visible()
        finally:
            browser.close()
