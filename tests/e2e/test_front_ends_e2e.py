"""The canvas in the other places a notebook or an app is opened, in real Chromium and
offline: marimo (``marimo run``), Voilà, and the served page under a strict content
security policy. Each renders, runs from a click, follows a run made by a later cell
(or from code), and shows a picture."""

from __future__ import annotations

import contextlib
import os
import sys
import textwrap
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.jupyter_harness import free_port, launch_chromium, serving
from tests.widget.saved_notebooks import BUILD, RED, SHOUTED, notebook, red_pixels

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def answers(url: str) -> None:
    """Raises OSError until ``url`` gives any HTTP answer."""
    try:
        urllib.request.urlopen(url, timeout=5).close()
    except urllib.error.HTTPError:
        pass  # it answers


@contextlib.contextmanager
def offline_page(
    tmp_path: Path, e2e_out: Path, name: str, origin: str
) -> Iterator[tuple[Any, list[str]]]:
    """A Chromium page that reaches ``origin`` alone, and the requests it refused
    elsewhere; a screenshot afterwards (``<name>-FAILED.png`` when the block fails)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        ctx = launch_chromium(p, tmp_path / "profile")
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        elsewhere = offline(page, origin)
        try:
            yield page, elsewhere
            page.screenshot(path=str(e2e_out / f"{name}.png"))
        except Exception:
            page.screenshot(path=str(e2e_out / f"{name}-FAILED.png"))
            raise
        finally:
            ctx.close()


def offline(page: Any, origin: str) -> list[str]:
    """Nothing but ``origin`` is reachable; returns the requests that tried elsewhere."""
    elsewhere: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(origin) or r.request.url.startswith(("blob:", "data:")):
            r.continue_()
        else:
            elsewhere.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return elsewhere


def run_from_a_click(canvas: Any, text: str) -> None:
    """Type into the shout card and press its Run button: the card shows the result."""
    from playwright.sync_api import expect

    card = canvas.locator('.daggr-node[data-id="shout"]')
    card.locator('[data-key="shout__text"] input').fill(text)
    card.locator(".daggr-run-btn").click()
    expect(card.locator('[data-port="output"]')).to_contain_text(text.upper() + "!", timeout=30_000)


def picture_shows(canvas: Any) -> None:
    from playwright.sync_api import expect

    picture = canvas.locator('[data-port="picture"] img')
    expect(picture).to_be_visible(timeout=30_000)
    assert picture.evaluate("i => i.complete && i.naturalWidth") == 640
    near, total = red_pixels(picture.screenshot())
    assert near > 0.3 * total


def env_for(tmp_path: Path) -> dict[str, str]:
    state = tmp_path / "state"
    return dict(
        os.environ,
        DAGGR_HOME=str(tmp_path / "home"),
        JUPYTER_CONFIG_DIR=str(state / "config"),
        JUPYTER_RUNTIME_DIR=str(state / "runtime"),
        JUPYTER_DATA_DIR=str(state / "data"),
        JUPYTER_PLATFORM_DIRS="1",
        MARIMO_SKIP_UPDATE_CHECK="1",
    )


# -- marimo ------------------------------------------------------------------------------------------
MARIMO_APP = """\
import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo
{build}
    return graph, mo


@app.cell
def _(graph):
    graph
    return


@app.cell
def _(mo):
    word = mo.ui.text(value="from a cell", label="word")
    word
    return (word,)


@app.cell
def _(graph, mo, word):
    result = graph.run(shout__text=word.value, progress=False)
    mo.md(f"ran: {{result['shout']['output']}}")
    return
