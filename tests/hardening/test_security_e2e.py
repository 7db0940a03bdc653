"""HTML and Markdown outputs (and error messages) with <script>, onerror= and javascript:
links do not run in the notebook page: a real JupyterLab in Debian's Chromium."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.jupyter_harness import (
    CHROMIUM,
    jupyter_server,
    launch_chromium,
    open_and_run_all,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(240),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"needs {CHROMIUM}"),
]

HTML = (
    "<b>bold</b><script>window.__daggr_pwned='html-script';"
    "try{window.parent.__daggr_pwned='html-script-parent'}catch(e){};alert('html')</script>"
    "<img src=x onerror=\"window.__daggr_pwned='html-onerror';"
    "try{window.parent.__daggr_pwned='html-onerror-parent'}catch(e){}\">"
    "<a id=jslink href=\"javascript:window.parent.__daggr_pwned='html-link'\">html link</a>"
)
MARKDOWN = (
    "# Title\n\n<script>window.__daggr_pwned='md-script'</script>\n\n"
    "<img src=x onerror=\"window.__daggr_pwned='md-onerror'\">\n\n"
    "[md link](javascript:window.__daggr_pwned='md-link') and "
    "<a href=\"javascript:window.__daggr_pwned='md-a'\">raw link</a>\n"
)
BUILD = f"""\
import os
os.environ["DAGGR_HOME"] = HOME_DIR
from daggr import FnNode, Graph, components as gr
from daggr.widget import Canvas

HTML, MARKDOWN = {HTML!r}, {MARKDOWN!r}
page = FnNode(lambda: HTML, name="page", outputs={{"page": gr.HTML()}})
notes = FnNode(lambda: MARKDOWN, name="notes", outputs={{"notes": gr.Markdown()}})
def bad():
    raise ValueError("<img src=x onerror=\\"window.__daggr_pwned='error'\\"><script>window.__daggr_pwned='error-script'</script>")
boom = FnNode(bad, name="boom")
g = Graph("xss", nodes=[page, notes, boom], persist_key="xss")
canvas = Canvas(g, height=520)
canvas"""
RUN = 'r = g.run(progress=False)\nprint("RAN", r.status)'


def test_html_markdown_and_errors_do_not_run_script(tmp_path: Path) -> None:
    import nbformat  # here, not at the top: it takes seconds to import, even deselected
    from playwright.sync_api import expect, sync_playwright

    root = tmp_path / "root"
    root.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(BUILD.replace("HOME_DIR", repr(str(tmp_path / "home")))),
        nbformat.v4.new_code_cell(RUN),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, root / "xss.ipynb")
    dialogs: list[str] = []
    with jupyter_server("lab", root, tmp_path / "state", tmp_path / "server.log") as port:
        with sync_playwright() as p:
            ctx = launch_chromium(p, tmp_path / "profile")
            page = ctx.pages[0] if ctx.pages else ctx.new_page()

            def on_dialog(d) -> None:
                dialogs.append(d.message)
                d.dismiss()

            page.on("dialog", on_dialog)
            try:
                cells = open_and_run_all(page, port, "xss.ipynb", 2)
                root_el = page.locator(".jp-OutputArea-output .daggr-root")
                expect(root_el).to_be_visible(timeout=60_000)
                expect(cells.nth(1).locator(".jp-OutputArea-output")).to_contain_text(
                    "RAN", timeout=60_000
                )
                # the HTML output is in a sandboxed iframe; the Markdown is text-built DOM
                frame = root_el.locator("iframe.daggr-html")
                expect(frame.first).to_be_attached(timeout=30_000)
                assert frame.first.get_attribute("sandbox") == ""
                expect(root_el).to_contain_text("Title", timeout=30_000)
                expect(root_el).to_contain_text("ValueError", timeout=30_000)
                # click every link the canvas shows
                for link in root_el.locator("a").all():
                    href = link.get_attribute("href") or ""
                    assert not href.strip().lower().startswith("javascript:"), href
                    if link.is_visible():
                        link.click(modifiers=["Alt"], no_wait_after=True)
                time.sleep(1.0)
                assert page.evaluate("() => window.__daggr_pwned === undefined"), page.evaluate(
                    "() => window.__daggr_pwned"
                )
                assert page.locator("script:text('__daggr_pwned')").count() == 0
                assert not dialogs, dialogs
            finally:
                ctx.close()
