"""The canvas in the other places a notebook or an app is opened, in real Chromium and
offline: marimo (``marimo run``), Voilà, and the served page under a strict content
security policy. Each renders, runs from a click, follows a run made by a later cell
(or from code), and shows a picture."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.jupyter_harness import free_port, launch_chromium
from tests.widget.saved_notebooks import BUILD, RED, RUN, SHOUTED, notebook

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


@contextlib.contextmanager
def server(cmd: list[str], url: str, log: Path, env: dict[str, str]) -> Iterator[None]:
    """Run ``cmd`` until ``url`` answers; stop it (and its kernels) by its own pid."""
    with open(log, "w") as out:
        proc = subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 90
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"{cmd[2]} exited ({proc.returncode}); see {log}")
                try:
                    urllib.request.urlopen(url, timeout=5).close()
                    break
                except urllib.error.HTTPError:
                    break  # it answers
                except OSError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{url} did not answer; see {log}") from None
                    time.sleep(0.3)
            yield
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, 15)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, 9)
                    proc.wait()


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


def red_share(png: bytes) -> float:
    from PIL import Image

    image = Image.open(__import__("io").BytesIO(png)).convert("RGB")
    pixels = image.tobytes()
    red = sum(
        1
        for i in range(0, len(pixels), 3)
        if all(abs(pixels[i + k] - RED[k]) <= 40 for k in range(3))
    )
    return red / (image.width * image.height)


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
    assert red_share(picture.screenshot()) > 0.3


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
    from playwright.sync_api import expect, sync_playwright

    app = tmp_path / "app.py"
    app.write_text(MARIMO_APP.format(build=textwrap.indent(BUILD, "    ")))
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "marimo", "run", str(app), "--headless", "--no-token"]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    with server(cmd, origin, e2e_out / "marimo-server.log", env_for(tmp_path)):
        with sync_playwright() as p:
            ctx = launch_chromium(p, tmp_path / "profile")
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            elsewhere = offline(page, origin)
            try:
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
                page.screenshot(path=str(e2e_out / "marimo.png"))
            except Exception:
                page.screenshot(path=str(e2e_out / "marimo-FAILED.png"))
                raise
            finally:
                ctx.close()
    assert not elsewhere, elsewhere


# -- Voilà -------------------------------------------------------------------------------------------
def test_voila_renders_runs_and_follows_a_later_cell(tmp_path, e2e_out):
    pytest.importorskip("voila")
    import nbformat
    from playwright.sync_api import expect, sync_playwright

    nbformat.write(notebook(), tmp_path / "app.ipynb")
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "voila", str(tmp_path / "app.ipynb"), "--no-browser"]
    cmd += [f"--port={port}", "--Voila.ip=127.0.0.1", "--ServerApp.port_retries=0"]
    with server(cmd, origin + "/voila/static/", e2e_out / "voila-server.log", env_for(tmp_path)):
        with sync_playwright() as p:
            ctx = launch_chromium(p, tmp_path / "profile")
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            offline(page, origin)  # Voilà itself asks a CDN for icon fonts: refused
            try:
                page.goto(origin)
                canvas = page.locator(".daggr-root")
                # RUN, the cell after the one showing the graph, ran it
                expect(canvas.locator('[data-port="output"]')).to_contain_text(
                    SHOUTED, timeout=90_000
                )
                picture_shows(canvas)
                run_from_a_click(canvas, "clicked in voila")
                expect(canvas.locator(".daggr-static-notice")).to_be_hidden()
                page.screenshot(path=str(e2e_out / "voila.png"))
            except Exception:
                page.screenshot(path=str(e2e_out / "voila-FAILED.png"))
                raise
            finally:
                ctx.close()
    assert RUN  # the notebook's last cell is the run the canvas followed


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
