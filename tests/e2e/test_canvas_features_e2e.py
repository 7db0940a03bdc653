"""The canvas's working features in a real JupyterLab: freshness after runs and edits,
history with ‹ ›, sheets, Stop, an image output from a blob: URL, and a page reload that
finds everything again."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from tests.e2e.jupyter_harness import (
    jupyter_server,
    launch_chromium,
    open_and_run_all,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

BUILD = """\
import os, tempfile, threading
os.environ["DAGGR_HOME"] = {home!r}
from PIL import Image
from daggr import FileValue, FnNode, Graph, InputNode, components as gr
from daggr.widget import Canvas

png = os.path.join(tempfile.mkdtemp(), "red.png")
Image.new("RGB", (96, 64), (220, 40, 40)).save(png)
form = InputNode("form", ports={{"text": gr.Textbox(value="hello", label="Text")}})
shout = FnNode(lambda text: text.upper(), name="shout", inputs={{"text": form.text}})
picture = FnNode(lambda s, photo: FileValue(photo or png), name="picture",
                 inputs={{"s": shout.output, "photo": gr.Image(label="Photo")}},
                 outputs={{"image": gr.Image(label="Image")}})
release = threading.Event()
slow = FnNode(lambda: (release.clear(), release.wait(30))[1] and "done", name="slow")
g = Graph("e2e features", nodes=[picture, slow], persist_key="e2e-features")
canvas = Canvas(g, height=560)
canvas"""
RUN = 'r = g.run("picture", progress=False)\nprint("RAN", r.ok)'
# Lets the cancelled node's thread end, so the kernel shuts down at once.
RELEASE = 'release.set(); print("RELEASED")'


def _blue_png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 60, 220)).save(buf, format="PNG")
    return buf.getvalue()


BLUE_PNG = _blue_png()


def write_notebook(root: Path, home: Path) -> None:
    import nbformat  # here, not at the top: it takes seconds to import, even deselected

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(BUILD.format(home=str(home))),
        nbformat.v4.new_code_cell(RUN),
        nbformat.v4.new_code_cell(RELEASE),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, root / "features.ipynb")


def test_fresh_stale_history_sheets_stop_media_and_reload(tmp_path: Path, e2e_out: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    root = tmp_path / "root"
    root.mkdir()
    write_notebook(root, tmp_path / "daggr-home")
    with jupyter_server("lab", root, tmp_path / "state", e2e_out / "features-server.log") as port:
        with sync_playwright() as p:
            ctx = launch_chromium(p, tmp_path / "profile")
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            logs: list[str] = []
            page.on("console", lambda m: logs.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: logs.append(f"pageerror: {e}"))
            try:
                cells = open_and_run_all(page, port, "features.ipynb", 3)
                canvas = page.locator(".jp-OutputArea-output .daggr-root")
                expect(canvas).to_be_visible(timeout=60_000)
                expect(cells.nth(1).locator(".jp-OutputArea-output")).to_contain_text(
                    "RAN True", timeout=30_000
                )

                # A run from code: every edge turns fresh, the image shows from a blob: URL.
                expect(canvas.locator(".daggr-edge.daggr-edge-fresh")).to_have_count(2)
                picture = canvas.locator('.daggr-node[data-id="picture"]')
                img = picture.locator('[data-port="image"] img')
                expect(img).to_have_attribute("src", re.compile(r"^blob:"), timeout=15_000)
                expect(canvas.locator(".daggr-sheet-name")).to_have_text("Sheet 1")

                # An input edit makes the downstream edges stale.
                text = canvas.locator('[data-key="form__text"] input')
                text.fill("world")
                expect(canvas.locator(".daggr-edge.daggr-edge-stale")).to_have_count(2)
                shout = canvas.locator('.daggr-node[data-id="shout"]')
                expect(shout.locator(".daggr-fresh-badge")).to_have_text("stale")
                page.screenshot(path=str(e2e_out / "features-stale.png"))

                # Run from the canvas: fresh again, and a second result in history.
                picture.locator(".daggr-run-btn").click()
                expect(picture.locator(".daggr-history-label")).to_have_text("2/2", timeout=30_000)
                expect(canvas.locator(".daggr-edge.daggr-edge-fresh")).to_have_count(2)

                # ‹ goes back one result: the inputs that produced it come back too.
                picture.locator(".daggr-hist-prev").click()
                expect(picture.locator(".daggr-history-label")).to_have_text("1/2")
                expect(text).to_have_value("hello")
                expect(picture.locator(".daggr-hist-prev")).to_be_disabled()
                expect(shout.locator(".daggr-history-label")).to_have_text("1/2")
                canvas.screenshot(path=str(e2e_out / "features-history.png"))

                # A new sheet starts empty; switching back finds the history.
                canvas.locator(".daggr-sheet-toggle").click()
                canvas.locator(".daggr-sheet-new").click()
                expect(canvas.locator(".daggr-sheet-name")).to_have_text("Sheet 2")
                expect(picture.locator(".daggr-fresh-badge")).to_have_text("not run")
                expect(picture.locator(".daggr-history")).to_be_hidden()
                canvas.locator(".daggr-sheet-toggle").click()
                canvas.locator('.daggr-sheet-pick[data-sheet="Sheet 1"]').click()
                expect(canvas.locator(".daggr-sheet-name")).to_have_text("Sheet 1")
                expect(picture.locator(".daggr-history-label")).to_have_text("1/2")

                # Stop a long run started from the canvas.
                slow = canvas.locator('.daggr-node[data-id="slow"]')
                slow.locator(".daggr-run-btn").click()
                expect(slow).to_have_class(re.compile("daggr-status-running"), timeout=15_000)
                slow.locator(".daggr-run-btn").click()
                expect(slow).to_have_class(re.compile("daggr-status-cancelled"), timeout=15_000)
                cells.nth(2).locator(".jp-InputArea-editor").click()
                page.keyboard.press("Control+Enter")
                expect(cells.nth(2).locator(".jp-OutputArea-output")).to_contain_text("RELEASED")

                # Upload a picture: the kernel saves it and the function gets its path.
                blue = tmp_path / "blue.png"
                blue.write_bytes(BLUE_PNG)
                picture.locator('[data-key="picture__photo"] input[type="file"]').set_input_files(
                    str(blue)
                )
                expect(
                    picture.locator('[data-key="picture__photo"] .daggr-drop-preview img')
                ).to_have_attribute("src", re.compile(r"^blob:"), timeout=15_000)
                picture.locator(".daggr-run-btn").click()
                expect(picture.locator(".daggr-history-label")).to_have_text("3/3", timeout=30_000)
                expect(picture.locator('[data-port="image"] img')).to_have_attribute(
                    "src", re.compile(r"^blob:"), timeout=15_000
                )
                size = picture.locator('[data-port="image"] img').evaluate(
                    "img => new Promise(r => img.complete ? r([img.naturalWidth, img.naturalHeight])"
                    " : img.onload = () => r([img.naturalWidth, img.naturalHeight]))"
                )
                assert size == [40, 30], size  # the uploaded picture, not the red default

                # Save, reload the page: the canvas comes back with its state.
                # (Ctrl+S typed into the canvas stays there: it keeps keys from notebook
                # shortcuts.)
                page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
                saved = root / "features.ipynb"
                deadline = time.monotonic() + 20
                while "widget-view" not in saved.read_text() and time.monotonic() < deadline:
                    time.sleep(0.2)
                page.reload()
                canvas = page.locator(".jp-OutputArea-output .daggr-root")
                expect(canvas).to_be_visible(timeout=60_000)
                picture = canvas.locator('.daggr-node[data-id="picture"]')
                expect(picture.locator(".daggr-history-label")).to_have_text("3/3", timeout=30_000)
                expect(picture.locator('[data-port="image"] img')).to_have_attribute(
                    "src", re.compile(r"^blob:"), timeout=15_000
                )
                expect(canvas.locator('[data-key="form__text"] input')).to_have_value("hello")
                expect(canvas.locator(".daggr-sheet-name")).to_have_text("Sheet 1")
                canvas.scroll_into_view_if_needed()
                canvas.screenshot(path=str(e2e_out / "features-after-reload.png"))
            except Exception:
                page.screenshot(path=str(e2e_out / "features-FAILED.png"))
                raise
            finally:
                (e2e_out / "features-console.log").write_text("\n".join(logs))
                ctx.close()
    errors = [line for line in logs if "daggr" in line.lower() and "error" in line.lower()]
    assert not errors, json.dumps(errors, indent=1)


ITEMS_BUILD = """\
import os
os.environ["DAGGR_HOME"] = {home!r}
from daggr import FnNode, Graph, ItemList, components as gr
from daggr.widget import Canvas

