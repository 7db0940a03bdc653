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

# Modes a PNG holds as they are (16-bit grayscale included: browsers show it).
_PNG_MODES = ("1", "L", "LA", "P", "RGB", "RGBA", "I;16")


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


def _to_bytes_range(arr: Any) -> Any:
    """uint8 pixels of any numeric array: floats in 0..1 are scaled to 0..255, other
    values beyond 0..255 are stretched from their range (a depth map, a 16-bit scan)."""
    import numpy as np

    if arr.dtype == np.uint8:
        return arr
    data = np.nan_to_num(arr.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = (float(data.min()), float(data.max())) if data.size else (0.0, 0.0)
    if lo >= 0.0 and hi <= 1.0 and arr.dtype.kind in "fb":
        data = data * 255.0
    elif lo < 0.0 or hi > 255.0:
        data = (data - lo) * (255.0 / (hi - lo or 1.0))
    return np.clip(data, 0, 255).astype(np.uint8)


def as_pil(value: Any) -> Any:
    """The value as a PIL image a PNG can hold: arrays in 0..1 are scaled to 0..255;
    32-bit integer and float images (mode I, F) become 16- or 8-bit grayscale."""
    import numpy as np
    from PIL import Image

    if is_pil(value):
        if value.mode in _PNG_MODES:
            return value
        if value.mode in ("I", "F", "I;16B", "I;16L", "I;16N"):
            arr = np.asarray(value)
            if arr.dtype.kind in "iu" and arr.size and arr.min() >= 0 and arr.max() <= 65535:
                return Image.fromarray(arr.astype(np.uint16))
            return Image.fromarray(_to_bytes_range(arr))
        # CMYK, YCbCr, LAB, HSV, RGBX, PA, ...: PNG cannot hold them as they are.
        return value.convert("RGBA" if "A" in value.getbands() else "RGB")
    arr = np.asarray(value)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    return Image.fromarray(_to_bytes_range(arr))


# Pictures larger than this (pixels), without transparency, are shown on the canvas as
# high-quality JPEG: 50 times faster to make than a PNG of a photo and a fifth of its size.
# REST and code keep the exact picture.
LARGE_PHOTO = 512 * 512


def display(value: Any) -> tuple[bytes, str]:
    """(bytes, MIME type) a browser shows the picture from, quickly: PNG (exact) for small
    pictures and those with transparency, JPEG (quality 95) for large opaque ones."""
    image = as_pil(value)
    width, height = image.size
    if width * height <= LARGE_PHOTO or image.mode not in ("RGB", "L"):
        return png(image, fast=True), "image/png"
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=95)
    return buf.getvalue(), "image/jpeg"


def png(value: Any, longest: int | None = None, fast: bool = False) -> bytes:
    """PNG bytes of an image value, scaled down to ``longest`` pixels if given. ``fast``:
    light compression (a bigger file made several times faster, for the canvas)."""
    image = as_pil(value)
    if longest is not None and max(image.size) > longest:
        image = image.copy()
        if image.mode == "I;16":  # thumbnail() resamples in 8 bits only
            image = _eight_bit(image)
        image.thumbnail((longest, longest))
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1 if fast else 6)
    return buf.getvalue()


def _eight_bit(image: Any) -> Any:
    import numpy as np
    from PIL import Image

    return Image.fromarray(_to_bytes_range(np.asarray(image)))


def file_thumbnail(path: str, longest: int) -> bytes | None:
    """A PNG thumbnail of an image file, or None if PIL cannot read it."""
    try:
        from PIL import Image

        with Image.open(path) as image:
            image.load()
            return png(image, longest)
    except Exception:  # not an image PIL reads, or no PIL: no thumbnail, nothing else lost
        return None
