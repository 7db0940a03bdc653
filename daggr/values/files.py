"""Files people send and fetch: uploads saved by content, data: URLs, MIME types.

Uploads (a file dropped on the canvas, a data: URL sent to the REST API) are written once
to ``$DAGGR_HOME/uploads/<sha256><ext>``: the same file uploaded twice is one file, and a
browser's file name never becomes part of a path (only a short, checked extension).

Example:
    >>> data, mime = decode_data_url("data:text/plain;base64,aGk=")
    >>> data, mime, ext_for_mime(mime)
    (b'hi', 'text/plain', '.txt')
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
import os
import re
from pathlib import Path
from typing import Any

from daggr.errors import DaggrError
from daggr.records import FileValue
from daggr.values.limits import MAX_FETCH_BYTES

DATA_URL = re.compile(r"data:([^,;]*)((?:;[^,]*)?),", re.S)
_EXT = re.compile(r"^\.[A-Za-z0-9]{1,10}$")
_MIME_EXT = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/mpeg": ".mp3",
    "audio/ogg": ".ogg",
    "audio/flac": ".flac",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "model/gltf-binary": ".glb",
    "text/plain": ".txt",
    "application/pdf": ".pdf",
}


class DisplayError(DaggrError, ValueError):
    """A value that cannot be shown or sent (a file gone from disk, too large, ...)."""


def uploads_dir() -> Path:
    """``$DAGGR_HOME/uploads``: uploaded files, named by the sha256 of their content."""
    from daggr.store.paths import daggr_home

    return daggr_home() / "uploads"


def ext_of_name(filename: str) -> str:
    """A file name's extension if it is short and plain, else ``""``."""
    ext = os.path.splitext(filename)[1].lower()
    return ext if _EXT.match(ext) else ""


def ext_for_mime(mime: str) -> str:
    # Only types known to be inert: an upload named .html or .svg would later be served
    # from the app's own origin as a page.
    return _MIME_EXT.get(mime, ".bin")


# The same file gets the same type in every process: the system's tables differ between
# machines, and libraries loaded later (gradio) add their own (.wav is audio/x-wav on some,
# audio/wav on others).
_MEDIA_TYPES = {
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".js": "text/javascript",
}


def mime_of(path: str) -> str:
    ext = os.path.splitext(str(path))[1].lower()
    known = _MEDIA_TYPES.get(ext)
    if known is not None:
        return known
    return mimetypes.guess_type(str(path))[0] or "application/octet-stream"


def save_upload(data: bytes, ext: str) -> FileValue:
    """Write uploaded bytes to ``uploads/<sha256><ext>`` (once) and return the path."""
    folder = uploads_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()}{ext if _EXT.match(ext) else ''}"
    if not path.exists():
        tmp = path.with_suffix(path.suffix + f".{os.getpid()}.part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return FileValue(str(path))


def data_url_size(value: str) -> int | None:
    """About how many bytes a data: URL holds (without decoding it), or None if it is not one."""
    m = DATA_URL.match(value)
    if m is None:
        return None
    payload = len(value) - m.end()
    return payload * 3 // 4 if ";base64" in m.group(2) else payload


def decode_data_url(value: str) -> tuple[bytes, str]:
    """(bytes, MIME type) of a ``data:`` URL; :class:`ValueError` if it is malformed."""
    m = DATA_URL.match(value)
    if m is None:
        raise ValueError("malformed data: URL")
    payload = value[m.end() :]
    if ";base64" not in m.group(2):
        return payload.encode(), m.group(1)
    try:
        return base64.b64decode(payload, validate=True), m.group(1)
    except (binascii.Error, ValueError):
        raise ValueError("the data: URL is not valid base64") from None


def file_ports(components: dict[str, Any]) -> list[str]:
    """The ports whose component takes files (an Image, Audio, File, Gallery, ...).

    Example:
        >>> from daggr import components as gr
        >>> file_ports({"picture": gr.Image(), "caption": gr.Textbox(), "hidden": None})
        ['picture']
    """
    from daggr.values.registry import FILE_KINDS, component_kind

    return [
        port
        for port, component in components.items()
        if component is not None and component_kind(component) in FILE_KINDS
    ]


def keep_files(outputs: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """``outputs`` with every local file named by a plain path on a file-kind port (an
    Image, Audio, File, Gallery, ... output) made a :class:`FileValue`, so that the store
    keeps a copy: a function returning ``"/tmp/out.png"`` then still has its picture
    after the temporary file is gone. Other values are untouched.

    Example:
        >>> import tempfile
        >>> from daggr import components as gr
        >>> path = tempfile.mkstemp(suffix=".png")[1]
        >>> kept = keep_files({"image": path, "text": path}, {"image": gr.Image()})
        >>> type(kept["image"]).__name__, type(kept["text"]).__name__
        ('FileValue', 'str')
    """
    changed = None
    for port in file_ports(components):
        value = outputs.get(port)
        kept = _as_file(value)
        if kept is not value:
            changed = changed or dict(outputs)
            changed[port] = kept
    return outputs if changed is None else changed


def _as_file(value: Any) -> Any:
    if type(value) is FileValue or value is None:
        return value
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        if isinstance(path, str) and "://" not in path and os.path.isfile(path):
            return FileValue(path)
        return value
    if isinstance(value, list):  # a gallery, several files: each item, (file, caption) too
        items = [_as_file(v) for v in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    if isinstance(value, tuple) and value and len(value) <= 2:
        first = _as_file(value[0])
        return value if first is value[0] else (first, *value[1:])
    return value


def read_file(path: str) -> tuple[bytes, str]:
    """A file's bytes and its MIME type, for the canvas."""
    p = Path(path)
    if not p.is_file():
        raise DisplayError(f"The file {p.name!r} of this result no longer exists on disk.")
    size = p.stat().st_size
    if size > MAX_FETCH_BYTES:
        raise DisplayError(f"{p.name!r} is {size / 2**20:.0f} MB, too large to show on the canvas.")
    return p.read_bytes(), mime_of(path)