lines = FnNode(
    lambda: [{{"speaker": "A", "text": "hello"}}, {{"speaker": "B", "text": "hi there"}}],
    name="lines",
    outputs={{"items": ItemList(speaker=gr.Dropdown(choices=["A", "B"], label="Speaker"),
                                text=gr.Textbox(label="Text"))}},
)
join = FnNode(lambda items: " | ".join(f"{{d['speaker']}}: {{d['text']}}" for d in items),
              name="join", inputs={{"items": lines.items}},
              outputs={{"output": gr.Textbox(label="Script")}})
g = Graph("e2e items", nodes=[join], persist_key="e2e-items")
g.run(progress=False)
canvas = Canvas(g, height=480)
canvas"""


def test_edit_item_list_then_run_downstream(tmp_path: Path, e2e_out: Path) -> None:
    import nbformat
    from playwright.sync_api import expect, sync_playwright

    root = tmp_path / "root"
    root.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(ITEMS_BUILD.format(home=str(tmp_path / "home")))]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, root / "items.ipynb")
    with jupyter_server("lab", root, tmp_path / "state", e2e_out / "items-server.log") as port:
        with sync_playwright() as p:
            ctx = launch_chromium(p, tmp_path / "profile")
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            logs: list[str] = []
            page.on("console", lambda m: logs.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: logs.append(f"pageerror: {e}"))
            try:
                open_and_run_all(page, port, "items.ipynb", 1)
                canvas = page.locator(".jp-OutputArea-output .daggr-root")
                expect(canvas).to_be_visible(timeout=60_000)
                lines = canvas.locator('.daggr-node[data-id="lines"]')
                join = canvas.locator('.daggr-node[data-id="join"]')
                expect(lines.locator(".daggr-items-head")).to_have_text("Items (2)")
                expect(join.locator('[data-port="output"]')).to_contain_text("B: hi there")

                # Edit two fields of the second item: one burst, one new history row.
                item = lines.locator('.daggr-edit-item[data-index="1"]')
                item.locator('[data-field="text"]').fill("edited on canvas")
                item.locator('[data-field="speaker"]').select_option(label="A")
                expect(lines.locator(".daggr-history-label")).to_have_text("2/2", timeout=15_000)
                expect(join.locator(".daggr-fresh-badge")).to_have_text("stale")
                expect(canvas.locator(".daggr-edge.daggr-edge-stale")).to_have_count(1)
                canvas.screenshot(path=str(e2e_out / "items-edited.png"))

                # "Run to here" on the downstream node consumes the edit (lines is reused).
                join.locator(".daggr-run-btn").click()
                expect(join.locator('[data-port="output"]')).to_contain_text(
                    "A: edited on canvas", timeout=30_000
                )
                expect(lines.locator(".daggr-history-label")).to_have_text("2/2")
                expect(canvas.locator(".daggr-edge.daggr-edge-fresh")).to_have_count(1)
                canvas.screenshot(path=str(e2e_out / "items-after-run.png"))
            except Exception:
                page.screenshot(path=str(e2e_out / "items-FAILED.png"))
                raise
            finally:
                (e2e_out / "items-console.log").write_text("\n".join(logs))
                ctx.close()
    errors = [line for line in logs if "daggr" in line.lower() and "error" in line.lower()]
    assert not errors, json.dumps(errors, indent=1)
