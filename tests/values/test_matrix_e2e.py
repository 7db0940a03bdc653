"""The value matrix in real Chromium: every kind of value, from Python functions and from
a real Gradio app, seen on the served page and on the JupyterLab canvas — pictures
decoded at their natural size, audio and video playable, tables with their cells, chats
with their messages — and seen again from a new kernel that only reopens the graphs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.jupyter_harness import CHROMIUM, CHROMIUM_ARGS, lab_notebook, open_and_run_all
from tests.values.browser import problems
from tests.values.matrix import CASES, fn_graph, gradio_graph

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"needs {CHROMIUM}"),
]
FN = [c.name for c in CASES]
GRADIO = [c.name for c in CASES if c.gradio]


def served_matrix(serve, graph, names: list[str], shot: Path) -> dict:
    app = serve(graph)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1100})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(app.url)
            sync_api.expect(page.locator("body[data-daggr-ready='1']")).to_have_count(1)
            page.click(".daggr-run-all")
            found = problems(page, names)
            page.screenshot(path=str(shot))
            assert not errors, errors
            return found
        finally:
            browser.close()


def test_the_served_page_shows_every_value_of_functions(serve, tmp_path, e2e_out):
    graph = fn_graph(tmp_path / "media")
    assert served_matrix(serve, graph, FN, e2e_out / "values-served-fn.png") == {}


def test_the_served_page_shows_every_value_of_a_gradio_app(serve, gradio_values_app, e2e_out):
    graph = gradio_graph(gradio_values_app)
    assert served_matrix(serve, graph, GRADIO, e2e_out / "values-served-gradio.png") == {}


def test_the_gallery_opens_full_screen_and_pages_through(serve, tmp_path, e2e_out):
    app = serve(fn_graph(tmp_path / "media"))
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(app.url)
            page.click(".daggr-run-all")
            assert problems(page, ["gallery", "long_text"]) == {}
            gallery = page.locator('.daggr-node[data-id="gallery"] .daggr-gallery-item')
            gallery.nth(1).click()
            box = page.locator(".daggr-lightbox")
            sync_api.expect(box.locator(".daggr-lightbox-count")).to_have_text("2 / 3")
            sync_api.expect(box.locator(".daggr-lightbox-caption")).to_have_text("grey")
            sync_api.expect(box.locator("img.daggr-lightbox-media")).to_have_count(1)
            page.keyboard.press("ArrowRight")
            sync_api.expect(box.locator(".daggr-lightbox-count")).to_have_text("3 / 3")
            box.locator(".daggr-lightbox-prev").click()
            box.locator(".daggr-lightbox-prev").click()
            sync_api.expect(box.locator(".daggr-lightbox-count")).to_have_text("1 / 3")
            width = box.locator("img.daggr-lightbox-media").evaluate("i => i.naturalWidth")
            assert width > 0
            page.screenshot(path=str(e2e_out / "values-lightbox.png"))
            page.keyboard.press("Escape")
            sync_api.expect(box).to_have_count(0)
            # long text: the whole text is there, and Copy and Download are offered
            text = page.locator('.daggr-node[data-id="long_text"] .daggr-preview')
            sync_api.expect(text.locator('[data-action="copy"]')).to_have_count(1)
            picture = page.locator('.daggr-node[data-id="pil_rgb"] .daggr-preview')
            link = picture.locator('a[data-action="download"]')
            assert link.get_attribute("href").startswith("blob:")
        finally:
            browser.close()


def notebook_cells(home: Path, media: Path, url: str, run: bool) -> list[str]:
    setup = (
        f"import os\nos.environ['DAGGR_HOME'] = {str(home)!r}\n"
        "from pathlib import Path\nfrom daggr.widget import Canvas\n"
        "from tests.values.matrix import fn_graph, gradio_graph\n"
        f"fn = fn_graph(Path({str(media)!r}), persist='values-e2e')\n"
        f"gradio = gradio_graph({url!r}, persist='values-e2e-gradio')"
    )
    cells = [setup, "Canvas(fn, height=900)", "Canvas(gradio, height=900)"]
    if run:
        cells.append(
            "import json\nr1, r2 = fn.run(progress=False), gradio.run(progress=False)\n"
            "print('RAN', json.dumps({**r1.status, **r2.status}))\n"
            "print('ERRORS', {k: str(e)[:300] for r in (r1, r2) for k, e in r.errors.items()})"
        )
    return cells


def mark_cells(cells) -> None:
    cells.nth(1).evaluate("el => el.setAttribute('data-matrix', 'fn')")
    cells.nth(2).evaluate("el => el.setAttribute('data-matrix', 'gradio')")


def test_the_notebook_canvas_shows_every_value_and_again_after_a_new_kernel(
    tmp_path, gradio_values_app, e2e_out, monkeypatch
):
    repo = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("PYTHONPATH", str(repo))  # the kernel imports tests.values
    home, media = tmp_path / "home", tmp_path / "media"
    cells = notebook_cells(home, media, gradio_values_app, run=True)
    with lab_notebook(tmp_path, e2e_out, "values-matrix", cells) as (page, located, _):
        out = located.nth(3).locator(".jp-OutputArea-output")
        sync_api.expect(out).to_contain_text("RAN", timeout=180_000)
        statuses = json.loads(out.inner_text().split("RAN", 1)[1].strip().splitlines()[0])
        # On failure, which node failed and why (the kernel printed its errors).
        assert set(statuses.values()) == {"ok"}, out.inner_text().split("RAN", 1)[1][:2000]
        mark_cells(located)
        assert problems(page, FN, root='[data-matrix="fn"]') == {}
        assert problems(page, GRADIO, root='[data-matrix="gradio"]') == {}
        page.screenshot(path=str(e2e_out / "values-lab.png"))

        # a new kernel, another notebook: the graphs are only built, never run
        root = tmp_path / "root"
        import nbformat

        nb = nbformat.v4.new_notebook()
        nb.cells = [
            nbformat.v4.new_code_cell(s)
            for s in notebook_cells(home, media, gradio_values_app, run=False)
        ]
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nbformat.write(nb, root / "reopened.ipynb")
        port = int(page.url.split(":")[2].split("/")[0])
        again = open_and_run_all(page, port, "reopened.ipynb", 3)
        sync_api.expect(again.nth(2).locator(".daggr-node").first).to_be_visible(timeout=60_000)
        mark_cells(again)
        assert problems(page, FN, root='[data-matrix="fn"]') == {}
        assert problems(page, GRADIO, root='[data-matrix="gradio"]') == {}
        page.screenshot(path=str(e2e_out / "values-lab-reopened.png"))
