"""The plain value kinds: nothing, links, files, pictures, sound, bytes, numbers, text,
arrays and JSON. Richer kinds (galleries, chats, tables, plots, ...) live in
:mod:`daggr.values.rich`; :mod:`daggr.values.catalog` registers them all in order.

Example:
    >>> from daggr.records import FileValue, file_name
    >>> from daggr.values import kind_of
    >>> kind_of(FileValue("/tmp/cat.png")).name, kind_of("/tmp/cat.png").name
    ('file', 'text')
    >>> kind_of("/tmp/cat.png", "image").name   # a string on a file component is a path
    'file'
    >>> kind_of("https://example.com/cat.png", "image").name
    'url'
"""

from __future__ import annotations

import io
import json
import math
import numbers
import os
from typing import Any

from daggr.records import FileValue, file_name
from daggr.values import audio, images
from daggr.values.files import mime_of, read_file
from daggr.values.limits import (
    MAX_ARRAY_AS_JSON,
    MAX_IMAGE_PIXELS,
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
    sample,
    to_rest,
)


def text_preview(kind: str, text: str) -> dict[str, Any]:
    if len(text) <= PREVIEW_TEXT_CHARS:
        return {"type": kind, "text": text}
    return {"type": kind, "text": text[:PREVIEW_TEXT_CHARS], "truncated": True}


def basename(path: str) -> str:
    """A file's name as people know it (a stored copy's original name); a URL's last part."""
    text = str.__str__(path) if isinstance(path, str) else str(path)
    if is_url(text):
        return os.path.basename(text.split("?", 1)[0].rstrip("/")) or text
    return file_name(text)


def is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def megabytes(n: float) -> str:
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n / 1024:.0f} KB"


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


class UrlKind(ValueKind):
    """A link to a file elsewhere (``https://.../cat.png``) on a file component: the canvas
    shows it from where it is, REST hands the link on."""

    name = "url"

    def recognises(self, value: Any, component: Any) -> bool:
        return is_url(value) and component_kind(component) in FILE_KINDS

    def to_bytes(self, value: Any, component: Any) -> tuple[bytes, str, str]:
        raise DisplayError(f"This value is a link, shown from where it is: {value[:200]}")

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        return str.__str__(value)

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        return str.__str__(value)

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        url = str.__str__(value)
        p = {"type": "url", "name": basename(url)[:200], "mime": mime_of(basename(url))}
        return {**p, "url": url} if len(url) <= 2000 else p

    def sample(self, value: Any, depth: int) -> Any:
        return f"<link {basename(value)[:PREVIEW_LEAF_CHARS]}>"


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
        return data, mime, basename(value)

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        if os.path.isfile(value):
            return sink.file_url(value)
        if isinstance(value, FileValue):  # gone from disk: its name, never the server's path
            return basename(value)
        return str.__str__(value)  # a caption, a URL: the text it is

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        return str.__str__(value)

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        name = basename(value)
        mime = mime_of(name)
        out: dict[str, Any] = {"type": "file", "name": name}
        if "/octet" not in mime:
            out["mime"] = mime
        try:
            out["size"] = os.path.getsize(value)
        except OSError:
            out["missing"] = True
        return out

    def sample(self, value: Any, depth: int) -> Any:
        return f"<file {basename(value)}>"

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
        if kind not in (None, "image", "gallery", "annotatedimage"):
            return images.is_pil(value)  # an array on a JSON or table port is data
        return images.is_image(value, declared=kind is not None)

    def _encode(self, value: Any, encode: Any) -> Any:
        width, height = images.size(value)
        if width * height > MAX_IMAGE_PIXELS:
            raise DisplayError(
                f"This image is {width}×{height} pixels, too large to draw here; "
                "read it in code, or return a smaller copy (image.thumbnail((2048, 2048)))."
            )
        try:
            return encode(value)
        except Exception as exc:  # a broken image: say so rather than fail the view
            raise DisplayError(f"This image cannot be encoded: {exc}") from None

    def to_bytes(self, value: Any, component: Any) -> tuple[bytes, str, str]:
        data, mime = self._encode(value, images.display)
        return data, mime, "image.png" if mime == "image/png" else "image.jpg"

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        return sink.bytes_url(self._encode(value, images.png), ".png")

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
        return self._wav(value), "audio/wav", "audio.wav"

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        return sink.bytes_url(self._wav(value), ".wav")

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        return self.sample(value, depth)

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        return {
            "type": "audio",
            "name": self.sample(value, 0)[1:-1],
            "mime": "audio/wav",
            "duration": round(audio.duration(*value), 3),
        }

    def sample(self, value: Any, depth: int) -> Any:
        channels = "" if value[1].ndim == 1 else f", {value[1].shape[1]} channels"
        return f"<audio {audio.duration(*value):.1f} s at {value[0]} Hz{channels}>"


