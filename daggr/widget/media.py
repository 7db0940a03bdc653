"""Bytes for the canvas: files and full values fetched on demand, and uploaded files.

Media never travel inside traits (they are saved into notebooks): the canvas asks for one
value by request id and gets it back as a binary buffer. Which value may be fetched is
decided in :mod:`daggr.widget.bridge` (only results and inputs of the graph on display);
this module only turns an already-authorised value into bytes, and uploaded bytes into a
file.

Example:
    >>> payload, mime = encode_value({"a": [1, 2]}, "json")
    >>> payload, mime
    (b'{"a":[1,2]}', 'application/json')
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import mimetypes
import os
import re
from pathlib import Path
from typing import Any

from daggr.errors import DaggrError
from daggr.records import FileValue

MEDIA_KINDS = ("image", "audio", "video", "file", "gallery", "model3d")
DEFAULT_MAX_UPLOAD_MB = 200
MAX_VALUE_BYTES = 4_000_000  # a JSON value bigger than this is described, not shown
MAX_FETCH_BYTES = 512 * 1024 * 1024


class MediaError(DaggrError, ValueError):
    """A fetch or an upload the kernel refuses (the message says why)."""


def max_upload_bytes() -> int:
    """``$DAGGR_MAX_UPLOAD_MB`` (default 200) in bytes."""
    raw = os.environ.get("DAGGR_MAX_UPLOAD_MB", "")
    try:
        mb = float(raw) if raw else DEFAULT_MAX_UPLOAD_MB
    except ValueError:
        mb = DEFAULT_MAX_UPLOAD_MB
    return int(mb * 1024 * 1024)


def uploads_dir() -> Path:
    """``$DAGGR_HOME/uploads``: uploaded files, named by the sha256 of their content."""
    from daggr.store.paths import daggr_home

    return daggr_home() / "uploads"


_EXT = re.compile(r"^\.[A-Za-z0-9]{1,10}$")


def save_upload(data: bytes, filename: str) -> FileValue:
    """Write uploaded bytes to ``uploads/<sha256><ext>`` (once) and return the path.

    The name is content-addressed, so the same file uploaded twice is one file, and the
    browser's file name never becomes part of a path (only a short, checked extension)."""
    limit = max_upload_bytes()
    if len(data) > limit:
        raise MediaError(
            f"'{filename}' is {len(data) / 2**20:.1f} MB; the canvas accepts uploads up to "
            f"{limit / 2**20:.0f} MB (set DAGGR_MAX_UPLOAD_MB to change it), or pass the "
            "path from code: graph.run(node__port='/path/to/file')."
        )
    ext = os.path.splitext(filename)[1].lower()
    if not _EXT.match(ext):
        ext = ""
    folder = uploads_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()}{ext}"
    if not path.exists():
        tmp = path.with_suffix(path.suffix + f".{os.getpid()}.part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return FileValue(str(path))


def read_file(path: str) -> tuple[bytes, str]:
    """A file's bytes and its MIME type."""
    p = Path(path)
    if not p.is_file():
        raise MediaError(f"The file {p.name!r} of this result no longer exists on disk.")
    size = p.stat().st_size
    if size > MAX_FETCH_BYTES:
        raise MediaError(f"{p.name!r} is {size / 2**20:.0f} MB, too large to show on the canvas.")
    return p.read_bytes(), mime_of(path)


def mime_of(path: str) -> str:
    return mimetypes.guess_type(str(path))[0] or "application/octet-stream"


def encode_value(value: Any, kind: str | None) -> tuple[bytes, str]:
    """A non-file value as bytes the canvas renders: an array image as PNG, anything
    else as JSON (numpy arrays as lists, other objects as their text)."""
    if kind in ("image", "gallery") and _is_array(value):
        png = _png(value)
        if png is not None:
            return png, "image/png"
    if kind in ("image", "gallery") and _is_pil(value):
        return _pil_png(value), "image/png"
    if kind == "audio" and _is_rate_and_samples(value):
        return _wav(*value), "audio/wav"
    payload = json.dumps(
        _jsonable(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode()
    if len(payload) > MAX_VALUE_BYTES:
        raise MediaError(
            f"This value is {len(payload) / 2**20:.1f} MB as JSON, too large to show on the "
            "canvas; read it from code: graph.selected(node).outputs[port]."
        )
    return payload, "application/json"


def _is_array(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype")


def _is_pil(value: Any) -> bool:
    return hasattr(value, "mode") and hasattr(value, "save") and hasattr(value, "size")


def _pil_png(image: Any) -> bytes:
    # PNG holds these modes as they are; others (CMYK, YCbCr, F, ...) are shown as RGB(A).
    if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        image = image.convert("RGBA" if "A" in image.mode else "RGB")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def _is_rate_and_samples(value: Any) -> bool:
    """gradio's audio value: ``(sample_rate, array)``."""
    return (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and isinstance(value[0], int)
        and _is_array(value[1])
    )


def _wav(rate: int, samples: Any) -> bytes:
    """16-bit PCM WAV of int or float (-1..1) samples, mono or (n, channels)."""
    import wave

    import numpy as np

    data = np.asarray(samples)
    if data.dtype.kind == "f":
        data = np.clip(data, -1.0, 1.0) * 32767
    elif data.dtype.itemsize > 2:
        data = data / float(2 ** (8 * data.dtype.itemsize - 16))
    data = data.astype("<i2")
    channels = 1 if data.ndim == 1 else data.shape[1]
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(int(rate))
        w.writeframes(data.tobytes())
    return buf.getvalue()


def _png(array: Any) -> bytes | None:
    try:
        from PIL import Image
    except ImportError:
        return None
    try:
        import numpy as np

        arr = np.asarray(array)
        if arr.dtype != np.uint8:
            scale = 255.0 if arr.size and float(arr.max()) <= 1.0 else 1.0
            arr = np.clip(arr * scale, 0, 255).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, format="PNG")
        return buf.getvalue()
    except Exception:  # an array that is not an image: shown as JSON instead
        return None


def _jsonable(value: Any, depth: int = 0) -> Any:
    if depth > 50:
        return "…"
    if value is None or isinstance(value, (bool, int, str)):
        return str(value) if isinstance(value, FileValue) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, depth + 1) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    if hasattr(value, "to_dict") and hasattr(value, "columns"):  # a pandas DataFrame
        return {
            "headers": [str(c) for c in value.columns],
            "data": _jsonable(value.values.tolist(), depth + 1),
        }
    if hasattr(value, "tolist"):
        return _jsonable(value.tolist(), depth + 1)
    return str(value)
