"""The served app's edge in Debian's Chromium: an uploaded page cannot run script on the
app's origin, the canvas works under its strict CSP (which blocks injected script), and a
page on another origin cannot run the graph or change a visitor's inputs with their
cookie. The app runs in its own process."""

from __future__ import annotations

import asyncio
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.jupyter_harness import CHROMIUM, CHROMIUM_ARGS
from tests.hardening.hardening_helpers import free_port
from tests.hardening.served_app import (
    ServedApp,
    cookie_header,
    stored_file_url,
    upload_and_run,
    visitor,
)

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(300),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"needs {CHROMIUM}"),
]

GRAPH = """
from daggr import FnNode, Graph, components as gr

def keep(doc):
    return doc

keep_node = FnNode(keep, name="keep", inputs={"doc": gr.File()}, outputs={"copy": gr.File()})
shout = FnNode(lambda text: text.upper(), name="shout",
               inputs={"text": gr.Textbox(value="hello")}, outputs={"loud": gr.Textbox()})
graph = Graph("browser trust", nodes=[keep_node, shout], persist_key="browser-trust")
"""
# Each sets a flag in the app origin's storage, which the victim's own page then reads.
EVIL_HTML = (
    b"<html><body><script>localStorage.setItem('pwned', 'html');"
    b"fetch('/api/user').then(r => r.json()).then(u => localStorage.setItem('who', u.user))"
    b"</script>hi</body></html>"
)
EVIL_SVG = (
    b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"localStorage.setItem('pwned', 'svg')\">"
    b"<script>localStorage.setItem('pwned', 'svg-script')</script>"
    b'<rect width="9" height="9"/></svg>'
)


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[ServedApp]:
    with ServedApp(GRAPH, tmp_path_factory.mktemp("browser-trust")) as served:
        yield served


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_canvas(page, url: str) -> None:
    page.goto(url)
    sync_api.expect(page.locator("body[data-daggr-ready='1']")).to_have_count(1, timeout=30_000)


def call_from_page(page, text: str) -> int:
    """A REST call made by the app's own page (same origin, JSON), as a visitor's script."""
    return page.evaluate(
        """async (text) => (await fetch('/api/call/subgraph_1', {method: 'POST',
             headers: {'Content-Type': 'application/json'},
             body: JSON.stringify({inputs: {shout__text: text}})})).status""",
        text,
    )


@pytest.fixture(scope="module")
def evil_urls(app) -> list[str]:
    """An attacker uploads a page and an SVG through the canvas; their /file/ links.
    (Module-scoped: made before Playwright's event loop starts in this thread.)"""
    attacker = visitor(app)
    urls = []
    for name, data in (("evil.html", EVIL_HTML), ("cat.svg", EVIL_SVG)):
        asyncio.run(upload_and_run(app, cookie_header(attacker), name, data))
        urls.append(stored_file_url(attacker))
    return urls


def test_an_uploaded_page_cannot_run_script_on_the_apps_origin(app, evil_urls, browser):
    urls = evil_urls
    victim = browser.new_context(accept_downloads=True)
    page = victim.new_page()
    open_canvas(page, app.url)
    for url in urls:
        # the link opened in a tab, and framed by the app's own page
        tab = victim.new_page()
        try:
            tab.goto(url)
        except sync_api.Error as exc:  # a download is not a page
            assert "Download is starting" in str(exc) or "net::ERR_ABORTED" in str(exc), exc
        tab.close()
        page.evaluate(
            """(url) => new Promise((done) => {
                 const frame = document.createElement('iframe');
                 frame.onload = done;
                 setTimeout(done, 3000);  // a download never loads
                 frame.src = url;
                 document.body.append(frame);
               })""",
            url,
        )
    stolen = page.evaluate("() => [localStorage.getItem('pwned'), localStorage.getItem('who')]")
    assert stolen == [None, None]
    victim.close()


