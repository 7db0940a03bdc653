"""Audio in memory: gradio's ``(sample_rate, samples)`` value, as WAV bytes.

Example:
    >>> import numpy as np
    >>> is_rate_and_samples((8000, np.zeros(80))), is_rate_and_samples((8000, [0, 1]))
    (True, False)
    >>> wav(8000, np.zeros(80))[:4]
    b'RIFF'
"""

from __future__ import annotations

import io
import wave
from typing import Any

from daggr.values.images import is_array


def is_rate_and_samples(value: Any) -> bool:
    """gradio's audio value: ``(sample_rate, array)``, mono or ``(n, channels)``."""
    return (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and isinstance(value[0], int)
        and not isinstance(value[0], bool)
        and value[0] > 0
        and is_array(value[1])
        and value[1].ndim in (1, 2)
    )


def duration(rate: int, samples: Any) -> float:
    return len(samples) / rate


def wav(rate: int, samples: Any) -> bytes:
    """16-bit PCM WAV of int or float (-1..1) samples, mono or ``(n, channels)``."""
    import numpy as np

    data = np.asarray(samples)
    if data.dtype.kind == "f":
        data = np.clip(np.nan_to_num(data), -1.0, 1.0) * 32767
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
