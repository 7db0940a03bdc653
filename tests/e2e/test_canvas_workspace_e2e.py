"""The canvas as a place to work, in a real JupyterLab, on a multi-modal graph (a PIL
image, (rate, samples) audio, long text, a node failing with a real traceback and the
node it skips, a slow step, three unconnected nodes).

Reading it: layout, legible fit, minimap, find, kinds, wire tooltips, the failure's
traceback (the text ``result.errors`` gives in code) with copy, the skipped node's cause,
menus that never cover ports, accessible names. Working in it: Shift+Enter, Delete,
resize, collapse, undo, groups, Run all / Stop all, and everything found again after a
reload and per sheet.

``DAGGR_DOCS_SCREENSHOTS=docs`` writes the screenshots the docs show (docs/canvas-*.png);
``DAGGR_README_SCREENSHOT=docs/canvas.png`` the README's picture.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from tests.e2e.jupyter_harness import lab_notebook
from tests.e2e.storyboard import SOURCE

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(360)]

CANVAS = "from daggr.widget import Canvas\ncanvas = Canvas(graph, height=640)\ncanvas"
RUN = """\
import json, traceback
r = graph.run(*QUICK, progress=False)
print("RAN", json.dumps(r.status))
print("TRACE=" + json.dumps("".join(traceback.format_exception(r.errors["parse_meta"])).rstrip("\\n")))"""
VIEWPORT = 'import json; print("VIEWPORT=" + json.dumps(canvas.viewport))'
RELEASE = 'release.set(); print("RELEASED")'
HOLD = 'release.clear(); print("HOLDING")'  # Run All ran RELEASE: the slow step waits again


def notebook(home: Path, persist: str) -> list[str]:
    build = f"import os\nos.environ['DAGGR_HOME'] = {str(home)!r}\nPERSIST = {persist!r}\n"
    return [build + SOURCE + CANVAS, RUN, VIEWPORT, RELEASE, HOLD]


def docs_shot(locator, name: str) -> None:
    """Saves a screenshot for the docs when DAGGR_DOCS_SCREENSHOTS names a folder."""
    folder = os.environ.get("DAGGR_DOCS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        locator.screenshot(path=str(Path(folder) / name))


def cell_text(cells, i: int, prefix: str) -> str:
    """The text after ``prefix`` on the line of cell i's output that starts with it."""
    from playwright.sync_api import expect

    out = cells.nth(i).locator(".jp-OutputArea-output")
    expect(out).to_contain_text(prefix, timeout=60_000)
    for line in out.inner_text().splitlines():
        if line.startswith(prefix):
            return line[len(prefix) :]
    raise AssertionError(f"no line starting with {prefix!r} in cell {i}")


def run_cell(page, cells, i: int) -> None:
    cells.nth(i).locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")


def card_pos(card) -> tuple[float, float]:
    transform = card.evaluate("el => el.style.transform")
    x, y = re.findall(r"-?[\d.]+", transform)[:2]
    return float(x), float(y)


def find(page, canvas, name: str) -> None:
    """Ctrl+F in the canvas, type, Enter: the view moves to the card."""
    canvas.locator(".daggr-title").click()
    page.keyboard.press("Control+f")
    page.keyboard.type(name)
    page.keyboard.press("Enter")


def boxes_overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


POINT_ON_WIRE = """el => {
  const p = el.getPointAtLength(el.getTotalLength() / 2);
  const m = el.getScreenCTM();
  return [m.a * p.x + m.c * p.y + m.e, m.b * p.x + m.d * p.y + m.f];
}"""

NAMELESS_BUTTONS = """root => [...root.querySelectorAll("button")]
  .filter(b => b.offsetParent !== null)
  .filter(b => !(b.getAttribute("aria-label") || "").trim() && !/[a-z]{2}/i.test(b.textContent || ""))
  .map(b => b.outerHTML)"""


