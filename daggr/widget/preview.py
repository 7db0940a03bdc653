"""Small previews of output values for the canvas.

Previews travel in node-state messages and are saved with the notebook's widget state,
so they stay small whatever a node returns: text is cut, containers are sampled, files
are named (never read), and anything else is described by its type.

Example:
    >>> preview("hello")
    {'type': 'text', 'text': 'hello'}
    >>> preview(list(range(100)))["text"][-24:]
    '17, 18, 19, "… 80 more"]'
"""

from __future__ import annotations

import json
import math
import mimetypes
import os
from typing import Any

from daggr.records import FileValue

TEXT_CHARS = 300  # what a card shows without scrolling far
MAX_ITEMS = 20
MAX_DEPTH = 3
MAX_PORTS = 16


def preview(value: Any) -> dict[str, Any]:
    """A bounded, JSON-safe description of one value."""
    if value is None:
        return {"type": "none"}
    if isinstance(value, FileValue):
        name = os.path.basename(value.rstrip("/\\")) or str(value)
        mime = mimetypes.guess_type(name)[0]
        return {"type": "file", "name": name, **({"mime": mime} if mime else {})}
    if isinstance(value, bool):
        return {"type": "json", "text": "true" if value else "false"}
    if isinstance(value, (int, float)):
        return {"type": "number", "text": _number(value)}
    if isinstance(value, str):
        return _text("text", value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"type": "binary", "size": len(value)}
    if isinstance(value, (dict, list, tuple)):
        sampled = _sample(value, MAX_DEPTH)
        return _text("json", json.dumps(sampled, ensure_ascii=False, default=str))
    shape = getattr(value, "shape", None)
    name = type(value).__name__
    if isinstance(shape, tuple):
        name += f" {tuple(shape)}"
    return {"type": "object", "name": name}


def previews(outputs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {port: preview(v) for port, v in list(outputs.items())[:MAX_PORTS]}


def _text(kind: str, text: str) -> dict[str, Any]:
    if len(text) <= TEXT_CHARS:
        return {"type": kind, "text": text}
    return {"type": kind, "text": text[:TEXT_CHARS], "truncated": True}


def _number(value: int | float) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    text = repr(value)
    return text if len(text) <= 40 else f"{value:.6g}"


class _More:
    """Marks a sampled container that had more items than shown."""

    def __init__(self, n: int):
        self.n = n

    def __str__(self) -> str:
        return f"… {self.n} more"


def _sample(value: Any, depth: int) -> Any:
    # Cut before serialising: json.dumps of a million-item list would cost the kernel
    # time on every status message.
    if isinstance(value, FileValue):
        return f"<file {os.path.basename(value)}>"
    if isinstance(value, str):
        return value if len(value) <= 80 else value[:80] + "…"
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    if depth <= 0:
        return "…"
    if isinstance(value, dict):
        out = {}
        for i, (k, v) in enumerate(value.items()):
            if i >= MAX_ITEMS:
                out["…"] = str(_More(len(value) - MAX_ITEMS))
                break
            out[str(k)] = _sample(v, depth - 1)
        return out
    if isinstance(value, (list, tuple)):
        items = [_sample(v, depth - 1) for v in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            items.append(str(_More(len(value) - MAX_ITEMS)))
        return items
    return f"<{type(value).__name__}>"
