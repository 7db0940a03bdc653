"""Values as people see them: one registry of value kinds that every view asks.

The canvas (bytes + MIME type on request, a small preview in node state), the REST API
(JSON with media as file URLs), the static SVG drawing (previews and thumbnails) and
``graph.history()`` all go through here, so a value looks the same everywhere. This is a
lower layer: it imports nothing from ``daggr.widget`` or ``daggr.app``.

Example:
    >>> import numpy as np
    >>> from daggr import values
    >>> picture = np.full((48, 64, 3), 0.5)          # floats in 0..1, as models return
    >>> values.kind_of(picture).name
    'image'
    >>> data, mime, _ = values.encode(picture)
    >>> mime, data[:4]
    ('image/png', b'\\x89PNG')
    >>> values.preview(picture)
    {'type': 'image', 'name': 'image 64×48', 'mime': 'image/png'}
"""

from __future__ import annotations

from daggr.values import catalog as _catalog  # noqa: F401  (registers the kinds)
from daggr.values import urls
from daggr.values.files import DisplayError, keep_files
from daggr.values.registry import (
    FILE_KINDS,
    KINDS,
    FileSink,
    ValueKind,
    component_kind,
    component_name,
    describe,
    encode,
    kind_of,
    plain,
    preview,
    previews,
    register,
    thumbnail,
    to_rest,
)

__all__ = [
    "FILE_KINDS",
    "KINDS",
    "DisplayError",
    "FileSink",
    "ValueKind",
    "component_kind",
    "component_name",
    "describe",
    "encode",
    "keep_files",
    "kind_of",
    "plain",
    "preview",
    "previews",
    "register",
    "thumbnail",
    "to_rest",
    "urls",
]
