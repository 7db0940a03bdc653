"""Saved-copy benchmark: bytes the canvas adds to a saved notebook.

    python bench/bench_saved_copy.py [--quick]        (or: python -m bench saved_copy)

A notebook builds a 50-node graph (10 nodes return pictures, 40 return text), shows it
and runs it, executed by nbclient as ``nbconvert --execute`` does. The figure is the size
of that notebook minus the same notebook whose display cell shows nothing, in two forms:

- with widget state (what nbclient saves, and JupyterLab with "Save widget state"): the
  canvas's code (``_esm`` + ``_css``, the same for any graph), its traits, the bounded
  thumbnails and the display's drawing;
- without it (what JupyterLab saves by default): the display's drawing alone.

Both for pictures of 256 and 2048 pixels a side: the copy does not grow with them.
Writes bench/out/saved_copy.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

GOAL_BYTES = 200_000
NODES, PICTURES = 50, 10

BUILD = """\
import numpy as np
from daggr import FnNode, Graph, components as gr

def photo(seed: int, side: int = {side}):
    from PIL import Image
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:side, 0:side] / side
    base = np.stack([xx, yy, (xx + yy) / 2], axis=-1)
    return Image.fromarray((np.clip(base + rng.normal(0, 0.08, base.shape), 0, 1) * 255).astype("uint8"))

nodes = []
for i in range({nodes}):
    if i % ({nodes} // {pictures}) == 0:
        nodes.append(FnNode(lambda seed, i=i: photo(i), name=f"image_{{i}}",
                            inputs={{"seed": gr.Number(value=i)}}, outputs={{"picture": gr.Image()}}))
    else:
        nodes.append(FnNode(lambda text, i=i: f"result {{i}}: " + text * 3, name=f"text_{{i}}",
                            inputs={{"text": gr.Textbox(value="a short prompt")}},
                            outputs={{"reply": gr.Textbox()}}))
graph = Graph("fifty nodes", nodes=nodes, persist_key=False)
"""


def executed(side: int, show: bool, home: str) -> Any:
    """The notebook after nbclient ran it: build, show (or not), run."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    build = BUILD.format(side=side, nodes=NODES, pictures=PICTURES)
    nb.cells = [
        nbformat.v4.new_code_cell(build),
        nbformat.v4.new_code_cell("graph" if show else "pass"),
        nbformat.v4.new_code_cell("_ = graph.run(progress=False)"),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    NotebookClient(nb, timeout=600, kernel_name="python3").execute(
        env={**os.environ, "DAGGR_HOME": home}
    )
    return nb


def saved_bytes(nb: Any) -> int:
    import nbformat

    return len(nbformat.writes(nb).encode())


def measure(side: int) -> dict[str, Any]:
    """Bytes the canvas adds, with and without widget state, and what they are made of."""
    import nbformat

    with tempfile.TemporaryDirectory(prefix="daggr-saved-copy-") as home:
        shown, bare = executed(side, True, home), executed(side, False, home)
    state = shown.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    canvas = next(e for e in state.values() if "topology" in e["state"])
    parts = {k: len(json.dumps(v)) for k, v in canvas["state"].items()}
    no_state = nbformat.from_dict(json.loads(nbformat.writes(shown)))
    del no_state.metadata["widgets"]
    html = shown.cells[1].outputs[0]["data"]["text/html"]
    return {
        "picture_side": side,
        "with_widget_state": saved_bytes(shown) - saved_bytes(bare),
        "without_widget_state": saved_bytes(no_state) - saved_bytes(bare),
        "canvas_code": parts.get("_esm", 0) + parts.get("_css", 0),
        "drawing": len(html),
        "thumbnails": sum(len(b["data"]) for b in canvas.get("buffers", [])),
        "traits": {k: v for k, v in parts.items() if not k.startswith("_")},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="one picture size")
    args = ap.parse_args(argv)
    sides = [256] if args.quick else [256, 2048]
    rows = [measure(side) for side in sides]
    print(f"Bytes the canvas adds to a saved notebook ({NODES} nodes, {PICTURES} pictures):")
    for r in rows:
        print(
            f"  pictures {r['picture_side']:>4}px: with widget state {r['with_widget_state'] / 1e3:6.1f} KB"
            f" (canvas code {r['canvas_code'] / 1e3:.1f} KB, drawing {r['drawing'] / 1e3:.1f} KB,"
            f" thumbnails {r['thumbnails'] / 1e3:.1f} KB); without {r['without_widget_state'] / 1e3:6.1f} KB"
        )
    print(f"  goal: {GOAL_BYTES / 1e3:.0f} KB, whatever the pictures' size")
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "saved_copy.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
