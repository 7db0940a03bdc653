"""Every tutorial notebook runs top to bottom offline, in a real kernel."""

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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_offline(path, tmp_path, daggr_home):
    # imported here: the Jupyter client stack takes seconds to import, even when deselected
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs, f"{path.name} is saved with outputs; strip them"
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    env = {**os.environ, "DAGGR_HOME": str(daggr_home)}
    if path.stem in ONLINE_CLIENT:
        env.pop("HF_HUB_OFFLINE", None)
        env["HF_ENDPOINT"] = "http://127.0.0.1:9"
    client.execute(env=env)
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    ]
    assert not errors