def test_the_canvas_runs_under_a_strict_csp_that_blocks_injected_script(app, browser):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    open_canvas(page, app.url)
    card = page.locator(".daggr-node[data-id='shout']")
    card.locator("[data-key='shout__text'] input, [data-key='shout__text'] textarea").first.fill(
        "under csp"
    )
    card.locator(".daggr-run-btn").click()
    sync_api.expect(card.locator(".daggr-preview")).to_contain_text("UNDER CSP", timeout=30_000)
    assert page.evaluate("() => window.__violations") == []  # the canvas needs nothing more

    # script injected into the page (as an XSS would) does not run
    page.evaluate(
        """() => {
             const s = document.createElement('script');
             s.textContent = "localStorage.setItem('pwned', 'inline')";
             document.body.append(s);
             const img = document.createElement('img');
             img.setAttribute('onerror', "localStorage.setItem('pwned', 'onerror')");
             img.src = 'data:,x';
             document.body.append(img);
           }"""
    )
    # a blob: page made on the app's origin inherits its policy
    popup_url = page.evaluate(
        """() => URL.createObjectURL(new Blob(
             ["<script>localStorage.setItem('pwned', 'blob')</script>"], {type: 'text/html'}))"""
    )
    with context.expect_page() as popup:
        page.evaluate("(u) => window.open(u)", popup_url)
    popup.value.wait_for_load_state()
    page.wait_for_function("() => window.__violations.length >= 2")
    assert page.evaluate("() => localStorage.getItem('pwned')") is None
    assert any("script-src" in v for v in page.evaluate("() => window.__violations"))
    assert not errors, errors
    context.close()


ATTACK_PAGE = """<!doctype html><html><body><script>
const app = "http://127.0.0.1:APP_PORT";
const body = JSON.stringify({inputs: {shout__text: "csrf"}});
const results = {};
async function attack() {
  const tries = {
    "no-cors text/plain": {mode: "no-cors", headers: {"Content-Type": "text/plain"}},
    "no-cors urlencoded": {mode: "no-cors",
                           headers: {"Content-Type": "application/x-www-form-urlencoded"}},
    "cors json": {headers: {"Content-Type": "application/json"}},
  };
  for (const [name, init] of Object.entries(tries)) {
    try {
      const r = await fetch(app + "/api/call/subgraph_1",
                            {method: "POST", credentials: "include", body, ...init});
      results[name] = r.type + " " + r.status;
    } catch (e) { results[name] = "refused"; }
  }
  await new Promise((resolve) => {
    const ws = new WebSocket("ws://127.0.0.1:APP_PORT/ws");
    const send = (content) => ws.send(JSON.stringify(
      {type: "comm", data: {method: "custom", content}, buffers: 0}));
    ws.onmessage = () => {
      send({type: "set_input", key: "shout__text", value: "csrf-ws"});
      send({type: "run", node: "shout", mode: "to_here"});
      results.ws = "open";
      setTimeout(resolve, 2000);
    };
    ws.onclose = () => { results.ws = results.ws || "closed"; resolve(); };
  });
  // a form (text/plain: name=value reads as JSON) posted into a hidden frame
  const frame = document.createElement("iframe");
  frame.name = "sink";
  document.body.append(frame);
  const form = document.createElement("form");
  form.method = "POST";
  form.enctype = "text/plain";
  form.target = "sink";
  form.action = app + "/api/call/subgraph_1";
  const field = document.createElement("input");
  field.name = '{"inputs": {"shout__text": "csrf-form';
  field.value = '"}}';
  form.append(field);
  document.body.append(form);
  await new Promise((resolve) => { frame.onload = resolve; form.submit(); });
  window.results = results;
  document.title = "done";
}
attack();
</script></body></html>
"""


@pytest.fixture
def attack_site(app) -> Iterator[str]:
    """A page on another origin of the same host (another port): same site, so the
    visitor's SameSite=Lax cookie goes along with its requests."""
    html = ATTACK_PAGE.replace("APP_PORT", str(app.port)).encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_a_page_on_another_origin_cannot_run_the_graph_or_change_inputs(app, browser, attack_site):
    context = browser.new_context()
    page = context.new_page()
    open_canvas(page, app.url)
    assert call_from_page(page, "mine") == 200  # the visitor's own run, from the app's page
    cookie = {c["name"]: c["value"] for c in context.cookies()}

    def sheet() -> dict:
        with httpx.Client(base_url=app.url, cookies=cookie, timeout=30) as client:
            current = client.get("api/sheets").json()["current"]
            return client.get(f"api/sheets/{current}").json()

    before = sheet()
    assert before["results"]["shout"]["outputs"] == {"loud": "MINE"}

    evil = context.new_page()
    evil.goto(attack_site)
    evil.wait_for_function("() => document.title === 'done'", timeout=60_000)
    results = evil.evaluate("() => window.results")
    assert results["ws"] == "closed", results

    after = sheet()
    assert after["results"]["shout"]["count"] == before["results"]["shout"]["count"], results
    assert after["results"]["shout"]["outputs"] == {"loud": "MINE"}
    assert after["inputs"] == before["inputs"]
    context.close()
