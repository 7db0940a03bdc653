"""Kinds made of text and numbers in a shape: chat transcripts, tables, labels with
confidences and highlighted text.

Example:
    >>> from daggr.values import kind_of, preview
    >>> chat = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
    >>> kind_of(chat).name, preview(chat)["name"]
    ('chat', 'chat, 2 messages')
    >>> preview({"cat": 0.9, "dog": 0.1}, "label")["text"]
    'cat (90%)'
"""

from __future__ import annotations

import os
from typing import Any

from daggr.records import FileValue
from daggr.values import images
from daggr.values.kinds import is_url
from daggr.values.limits import (
    MAX_ITEMS_SHOWN,
    MAX_TABLE_ROWS,
    PREVIEW_ITEMS,
    PREVIEW_LEAF_CHARS,
    PREVIEW_TEXT_CHARS,
)
from daggr.values.registry import (
    DisplayError,
    FileSink,
    ValueKind,
    component_kind,
    component_name,
    json_bytes,
    plain,
    to_rest,
)
from daggr.values.visual import media_info

_ROLES = {"user", "assistant", "system", "tool", "function", "developer"}


# -- chat ---------------------------------------------------------------------------------------
def _is_message(value: Any) -> bool:
    return isinstance(value, dict) and "role" in value and "content" in value


def _file_of(part: Any) -> Any:
    """The file (or picture) a message part holds, or None if it is not one."""
    if isinstance(part, FileValue) or images.is_pil(part) or images.is_array(part):
        return part
    if isinstance(part, tuple) and part and isinstance(part[0], str):
        return FileValue(part[0])  # gradio's ("path/to/file", "alt text") message
    if isinstance(part, dict):
        kind = part.get("type")
        if kind == "file" and part.get("file") is not None:
            return _file_of(part["file"]) or part["file"]
        if kind == "image_url" and isinstance(part.get("image_url"), dict):
            return part["image_url"].get("url")
        if isinstance(part.get("path"), str):  # gradio's FileData / FileMessage
            path = part["path"]
            return FileValue(path) if os.path.exists(path) else part.get("url") or path
    value = getattr(part, "value", None)  # a gradio component in a message: gr.Image(...)
    if type(part).__module__.startswith("gradio") and value is not None:
        return _file_of(value) or (FileValue(value) if isinstance(value, str) else None)
    return None


def _parts(content: Any) -> list[tuple[str, Any]]:
    """``[("text", str) | ("file", value)]`` of a message's content."""
    if content is None:
        return []
    if isinstance(content, str):
        return [("text", content)]
    found = _file_of(content)
    if found is not None:
        return [("file", found)]
    if isinstance(content, dict) and content.get("type") == "text":
        return [("text", str(content.get("text", "")))]
    if isinstance(content, list):
        return [p for item in content for p in _parts(item)]
    return [("text", str(plain(content)))]


def messages(value: Any) -> list[tuple[str, list[tuple[str, Any]], str | None]]:
    """``[(role, parts, title)]`` of a transcript: messages ``{"role", "content"}`` or
    ``(user, assistant)`` pairs."""
    out = []
    for m in value:
        if _is_message(m):
            meta = m.get("metadata") if isinstance(m.get("metadata"), dict) else {}
            title = meta.get("title") if meta else None
            out.append(
                (str(m["role"]), _parts(m["content"]), None if title is None else str(title))
            )
        elif isinstance(m, (list, tuple)) and len(m) == 2:
            for role, content in zip(("user", "assistant"), m, strict=True):
                if content is not None:
                    out.append((role, _parts(content), None))
    return out


def _files(value: Any) -> list[Any]:
    return [v for _, parts, _ in messages(value) for kind, v in parts if kind == "file"]


def _text_of(parts: list[tuple[str, Any]]) -> str:
    return " ".join(v if k == "text" else f"[{media_info(v)['name']}]" for k, v in parts)


