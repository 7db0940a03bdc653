"""The graph ``daggr demo`` serves and examples/quickstart.py runs: offline, no extra packages.

Example:
    >>> graph.run(progress=False)["summarise"]["summary"][:9]
    'Summary: '
"""

from __future__ import annotations

import re

from daggr import FnNode, Graph
from daggr import components as gr


def split(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def score(sentence: str) -> dict:
    words = sentence.split()
    return {"sentence": sentence, "words": len(words), "shouty": sentence.endswith("!")}


def summarise(scores: list[dict], title: str) -> str:
    longest = max(scores, key=lambda s: s["words"])
    shouty = sum(s["shouty"] for s in scores)
    return (
        f"{title}: {len(scores)} sentences, {shouty} exclamations; longest: {longest['sentence']!r}"
    )


sentences = FnNode(
    split,
    inputs={"text": gr.Textbox(label="Text", lines=4, value="daggr runs graphs. Fast! Very fast.")},
    outputs={"sentences": gr.JSON()},
)
scores = FnNode(score, inputs={"sentence": sentences.sentences.each}, outputs={"score": gr.JSON()})
summary = FnNode(
    summarise,
    inputs={"scores": scores.score.all(), "title": gr.Textbox(value="Summary")},
    outputs={"summary": gr.Textbox()},
)

graph = Graph("daggr demo", nodes=[summary], persist_key="daggr_demo")
