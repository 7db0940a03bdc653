"""Themes for the served page: ``launch(theme=...)`` takes a gradio theme, and the page
has a light/dark toggle whatever the theme.

The canvas is styled by ``--daggr-*`` CSS variables (``js/src/widget.css``). On the served
page, ``/theme.css`` holds the gradio theme's own stylesheet plus a bridge that points
those variables at the theme's (``--body-background-fill``, ``--color-accent``,
``--font``, ...), so colours and fonts follow the theme in both modes. The bridge only
exists on the served page: a canvas in a notebook keeps following the notebook's theme.

The mode is the ``dark`` class on ``<html>`` and ``<body>`` (what gradio themes key their
dark values on) and ``data-jp-theme-light`` on ``<body>`` (what the canvas reads, as in
JupyterLab); ``static/theme.js`` sets them from the toggle, remembered per browser.

Example:
    >>> page = resolve_theme(None)
    >>> page.name, "--daggr-page-bg" in page.css
    (None, True)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from daggr.errors import GraphError

# The names gradio's own `theme=` accepts for its built-in themes (lower case).
BUILTIN = {
    "default": "Default",
    "soft": "Soft",
    "monochrome": "Monochrome",
    "glass": "Glass",
    "base": "Base",
    "origin": "Origin",
    "citrus": "Citrus",
    "ocean": "Ocean",
}

# Colours of the page around the canvas (the title bar), light and dark.
_PAGE_CSS = """
:root {
  --daggr-page-bg: #f7f7f9; --daggr-page-bar: #ffffff; --daggr-page-text: #444444;
  --daggr-page-line: #e3e3e8; --daggr-page-link: #555555;
}
:root.dark {
  --daggr-page-bg: #0b0f14; --daggr-page-bar: #111821; --daggr-page-text: #d1d5db;
  --daggr-page-line: #283040; --daggr-page-link: #9ca3af;
}
"""

_PAGE_RULES = """
html, body.daggr-page { background: var(--daggr-page-bg); color: var(--daggr-page-text); }
body.daggr-page .daggr-app-bar {
  background: var(--daggr-page-bar); color: var(--daggr-page-text);
  border-bottom-color: var(--daggr-page-line);
}
body.daggr-page .daggr-app-bar a { color: var(--daggr-page-link); }
.daggr-app-theme {
  margin-left: 8px; padding: 0 6px; border: 1px solid var(--daggr-page-line); border-radius: 6px;
  background: transparent; color: inherit; font: inherit; line-height: 20px; cursor: pointer;
}
"""

# A gradio theme: the page and the canvas take their colours and font from it. The
# selector outranks widget.css's own light and dark palettes on this page only.
_BRIDGE_CSS = """
:root, :root.dark {
  --daggr-page-bg: var(--body-background-fill);
  --daggr-page-bar: var(--background-fill-primary);
  --daggr-page-text: var(--body-text-color);
  --daggr-page-line: var(--border-color-primary);
  --daggr-page-link: var(--body-text-color-subdued);
}
body.daggr-page { font-family: var(--font); }
body.daggr-page[data-jp-theme-light] .daggr-root {
  --daggr-bg: var(--body-background-fill);
  --daggr-grid: var(--border-color-primary);
  --daggr-card: var(--block-background-fill);
  --daggr-border: var(--border-color-primary);
  --daggr-text: var(--body-text-color);
  --daggr-muted: var(--body-text-color-subdued);
  --daggr-accent: var(--color-accent);
  --daggr-edge: var(--neutral-400);
  --daggr-input-bg: var(--input-background-fill);
  --daggr-field-border: var(--input-border-color);
  --daggr-error: var(--error-text-color);
  --daggr-error-bg: var(--error-background-fill);
  font-family: var(--font);
}
"""


@dataclass(frozen=True)
class PageTheme:
    """What the served page uses: ``css`` is served at ``/theme.css``; ``fonts`` is the
    folder its relative ``url(static/fonts/...)`` point into (gradio's own fonts)."""

    name: str | None
    css: str
    fonts: Path | None = None


def resolve_theme(theme: Any) -> PageTheme:
    """The page theme for ``launch(theme=...)``.

    ``None`` keeps daggr's own colours. A gradio ``Theme`` object, one of the built-in
    names (``"soft"``, ...) or a Hub theme (``"owner/name"``, fetched with gradio) styles
    the page and the canvas. A Hub theme that cannot be fetched falls back to gradio's
    default theme with a warning, as the original daggr did (silently).
    """
    if theme is None:
        return PageTheme(None, _PAGE_CSS + _PAGE_RULES)
    if isinstance(theme, str):
        gradio_theme = _named_theme(theme.strip())
    elif callable(getattr(theme, "_get_theme_css", None)):
        gradio_theme = theme
    else:
        raise GraphError(
            f"theme must be a gradio theme (gr.themes.Soft()), a theme name "
            f"({', '.join(BUILTIN)}) or a Hub theme 'owner/name'; got "
            f"{type(theme).__name__}: {theme!r}"[:300]
        )
    css = gradio_theme._get_theme_css()
    fonts = _gradio_fonts()
    name = getattr(gradio_theme, "name", None) or type(gradio_theme).__name__
    return PageTheme(str(name), _PAGE_CSS + css + _BRIDGE_CSS + _PAGE_RULES, fonts)


def _themes_module(theme: str) -> Any:
    try:
        import gradio.themes as themes
    except ImportError as exc:
        raise ImportError(
            f"theme={theme!r} is a gradio theme: install gradio (pip install gradio), or "
            "leave theme unset for daggr's own colours."
        ) from exc
    return themes


def _named_theme(theme: str) -> Any:
    themes = _themes_module(theme)
    builtin = BUILTIN.get(theme.lower())
    if builtin is not None:
        return getattr(themes, builtin)()
    try:
        if "/" not in theme:
            raise ValueError("not a built-in name, nor a Hub theme 'owner/name'")
        return themes.Base.from_hub(theme)
    except Exception as exc:  # any Hub, network or parse failure: the page still serves
        from daggr.errors import did_you_mean

        warnings.warn(
            f"Could not load theme {theme!r} ({type(exc).__name__}: {exc})."
            f"{did_you_mean(theme.lower(), list(BUILTIN))} Built-in themes: "
            f"{', '.join(BUILTIN)}. Using gradio's default theme.",
            UserWarning,
            stacklevel=4,
        )
        return themes.Default()


def _gradio_fonts() -> Path | None:
    try:
        import gradio
    except ImportError:
        return None
    fonts = Path(gradio.__file__).parent / "templates" / "frontend" / "static" / "fonts"
    return fonts if fonts.is_dir() else None


def font_file(page: PageTheme, relative: str) -> Path | None:
    """The font file a theme stylesheet asks for, only from inside gradio's fonts folder.

    >>> font_file(resolve_theme(None), "Montserrat/Montserrat-Regular.woff2") is None
    True
    """
    if page.fonts is None:
        return None
    root = page.fonts.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def theme_routes(page: PageTheme) -> list[Any]:
    """``GET /theme.css`` and ``GET /static/fonts/{path}`` for the served page."""
    from starlette.requests import Request
    from starlette.responses import FileResponse, JSONResponse, Response
    from starlette.routing import Route

    async def theme_css(request: Request) -> Response:
        return Response(page.css, media_type="text/css")

    async def font(request: Request) -> Response:
        path = font_file(page, request.path_params["path"])
        if path is None:
            return JSONResponse({"error": "No such font."}, 404)
        return FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})

    return [Route("/theme.css", theme_css), Route("/static/fonts/{path:path}", font)]
