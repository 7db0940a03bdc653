"""The value kinds daggr knows today, registered in the order they are tried.

Example:
    >>> from daggr.records import FileValue
    >>> from daggr.values import kind_of
    >>> kind_of(FileValue("/tmp/cat.png")).name, kind_of("/tmp/cat.png").name
    ('file', 'text')
    >>> kind_of("/tmp/cat.png", "image").name   # a string on a file component is a path
    'file'
"""

from __future__ import annotations

import json
import math
import numbers
import os
from typing import Any

from daggr.records import FileValue
from daggr.values import audio, images
from daggr.values.files import mime_of, read_file
from daggr.values.limits import (
    MAX_THUMBNAIL_SOURCE,
    PREVIEW_DEPTH,
    PREVIEW_ITEMS,
    PREVIEW_LEAF_CHARS,
    PREVIEW_TEXT_CHARS,
    THUMBNAIL_PX,
)
from daggr.values.registry import (
    FILE_KINDS,
    DisplayError,
    FileSink,
    ValueKind,
    component_kind,
    plain,
    register,
    sample,
    to_rest,
)


def _text_preview(kind: str, text: str) -> dict[str, Any]:
    if len(text) <= PREVIEW_TEXT_CHARS:
        return {"type": kind, "text": text}
    return {"type": kind, "text": text[:PREVIEW_TEXT_CHARS], "truncated": True}


def _basename(path: str) -> str:
    return os.path.basename(path.rstrip("/\\")) or str(path)


class NoneKind(ValueKind):
    name = "none"

    def recognises(self, value: Any, component: Any) -> bool:
        return value is None

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        return None

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        return None

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        return {"type": "none"}

    def sample(self, value: Any, depth: int) -> Any:
        return None


class FileKind(ValueKind):
    """A file on disk: a :class:`FileValue`, or a path string on a file component (plain
    text such as ``"README.md"`` elsewhere is never read from disk)."""

    name = "file"

    def recognises(self, value: Any, component: Any) -> bool:
        if isinstance(value, FileValue):
            return True
        return isinstance(value, str) and component_kind(component) in FILE_KINDS

    def to_bytes(self, value: Any, component: Any) -> tuple[bytes, str, str]:
        data, mime = read_file(value)
        return data, mime, value.rsplit("/", 1)[-1]

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        # A path that is not a file (a caption, a URL) stays the text it is.
        return sink.file_url(value) if os.path.isfile(value) else str.__str__(value)

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        return str.__str__(value)

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        name = _basename(value)
        mime = mime_of(name)
        return {"type": "file", "name": name, **({"mime": mime} if "/octet" not in mime else {})}

    def sample(self, value: Any, depth: int) -> Any:
        return f"<file {_basename(value)}>"

    def thumbnail(self, value: Any, component: Any) -> bytes | None:
        if not mime_of(value).startswith("image/"):
            return None
        try:
            if os.path.getsize(value) > MAX_THUMBNAIL_SOURCE:
                return None
        except OSError:
            return None
        return images.file_thumbnail(value, THUMBNAIL_PX)


class ImageKind(ValueKind):
    """A picture in memory: a PIL image (any mode), or a numpy array of pixels (uint8,
    or floats in 0..1) on an image port or shaped ``(height, width, 3 or 4)``."""

    name = "image"

    def recognises(self, value: Any, component: Any) -> bool:
        kind = component_kind(component)
        if kind not in (None, "image", "gallery"):
            return images.is_pil(value)  # an array on a JSON or table port is data
        return images.is_image(value, declared=kind is not None)

    def _png(self, value: Any) -> bytes:
        try:
            return images.png(value)
        except Exception as exc:  # a broken image: say so rather than fail the view
            raise DisplayError(f"This image cannot be encoded as PNG: {exc}") from None

    def to_bytes(self, value: Any, component: Any) -> tuple[bytes, str, str]:
        return self._png(value), "image/png", ""

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        return sink.bytes_url(self._png(value), ".png")

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        return self.sample(value, depth)

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        width, height = images.size(value)
        return {"type": "image", "name": f"image {width}×{height}", "mime": "image/png"}

    def sample(self, value: Any, depth: int) -> Any:
        width, height = images.size(value)
        return f"<image {width}×{height}>"

    def thumbnail(self, value: Any, component: Any) -> bytes | None:
        try:
            return images.png(value, THUMBNAIL_PX)
        except Exception:  # no thumbnail; the drawing shows the preview's text
            return None


class AudioKind(ValueKind):
    """Sound in memory: gradio's ``(sample_rate, samples)``, int or float, mono or stereo;
    a WAV file on the canvas and over REST."""

    name = "audio"

    def recognises(self, value: Any, component: Any) -> bool:
        return component_kind(component) in (None, "audio") and audio.is_rate_and_samples(value)

    def _wav(self, value: Any) -> bytes:
        try:
            return audio.wav(*value)
        except Exception as exc:  # samples that are not sound: say so rather than fail the view
            raise DisplayError(f"This audio cannot be encoded as WAV: {exc}") from None

    def to_bytes(self, value: Any, component: Any) -> tuple[bytes, str, str]:
        return self._wav(value), "audio/wav", ""

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        return sink.bytes_url(self._wav(value), ".wav")

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        return self.sample(value, depth)

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        return {"type": "audio", "name": self.sample(value, 0)[1:-1], "mime": "audio/wav"}

    def sample(self, value: Any, depth: int) -> Any:
        return f"<audio {audio.duration(*value):.1f} s at {value[0]} Hz>"


