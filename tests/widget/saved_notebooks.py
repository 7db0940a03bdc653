"""A small notebook that shows a graph, then runs it in a later cell: a red picture and a
shouted text, so that a static copy can be checked by its words and its pixels."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
RED = (220, 20, 20)

BUILD = f"""\
from PIL import Image
from daggr import FnNode, Graph, components as gr

def paint(colour: str):
    return Image.new("RGB", (640, 480), colour)

def shout(text: str) -> str:
    return text.upper() + "!"

painter = FnNode(paint, inputs={{"colour": gr.Textbox(value="rgb{RED}")}},
                 outputs={{"picture": gr.Image()}})
loud = FnNode(shout, inputs={{"text": gr.Textbox(value="saved at last")}})
graph = Graph("saved copy", nodes=[painter, loud], persist_key=False)"""
SHOW = "graph"
RUN = "result = graph.run(progress=False)"
SHOUTED = "SAVED AT LAST!"


def notebook(cells: tuple[str, ...] = (BUILD, SHOW, RUN)) -> Any:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def execute(nb: Any, home: Path) -> Any:
    """Run every cell as ``nbconvert --execute`` does (nbclient, no front end)."""
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=120, kernel_name="python3").execute(
        env={**os.environ, "DAGGR_HOME": str(home)}
    )
    return nb


def nbconvert(path: Path, *args: str, home: Path) -> Path:
    """``jupyter nbconvert <args> path`` in a subprocess, as a user types it; the HTML."""
    out = path.with_name(f"{path.stem}-{'-'.join(a.strip('-') for a in args)}")
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", *args, str(path), "--output", out.name],
        check=True,
        capture_output=True,
        env={**os.environ, "DAGGR_HOME": str(home)},
        timeout=300,
    )
    return out.with_suffix(".html")


def canvas_outputs(nb: Any) -> list[dict[str, Any]]:
    """Every display data of the notebook."""
    return [o["data"] for c in nb.cells for o in c.get("outputs", ()) if "data" in o]


def executed_notebook(tmp_path_factory: Any) -> tuple[Path, Path]:
    """The notebook run top to bottom without a front end and saved: (path, DAGGR_HOME)."""
    import nbformat

    home = tmp_path_factory.mktemp("home")
    path = tmp_path_factory.mktemp("nb") / "saved.ipynb"
    nbformat.write(execute(notebook(), home), path)
    return path, home


def red_pixels(png: bytes) -> tuple[int, int]:
    """(pixels close to the painted red, all pixels) of a screenshot: thumbnails are JPEG
    or scaled, so close, not equal."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    data = image.tobytes()
    near = sum(
        1 for i in range(0, len(data), 3) if all(abs(data[i + k] - RED[k]) <= 40 for k in range(3))
    )
    return near, image.width * image.height
