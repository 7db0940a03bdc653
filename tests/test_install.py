"""The README's first command on a fresh machine: install daggr with the notebook extra in a
new virtual environment, then run the quickstart notebook with that environment's kernel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_fresh_venv_installs_and_runs_the_quickstart(tmp_path, daggr_home):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "-e",
            f"{ROOT}[notebook]",
            "nbclient",
            "ipykernel",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    script = (
        "import nbformat, os\n"
        "from nbclient import NotebookClient\n"
        f"nb = nbformat.read({str(ROOT / 'notebooks' / '01_quickstart.ipynb')!r}, as_version=4)\n"
        f"NotebookClient(nb, timeout=300, kernel_name='python3', resources={{'metadata': {{'path': {str(tmp_path)!r}}}}}).execute()\n"
        "print('CELLS', sum(c.cell_type == 'code' for c in nb.cells))\n"
        "print('JUPYTERLAB', __import__('jupyterlab').__version__)\n"
    )
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "DAGGR_HOME": str(daggr_home),
        "HOME": str(tmp_path),
        "HF_HUB_OFFLINE": "1",
    }
    run = subprocess.run(
        [str(python), "-c", script], capture_output=True, text=True, timeout=600, env=env
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "CELLS" in run.stdout and "JUPYTERLAB 4" in run.stdout
