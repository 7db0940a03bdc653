"""HTML exports that show every daggr canvas offline: an nbconvert exporter and preprocessor.

``jupyter nbconvert --to html`` shows a widget from the notebook's saved widget state when
there is one, and the widget's code comes from a CDN: offline, the cell is blank. A
notebook executed by ``nbconvert --execute`` (or saved from JupyterLab with "Save widget
state") has that state. This exporter replaces each daggr canvas with its drawing, made
from the saved state (the latest results and thumbnails, marked as a static copy), so
the page needs nothing but itself::

    jupyter nbconvert --to daggr-html notebook.ipynb             # notebook.html
    jupyter nbconvert --to daggr-html --execute notebook.ipynb   # run it first

Other widgets of the notebook are left as they are. The preprocessor alone works with any
exporter: ``--HTMLExporter.preprocessors=daggr.widget.nbconvert.StaticCanvasPreprocessor``.

Example:
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook()
    >>> StaticCanvasPreprocessor().preprocess(nb, {})[0].cells
    []
"""

from __future__ import annotations

from typing import Any

from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, default

from daggr.widget.static_copy import drawing_from_widget_state

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


class StaticCanvasPreprocessor(Preprocessor):
    """Replaces every daggr canvas output by its drawing from the saved widget state, and
    drops those canvases from the state (a notebook with no other widget then loads no
    widget code at all)."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        widgets = nb.metadata.get("widgets") or {}
        saved = (widgets.get(WIDGET_STATE) or {}).get("state") or {}
        drawings = {mid: drawing_from_widget_state(entry) for mid, entry in saved.items()}
        drawings = {mid: html for mid, html in drawings.items() if html is not None}
        if not drawings:
            return nb, resources
        for cell in nb.cells:
            for output in cell.get("outputs", ()):
                data = output.get("data") or {}
                view = data.get(WIDGET_VIEW)
                html = drawings.get(view.get("model_id")) if isinstance(view, dict) else None
                if html is not None:
                    del data[WIDGET_VIEW]
                    data["text/html"] = html
        # The canvases go, with the models only they used (their layout).
        gone = set(drawings)
        gone |= _references([saved[mid] for mid in drawings]) - _references(
            [entry for mid, entry in saved.items() if mid not in gone]
        )
        for mid in gone:
            saved.pop(mid, None)
        if not saved:
            del nb.metadata["widgets"]
        return nb, resources


def _references(entries: list[Any]) -> set[str]:
    """Ids of the models that saved widget states refer to (``"IPY_MODEL_<id>"``)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str) and value.startswith("IPY_MODEL_"):
            found.add(value[len("IPY_MODEL_") :])
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for entry in entries:
        walk(entry.get("state"))
    return found


class DaggrHTMLExporter(HTMLExporter):
    """``--to daggr-html``: nbconvert's HTML, with daggr canvases drawn from their saved
    state (after ``--execute``, if given)."""

    export_from_notebook = "HTML (daggr canvases drawn)"

    @default("default_preprocessors")
    def _default_preprocessors(self) -> list[Any]:
        # Last: after --execute has saved the widget state it draws from.
        inherited = HTMLExporter.class_traits()["default_preprocessors"].default()
        return [*inherited, StaticCanvasPreprocessor]
