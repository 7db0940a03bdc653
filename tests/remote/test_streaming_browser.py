"""Live feedback on the served canvas in Debian Chromium: a chat model's answer grows on
its card token by token, a Gradio app's queue position and gr.Progress show in the card's
status, Stop mid-stream cancels the job in the app, and an app dying mid-stream leaves its
partial text on the card next to a clear error."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from gradio_client import Client

from daggr import GradioNode, Graph, InferenceNode
from daggr import components as gr
from tests.e2e.jupyter_harness import CHROMIUM, CHROMIUM_ARGS

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"needs {CHROMIUM}"),
]

# What the card's output box shows, every time it changes (recorded in the page).
RECORD = """([selector, into]) => {
  const box = document.querySelector(selector);
  window[into] = [];
  new MutationObserver(() => window[into].push(box.textContent)).observe(box, {
    childList: true, subtree: true, characterData: true,
  });
}"""


def open_page(p, url: str):
    browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    sync_api.expect(page.locator("body[data-daggr-ready='1']")).to_have_count(1, timeout=30_000)
    return browser, page, errors


def visitor(page, app):
    """The session of the page's visitor (the served app keeps one per visitor)."""
    user = page.evaluate("fetch('/api/user').then(r => r.json())")["user"]
    return app.state.session(user)


def card(page, nid: str):
    return page.locator(f".daggr-node[data-id='{nid}']")


def test_tokens_grow_on_the_card_and_queue_and_progress_show(
    serve, chat_server, stream_app, fake_hub, e2e_dir
):
    chat = InferenceNode(
        chat_server.url,
        name="chat",
        inputs={"prompt": gr.Textbox(value="n=40 delay=0.03")},
        outputs={"reply": gr.Textbox(label="Reply")},
    )
    steps = GradioNode(stream_app.url, api_name="/steps", name="steps", inputs={"n": 4})
    frames = GradioNode(
        stream_app.url,
        api_name="/frames",
        name="frames",
        inputs={"n": 4, "delay": 0.4},
        outputs={"picture": gr.Image(label="Picture")},
    )
    busy = [
        GradioNode(stream_app.url, api_name="/busy", name=f"busy{i}", inputs={"x": str(i)})
        for i in range(3)
    ]
    g = Graph("Live", nodes=[chat, steps, frames, *busy], persist_key="browser-streaming")
    app = serve(g)
    with sync_api.sync_playwright() as p:
        browser, page, errors = open_page(p, app.url)
        try:
            expect = sync_api.expect
            page.evaluate(RECORD, [".daggr-node[data-id='chat'] .daggr-preview", "chatSeen"])
            statuses = {f"busy{i}": f"busy{i}Said" for i in range(3)} | {"steps": "stepsSaid"}
            for nid, into in statuses.items():
                page.evaluate(RECORD, [f".daggr-node[data-id='{nid}'] .daggr-status", into])
            # Every picture the frames card shows, as it changes.
            page.evaluate(
                """() => {
                  const box = document.querySelector(".daggr-node[data-id='frames'] .daggr-preview");
                  window.pictures = [];
                  new MutationObserver(() => {
                    const img = box.querySelector("img");
                    if (img && !window.pictures.includes(img.src)) window.pictures.push(img.src);
                  }).observe(box, { childList: true, subtree: true, attributes: true });
                }"""
            )
            page.locator(".daggr-run-all").click()
            expect(card(page, "chat").locator(".daggr-status")).to_have_text("done", timeout=60_000)
            page.screenshot(path=str(e2e_dir / "streaming-done.png"))
            for nid in statuses:
                expect(card(page, nid).locator(".daggr-status")).to_have_text(
                    "done", timeout=60_000
                )

            session = visitor(page, app)
            final = session.selected("chat").outputs["reply"]
            seen = [t for t in page.evaluate("window.chatSeen") if t and t != "—"]  # "—": empty
            growing = list(dict.fromkeys(seen))
            # The answer appeared piece by piece, each view a prefix of the next.
            assert len(growing) >= 5, growing
            assert all(b.startswith(a) for a, b in zip(growing[:-1], growing[1:], strict=True)), (
                growing
            )
            assert growing[-1] == final == "".join(f"w{i} " for i in range(40))
            assert len(session.history("chat")) == 1

            expect(card(page, "frames").locator(".daggr-status")).to_have_text(
                "done", timeout=60_000
            )
            # frames while it ran (each replaced in place), then the final picture
            assert len(page.evaluate("window.pictures")) >= 3

            said_steps = page.evaluate("window.stepsSaid")
            assert any(re.fullmatch(r"\d/4 steps · denoising", s) for s in said_steps), said_steps
            assert "100% · decoding" in said_steps
            said_queue = [s for nid in statuses for s in page.evaluate(f"window.{statuses[nid]}")]
            assert any(re.fullmatch(r"queue [2-9]/\d+( · ~\d+ s)?", s) for s in said_queue), (
                said_queue
            )
            assert not errors, errors
        finally:
            browser.close()


def test_stop_mid_stream_and_an_app_dying_mid_stream(
    serve, stream_app, doomed_stream_app, e2e_dir, monkeypatch
):
    monkeypatch.setenv("DAGGR_REMOTE_RETRIES", "0")
    endless = GradioNode(
        stream_app.url, api_name="/endless", name="endless", inputs={"x": "browser-stop"}
    )
    doomed = GradioNode(
        doomed_stream_app.url,
        api_name="/tokens",
        name="doomed",
        inputs={"n": 1000, "delay": 0.03},
        outputs={"story": gr.Textbox(label="Story")},
    )
    g = Graph("Stop and die", nodes=[endless, doomed], persist_key="browser-streaming-stop")
    app = serve(g)
    with sync_api.sync_playwright() as p:
        browser, page, errors = open_page(p, app.url)
        try:
            expect = sync_api.expect
            # Stop while the app streams: the job is cancelled in the app, nothing is kept.
            card(page, "endless").locator(".daggr-run-btn").click()
            expect(card(page, "endless").locator(".daggr-preview")).to_contain_text(
                "t3 ", timeout=30_000
            )
            card(page, "endless").locator(".daggr-run-btn").click()  # ■ while running
            expect(card(page, "endless")).to_have_class(
                re.compile("daggr-status-cancelled"), timeout=20_000
            )
            session = visitor(page, app)
            assert len(session.history("endless")) == 0
            client = Client(stream_app.url, verbose=False)
            deadline = time.monotonic() + 15
            while "endless-closed browser-stop" not in client.predict(api_name="/events"):
                assert time.monotonic() < deadline, "the app's job was never cancelled"
                time.sleep(0.2)

            # The app dies mid-stream: an error that says so, the text so far still shown.
            card(page, "doomed").locator(".daggr-run-btn").click()
            expect(card(page, "doomed").locator(".daggr-preview")).to_contain_text(
                "word5 ", timeout=30_000
            )
            doomed_stream_app.kill()
            expect(card(page, "doomed")).to_have_class(
                re.compile("daggr-status-error"), timeout=30_000
            )
            expect(card(page, "doomed").locator(".daggr-error")).to_contain_text("broke after")
            shown = card(page, "doomed").locator(".daggr-preview").text_content()
            assert shown.startswith("word0 word1 word2 word3 word4 word5 ")
            page.screenshot(path=str(e2e_dir / "streaming-died.png"))
            assert [r.status for r in session.history("doomed")] == ["error"]
            assert not errors, errors
        finally:
            browser.close()


@pytest.fixture
def e2e_dir(tmp_path) -> Path:
    out = Path(os.environ.get("E2E_OUT") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out
