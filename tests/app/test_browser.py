"""The served canvas in Debian Chromium (Playwright): render, type, run, two users."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from daggr import FnNode, Graph
from daggr import components as gr
from tests.e2e.jupyter_harness import CHROMIUM, CHROMIUM_ARGS

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"needs {CHROMIUM}"),
]


def shout_graph() -> Graph:
    node = FnNode(
        lambda text: text.upper() + "!",
        name="shout",
        inputs={"text": gr.Textbox(label="Text", value="hello")},
        outputs={"loud": gr.Textbox(label="Loud")},
    )
    return Graph("Shout app", nodes=[node], persist_key="app-browser-test")


def run_in(page, url: str, text: str) -> None:
    page.goto(url)
    sync_api.expect(page.locator("body[data-daggr-ready='1']")).to_have_count(1, timeout=20_000)
    card = page.locator(".daggr-node[data-id='shout']")
    sync_api.expect(card).to_be_visible()
    field = card.locator("[data-key='shout__text'] input, [data-key='shout__text'] textarea").first
    field.fill(text)
    card.locator(".daggr-run-btn").click()
    sync_api.expect(card.locator(".daggr-preview")).to_contain_text(
        text.upper() + "!", timeout=20_000
    )


def test_canvas_page_runs_and_keeps_users_apart(serve, e2e_out):
    app = serve(shout_graph())
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            alice = browser.new_context(viewport={"width": 1100, "height": 700})
            bob = browser.new_context(viewport={"width": 1100, "height": 700})
            pa, pb = alice.new_page(), bob.new_page()
            errors: list[str] = []
            pa.on("pageerror", lambda e: errors.append(str(e)))
            run_in(pa, app.url, "alice was here")
            pa.screenshot(path=str(e2e_out / "app-alice.png"))
            run_in(pb, app.url, "bob too")
            pb.screenshot(path=str(e2e_out / "app-bob.png"))

            # each user's page, reloaded, shows their own input and result
            pa.reload()
            card = pa.locator(".daggr-node[data-id='shout']")
            sync_api.expect(card.locator(".daggr-preview")).to_contain_text(
                "ALICE WAS HERE!", timeout=20_000
            )
            sync_api.expect(card.locator(".daggr-preview")).not_to_contain_text("BOB")
            users = [
                pg.evaluate("fetch('/api/user').then(r => r.json())")["user"] for pg in (pa, pb)
            ]
            assert users[0] != users[1]
            outputs = {
                u: app.state.session(u).results.latest("shout").outputs["loud"] for u in users
            }
            assert sorted(outputs.values()) == ["ALICE WAS HERE!", "BOB TOO!"]

            # hot reload: the served graph changes, open pages reload and show it
            renamed = FnNode(
                lambda text: text[::-1], name="reverse", inputs={"text": gr.Textbox(value="olleh")}
            )
            app.swap(Graph("Shout app v2", nodes=[renamed], persist_key=False))
            sync_api.expect(pb.locator(".daggr-node[data-id='reverse']")).to_be_visible(
                timeout=20_000
            )
            sync_api.expect(pb.locator(".daggr-node[data-id='shout']")).to_have_count(0)
            pb.screenshot(path=str(e2e_out / "app-reloaded.png"))
            assert not errors, errors
        finally:
            browser.close()
    print(f"screenshots in {os.fspath(e2e_out)}")


def test_served_canvas_runs_all_explains_failures_and_keeps_its_layout(serve, e2e_out):
    from tests.e2e.storyboard import build

    ns = build(persist="app-storyboard")
    app = serve(ns["graph"])
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1300, "height": 850}).new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(app.url)
            expect = sync_api.expect
            expect(page.locator("body[data-daggr-ready='1']")).to_have_count(1, timeout=20_000)
            card = lambda nid: page.locator(f".daggr-node[data-id='{nid}']")  # noqa: E731

            # Run all from the toolbar; the slow step is stopped with Stop all.
            page.locator(".daggr-run-all").click()
            expect(card("poster").locator(".daggr-status")).to_have_text("done", timeout=30_000)
            expect(card("upscale")).to_have_class(re.compile("daggr-status-running"))
            page.locator(".daggr-stop-all").click()
            expect(card("upscale")).to_have_class(
                re.compile("daggr-status-cancelled"), timeout=20_000
            )
            ns["release"].set()

            # The failure explains itself; the skipped node names it.
            error = card("parse_meta").locator(".daggr-error")
            expect(error).to_contain_text("JSONDecodeError")
            error.locator(".daggr-trace summary").click()
            expect(error.locator(".daggr-trace-text")).to_contain_text("in parse_meta")
            expect(card("summarise").locator(".daggr-error")).to_contain_text(
                "upstream node parse_meta failed"
            )

            # Group two cards and collapse another: a reload finds the layout again.
            for nid in ("story", "jingle"):
                card(nid).locator(".daggr-node-name").click(modifiers=["Shift"])
            page.locator(".daggr-group-btn").click()
            card("poster").locator(".daggr-collapse").click()
            page.wait_for_timeout(600)  # saved 250 ms after the last change
            page.screenshot(path=str(e2e_out / "app-storyboard.png"))
            page.reload()
            expect(page.locator("body[data-daggr-ready='1']")).to_have_count(1, timeout=20_000)
            expect(page.locator(".daggr-group .daggr-group-summary")).to_have_text("2 nodes")
            expect(card("poster")).to_have_class(re.compile("daggr-collapsed"))
            assert not errors, errors
        finally:
            ns["release"].set()
            browser.close()
