"""The value matrix: every kind of value gradio's components take for output, produced by
an FnNode (this module) or by a real Gradio app (``gradio_values_app.py``), with what a
person must see of each on the canvas and get from REST.

``Case.expect`` is checked in the browser (``tests/values/browser.py``):
``{"img": (w, h)}`` a picture decoded at that natural size, ``{"img": None}`` any picture;
``{"media": "audio" | "video"}`` a player whose duration is known and > 0; ``{"cells":
[...]}`` table cells; ``{"messages": n}`` chat bubbles; ``{"gallery": n}`` pictures;
``{"text": s}`` text in the box; ``{"link": name}`` a download link; ``{"mesh": True}`` a
3D model drawn; ``{"frame": True}`` a sandboxed frame. ``Case.rest`` is the content type every file URL of the REST answer has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from daggr import FnNode, Graph, InputNode
from daggr import components as gr
from daggr.records import FileValue
from tests.values import media as m


class Opaque:
    """A value no component shows (a model's own result object)."""

    def __init__(self) -> None:
        self.tokens = [1, 2, 3]


@dataclass
class Case:
    name: str
    component: Callable[[], Any]
    make: Callable[[dict[str, Path]], Any]
    expect: dict[str, Any]
    rest: str | None = None
    gradio: bool = True  # a Gradio app returns it too
    extra: dict[str, Any] = field(default_factory=dict)


def _path(key: str) -> Callable[[dict[str, Path]], Any]:
    return lambda f: FileValue(str(f[key]))


CASES = [
    Case("pil_rgb", gr.Image, lambda f: m.picture("RGB"), {"img": (m.W, m.H)}, "image/png"),
    Case("pil_rgba", gr.Image, lambda f: m.picture("RGBA"), {"img": (m.W, m.H)}, "image/png"),
    Case("pil_l", gr.Image, lambda f: m.picture("L"), {"img": (m.W, m.H)}, "image/png"),
    Case("pil_p", gr.Image, lambda f: m.picture("P"), {"img": (m.W, m.H)}, "image/png"),
    Case("pil_i16", gr.Image, lambda f: m.picture("I;16"), {"img": (m.W, m.H)}, "image/png"),
    Case("np_uint8", gr.Image, lambda f: np.asarray(m.picture()), {"img": (m.W, m.H)}, "image/png"),
    Case(
        "np_float",
        gr.Image,
        lambda f: np.asarray(m.picture()) / 255.0,
        {"img": (m.W, m.H)},
        "image/png",
    ),
    Case("np_gray", gr.Image, lambda f: m.mask(), {"img": (m.W, m.H)}, "image/png"),
    Case(
        "np_rgba",
        gr.Image,
        lambda f: np.asarray(m.picture("RGBA")),
        {"img": (m.W, m.H)},
        "image/png",
    ),
    Case("image_path", gr.Image, _path("png"), {"img": (m.W, m.H)}, "image/png"),
    Case(
        "audio_int16",
        gr.Audio,
        lambda f: m.tone(ints=True),
        {"media": "audio"},
        "audio/wav",
    ),
    Case(
        "audio_stereo",
        gr.Audio,
        lambda f: m.tone(stereo=True),
        {"media": "audio"},
        "audio/wav",
    ),
    Case("audio_path", gr.Audio, _path("wav"), {"media": "audio"}, "audio/wav"),
    Case("video", gr.Video, _path("webm"), {"media": "video"}, "video/webm"),
    Case(
        "gallery",
        gr.Gallery,
        lambda f: [m.picture(), (m.picture("L"), "grey"), FileValue(str(f["png"]))],
        {"gallery": 3, "text": "grey"},
        "image/png",
    ),
    Case("file", gr.File, _path("txt"), {"link": "notes.txt"}, "text/plain"),
    Case("model3d", gr.Model3D, _path("obj"), {"link": "tetra.obj", "mesh": True}, "model/obj"),
    Case(
        "chat",
        gr.Chatbot,
        lambda f: [
            {"role": "user", "content": "Draw me a poster"},
            {"role": "assistant", "content": "Here it is:"},
            {"role": "assistant", "content": {"path": str(f["png"])}},
        ],
        {"messages": 3, "img": (m.W, m.H)},
        "image/png",
    ),
    Case(
        "json",
        gr.JSON,
        lambda f: {"loss": float("nan"), "seed": m.BIG, "steps": [1, 2, 3]},
        {"text": str(m.BIG)},
        gradio=False,  # gradio's own JSON cannot send 2**70 or NaN
    ),
    Case("dataframe", gr.Dataframe, lambda f: m.table(), {"cells": ["ada", "0.91", "cy"]}),
    Case(
        "rows",
        gr.Dataframe,
        lambda f: [["ada", 1], ["bob", 2]],
        {"cells": ["ada", "bob", "2"]},
        gradio=False,
    ),
    Case("plot", gr.Plot, lambda f: m.figure(), {"img": None}, "image/png"),
    Case(
        "label",
        gr.Label,
        lambda f: {"cat": 0.9, "dog": 0.1},
        {"text": "cat"},
    ),
    Case(
        "highlight",
        gr.HighlightedText,
        lambda f: [("Ada Lovelace", "PER"), (" was born in ", None), ("London", "LOC")],
        {"text": "London"},
    ),
    Case(
        "annotated",
        gr.AnnotatedImage,
        lambda f: (m.picture(), [((4, 4, 30, 24), "box"), (m.mask(), "mask")]),
        {"img": (m.W, m.H), "text": "mask"},
        "image/png",
    ),
    Case("html", gr.HTML, lambda f: "<p>Hello <b>world</b></p>", {"frame": True}),
    Case("markdown", gr.Markdown, lambda f: "# Title\n\nSome **bold** text.", {"text": "bold"}),
    Case("long_text", gr.Textbox, lambda f: m.LONG_TEXT, {"text": "Paragraph 39"}),
    Case(
        "opaque",
        lambda: None,
        lambda f: Opaque(),
        {"text": "no viewer for it"},
        gradio=False,
    ),
]
BY_NAME = {c.name: c for c in CASES}


def _producer(make: Callable[[dict[str, Path]], Any], made: dict[str, Path]) -> Callable:
    def produce(seed: str) -> Any:
        return make(made)

    return produce


def fn_graph(folder: Path, persist: str | bool = False, name: str = "Value matrix") -> Graph:
    """One FnNode per case, each returning its value on a port of its component; all fed
    by one input, so that a run (or one REST call) produces every case."""
    made = m.files(folder)
    brief = InputNode("brief", ports={"seed": gr.Textbox(value="go")})
    nodes = [
        FnNode(
            _producer(case.make, made),
            name=case.name,
            inputs={"seed": brief.seed},
            outputs={"value": case.component()},
        )
        for case in CASES
    ]
    return Graph(name, nodes=nodes, persist_key=persist)


def gradio_graph(url: str, persist: str | bool = False, name: str = "Gradio values") -> Graph:
    """One GradioNode per case a Gradio app returns (``gradio_values_app.py`` at ``url``),
    each declaring the case's component for its output."""
    from daggr import GradioNode

    brief = InputNode("brief", ports={"seed": gr.Textbox(value="go")})
    nodes = [
        GradioNode(
            url,
            api_name=f"/{c.name}",
            name=c.name,
            inputs={"seed": brief.seed},
            outputs={"value": c.component()},
        )
        for c in CASES
        if c.gradio
    ]
    return Graph(name, nodes=nodes, persist_key=persist)
