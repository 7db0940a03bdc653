"""A small offline workflow: split a text into sentences, score each one, summarise.

Run it with ``python examples/quickstart.py``; run it twice to see results reused.
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

graph = Graph("Quickstart", nodes=[summary])

if __name__ == "__main__":
    print(graph)
    result = graph.run()
    print(result)
    print(result[summary]["summary"])
    again = graph.run()
    print("second run reused:", again.cached)
