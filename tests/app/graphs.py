"""Graphs the app tests serve."""

from __future__ import annotations

import time
from pathlib import Path

from daggr import FnNode, Graph
from daggr import components as gr


def slow_double(x: float) -> float:
    time.sleep(0.6)
    return x * 2


def add(p: float, q: float) -> float:
    return p + q


def write_file(text: str) -> str:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "note.txt"
    path.write_text(text)
    return str(path)


def fail(n: float) -> float:
    if n < 0:
        raise ValueError("n must not be negative")
    return n


def parallel_graph(persist: bool = False) -> Graph:
    a = FnNode(slow_double, name="a", inputs={"x": gr.Number(value=1)}, concurrent=True)
    b = FnNode(slow_double, name="b", inputs={"x": gr.Number(value=2)}, concurrent=True)
    total = FnNode(add, name="total", inputs={"p": a.output, "q": b.output})
    return Graph("parallel", nodes=[total], persist_key=None if persist else False)


def mixed_graph() -> Graph:
    """Two subgraphs: text -> file, and a checker that can fail and needs `need`."""
    shout = FnNode(
        lambda text: text.upper() + "!",
        name="shout",
        inputs={"text": gr.Textbox(value="hi")},
        outputs={"loud": gr.Textbox()},
    )
    saver = FnNode(
        write_file, name="saver", inputs={"text": shout.loud}, outputs={"file": gr.File()}
    )
    check = FnNode(fail, name="check", inputs={"n": gr.Number(value=1)})
    need = FnNode(lambda need: need, name="needs")
    return Graph("mixed", nodes=[saver, check, need], persist_key=False)
