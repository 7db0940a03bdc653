"""Every tutorial notebook runs top to bottom offline, in a real kernel, twice on the same
history (as a person re-running it would), and shows the canvas of what it teaches."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a Jupyter kernel per notebook

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))

# huggingface_hub's offline mode refuses every request, even to 127.0.0.1, so the notebook
# that serves its own local inference endpoint runs without it; the Hub is pointed at a
# closed local port instead, so that nothing can leave the machine by accident.
ONLINE_CLIENT = {"03_inference"}


def execute(path: Path, workdir: Path, daggr_home: Path):
    # imported here: the Jupyter client stack takes seconds to import, even when deselected
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs, f"{path.name} is saved with outputs; strip them"
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    )
    env = {**os.environ, "DAGGR_HOME": str(daggr_home)}
    if path.stem in ONLINE_CLIENT:
        env.pop("HF_HUB_OFFLINE", None)
        env["HF_ENDPOINT"] = "http://127.0.0.1:9"
    client.execute(env=env)
    return nb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_offline_twice_and_shows_its_canvas(path, tmp_path, daggr_home):
    for attempt in ("first", "second"):
        nb = execute(path, tmp_path, daggr_home)
        outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
        errors = [out for out in outputs if out.output_type == "error"]
        assert not errors, (attempt, [f"{e.ename}: {e.evalue}" for e in errors])
        canvases = [
            out
            for out in outputs
            if "application/vnd.jupyter.widget-view+json" in out.get("data", {})
            and "<svg" in out["data"].get("text/html", "")  # the canvas's static drawing
        ]
        assert canvases, f"{path.name} shows no canvas"
