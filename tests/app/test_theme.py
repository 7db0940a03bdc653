"""``launch(theme=...)``: gradio themes on the served page and canvas, and the light/dark
toggle (HTTP checks, then Debian Chromium through Playwright)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from daggr import FnNode, Graph
from daggr import components as gr
from daggr.app.theme import resolve_theme
from daggr.errors import GraphError
from tests.e2e.jupyter_harness import CHROMIUM, CHROMIUM_ARGS

# gradio's themes: importing gradio takes seconds, so the module is out of the fast loop.
pytestmark = pytest.mark.slow
gradio = pytest.importorskip("gradio")


def echo_graph() -> Graph:
    node = FnNode(
        lambda text: text[::-1],
        name="echo",
        inputs={"text": gr.Textbox(label="Text", value="theme me")},
        outputs={"reversed": gr.Textbox(label="Reversed")},
    )
    return Graph("Theme app", nodes=[node], persist_key=False)


def test_the_page_links_the_theme_and_has_a_mode_toggle(serve):
    app = serve(echo_graph(), theme=gradio.themes.Soft())
    page = httpx.get(app.url).text
    assert '<link rel="stylesheet" href="theme.css">' in page  # relative: any prefix
    assert 'id="daggr-theme-toggle"' in page and 'src="app-static/theme.js"' in page
    css = httpx.get(app.url + "theme.css")
    assert css.headers["content-type"].startswith("text/css")
    # the gradio theme's own variables, light and dark ...
    assert "--body-background-fill" in css.text and "--color-accent" in css.text
    assert ":root.dark" in css.text
    # ... and the canvas variables pointed at them
    assert "--daggr-accent: var(--color-accent)" in css.text
    assert "--daggr-bg: var(--body-background-fill)" in css.text
    script = httpx.get(app.url + "app-static/theme.js")
    assert script.status_code == 200 and "localStorage" in script.text


def test_theme_fonts_are_served_from_gradio_and_nowhere_else(serve):
    app = serve(echo_graph(), theme="soft")
    css = httpx.get(app.url + "theme.css").text
    fonts = re.findall(r"url\('(static/fonts/[^']+)'\)", css)
    assert fonts, "the Soft theme names its font files"
    first = httpx.get(app.url + fonts[0])
    assert first.status_code == 200 and len(first.content) > 1000
    for probe in ("static/fonts/../../__init__.py", "static/fonts/%2e%2e/%2e%2e/__init__.py"):
        assert httpx.get(app.url + probe).status_code == 404


def test_theme_names_objects_and_mistakes():
    soft = resolve_theme("Soft")
    assert soft.css == resolve_theme(gradio.themes.Soft()).css
    assert resolve_theme("monochrome").name and resolve_theme("glass").css != soft.css
    plain = resolve_theme(None)
    assert plain.name is None and "--daggr-accent: var" not in plain.css
    # a misspelt name still serves (the original fell back silently) but says so
    with pytest.warns(UserWarning, match="Did you mean 'soft'"):
        fallback = resolve_theme("sofft")
    assert fallback.css == resolve_theme("default").css
    with pytest.raises(GraphError, match="theme must be a gradio theme"):
        resolve_theme(42)


def test_a_hub_theme_offline_falls_back_with_a_warning(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.warns(UserWarning, match="Could not load theme 'gradio/seafoam'"):
        page = resolve_theme("gradio/seafoam")
    assert "--color-accent" in page.css


# -- in a browser ------------------------------------------------------------------------
sync_api = pytest.importorskip("playwright.sync_api")
needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"needs {CHROMIUM}")

CANVAS_STYLE = """() => {
  const root = document.querySelector('.daggr-root');
  const s = getComputedStyle(root);
  const html = getComputedStyle(document.documentElement);
  return {
    bg: s.backgroundColor,
    font: s.fontFamily,
    accent: s.getPropertyValue('--daggr-accent').trim(),
    themeAccent: html.getPropertyValue('--color-accent').trim(),
    themeBg: html.getPropertyValue('--body-background-fill').trim(),
    bar: getComputedStyle(document.querySelector('.daggr-app-bar')).backgroundColor,
    dark: document.documentElement.classList.contains('dark'),
    jp: document.body.dataset.jpThemeLight,
  };
}"""


def _open(page, url: str) -> dict:
    page.goto(url)
    sync_api.expect(page.locator("body[data-daggr-ready='1']")).to_have_count(1, timeout=20_000)
    sync_api.expect(page.locator(".daggr-node[data-id='echo']")).to_be_visible()
    return page.evaluate(CANVAS_STYLE)


def _rgb(color: str) -> str:
    """A colour as the browser computes it (hex or rgb), for comparisons."""
    return color.replace(" ", "").lower()


@needs_chromium
@pytest.mark.e2e
def test_a_gradio_theme_colours_the_canvas_and_the_toggle_switches_modes(serve, e2e_out):
    app = serve(echo_graph(), theme=gradio.themes.Soft())
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1000, "height": 650}, color_scheme="light")
            page = ctx.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            light = _open(page, app.url)
            assert not light["dark"] and light["jp"] == "true"
            # the canvas accent is the theme's accent, and the font is the theme's
            assert light["accent"] and light["accent"] == light["themeAccent"]
            assert "Montserrat" in light["font"]  # Soft's font
            page.screenshot(path=str(e2e_out / "theme-soft-light.png"))

            page.locator("#daggr-theme-toggle").click()
            dark = page.evaluate(CANVAS_STYLE)
            assert dark["dark"] and dark["jp"] == "false"
            assert _rgb(dark["bg"]) != _rgb(light["bg"]), "the canvas went dark"
            assert _rgb(dark["bar"]) != _rgb(light["bar"]), "the title bar went dark"
            assert dark["themeBg"] != light["themeBg"]
            page.screenshot(path=str(e2e_out / "theme-soft-dark.png"))

            # the choice is remembered by this browser
            again = _open(page, app.url)
            assert again["dark"] and _rgb(again["bg"]) == _rgb(dark["bg"])
            assert not errors, errors
        finally:
            browser.close()


@needs_chromium
def test_without_a_theme_the_toggle_overrides_the_os_preference(serve):
    app = serve(echo_graph())
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1000, "height": 650}, color_scheme="dark")
            page = ctx.new_page()
            first = _open(page, app.url)
            assert first["dark"], "the first visit follows the OS preference"
            assert _rgb(first["bg"]) == "rgb(15,20,27)"  # the canvas's own dark palette
            page.locator("#daggr-theme-toggle").click()
            light = page.evaluate(CANVAS_STYLE)
            assert not light["dark"]
            assert _rgb(light["bg"]) == "rgb(248,250,252)"  # light, although the OS is dark
        finally:
            browser.close()
