"""A headless Jupyter server and Debian's Chromium for browser tests, offline.

Adapted from the shared e2e recipe: the server gets its own config, data, runtime and
settings directories (so nothing from the machine leaks in and no news or update checks
go out), and is stopped by its own pid, which makes it shut its kernels down.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
TOKEN = "daggr-e2e-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(port: int, path: str) -> Any:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"token {TOKEN}"}
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


def wait_kernels_idle(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    kernels: Any = None
    while time.monotonic() < deadline:
        try:
            kernels = api(port, "/api/kernels")
        except OSError:  # urllib's HTTPError/URLError: a busy server answers again shortly
            time.sleep(0.5)
            continue
        if kernels and all(k["execution_state"] == "idle" for k in kernels):
            return
        time.sleep(0.2)
    raise TimeoutError(f"kernel not idle after {timeout}s: {kernels}")


@contextlib.contextmanager
def jupyter_server(
    kind: str, root: Path, state: Path, log_path: Path, theme: str | None = None
) -> Iterator[int]:
    """Run ``jupyter lab`` or ``jupyter notebook`` on a free port; yields the port.

    ``theme`` (say "JupyterLab Dark") is set as the user's theme setting."""
    port = free_port()
    state.mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(state / "config"),
        JUPYTER_RUNTIME_DIR=str(state / "runtime"),
        JUPYTER_DATA_DIR=str(state / "data"),
        JUPYTERLAB_SETTINGS_DIR=str(state / "lab-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(state / "lab-workspaces"),
        IPYTHONDIR=str(state / "ipython"),
        JUPYTER_PLATFORM_DIRS="1",
    )
    # The "get notified about Jupyter news?" toast would cover the page.
    news = state / "lab-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"
    news.parent.mkdir(parents=True, exist_ok=True)
    news.write_text('{"fetchNews": "false"}')
    if theme:
        (news.parent / "themes.jupyterlab-settings").write_text(json.dumps({"theme": theme}))
    app = "LabApp" if kind == "lab" else "JupyterNotebookApp"
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        kind,
        "--no-browser",
        "--ServerApp.allow_root=True",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        f"--IdentityProvider.token={TOKEN}",
        # LabApp options under both apps: the jupyterlab server extension runs in both, and
        # unknown JupyterNotebookApp options make it drop the others silently.
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        f"--{app}.expose_app_in_browser=True",
    ]
    with serving(cmd, lambda: api(port, "/api/status"), log_path, env, f"jupyter {kind}"):
        yield port


@contextlib.contextmanager
def serving(
    cmd: list[str], answers: Any, log_path: Path, env: dict[str, str], what: str
) -> Iterator[None]:
    """Run ``cmd`` (output to ``log_path``) until ``answers()`` stops raising OSError, and
    stop it afterwards by its own pid (SIGTERM first, so that a server shuts its kernels
    down: they run in their own sessions, so killing our process group alone would
    orphan them)."""
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 90
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"{what} exited ({proc.returncode}); see {log_path}")
                try:
                    answers()
                    break
                except OSError:  # urllib's errors, refused connections
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{what} did not start; see {log_path}") from None
                    time.sleep(0.2)
            yield
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)


# A fake camera and microphone that need no permission prompt (capture tests).
FAKE_MEDIA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


def launch_chromium(playwright: Any, profile: Path, extra_args: tuple[str, ...] = ()) -> Any:
    """A persistent context: Playwright refuses --user-data-dir in args."""
    return playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=[*CHROMIUM_ARGS, *extra_args],
        viewport={"width": 1280, "height": 1000},
    )


def open_and_run_all(page: Any, port: int, notebook: str, cells: int, kind: str = "lab") -> Any:
    """Open ``notebook`` in JupyterLab (``kind="lab"``) or Notebook 7, wait for its
    ``cells`` cells and an idle kernel, and run all cells from the menu (there is no
    default shortcut). Returns the cells' locator."""
    from playwright.sync_api import expect

    path = "lab/tree" if kind == "lab" else "notebooks"
    page.goto(f"http://127.0.0.1:{port}/{path}/{notebook}?reset&token={TOKEN}")
    located = page.locator(".jp-Notebook .jp-Cell")
    expect(located).to_have_count(cells, timeout=60_000)
    wait_kernels_idle(port)
    # The server's kernels can all be idle before this panel's own kernel is connected;
    # a "Run All Cells" given then runs nothing. Asked again until the first cell starts
    # (never once it has: its prompt leaves "[ ]").
    first_prompt = located.first.locator(".jp-InputPrompt")
    not_run = re.compile(r"^\s*\[\s*\]:?\s*$")
    for _ in range(4):
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        try:
            expect(first_prompt).not_to_have_text(not_run, timeout=15_000)
            break
        except AssertionError:
            continue
    return located


@contextlib.contextmanager
def lab_notebook(
    tmp_path: Path,
    out: Path,
    name: str,
    cells: list[str],
    extra_args: tuple[str, ...] = (),
    grant: tuple[str, ...] = (),
) -> Iterator[tuple[Any, Any, Any]]:
    """A notebook of ``cells`` opened in a fresh JupyterLab and Chromium, all cells run.

    Yields ``(page, cells, context)``; ``grant``: browser permissions for the server's
    origin (say "clipboard-read"). The page's console goes to ``out/<name>-console.log``, a
    screenshot to ``out/<name>-FAILED.png`` when the block fails, and an error logged by
    daggr in the page fails the test afterwards."""
    import nbformat
    from playwright.sync_api import sync_playwright

    from tests.widget.saved_notebooks import notebook

    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    nbformat.write(notebook(tuple(cells)), root / f"{name}.ipynb")
    logs: list[str] = []
    with jupyter_server("lab", root, tmp_path / "state", out / f"{name}-server.log") as port:
        with sync_playwright() as p:
            ctx = launch_chromium(p, tmp_path / "profile", extra_args)
            if grant:
                ctx.grant_permissions(list(grant), origin=f"http://127.0.0.1:{port}")
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            page.on("console", lambda m: logs.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: logs.append(f"pageerror: {e}"))
            try:
                located = open_and_run_all(page, port, f"{name}.ipynb", len(cells))
                yield page, located, ctx
            except Exception:
                page.screenshot(path=str(out / f"{name}-FAILED.png"))
                raise
            finally:
                (out / f"{name}-console.log").write_text("\n".join(logs))
                ctx.close()
    errors = [line for line in logs if "daggr" in line.lower() and "error" in line.lower()]
    assert not errors, json.dumps(errors, indent=1)
