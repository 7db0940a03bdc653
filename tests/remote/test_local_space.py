"""GradioNode(run_locally=True): the full venv + launch path on a folder laid out as a
Space, and the fallback to the remote app when the local copy cannot start.

The venvs are layered over the test environment (``DAGGR_LOCAL_VENV=inherit``) and pip
never reaches an index (``PIP_NO_INDEX=1``): the Space's requirements are already here.
"""

from __future__ import annotations

import time
from importlib.metadata import version
from pathlib import Path

import pytest

from daggr import GradioNode, Graph
from daggr import components as gr
from daggr.remote import local_space
from daggr.remote.errors import LocalSpaceError

README = f"""---
title: Reverse
sdk: gradio
sdk_version: {version("gradio")}
app_file: app.py
---
# A test Space
"""

GOOD_APP = """
import gradio as gr

# A chatty start: far more than a pipe buffer (64 KiB). A parent that does not drain the
# pipe would block this process before it ever serves.
for i in range(4000):
    print(f"warming up {i:05d} " + "." * 40)


def reverse(s: str) -> str:
    return s[::-1]


gr.Interface(reverse, "text", "text", api_name="predict").launch()
"""

BROKEN_APP = """
print("loading weights...")
raise SystemExit("boom: this Space needs a GPU")
"""


def write_space(folder: Path, app: str, requirements: str = "pillow\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(README)
    (folder / "requirements.txt").write_text(requirements)
    (folder / "app.py").write_text(app)
    return folder


@pytest.fixture(autouse=True)
def layered_venvs(monkeypatch):
    monkeypatch.setenv("DAGGR_LOCAL_VENV", "inherit")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("DAGGR_LOCAL_TIMEOUT", "90")


@pytest.mark.slow  # a venv and a Gradio app in subprocesses
def test_local_folder_runs_in_its_own_venv(tmp_path, daggr_home, capfd):
    folder = write_space(tmp_path / "reverse-space", GOOD_APP)
    node = GradioNode(str(folder), run_locally=True, inputs={"s": gr.Textbox()})
    assert node.src == str(folder) and node.name == "reverse-space"
    t0 = time.perf_counter()
    result = Graph("local", nodes=[node], persist_key=False).run(
        progress=False, reverse_space__s="abc"
    )
    elapsed = time.perf_counter() - t0
    assert result.ok, result.errors
    assert result["reverse-space"]["output"] == "cba"
    print(f"\nrun_locally first run (venv + pip + launch + call): {elapsed:.1f}s")
    venvs = list((daggr_home / "spaces" / "_local").glob("reverse-space-*/.venv"))
    assert len(venvs) == 1
    logs = list((daggr_home / "logs").glob("*_launch_*.log"))
    assert logs and "warming up 03999" in logs[0].read_text()  # drained, all of it
    url = node.prepare()  # already running: the same app
    assert url.startswith("http://127.0.0.1:")
    assert local_space._apps[str(folder)].url == url
    assert "Local setup failed" not in capfd.readouterr().err


@pytest.mark.slow  # a venv in a subprocess
def test_broken_space_falls_back_to_the_remote_app(fake_hub, gradio_app, daggr_home, capfd):
    fake_hub.spaces["owner/broken"] = {"sha": "b" * 40, "host": gradio_app.url}
    write_space(daggr_home / "spaces" / "owner" / "broken" / "repo", BROKEN_APP, "")
    node = GradioNode("owner/broken", api_name="/echo", run_locally=True, inputs={"text": "x"})
    result = Graph("fallback", nodes=[node], persist_key=False).run(progress=False)
    assert result.ok, result.errors
    assert result["broken"]["output"] == "echo:x"  # answered by the remote app
    err = capfd.readouterr().err
    assert "Local setup failed for 'owner/broken'; using the remote Space instead" in err
    assert "boom: this Space needs a GPU" in err and "exited with code 1" in err
    assert f"Logs: {daggr_home / 'logs'}" in err

    local_space.stop("owner/broken")  # forget the failure: try the local copy again
    import os

    os.environ["DAGGR_LOCAL_NO_FALLBACK"] = "1"
    try:
        result = Graph("no fallback", nodes=[node], persist_key=False).run(progress=False)
    finally:
        del os.environ["DAGGR_LOCAL_NO_FALLBACK"]
    outcome = result.outcome("broken")
    assert isinstance(outcome.error, LocalSpaceError)
    assert "fallback is disabled" in outcome.message and "failed to start" in outcome.message


def test_a_local_folder_has_nothing_to_fall_back_to(tmp_path):
    folder = write_space(tmp_path / "nothing", "", "")
    (folder / "app.py").unlink()
    node = GradioNode(str(folder), run_locally=True, inputs={"s": "x"})
    with pytest.raises(LocalSpaceError, match="no remote app to fall back to.*No app.py found in"):
        node.prepare()