def test_reading_a_multimodal_graph(tmp_path: Path, e2e_out: Path) -> None:
    from playwright.sync_api import expect

    cells_src = notebook(tmp_path / "home", "e2e-read")
    grant = ("clipboard-read", "clipboard-write")
    with lab_notebook(tmp_path, e2e_out, "read", cells_src, grant=grant) as (page, cells, _):
        page.set_viewport_size({"width": 1400, "height": 1000})
        canvas = page.locator(".jp-OutputArea-output .daggr-root")
        expect(canvas).to_be_visible(timeout=60_000)
        status = json.loads(cell_text(cells, 1, "RAN "))
        assert status["parse_meta"] == "error" and status["summarise"] == "skipped"
        trace = json.loads(cell_text(cells, 1, "TRACE="))
        card = lambda nid: canvas.locator(f'.daggr-node[data-id="{nid}"]')  # noqa: E731
        expect(card("poster").locator(".daggr-status")).to_have_text("done", timeout=30_000)

        # Layout: the three unconnected nodes make a row right of the rest, and fit
        # stops at a legible zoom (the minimap shows the rest).
        loose = [card_pos(card(n)) for n in ("greeting", "answer", "numbers")]
        assert len({y for _, y in loose}) == 1, loose
        assert min(x for x, _ in loose) > card_pos(card("summarise"))[0]
        canvas.locator(".daggr-fit").click()
        zoom = int(canvas.locator(".daggr-zoom-label").inner_text().rstrip("%"))
        assert zoom >= 70, zoom
        expect(canvas.locator(".daggr-minimap")).to_be_visible()

        # Real values: the PIL image is decoded at its size, the audio can play.
        img = card("poster").locator('[data-port="image"] img')
        expect(img).to_have_attribute("src", re.compile(r"^blob:"), timeout=15_000)
        assert (
            img.evaluate(
                "i => new Promise(r => i.complete ? r(i.naturalWidth) : i.onload = () => r(i.naturalWidth))"
            )
            == 320
        )
        audio = card("jingle").locator('[data-port="audio"] audio')
        expect(audio).to_have_attribute("src", re.compile(r"^blob:"), timeout=15_000)
        duration = audio.evaluate(
            "a => new Promise(r => a.readyState >= 1 ? r(a.duration) : a.onloadedmetadata = () => r(a.duration))"
        )
        assert abs(duration - 1.5) < 0.05, duration
        canvas.scroll_into_view_if_needed()
        docs_shot(canvas, "canvas-1-run.png")
        if os.environ.get("DAGGR_README_SCREENSHOT"):
            canvas.screenshot(path=os.environ["DAGGR_README_SCREENSHOT"])

        # Ports and wires take the colour of what they carry; a wire's tooltip
        # shows the value it carries.
        dot = card("poster").locator('[data-out="image"] .daggr-dot')
        assert dot.evaluate("d => getComputedStyle(d).borderTopColor") == "rgb(168, 85, 247)"
        wire = canvas.locator('.daggr-edge[data-key="brief.title>title"][data-target="poster"]')
        assert wire.get_attribute("data-kind") == "text"
        x, y = wire.locator(".daggr-edge-hit").evaluate(POINT_ON_WIRE)
        page.mouse.move(x, y)
        tip = canvas.locator(".daggr-wire-tip")
        expect(tip).to_be_visible()
        expect(tip).to_contain_text("brief.title → poster.title")
        expect(tip).to_contain_text("A fox at dawn")
        docs_shot(canvas, "canvas-2-wire.png")
        page.mouse.move(5, 5)

        # A failed card: message, the traceback result.errors gives, copy.
        find(page, canvas, "parse_m")
        failed = card("parse_meta")
        expect(failed).to_be_focused()
        error = failed.locator(".daggr-error")
        expect(error).to_contain_text("JSONDecodeError: Expecting value")
        error.locator(".daggr-trace summary").click()
        expect(error.locator(".daggr-trace-text")).to_have_text(trace, timeout=10_000)
        error.locator(".daggr-copy-error").click()
        expect(error.locator(".daggr-copy-error")).to_have_text("Copied")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("Node 'parse_meta' failed: JSONDecodeError: Expecting value")
        assert copied.endswith(trace)
        docs_shot(canvas, "canvas-3-error.png")

        # The skipped node names the cause and leads to it.
        skipped = card("summarise").locator(".daggr-error")
        expect(skipped).to_contain_text("Skipped")
        expect(skipped).to_contain_text("upstream node parse_meta failed")
        skipped.locator(".daggr-skip-source").click()
        expect(failed).to_be_focused()

        # The run-mode menu covers no port and closes on Escape.
        find(page, canvas, "poster")
        card("poster").locator(".daggr-run-mode").click()
        menu = card("poster").locator(".daggr-run-menu")
        expect(menu).to_be_visible()
        box = menu.bounding_box()
        dots = canvas.locator(".daggr-port").all()
        covered = [
            d.inner_text() for d in dots if d.is_visible() and boxes_overlap(box, d.bounding_box())
        ]
        assert not covered, covered
        page.keyboard.press("Escape")
        expect(menu).to_be_hidden()

        # Every button has a visible label or an accessible name.
        assert canvas.evaluate(NAMELESS_BUTTONS) == []

        # Find by name brings a card far away into view; the minimap moves the view.
        find(page, canvas, "numb")
        expect(card("numbers")).to_be_focused()
        stage = canvas.locator(".daggr-stage").bounding_box()
        found = card("numbers").bounding_box()
        assert (
            stage["x"] <= found["x"] and found["x"] + found["width"] <= stage["x"] + stage["width"]
        )
        docs_shot(canvas, "canvas-4-find.png")
        pane = canvas.locator(".daggr-pane")
        before = pane.evaluate("p => p.style.transform")
        mm = canvas.locator(".daggr-minimap").bounding_box()
        page.mouse.click(mm["x"] + 10, mm["y"] + mm["height"] / 2)
        expect(pane).not_to_have_attribute("style", re.compile(re.escape(before)))


