"""Every size limit on values shown to people or sent by them, in one place.

The canvas, the REST API and ``graph.run()`` read these; none keeps a copy.

Example:
    >>> max_upload_bytes() == DEFAULT_MAX_UPLOAD_MB * 2**20
    True
"""

from __future__ import annotations

import os

DEFAULT_MAX_UPLOAD_MB = 200  # ``$DAGGR_MAX_UPLOAD_MB`` overrides it
MAX_VALUE_BYTES = 4_000_000  # a value bigger than this as JSON is described, not shown
MAX_FETCH_BYTES = 512 * 1024 * 1024  # a file bigger than this is not sent to the canvas
MAX_THUMBNAIL_SOURCE = 20 * 1024 * 1024  # image files read for the static drawing's thumbnail
MAX_ARRAY_AS_JSON = 1_000_000  # bytes of a numeric array shown or sent as numbers
MAX_IMAGE_PIXELS = 100_000_000  # an in-memory picture larger than this is described, not drawn
MAX_TABLE_ROWS = 1_000  # rows of a table sent to the canvas (it scrolls; code has them all)
MAX_ITEMS_SHOWN = 100  # pictures of a gallery, files of a chat the canvas lists
URL_TIMEOUT = 20.0  # seconds to fetch a file input given as a URL

# Values sent from a browser or an API client (code may pass anything).
MAX_JSON_INPUT = 1_000_000  # bytes of a JSON / table value
MAX_TEXT_INPUT = 1_000_000  # characters of one text value

# Previews travel in node-state messages and are saved with the notebook's widget state.
PREVIEW_TEXT_CHARS = 300  # what a card shows without scrolling far
PREVIEW_ITEMS = 20  # items of a container sampled
PREVIEW_DEPTH = 3  # levels of a nested container sampled
PREVIEW_LEAF_CHARS = 80  # characters of a string inside a sampled container
PREVIEW_PORTS = 16  # outputs of one node previewed
THUMBNAIL_PX = 128  # longest side of an image in the static drawing


def max_upload_bytes() -> int:
    """``$DAGGR_MAX_UPLOAD_MB`` (default 200) in bytes."""
    raw = os.environ.get("DAGGR_MAX_UPLOAD_MB", "")
    try:
        mb = float(raw) if raw else DEFAULT_MAX_UPLOAD_MB
    except ValueError:
        mb = DEFAULT_MAX_UPLOAD_MB
    return int(mb * 1024 * 1024)
