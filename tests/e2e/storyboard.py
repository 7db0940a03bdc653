"""A multi-modal graph for the browser tests and the docs' screenshots: what AI models
return (a PIL image, audio as ``(rate, samples)``, long text), a node that fails with a
real traceback and the node after it (skipped), a slow step to stop, and three nodes
with no wires. ``SOURCE`` is run as it is in a notebook cell or in a test process."""

from __future__ import annotations

from typing import Any

SOURCE = """\
import json, threading
import numpy as np
from PIL import Image, ImageDraw
from daggr import FnNode, Graph, InputNode, components as gr


def poster(title: str, hue: float) -> Image.Image:
    img = Image.new("RGB", (320, 200), (18, 22, 38))
    d = ImageDraw.Draw(img)
    for x in range(0, 320, 4):
        d.line([(x, 200), (x, 120 - 60 * np.sin(x / 40))], fill=(int(hue + x / 3) % 256, 90, 200 - x // 3), width=3)
    d.ellipse([220, 24, 276, 80], fill=(250, 200, 90))
    d.text((14, 14), title, fill=(255, 255, 255))
    return img


def jingle(title: str) -> tuple:
    rate = 22050
    t = np.linspace(0, 1.5, int(rate * 1.5), endpoint=False)
    notes = 261.6 * 2 ** (np.array([0, 4, 7, 12])[(t * 4).astype(int) % 4] / 12)
    return rate, (0.3 * np.sin(2 * np.pi * notes * t) * np.exp(-2 * (t % 0.25))).astype(np.float32)


def story(title: str, chapters: float) -> str:
    lines = []
    for i in range(int(chapters)):
        lines.append(f"Chapter {i + 1}. {title}.")
        lines.append("The fox waited at the edge of the wood while the light came up over the "
                     "hills, counting the sounds of the morning one by one. " * 3)
    return "\\n\\n".join(lines)


def parse_meta(text: str) -> dict:
    return json.loads(text)  # the story is prose, not JSON: this fails


release = threading.Event()


def upscale(image: Image.Image) -> Image.Image:
    release.wait(60)  # a long step: stopped from the canvas in the tests
    return image.resize((image.width * 2, image.height * 2))


brief = InputNode("brief", ports={
    "title": gr.Textbox(value="A fox at dawn", label="Title"),
    "chapters": gr.Slider(1, 8, value=3, step=1, label="Chapters"),
})
draw = FnNode(poster, inputs={"title": brief.title, "hue": gr.Number(value=120, label="Hue")},
              outputs={"image": gr.Image(label="Poster")})
sound = FnNode(jingle, inputs={"title": brief.title}, outputs={"audio": gr.Audio(label="Jingle")})
write = FnNode(story, inputs={"title": brief.title, "chapters": brief.chapters},
               outputs={"text": gr.Textbox(label="Story", lines=6)})
meta = FnNode(parse_meta, inputs={"text": write.text}, outputs={"meta": gr.JSON(label="Meta")})
summary = FnNode(lambda meta: meta.get("title", ""), name="summarise", inputs={"meta": meta.meta},
                 outputs={"summary": gr.Textbox(label="Summary")})
big = FnNode(upscale, inputs={"image": draw.image}, outputs={"image": gr.Image(label="Upscaled")})
greeting = FnNode(lambda: "Good morning", name="greeting")
answer = FnNode(lambda: 42, name="answer")
numbers = FnNode(lambda: [3, 1, 4, 1, 5, 9, 2, 6], name="numbers")
graph = Graph("Storyboard", nodes=[summary, sound, big, greeting, answer, numbers], persist_key=PERSIST)
QUICK = ["summarise", "jingle", "poster", "greeting", "answer", "numbers"]  # all but upscale
"""


def build(persist: str | bool = False) -> dict[str, Any]:
    """The graph's namespace (``graph``, ``release``, ``QUICK``, ...), built here."""
    namespace: dict[str, Any] = {"PERSIST": persist}
    exec(SOURCE, namespace)
    return namespace
