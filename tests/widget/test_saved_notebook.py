"""A notebook executed without a front end (nbclient, as ``nbconvert --execute``) keeps
the latest results, and daggr's exporter turns it into HTML that needs nothing else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from daggr.widget.static_copy import NOTICE
from tests.widget.saved_notebooks import (
    SHOUTED,
    WIDGET_STATE,
    canvas_outputs,
    executed_notebook,
    nbconvert,
    notebook,
)

pytestmark = pytest.mark.slow  # a Jupyter kernel per notebook

WIDGET_CDN = ("@jupyter-widgets/html-manager", WIDGET_STATE)  # the widget code nbconvert loads


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return executed_notebook(tmp_path_factory)


def test_the_saved_state_and_drawing_show_the_run_of_a_later_cell(executed):
    import nbformat

    nb = nbformat.read(executed[0], as_version=4)
    (data,) = canvas_outputs(nb)
    assert NOTICE in data["text/html"] and "SAVED%20AT%20LAST!" in data["text/html"].replace(
        " ", "%20"
    )
    state = nb.metadata.widgets[WIDGET_STATE]["state"]
    canvas = next(e for e in state.values() if "topology" in e["state"])
    assert {s["status"] for s in canvas["state"]["node_state"].values()} == {"ok"}
    (thumb,) = canvas["buffers"]
    assert thumb["path"][0] == "thumbnails" and len(thumb["data"]) < 12_000


def test_the_daggr_exporter_draws_the_canvas_and_loads_no_widget_code(executed):
    html = nbconvert(executed[0], "--to", "daggr-html", home=executed[1]).read_text()
    assert NOTICE in html and SHOUTED in html
    assert not any(cdn in html for cdn in WIDGET_CDN), "the page would need a CDN"
    assert "application/vnd.jupyter.widget-view+json" not in html


def test_the_exporter_executes_first_when_asked(executed, tmp_path):
    import nbformat

    fresh = tmp_path / "fresh.ipynb"
    nbformat.write(notebook(), fresh)
    html = nbconvert(fresh, "--to", "daggr-html", "--execute", home=executed[1]).read_text()
    assert SHOUTED in html and not any(cdn in html for cdn in WIDGET_CDN)


def test_plain_html_of_a_notebook_saved_without_widget_state_shows_the_drawing(executed, tmp_path):
    """JupyterLab saves no widget state unless asked: nbconvert then shows the drawing."""
    import nbformat

    nb = nbformat.read(executed[0], as_version=4)
    del nb.metadata["widgets"]
    path = tmp_path / "lab-saved.ipynb"
    nbformat.write(nb, path)
    html = nbconvert(path, "--to", "html", home=executed[1]).read_text()
    assert NOTICE in html and SHOUTED in html
    assert re.search(r'<img [^>]*src="data:image/svg\+xml,', html)
    assert not any(cdn in html for cdn in WIDGET_CDN)


def test_bytes_a_saved_notebook_holds_do_not_grow_with_the_pictures():
    from bench.bench_saved_copy import GOAL_BYTES, measure

    small, large = measure(256), measure(2048)
    for m in (small, large):
        assert m["without_widget_state"] <= GOAL_BYTES, m
        # beyond the canvas's own code (saved once, the same for any graph)
        assert m["with_widget_state"] - m["canvas_code"] <= GOAL_BYTES, m
    assert abs(large["with_widget_state"] - small["with_widget_state"]) < 0.1 * GOAL_BYTES
