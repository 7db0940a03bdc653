"""A saved notebook opened without its kernel, in real Chromium: HTML exports offline, and
JupyterLab with the kernel gone. Each shows the run of a later cell (words and pixels)
and says it is a static copy; a notebook saved from a live JupyterLab keeps the latest
drawing too."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.jupyter_harness import (
    TOKEN,
    jupyter_server,
    launch_chromium,
    open_and_run_all,
    wait_kernels_idle,
)
from tests.widget.saved_notebooks import (
    SHOUTED,
    executed_notebook,
    nbconvert,
    notebook,
    red_pixels,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

NOTICE = "static copy — run the notebook to work with it"
LIVE = "EDITED LIVE!"


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The notebook run top to bottom without a front end, as nbconvert --execute does."""
    return executed_notebook(tmp_path_factory)


def offline_page(playwright: Any, profile: Path) -> tuple[Any, Any]:
    ctx = launch_chromium(playwright, profile)
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    # Offline: anything but the file itself fails, as on a plane.
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    return ctx, page


def test_an_exported_notebook_shows_the_latest_drawing_offline(executed, tmp_path, e2e_out):
    import nbformat
    from playwright.sync_api import expect, sync_playwright

    path, home = executed
    exported = {"daggr-html": nbconvert(path, "--to", "daggr-html", home=home)}
    # What JupyterLab saves by default (no widget state): plain nbconvert draws it.
    plain = nbformat.read(path, as_version=4)
    del plain.metadata["widgets"]
    nbformat.write(plain, tmp_path / "lab-saved.ipynb")
    exported["html"] = nbconvert(tmp_path / "lab-saved.ipynb", "--to", "html", home=home)
    with sync_playwright() as p:
        ctx, page = offline_page(p, tmp_path / "profile")
        try:
            for name, html in exported.items():
                page.goto(html.as_uri())
                copy = page.locator(".daggr-static-copy")
                expect(copy).to_contain_text(NOTICE)
                drawing = copy.locator("img")
                expect(drawing).to_be_visible()
                assert drawing.evaluate("i => i.complete && i.naturalWidth > 0"), name
                assert SHOUTED in drawing.get_attribute("alt")  # what each card shows
                svg = urllib.parse.unquote(drawing.get_attribute("src").split(",", 1)[1])
                assert SHOUTED in svg
                shot = drawing.screenshot(path=str(e2e_out / f"offline-{name}.png"))
                assert red_pixels(shot)[0] > 2000, f"no red thumbnail in the {name} export"
        finally:
            ctx.close()


def trusted(path: Path, state: Path) -> None:
    """`jupyter trust` with the server's data directory (where the signatures live)."""
    env = dict(os.environ, JUPYTER_DATA_DIR=str(state / "data"), JUPYTER_PLATFORM_DIRS="1")
    subprocess.run(
        [sys.executable, "-m", "jupyter", "trust", str(path)], check=True, env=env, timeout=60
    )


def test_jupyterlab_without_the_kernel_shows_a_read_only_copy(executed, tmp_path, e2e_out):
    import nbformat
    from playwright.sync_api import expect, sync_playwright

    root = tmp_path / "root"
    root.mkdir()
    nb = nbformat.read(executed[0], as_version=4)
    # Its kernel is gone: a fresh kernel starts, the cells are not run again.
    nbformat.write(nb, root / "trusted.ipynb")
    # No kernel at all, and never trusted (a notebook from elsewhere): JupyterLab
    # shows the display's drawing, sanitised.
    nb.metadata["kernelspec"] = {"name": "gone", "display_name": "Gone", "language": "none"}
    nb.metadata.pop("language_info", None)
    nbformat.write(nb, root / "untrusted.ipynb")
    state = tmp_path / "state"
    trusted(root / "trusted.ipynb", state)
    with jupyter_server("lab", root, state, e2e_out / "saved-copy-server.log") as port:
        with sync_playwright() as p:
            ctx = launch_chromium(p, tmp_path / "profile")
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            try:
                page.goto(f"http://127.0.0.1:{port}/lab/tree/trusted.ipynb?reset&token={TOKEN}")
                canvas = page.locator(".jp-OutputArea-output .daggr-root")
                expect(canvas.locator(".daggr-static-notice")).to_have_text(
                    re.compile("static copy", re.I), timeout=60_000
                )
                expect(canvas.locator(".daggr-static-notice")).to_be_visible()
                runs = canvas.locator(".daggr-run-btn")
                expect(runs).to_have_count(2)
                assert runs.evaluate_all("bs => bs.every(b => b.disabled)")
                assert canvas.locator(".daggr-run-all").is_disabled()
                expect(canvas.locator('[data-port="output"]')).to_contain_text(SHOUTED)
                thumb = canvas.locator('[data-port="picture"] img')
                expect(thumb).to_be_visible()
                assert thumb.evaluate("i => i.naturalWidth") > 0
                assert red_pixels(thumb.screenshot())[0] > 1000
                page.screenshot(path=str(e2e_out / "lab-kernel-gone.png"))

                page.goto(f"http://127.0.0.1:{port}/lab/tree/untrusted.ipynb?reset&token={TOKEN}")
                dialog = page.locator(".jp-Dialog")
                expect(dialog).to_be_visible(timeout=60_000)
                dialog.locator("button", has_text="No Kernel").click()
                copy = page.locator(".jp-OutputArea-output .daggr-static-copy")
                expect(copy).to_contain_text(NOTICE, timeout=30_000)
                assert red_pixels(copy.locator("img").screenshot())[0] > 2000
                page.screenshot(path=str(e2e_out / "lab-no-kernel-untrusted.png"))
            finally:
                ctx.close()


