"""Images in memory: PIL images and numpy arrays, as PNG bytes and thumbnails.

Neither PIL nor numpy is imported to *recognise* a value: a value can only be one of their
objects if its module is already loaded.

Example:
    >>> import numpy as np
    >>> is_image(np.zeros((4, 6, 3)), declared=False), is_image(np.zeros((4, 6)), declared=False)
    (True, False)
    >>> png(np.ones((4, 6, 3)))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
"""

from __future__ import annotations

import io
import sys
from typing import Any


def is_pil(value: Any) -> bool:
    module = sys.modules.get("PIL.Image")
    return module is not None and isinstance(value, module.Image)


def is_array(value: Any) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and isinstance(value, np.ndarray)


def is_image(value: Any, declared: bool) -> bool:
    """A PIL image, or an array shaped like pixels. ``declared``: the port's component
    is an image (or gallery), so a 2-D array is a grayscale picture; otherwise only
    ``(height, width, 3 or 4)`` arrays are, since a 2-D array may well be a matrix."""
    if is_pil(value):
        return True
    if not is_array(value) or value.dtype.kind not in "buif" or 0 in value.shape:
        return False
    if value.ndim == 3 and value.shape[2] in ((1, 3, 4) if declared else (3, 4)):
        return True
    return declared and value.ndim == 2


def size(value: Any) -> tuple[int, int]:
    """(width, height) of an image value."""
    if is_pil(value):
        return value.size
    return int(value.shape[1]), int(value.shape[0])


def as_pil(value: Any) -> Any:
    """The value as a PIL image: arrays in 0..1 are scaled to 0..255."""
    if is_pil(value):
        return value
    import numpy as np
    from PIL import Image

    arr = np.asarray(value)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.dtype != np.uint8:
        arr = arr.astype(np.float64)
        scale = 255.0 if float(np.nanmax(arr)) <= 1.0 else 1.0
        arr = np.clip(np.nan_to_num(arr * scale), 0, 255).astype(np.uint8)
    return Image.fromarray(arr)


def png(value: Any, longest: int | None = None) -> bytes:
    """PNG bytes of an image value, scaled down to ``longest`` pixels if given."""
    image = as_pil(value)
    if longest is not None and max(image.size) > longest:
        image = image.copy()
        image.thumbnail((longest, longest))
    if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        # CMYK, YCbCr, F, ...: PNG cannot hold them as they are.
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def file_thumbnail(path: str, longest: int) -> bytes | None:
    """A PNG thumbnail of an image file, or None if PIL cannot read it."""
    try:
        from PIL import Image

        with Image.open(path) as image:
            image.load()
            return png(image, longest)
    except Exception:  # not an image PIL reads, or no PIL: no thumbnail, nothing else lost
        return None