"""


def test_marimo_run_renders_runs_and_follows_a_later_cell(tmp_path, e2e_out):
    pytest.importorskip("marimo")
    from playwright.sync_api import expect

    app = tmp_path / "app.py"
    app.write_text(MARIMO_APP.format(build=textwrap.indent(BUILD, "    ")))
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "marimo", "run", str(app), "--headless", "--no-token"]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    log = e2e_out / "marimo-server.log"
    with serving(cmd, lambda: answers(origin), log, env_for(tmp_path), "marimo run"):
        with offline_page(tmp_path, e2e_out, "marimo", origin) as (page, elsewhere):
            page.goto(origin)
            canvas = page.locator(".daggr-root")
            # the last cell ran the graph after the one that shows it
            expect(canvas.locator('[data-port="output"]')).to_contain_text(
                "FROM A CELL!", timeout=90_000
            )
            picture_shows(canvas)
            run_from_a_click(canvas, "clicked in marimo")
            # a new value for the later cell: marimo runs it again, the canvas follows
            word = page.get_by_role("textbox", name="word")
            word.fill("second word")
            word.press("Enter")
            expect(page.get_by_text("ran: SECOND WORD!")).to_be_visible(timeout=30_000)
            expect(canvas.locator('[data-port="output"]')).to_contain_text("SECOND WORD!")
            expect(canvas.locator(".daggr-static-notice")).to_be_hidden()
            assert not elsewhere, elsewhere


# -- Voilà -------------------------------------------------------------------------------------------
def test_voila_renders_runs_and_follows_a_later_cell(tmp_path, e2e_out):
    pytest.importorskip("voila")
    import nbformat
    from playwright.sync_api import expect

    nbformat.write(notebook(), tmp_path / "app.ipynb")
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "voila", str(tmp_path / "app.ipynb"), "--no-browser"]
    cmd += [f"--port={port}", "--Voila.ip=127.0.0.1", "--ServerApp.port_retries=0"]
    log = e2e_out / "voila-server.log"
    with serving(cmd, lambda: answers(origin + "/voila/static/"), log, env_for(tmp_path), "voila"):
        # (Voilà itself asks a CDN for icon fonts: refused, as offline)
        with offline_page(tmp_path, e2e_out, "voila", origin) as (page, _):
            page.goto(origin)
            canvas = page.locator(".daggr-root")
            # the notebook's last cell (RUN), after the one showing the graph, ran it
            expect(canvas.locator('[data-port="output"]')).to_contain_text(SHOUTED, timeout=90_000)
            picture_shows(canvas)
            run_from_a_click(canvas, "clicked in voila")
            expect(canvas.locator(".daggr-static-notice")).to_be_hidden()


# -- a strict content security policy -----------------------------------------------------------
# What a locked-down host allows: scripts and styles from the page's own origin only (no
# inline code, no eval), pictures and media from it or from blob: URLs (how the canvas shows
# fetched media), connections to it alone.
STRICT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def test_the_canvas_page_runs_under_a_strict_content_security_policy(serve, tmp_path, e2e_out):
    from playwright.sync_api import expect, sync_playwright

    from daggr import FnNode, Graph
    from daggr import components as gr

    painter = FnNode(
        lambda colour: __import__("PIL.Image").Image.new("RGB", (640, 480), colour),
        name="paint",
        inputs={"colour": gr.Textbox(value=f"rgb{RED}")},
        outputs={"picture": gr.Image()},
    )
    loud = FnNode(lambda text: text.upper() + "!", name="shout", inputs={"text": gr.Textbox()})
    graph = Graph("csp", nodes=[painter, loud], persist_key=False)
    app = serve(graph)
    origin = app.url.rstrip("/")

    def with_policy(route: Any) -> None:
        response = route.fetch()
        headers = {**response.headers, "content-security-policy": STRICT_CSP}
        route.fulfill(response=response, headers=headers)

    with sync_playwright() as p:
        # The page comes through the test's route (to carry the policy): Chromium would
        # then take it for a public page and refuse its websocket to 127.0.0.1.
        lna = ("--disable-features=LocalNetworkAccessChecks",)
        ctx = launch_chromium(p, tmp_path / "profile", lna)
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        page.add_init_script(
            "window.__violations = [];"
            "document.addEventListener('securitypolicyviolation',"
            " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        page.route(origin + "/", with_policy)
        try:
            page.goto(origin + "/")
            canvas = page.locator(".daggr-root")
            expect(canvas.locator(".daggr-node")).to_have_count(2, timeout=30_000)
            canvas.locator('.daggr-node[data-id="paint"] .daggr-run-btn').click()
            picture_shows(canvas)
            run_from_a_click(canvas, "under a policy")
            # styles set from code (field heights, kind colours) survive the policy
            field = canvas.locator('[data-key="shout__text"]')
            assert field.evaluate("f => f.style.height") != ""
            page.screenshot(path=str(e2e_out / "strict-csp.png"))
            violations = page.evaluate("window.__violations")
            assert violations == [], violations
        except Exception:
            page.screenshot(path=str(e2e_out / "strict-csp-FAILED.png"))
            raise
        finally:
            ctx.close()