class BytesKind(ValueKind):
    name = "binary"

    def recognises(self, value: Any, component: Any) -> bool:
        return isinstance(value, (bytes, bytearray, memoryview))

    def to_bytes(self, value: Any, component: Any) -> tuple[bytes, str, str]:
        return bytes(value), "application/octet-stream", "data.bin"

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


def _non_finite(number: float) -> str:
    return "NaN" if number != number else ("Infinity" if number > 0 else "-Infinity")


class NumberKind(ValueKind):
    """Python and numpy numbers, exactly: integers of any size, and NaN and infinities
    (numbers on the canvas; text over REST, since JSON has none)."""

    name = "number"

    def recognises(self, value: Any, component: Any) -> bool:
        return isinstance(value, numbers.Real)

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        return int(value) if isinstance(value, numbers.Integral) else float(value)

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        number = self.plain(value, component, 0)
        return number if isinstance(number, int) or math.isfinite(number) else _non_finite(number)

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        number = self.plain(value, component, 0)
        if isinstance(number, float) and not math.isfinite(number):
            return {"type": "number", "text": _non_finite(number)}
        text = repr(number)
        if len(text) > PREVIEW_TEXT_CHARS:
            text = text[: PREVIEW_TEXT_CHARS - 1] + "…"
        return {"type": "number", "text": text}

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
        return text_preview("text", str.__str__(value))

    def sample(self, value: Any, depth: int) -> Any:
        text = str.__str__(value)
        return text if len(text) <= PREVIEW_LEAF_CHARS else text[:PREVIEW_LEAF_CHARS] + "…"


class ArrayKind(ValueKind):
    """A numpy array that is not a picture: its numbers, or (when large) a description
    on the canvas and a ``.npy`` file over REST."""

    name = "array"

    def recognises(self, value: Any, component: Any) -> bool:
        return images.is_array(value)

    def _large(self, value: Any) -> bool:
        return value.nbytes > MAX_ARRAY_AS_JSON or value.dtype.hasobject and value.size > 10_000

    def _what(self, value: Any) -> str:
        return f"array {tuple(value.shape)} {value.dtype}, {megabytes(value.nbytes)}"

    def to_bytes(self, value: Any, component: Any) -> tuple[bytes, str, str]:
        if self._large(value):
            raise DisplayError(
                f"This {self._what(value)}, is too large to show as numbers; read it in "
                "code (graph.history(node)[-1].outputs[port]) or return a summary."
            )
        return super().to_bytes(value, component)

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        if self._large(value):
            return f"<{self._what(value)}>"
        return plain(value.tolist(), component, depth + 1)

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        if self._large(value) and not value.dtype.hasobject:
            import numpy as np

            buf = io.BytesIO()
            np.save(buf, value, allow_pickle=False)
            return sink.bytes_url(buf.getvalue(), ".npy")
        return to_rest(value.tolist(), component, sink)

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        if self._large(value):
            return {
                "type": "object",
                "name": self._what(value),
                "hint": "Too large to show as numbers: read it in code, e.g. "
                "graph.history(node)[-1].outputs[port], or return a summary.",
            }
        text = json.dumps(sample(value.tolist(), PREVIEW_DEPTH), default=str)
        return text_preview("json", text)

    def sample(self, value: Any, depth: int) -> Any:
        return f"<{self._what(value)}>"


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
        return text_preview("json", text)

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

    def item(self, value: Any, index: int, component: Any) -> tuple[Any, Any]:
        if isinstance(value, dict) or not -len(value) <= index < len(value):
            raise DisplayError(f"No item {index} in this value.")
        return value[index], None
