"""A notebook opened in a real JupyterLab in headless Chromium, for the canvas benchmarks.

``lab_page(cells, name)`` writes a notebook of ``cells``, serves it offline, runs all its
cells and yields ``(page, cells)``; it yields ``None`` (with a note) when Playwright,
JupyterLab or Debian's chromium are missing.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

_E2E = Path(__file__).resolve().parent.parent / "tests" / "e2e"
if str(_E2E) not in sys.path:
    sys.path.insert(0, str(_E2E))


@contextlib.contextmanager
def lab_page(
    cells: Callable[[Path], list[str]], name: str, before: Callable[[Any], None] | None = None
) -> Iterator[tuple[Any, Any] | None]:
    """``cells(tmp)`` gives the notebook's cells (``tmp``: a scratch folder for DAGGR_HOME);
    ``before(page)`` runs before the notebook opens (say, an init script)."""
    try:
        import nbformat
        from jupyter_harness import CHROMIUM, jupyter_server, launch_chromium, open_and_run_all
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        print(f"{exc.name} is not installed: {name} skipped")
        yield None
        return
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: {name} skipped")
        yield None
        return
    with tempfile.TemporaryDirectory(prefix=f"daggr-bench-{name}-") as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        nb = nbformat.v4.new_notebook()
        sources = cells(Path(tmp))
        nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nbformat.write(nb, root / f"{name}.ipynb")
        with jupyter_server("lab", root, Path(tmp) / "state", Path(tmp) / "server.log") as port:
            with sync_playwright() as p:
                ctx = launch_chromium(p, Path(tmp) / "profile")
                page = ctx.pages[0] if ctx.pages else ctx.new_page()
                try:
                    if before is not None:
                        before(page)
                    yield page, open_and_run_all(page, port, f"{name}.ipynb", len(sources))
                finally:
                    ctx.close()