class TableKind(ValueKind):
    """A pandas DataFrame: ``{"headers": [...], "data": [[...], ...]}`` like gradio's."""

    name = "table"

    def recognises(self, value: Any, component: Any) -> bool:
        return type(value).__module__.startswith("pandas") and hasattr(value, "columns")

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        return {
            "headers": [str(c) for c in value.columns],
            "data": plain(value.values.tolist(), None, depth + 1),
        }

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        return {
            "headers": [str(c) for c in value.columns],
            "data": to_rest(value.values.tolist(), None, sink),
        }


class BytesKind(ValueKind):
    name = "binary"

    def recognises(self, value: Any, component: Any) -> bool:
        return isinstance(value, (bytes, bytearray, memoryview))

    def to_bytes(self, value: Any, component: Any) -> tuple[bytes, str, str]:
        return bytes(value), "application/octet-stream", ""

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        return sink.bytes_url(bytes(value), ".bin")

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        return self.sample(value, depth)

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        return {"type": "binary", "size": len(value)}

    def sample(self, value: Any, depth: int) -> Any:
        return f"<{len(value)} bytes>"


class BoolKind(ValueKind):
    name = "bool"

    def recognises(self, value: Any, component: Any) -> bool:
        return isinstance(value, bool) or type(value).__name__ == "bool_"

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        return bool(value)

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        return bool(value)

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        return {"type": "json", "text": "true" if value else "false"}

    def sample(self, value: Any, depth: int) -> Any:
        return bool(value)


class NumberKind(ValueKind):
    """Python and numpy numbers; NaN and infinities travel as text (JSON has none)."""

    name = "number"

    def recognises(self, value: Any, component: Any) -> bool:
        return isinstance(value, numbers.Real)

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        number = int(value) if isinstance(value, numbers.Integral) else float(value)
        return number if math.isfinite(number) else str(number)

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        return self.plain(value, component, 0)

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        number = self.plain(value, component, 0)
        text = str(number) if isinstance(number, str) else repr(number)
        return {"type": "number", "text": text if len(text) <= 40 else f"{number:.6g}"}

    def sample(self, value: Any, depth: int) -> Any:
        return self.plain(value, None, 0)


class TextKind(ValueKind):
    name = "text"

    def recognises(self, value: Any, component: Any) -> bool:
        return isinstance(value, str)

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        return str.__str__(value)

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        return str.__str__(value)

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        return _text_preview("text", str.__str__(value))

    def sample(self, value: Any, depth: int) -> Any:
        text = str.__str__(value)
        return text if len(text) <= PREVIEW_LEAF_CHARS else text[:PREVIEW_LEAF_CHARS] + "…"


class ArrayKind(ValueKind):
    """A numpy array that is not a picture: its numbers."""

    name = "array"

    def recognises(self, value: Any, component: Any) -> bool:
        return images.is_array(value)

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        return plain(value.tolist(), component, depth + 1)

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        return to_rest(value.tolist(), component, sink)


class _More:
    """Marks a sampled container that had more items than shown."""

    def __init__(self, n: int):
        self.n = n

    def __str__(self) -> str:
        return f"… {self.n} more"


class JsonKind(ValueKind):
    """Dicts, lists and tuples; their items are shown as their own kinds."""

    name = "json"

    def recognises(self, value: Any, component: Any) -> bool:
        return isinstance(value, (dict, list, tuple))

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        if isinstance(value, dict):
            return {str(k): plain(v, None, depth + 1) for k, v in value.items()}
        return [plain(v, component, depth + 1) for v in value]

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        if isinstance(value, dict):
            return {str(k): to_rest(v, None, sink) for k, v in value.items()}
        return [to_rest(v, component, sink) for v in value]

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        text = json.dumps(self.sample(value, PREVIEW_DEPTH), ensure_ascii=False, default=str)
        return _text_preview("json", text)

    def sample(self, value: Any, depth: int) -> Any:
        # Cut before serialising: json.dumps of a million-item list would cost the kernel
        # time on every status message.
        if depth <= 0:
            return "…"
        if isinstance(value, dict):
            out = {}
            for i, (k, v) in enumerate(value.items()):
                if i >= PREVIEW_ITEMS:
                    out["…"] = str(_More(len(value) - PREVIEW_ITEMS))
                    break
                out[str(k)] = sample(v, depth - 1)
            return out
        items = [sample(v, depth - 1) for v in value[:PREVIEW_ITEMS]]
        if len(value) > PREVIEW_ITEMS:
            items.append(str(_More(len(value) - PREVIEW_ITEMS)))
        return items

    def item(self, value: Any, index: int, component: Any) -> Any:
        if isinstance(value, dict) or not -len(value) <= index < len(value):
            raise DisplayError(f"No item {index} in this value.")
        item = value[index]
        if component_kind(component) == "gallery" and isinstance(item, (list, tuple)) and item:
            item = item[0]  # an (image, caption) pair
        return item


for _kind in (
    NoneKind(),
    FileKind(),
    ImageKind(),
    AudioKind(),
    TableKind(),
    BytesKind(),
    BoolKind(),
    NumberKind(),
    TextKind(),
    ArrayKind(),
    JsonKind(),
):
    register(_kind)
