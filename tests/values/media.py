"""What AI models return, made offline: pictures in every PIL mode and numpy layout,
sound as ``(rate, samples)`` and WAV files, a video clip, a 3D model, tables, chats,
labels, highlighted text, annotated images and charts.

The video is ``tests/data/clip.webm``: a 709-byte, one-second VP8 clip (8 frames of
64×48) committed as a fixture, since nothing installed here encodes video (gradio ships
without ffmpeg).
"""

from __future__ import annotations

import io
import shutil
import wave
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

W, H = 64, 48
RATE = 16000
CLIP = Path(__file__).parent.parent / "data" / "clip.webm"
OBJ = "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 3\nf 1 2 4\nf 1 3 4\nf 2 3 4\n"
LONG_TEXT = "\n\n".join(
    f"Paragraph {i}: the fox waited at the edge of the wood while the light came up." * 3
    for i in range(40)
)
BIG = 2**70 + 1


def picture(mode: str = "RGB") -> Image.Image:
    img = Image.new("RGB", (W, H), (30, 40, 80))
    d = ImageDraw.Draw(img)
    d.rectangle([8, 8, 40, 30], fill=(240, 120, 40))
    d.ellipse([36, 18, 60, 42], fill=(90, 200, 120))
    if mode == "RGBA":
        img.putalpha(200)
    elif mode == "I;16":
        return Image.fromarray(np.asarray(img.convert("L")).astype(np.uint16) * 256)
    elif mode != "RGB":
        img = img.convert(mode)
    return img


def tone(seconds: float = 0.5, stereo: bool = False, ints: bool = False) -> tuple[int, Any]:
    t = np.linspace(0, seconds, int(RATE * seconds), endpoint=False)
    wave_ = 0.4 * np.sin(2 * np.pi * 440 * t)
    if stereo:
        wave_ = np.stack([wave_, 0.5 * wave_], axis=1)
    return RATE, (wave_ * 32767).astype(np.int16) if ints else wave_.astype(np.float32)


def write_wav(path: Path) -> Path:
    _, samples = tone(ints=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())
    return path


def files(folder: Path) -> dict[str, Path]:
    """Media files in ``folder``: a PNG, a WAV, a WebM clip, an OBJ model, a text file."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {
        "png": folder / "poster.png",
        "wav": write_wav(folder / "tone.wav"),
        "webm": folder / "clip.webm",
        "obj": folder / "tetra.obj",
        "txt": folder / "notes.txt",
    }
    picture().save(out["png"])
    shutil.copyfile(CLIP, out["webm"])
    out["obj"].write_text(OBJ)
    out["txt"].write_text("notes from the model\n")
    return out


def mask() -> Any:
    m = np.zeros((H, W))
    m[20:40, 30:60] = 1.0
    return m


def figure() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2), dpi=100)
    ax = fig.add_subplot()
    ax.plot([0, 1, 2, 3], [1, 3, 2, 4])
    ax.set_title("loss")
    return fig


def table() -> Any:
    import pandas as pd

    return pd.DataFrame({"name": ["ada", "bob", "cy"], "score": [0.91, 0.78, float("nan")]})


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