def test_a_notebook_saved_from_a_live_jupyterlab_keeps_the_latest_drawing(tmp_path, e2e_out):
    """JupyterLab saves no widget state by default: the display's drawing is what other
    readers see, brought up to date at the end of cells (runs from the canvas included).
    The live canvas keeps working and never says it is a copy."""
    import nbformat
    from playwright.sync_api import expect, sync_playwright

    root = tmp_path / "root"
    root.mkdir()
    nbformat.write(notebook(), root / "live.ipynb")
    with jupyter_server("lab", root, tmp_path / "state", e2e_out / "live-save-server.log") as port:
        with sync_playwright() as p:
            ctx = launch_chromium(p, tmp_path / "profile")
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            logs: list[str] = []
            page.on("console", lambda m: logs.append(f"{m.type}: {m.text}"))
            try:
                open_and_run_all(page, port, "live.ipynb", 3)
                canvas = page.locator(".jp-OutputArea-output .daggr-root")
                expect(canvas.locator('[data-port="output"]')).to_contain_text(
                    SHOUTED, timeout=60_000
                )
                wait_kernels_idle(port)
                expect(canvas.locator('[data-port="picture"] img')).to_be_visible()
                # a run from the canvas (outside any cell) is kept in the drawing too
                field = canvas.locator('[data-key="shout__text"] input')
                field.fill("edited live")
                canvas.locator('[data-id="shout"] .daggr-run-btn').click()
                expect(canvas.locator('[data-port="output"]')).to_contain_text(LIVE, timeout=30_000)
                expect(canvas.locator(".daggr-static-notice")).to_be_hidden()
                # the drawing follows at the end of the next cell (a display update would
                # render the output again under the hands of someone using the canvas)
                cells = page.locator(".jp-Notebook .jp-Cell")
                cells.nth(2).locator(".jp-InputArea-editor").click()
                page.keyboard.press("Shift+Enter")
                wait_kernels_idle(port)
                saved: dict[str, Any] = {}

                def drawing_saved() -> bool:
                    nb = json.loads((root / "live.ipynb").read_text())
                    outputs = nb["cells"][1].get("outputs") or [{}]
                    saved.update(outputs[0].get("data") or {})
                    html = saved.get("text/html", "")
                    saved["text/html"] = html = "".join(html) if isinstance(html, list) else html
                    return LIVE in urllib.parse.unquote(html)

                # The drawing follows the run shortly after it settles: save until it is in
                # (Ctrl+S inside the canvas is the canvas's; save from the app itself).
                for _ in range(60):
                    page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
                    page.wait_for_timeout(500)
                    if drawing_saved():
                        break
                assert drawing_saved(), urllib.parse.unquote(saved.get("text/html", ""))[-3000:]
                assert re.search(
                    "data:image/(png|jpeg);base64,", urllib.parse.unquote(saved["text/html"])
                )
                page.screenshot(path=str(e2e_out / "lab-live-saved.png"))
            finally:
                ctx.close()
    errors = [line for line in logs if "daggr" in line.lower() and "error" in line.lower()]
    assert not errors, errors
