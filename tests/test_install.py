"""The README's first command on a fresh machine: install daggr with the notebook extra in a
new virtual environment, then run the quickstart notebook with that environment's kernel."""

from __future__ import annotations

import subprocess
import sys
import time
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


SERVE = """
import sys
import time
from daggr import FnNode, Graph, components as gr

def shout(text: str) -> str:
    return text.upper() + "!"

node = FnNode(shout, inputs={"text": gr.Textbox(label="Text", value="hello")},
              outputs={"loud": gr.Textbox(label="Loud")})
Graph("Fresh install", nodes=[node], persist_key=False).launch(port=int(sys.argv[1]))
"""


@pytest.mark.slow
@pytest.mark.e2e
def test_pip_install_of_a_clone_serves_a_working_page_and_leaves_the_tree_clean(
    tmp_path, daggr_home
):
    """`pip install <clone>` alone: the canvas is built from the committed lockfile (the
    clone stays clean), the clients and the server come as dependencies, and the served
    page works in a real browser."""
    import httpx

    from tests.app.app_helpers import free_port
    from tests.e2e.jupyter_harness import CHROMIUM, CHROMIUM_ARGS

    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"needs {CHROMIUM}")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(clone)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    status = subprocess.run(
        ["git", "-C", str(clone), "status", "--porcelain"], capture_output=True, text=True
    )
    assert status.stdout == "", f"the install changed the clone:\n{status.stdout}"

    check = (
        "import sys, importlib.util as u; import daggr\n"
        "assert not {'gradio_client', 'huggingface_hub', 'starlette'} & set(sys.modules)\n"
        "print([m for m in ('gradio_client', 'huggingface_hub', 'starlette', 'uvicorn',"
        " 'websockets', 'gradio') if u.find_spec(m)])\n"
    )
    found = subprocess.run(
        [str(python), "-c", check], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert found.stdout.strip() == str(
        ["gradio_client", "huggingface_hub", "starlette", "uvicorn", "websockets"]
    )

    port = free_port()
    script = tmp_path / "serve.py"
    script.write_text(SERVE)
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "DAGGR_HOME": str(daggr_home),
        "HOME": str(tmp_path),
        "HF_HUB_OFFLINE": "1",
    }
    proc = subprocess.Popen(
        [str(python), str(script), str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "api/schema", timeout=5)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.stdout.read()) from None
                time.sleep(0.3)
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(url)
                expect = sync_api.expect
                expect(page.locator("body[data-daggr-ready='1']")).to_have_count(1, timeout=30_000)
                card = page.locator(".daggr-node[data-id='shout']")
                expect(card).to_be_visible()
                card.locator("[data-key='shout__text'] input").first.fill("fresh venv")
                card.locator(".daggr-run-btn").click()
                expect(card.locator(".daggr-preview")).to_contain_text(
                    "FRESH VENV!", timeout=30_000
                )
                assert not errors, errors
            finally:
                browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
