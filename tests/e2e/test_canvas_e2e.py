"""The canvas in a real JupyterLab 4 and Notebook 7: type, run, see the result, and check
that the kernel saw it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.e2e.jupyter_harness import (
    jupyter_server,
    launch_chromium,
    open_and_run_all,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

BUILD = """\
from daggr import FnNode, Graph, InputNode, components as gr
from daggr.widget import Canvas

form = InputNode("form", ports={"text": gr.Textbox(value="hello", label="Text")})
shout = FnNode(lambda text: text.upper(), name="shout", inputs={"text": form.text})
exclaim = FnNode(lambda s, n: s + "!" * int(n), name="exclaim",
                 inputs={"s": shout.output, "n": gr.Number(value=1, minimum=0, maximum=5)})
g = Graph("e2e demo", nodes=[exclaim], persist_key=False)
canvas = Canvas(g, height=440)
canvas"""
READY = 'print("READY", 40 + 2)'
CHECK = """\
r = g.run("exclaim", progress=False)
print("RESULT=" + r["exclaim"]["output"])"""
MOVED = 'print("MOVED", canvas.viewport.get("positions", {}).get("exclaim"))'


def write_notebook(root: Path) -> None:
    import nbformat  # here, not at the top: it takes seconds to import, even deselected

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in (BUILD, READY, CHECK, MOVED)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, root / "canvas.ipynb")


# JupyterLab runs in its dark theme, so both palettes of the canvas are exercised.
@pytest.mark.parametrize(("kind", "theme"), [("lab", "JupyterLab Dark"), ("notebook", None)])
def test_type_run_and_see_the_result(
    kind: str, theme: str | None, tmp_path: Path, e2e_out: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    root = tmp_path / "root"
    root.mkdir()
    write_notebook(root)
    log = e2e_out / f"{kind}-server.log"
    with jupyter_server(kind, root, tmp_path / "state", log, theme) as port:
        with sync_playwright() as p:
            ctx = launch_chromium(p, tmp_path / "profile")
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            logs: list[str] = []
            page.on("console", lambda m: logs.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: logs.append(f"pageerror: {e}"))
            try:
                cells = open_and_run_all(page, port, "canvas.ipynb", 4, kind)

                root_el = page.locator(".jp-OutputArea-output .daggr-root")
                expect(root_el).to_be_visible(timeout=60_000)
                expect(cells.nth(1).locator(".jp-OutputArea-output")).to_contain_text(
                    "READY 42", timeout=30_000
                )
                expect(cells.nth(2).locator(".jp-OutputArea-output")).to_contain_text(
                    "RESULT=HELLO!", timeout=30_000
                )
                expect(root_el.locator(".daggr-node")).to_have_count(3)
                expect(root_el.locator(".daggr-edge")).to_have_count(2)
                expect(root_el.locator(".daggr-title")).to_have_text("e2e demo")

                # Typing letters that are notebook shortcuts (a, b: insert cell) must only type.
                text = root_el.locator('[data-key="form__text"] input')
                text.fill("")
                text.press_sequentially("daggr ab", delay=20)
                expect(text).to_have_value("daggr ab")
                number = root_el.locator('[data-key="exclaim__n"] input')
                number.fill("2")
                expect(number).to_have_value("2")
                expect(cells).to_have_count(4)

                card = root_el.locator('.daggr-node[data-id="exclaim"]')
                card.locator(".daggr-run-btn").click()
                expect(card.locator('[data-port="output"]')).to_have_text(
                    "DAGGR AB!!", timeout=30_000
                )
                expect(card).to_have_class(re.compile(r"\bdaggr-status-ok\b"))
                page.screenshot(path=str(e2e_out / f"{kind}-after-run.png"))

                # The kernel saw the typed values: a run from code gives the same result,
                # and its events reach the open canvas (results: Run All's, the canvas's,
                # this one's).
                cells.nth(2).locator(".jp-InputArea-editor").click()
                page.keyboard.press("Control+Enter")
                expect(cells.nth(2).locator(".jp-OutputArea-output")).to_contain_text(
                    "RESULT=DAGGR AB!!", timeout=30_000
                )
                expect(card.locator(".daggr-history-label")).to_have_text("3/3", timeout=10_000)
                root_el.scroll_into_view_if_needed()
                root_el.screenshot(path=str(e2e_out / f"{kind}-canvas.png"))

                # Dragging a card reaches the kernel (debounced), and ctrl+wheel zooms.
                header = card.locator(".daggr-node-name")
                box = header.bounding_box()
                assert box is not None
                page.mouse.move(box["x"] + 5, box["y"] + 5)
                page.mouse.down()
                page.mouse.move(box["x"] + 45, box["y"] + 65, steps=5)
                page.mouse.up()
                zoom = root_el.locator(".daggr-zoom-label")
                before = zoom.inner_text()
                page.keyboard.down("Control")
                page.mouse.wheel(0, -120)
                page.keyboard.up("Control")
                expect(zoom).not_to_have_text(before)
                # The move is sent 250 ms after the drag ends; on a loaded machine it can
                # take longer to reach the kernel, so ask again until it has arrived.
                moved = cells.nth(3).locator(".jp-OutputArea-output")
                for _ in range(30):
                    page.wait_for_timeout(500)
                    cells.nth(3).locator(".jp-InputArea-editor").click()
                    page.keyboard.press("Control+Enter")
                    expect(moved).to_contain_text("MOVED", timeout=30_000)
                    if "MOVED [" in moved.inner_text():
                        break
                expect(moved).to_contain_text("MOVED [", timeout=1_000)
            except Exception:
                page.screenshot(path=str(e2e_out / f"{kind}-FAILED.png"))
                raise
            finally:
                (e2e_out / f"{kind}-console.log").write_text("\n".join(logs))
                ctx.close()
    errors = [line for line in logs if "daggr" in line.lower() and "error" in line.lower()]
    assert not errors, json.dumps(errors, indent=1)