def test_working_in_a_graph_and_finding_it_again(tmp_path: Path, e2e_out: Path) -> None:
    from playwright.sync_api import expect

    cells_src = notebook(tmp_path / "home", "e2e-work")
    grant = ("clipboard-read", "clipboard-write")
    with lab_notebook(tmp_path, e2e_out, "work", cells_src, grant=grant) as (page, cells, _):
        page.set_viewport_size({"width": 1400, "height": 1000})
        canvas = page.locator(".jp-OutputArea-output .daggr-root")
        expect(canvas).to_be_visible(timeout=60_000)
        cell_text(cells, 1, "RAN ")
        cell_text(cells, 4, "HOLDING")
        card = lambda nid: canvas.locator(f'.daggr-node[data-id="{nid}"]')  # noqa: E731
        expect(card("poster").locator(".daggr-status")).to_have_text("done", timeout=30_000)
        canvas.locator(".daggr-fit").click()
        canvas.locator(".daggr-zoom-out").click()  # 58%: the connected cards in view

        # Shift+Enter in a card's field runs that card with the value just typed.
        hue = card("poster").locator('[data-key="poster__hue"] input')
        hue.fill("200")
        hue.press("Shift+Enter")
        expect(card("poster").locator(".daggr-history-label")).to_have_text("2/2", timeout=30_000)
        assert canvas.locator(".jp-Cell").count() == 0 and cells.count() == 5

        # Delete removes nothing, and says so.
        card("jingle").locator(".daggr-node-name").click()
        page.keyboard.press("Delete")
        expect(canvas.locator(".daggr-toast")).to_contain_text("Nothing was deleted")
        expect(canvas.locator(".daggr-node")).to_have_count(10)

        # Resize one card, collapse another, undo the collapse: the size stays.
        corner = card("story").locator(".daggr-resize").bounding_box()
        page.mouse.move(corner["x"] + 5, corner["y"] + 5)
        page.mouse.down()
        page.mouse.move(corner["x"] + 35, corner["y"] + 5, steps=6)  # into the gap
        page.mouse.up()
        width = card("story").evaluate("el => el.style.width")
        assert width and float(width.rstrip("px")) > 320, width
        card("jingle").locator(".daggr-collapse").click()
        expect(card("jingle")).to_have_class(re.compile("daggr-collapsed"))
        page.keyboard.press("Control+z")
        expect(card("jingle")).not_to_have_class(re.compile("daggr-collapsed"))
        assert card("story").evaluate("el => el.style.width") == width

        # Group two cards: the frame moves them together and collapses to one card.
        for nid in ("poster", "jingle"):
            card(nid).locator(".daggr-node-name").click(modifiers=["Shift"])
        canvas.locator(".daggr-group-btn").click()
        frame = canvas.locator(".daggr-group")
        expect(frame).to_have_count(1)
        expect(frame.locator(".daggr-group-summary")).to_have_text("2 nodes")
        before = [card_pos(card(n)) for n in ("poster", "jingle")]
        bar = frame.locator(".daggr-group-title").bounding_box()
        page.mouse.move(bar["x"] + bar["width"] / 2, bar["y"] + 10)
        page.mouse.down()
        page.mouse.move(bar["x"] + bar["width"] / 2 + 60, bar["y"] + 10, steps=6)
        page.mouse.up()
        after = [card_pos(card(n)) for n in ("poster", "jingle")]
        moved = [round(a[0] - b[0]) for a, b in zip(after, before, strict=True)]
        assert moved[0] == moved[1] and moved[0] > 50, moved
        frame.locator(".daggr-group-collapse").click()
        expect(card("poster")).to_be_hidden()
        expect(frame).to_have_class(re.compile("daggr-group-collapsed"))
        docs_shot(canvas, "canvas-5-group.png")

        # Run all runs what is stale (the new title makes everything stale) and the
        # slow step, which Stop all stops.
        title = card("brief").locator('[data-key="brief__title"] input')
        title.fill("A fox at dusk")
        canvas.locator(".daggr-run-all").click()
        expect(card("upscale")).to_have_class(re.compile("daggr-status-running"), timeout=30_000)
        expect(card("story").locator(".daggr-history-label")).to_have_text("2/2", timeout=30_000)
        canvas.locator(".daggr-stop-all").click()
        expect(card("upscale")).to_have_class(re.compile("daggr-status-cancelled"), timeout=30_000)
        run_cell(page, cells, 3)
        expect(cells.nth(3).locator(".jp-OutputArea-output")).to_contain_text("RELEASED")

        # The kernel saved the layout with the sheet.
        time.sleep(0.6)  # layout changes go out 250 ms after the last one
        run_cell(page, cells, 2)
        saved = json.loads(cell_text(cells, 2, "VIEWPORT="))
        assert saved["groups"][0]["members"] == ["poster", "jingle"]
        assert saved["groups"][0]["collapsed"] is True
        assert saved["sizes"]["story"][0] == float(width.rstrip("px"))

        # Another sheet has its own layout; back on this one, all is there.
        canvas.locator(".daggr-sheet-toggle").click()
        canvas.locator(".daggr-sheet-new").click()
        expect(canvas.locator(".daggr-sheet-name")).to_have_text("Sheet 2")
        expect(canvas.locator(".daggr-group")).to_have_count(0)
        expect(card("poster")).to_be_visible()
        canvas.locator(".daggr-sheet-toggle").click()
        canvas.locator('.daggr-sheet-pick[data-sheet="Sheet 1"]').click()
        expect(canvas.locator(".daggr-group.daggr-group-collapsed")).to_have_count(1)

        # A reload of the saved notebook draws the same canvas.
        page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
        saved_nb = tmp_path / "root" / "work.ipynb"
        deadline = time.monotonic() + 20
        while "widget-view" not in saved_nb.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        page.reload()
        canvas = page.locator(".jp-OutputArea-output .daggr-root")
        expect(canvas).to_be_visible(timeout=60_000)
        expect(canvas.locator(".daggr-group.daggr-group-collapsed")).to_have_count(1)
        expect(canvas.locator('.daggr-node[data-id="poster"]')).to_be_hidden()
        assert (
            canvas.locator('.daggr-node[data-id="story"]').evaluate("el => el.style.width") == width
        )