class ChatKind(ValueKind):
    """A conversation: a list of messages ``{"role", "content"}`` (text, files, pictures)
    on a Chatbot port or anywhere, or ``(user, assistant)`` pairs on a Chatbot port."""

    name = "chat"

    def recognises(self, value: Any, component: Any) -> bool:
        if not isinstance(value, list):
            return False
        if component_name(component) == "Chatbot":
            return True
        return (
            component_kind(component) in (None, "json")
            and bool(value)
            and all(_is_message(m) and str(m["role"]) in _ROLES for m in value[:50])
        )

    def to_bytes(self, value: Any, component: Any) -> tuple[bytes, str, str]:
        out, index = [], 0
        for role, parts, title in messages(value):
            shown = []
            for kind, v in parts:
                if kind == "text":
                    shown.append({"text": v})
                    continue
                if index < MAX_ITEMS_SHOWN:
                    shown.append({"file": index, **media_info(v)})
                index += 1
            out.append({"role": role, "parts": shown, **({"title": title} if title else {})})
        return json_bytes({"messages": out}), "application/json", ""

    def item(self, value: Any, index: int, component: Any) -> tuple[Any, Any]:
        files = _files(value)
        if not -len(files) <= index < len(files):
            raise DisplayError(f"No file {index} in this chat ({len(files)} files).")
        return files[index], "file"

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        out = []
        for role, parts, title in messages(value):
            if all(k == "text" for k, _ in parts):
                content: Any = "".join(v for _, v in parts)
            else:
                content = [
                    {"type": "text", "text": v}
                    if k == "text"
                    else {"type": "file", "url": _file_url(v, sink)}
                    for k, v in parts
                ]
            message: dict[str, Any] = {"role": role, "content": content}
            if title:
                message["metadata"] = {"title": title}
            out.append(message)
        return out

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        return [{"role": r, "content": _text_of(p)} for r, p, _ in messages(value)]

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        listed = messages(value)
        p: dict[str, Any] = {"type": "chat", "name": f"chat, {len(listed)} messages"}
        if listed:
            role, parts, _ = listed[-1]
            text = f"{role}: {_text_of(parts)}"
            p["text"] = text[:PREVIEW_TEXT_CHARS]
        return p

    def sample(self, value: Any, depth: int) -> Any:
        return f"<chat, {len(value)} messages>"


def _file_url(value: Any, sink: FileSink) -> Any:
    if isinstance(value, str) and (is_url(value) or value.startswith("data:")):
        return value
    return to_rest(value, "file", sink)


# -- tables -------------------------------------------------------------------------------------
def _is_frame(value: Any) -> bool:
    module = type(value).__module__
    return module.startswith(("pandas", "polars")) and hasattr(value, "columns")


def table_parts(value: Any) -> tuple[list[str], Any, int]:
    """(headers, rows (a sequence of lists, not copied), row count) of a table value."""
    if _is_frame(value):
        if type(value).__module__.startswith("polars"):
            return [str(c) for c in value.columns], value.rows(), value.height
        return [str(c) for c in value.columns], _FrameRows(value), len(value)
    if isinstance(value, dict):
        rows = value.get("data") or []
        return [str(h) for h in value.get("headers") or []], rows, len(rows)
    if images.is_array(value):
        rows = value.tolist() if value.ndim == 2 else [[v] for v in value.tolist()]
        return [], rows, len(rows)
    rows = list(value)
    if rows and all(isinstance(r, dict) for r in rows):
        headers = list(dict.fromkeys(str(k) for r in rows for k in r))
        return headers, [[r.get(h) for h in headers] for r in rows], len(rows)
    return [], [r if isinstance(r, (list, tuple)) else [r] for r in rows], len(rows)


class _FrameRows:
    """A DataFrame's rows read lazily (a million-row frame is never copied whole)."""

    def __init__(self, frame: Any) -> None:
        self.frame = frame

    def __len__(self) -> int:
        return len(self.frame)

    def __getitem__(self, cut: slice) -> list[list[Any]]:
        return self.frame.iloc[cut].values.tolist()

    def __iter__(self) -> Any:
        return iter(self[:])


class TableKind(ValueKind):
    """A table: a pandas (or polars) DataFrame anywhere; rows (a list of lists or of
    dicts), a 2-D array or ``{"headers", "data"}`` on a Dataframe port."""

    name = "table"

    def recognises(self, value: Any, component: Any) -> bool:
        if _is_frame(value):
            return True
        if component_kind(component) != "dataframe":
            return False
        if isinstance(value, dict):
            return isinstance(value.get("data"), list)
        if images.is_array(value):
            return value.ndim in (1, 2)
        return isinstance(value, (list, tuple))

    def to_bytes(self, value: Any, component: Any) -> tuple[bytes, str, str]:
        headers, rows, n = table_parts(value)
        data = [[plain(c) for c in row] for row in rows[:MAX_TABLE_ROWS]]
        return json_bytes({"headers": headers, "data": data, "rows": n}), "application/json", ""

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        headers, rows, _ = table_parts(value)
        return {"headers": headers, "data": plain([list(r) for r in rows], None, depth + 1)}

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        headers, rows, _ = table_parts(value)
        return {"headers": headers, "data": to_rest([list(r) for r in rows], None, sink)}

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        headers, rows, n = table_parts(value)
        width = len(headers) or (len(rows[:1][0]) if n else 0)
        p: dict[str, Any] = {"type": "table", "name": f"table, {n} rows × {width} columns"}
        if headers:
            p["text"] = ", ".join(h[:PREVIEW_LEAF_CHARS] for h in headers[:PREVIEW_ITEMS])
        return p

    def sample(self, value: Any, depth: int) -> Any:
        return f"<table, {table_parts(value)[2]} rows>"


