"""The served page in Debian Chromium where it is shared: the form view, behind a reverse
proxy that adds a path prefix, and through jupyter-server-proxy in a real JupyterLab."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import httpx
import pytest

from daggr import Graph
from tests.app.proxy import Proxy
from tests.e2e.jupyter_harness import CHROMIUM, CHROMIUM_ARGS, TOKEN, lab_notebook

sync_api = pytest.importorskip("playwright.sync_api")
Image = pytest.importorskip("PIL.Image")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"needs {CHROMIUM}"),
]
expect = sync_api.expect

GRAPH_CODE = """
from PIL import Image
from daggr import FnNode, Graph, components as gr

def shout(text: str) -> str:
    return text.upper() + "!"

def poster(text: str):
    return Image.new("RGB", (80, 48), (20 * len(text) % 255, 120, 200))

loud = FnNode(shout, inputs={"text": gr.Textbox(label="Text", value="hello")},
              outputs={"loud": gr.Textbox(label="Loud")})
art = FnNode(poster, inputs={"text": loud.loud}, outputs={"image": gr.Image(label="Poster")})
graph = Graph("Shared", nodes=[loud, art], persist_key=False)
"""


def shared_graph() -> Graph:
    ns: dict = {}
    exec(GRAPH_CODE, ns)
    return ns["graph"]


def _ready(page, url: str) -> None:
    page.goto(url)
    expect(page.locator("body[data-daggr-ready='1']")).to_have_count(1, timeout=30_000)


def _run_card(page, text: str) -> None:
    card = page.locator(".daggr-node[data-id='shout']")
    expect(card).to_be_visible()
    field = card.locator("[data-key='shout__text'] input, [data-key='shout__text'] textarea").first
    field.fill(text)
    card.locator(".daggr-run-btn").click()
    expect(card.locator(".daggr-preview")).to_contain_text(text.upper() + "!", timeout=30_000)


@contextlib.contextmanager
def _page(height: int = 760):
    """A Chromium page; fails the test afterwards if the page raised."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1100, "height": height}).new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            yield page
            assert not errors, errors
        finally:
            browser.close()


def test_the_form_view_runs_the_graph_and_switches_to_the_canvas(serve, e2e_out):
    app = serve(shared_graph(), view="form")
    with _page() as page:
        _ready(page, app.url)
        form = page.locator(".daggr-form")
        expect(form).to_be_visible()
        expect(page.locator(".daggr-node")).to_have_count(0)  # the owner's default
        field = form.locator("[data-key='shout__text'] input").first
        expect(field).to_have_value("hello")
        field.fill("owls at night")
        form.locator(".daggr-form-run").click()
        # Only the final outputs, each shown by the cards' output viewer.
        outputs = form.locator(".daggr-form-value")
        expect(outputs).to_have_count(1)
        image = form.locator(".daggr-form-value[data-output='poster/image'] img")
        expect(image).to_be_visible(timeout=30_000)
        expect(form.locator(".daggr-form-run")).to_have_text("Run")
        page.screenshot(path=str(e2e_out / "app-form.png"))

        page.locator("[data-view-tab='canvas']").click()
        card = page.locator(".daggr-node[data-id='shout']")
        expect(card.locator(".daggr-preview")).to_contain_text("OWLS AT NIGHT!")
        assert "view=canvas" in page.url
        page.reload()
        expect(page.locator(".daggr-node[data-id='poster']")).to_be_visible(timeout=30_000)


def test_the_page_works_behind_a_proxy_that_adds_a_prefix(serve, e2e_out):
    app = serve(shared_graph())
    proxy = Proxy(app.url.rstrip("/"), "/team/tools/daggr").start()
    try:
        with _page(700) as page:
            _ready(page, proxy.url)
            _run_card(page, "via the proxy")
            page.screenshot(path=str(e2e_out / "app-behind-proxy.png"))
            user = page.evaluate("fetch('api/user').then(r => r.json())")
            assert user["user"].startswith("anon-")
        # Every request went through the prefix: nothing asked for the site root.
        assert {path.split("?")[0] for _, path in proxy.seen} >= {"/", "/ws", "/static/widget.js"}
    finally:
        proxy.stop()


LAB_CELLS = [
    GRAPH_CODE,
    "app = graph.launch(port=0)",
    "print('LINK', app.public_url)",
]


@pytest.mark.slow
def test_launch_in_jupyterlab_links_through_jupyter_server_proxy(tmp_path, e2e_out):
    pytest.importorskip("jupyter_server_proxy")
    with lab_notebook(tmp_path, e2e_out, "share-proxy", LAB_CELLS) as (page, cells, ctx):
        out = cells.nth(2).locator(".jp-OutputArea-output")
        expect(out).to_contain_text("LINK", timeout=60_000)
        link = re.search(r"LINK (\S+)", out.inner_text()).group(1)
        port = re.search(r"127\.0\.0\.1:(\d+)/", page.url).group(1)
        # The link goes through the Lab's own proxy, not to the app's own port.
        assert re.fullmatch(rf"http://(127\.0\.0\.1|localhost):{port}/proxy/\d+/", link), link
        printed = cells.nth(1).locator(".jp-OutputArea-output")
        expect(printed).to_contain_text(link)

        app_page = ctx.new_page()
        _ready(app_page, link)  # the Lab's login cookie lets this browser through
        _run_card(app_page, "inside the lab")
        app_page.screenshot(path=str(e2e_out / "app-jupyter-server-proxy.png"))

        # REST and file downloads under the proxy's prefix.
        auth = {"Authorization": f"token {TOKEN}"}
        call = httpx.post(
            link + "api/call", json={"inputs": {"shout__text": "rest"}}, headers=auth, timeout=30
        )
        assert call.status_code == 200, call.text
        url = call.json()["outputs"]["poster"]["image"]
        assert url.startswith(link + "file/"), url
        assert httpx.get(url, headers=auth, timeout=30).headers["content-type"] == "image/png"