# -- labels -------------------------------------------------------------------------------------
def label_value(value: Any) -> dict[str, Any]:
    """gradio's ``{"label", "confidences": [{"label", "confidence"}]}``, best first."""
    if isinstance(value, dict) and isinstance(value.get("confidences"), list):
        confidences = [
            {"label": str(c.get("label")), "confidence": float(c.get("confidence") or 0)}
            for c in value["confidences"]
            if isinstance(c, dict)
        ]
        top = value.get("label")
    elif isinstance(value, dict):
        confidences = [{"label": str(k), "confidence": float(v)} for k, v in value.items()]
        top = None
    else:
        return {"label": None if value is None else str(plain(value))}
    confidences.sort(key=lambda c: -c["confidence"])
    if top is None and confidences:
        top = confidences[0]["label"]
    return {"label": None if top is None else str(top), "confidences": confidences}


class LabelKind(ValueKind):
    """A classification on a Label port: a label, ``{label: confidence}``, or gradio's
    ``{"label", "confidences"}``; shown as the top label with bars."""

    name = "label"

    def recognises(self, value: Any, component: Any) -> bool:
        return component_kind(component) == "label" and (isinstance(value, (str, int, float, dict)))

    def _label(self, value: Any) -> dict[str, Any]:
        try:
            return label_value(value)
        except (TypeError, ValueError) as exc:
            raise DisplayError(f"This label's confidences are not numbers: {exc}") from None

    def to_bytes(self, value: Any, component: Any) -> tuple[bytes, str, str]:
        return json_bytes(self._label(value)), "application/json", ""

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        return self._label(value)

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        return self._label(value)

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        label = self._label(value)
        text = str(label["label"])[:PREVIEW_LEAF_CHARS]
        best = (label.get("confidences") or [None])[0]
        if best is not None and best["label"] == label["label"]:
            text += f" ({best['confidence']:.0%})"
        return {"type": "label", "text": text}

    def sample(self, value: Any, depth: int) -> Any:
        return self.preview(value, None)["text"]


# -- highlighted text ---------------------------------------------------------------------------
def highlighted(value: Any) -> list[tuple[str, Any]]:
    """``[(text, label or None)]`` of a HighlightedText value: pairs, gradio's
    ``{"token", "class_or_confidence"}`` items, or ``{"text", "entities"}``."""
    if isinstance(value, dict):
        text = str(value.get("text", ""))
        spans, at = [], 0
        for e in sorted(value.get("entities") or [], key=lambda e: e.get("start", 0)):
            start, end = int(e.get("start", 0)), int(e.get("end", 0))
            if start > at:
                spans.append((text[at:start], None))
            label = e.get("entity", e.get("entity_group", e.get("label")))
            spans.append((text[start:end], label))
            at = max(at, end)
        if at < len(text):
            spans.append((text[at:], None))
        return spans
    out = []
    for item in value:
        if isinstance(item, dict):
            out.append(
                (str(item.get("token", item.get("text", ""))), item.get("class_or_confidence"))
            )
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            out.append((str(item[0]), item[1]))
        else:
            out.append((str(item), None))
    return out


class HighlightKind(ValueKind):
    """Text with labelled spans, on a HighlightedText port."""

    name = "highlight"

    def recognises(self, value: Any, component: Any) -> bool:
        return component_kind(component) == "highlightedtext" and isinstance(
            value, (list, tuple, dict)
        )

    def _spans(self, value: Any) -> list[list[Any]]:
        return [[t, plain(label)] for t, label in highlighted(value)]

    def to_bytes(self, value: Any, component: Any) -> tuple[bytes, str, str]:
        return json_bytes(self._spans(value)), "application/json", ""

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        return [{"token": t, "class_or_confidence": c} for t, c in self._spans(value)]

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        return self._spans(value)

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        text = "".join(t for t, _ in highlighted(value))
        p: dict[str, Any] = {"type": "highlight", "text": text[:PREVIEW_TEXT_CHARS]}
        if len(text) > PREVIEW_TEXT_CHARS:
            p["truncated"] = True
        return p

    def sample(self, value: Any, depth: int) -> Any:
        return "".join(t for t, _ in highlighted(value))[:PREVIEW_LEAF_CHARS]


def structured_kinds() -> list[ValueKind]:
    return [ChatKind(), TableKind(), LabelKind(), HighlightKind()]
