"""Kinds made of pictures: galleries, annotated images and plots.

A gallery's or chat's pictures are fetched one by one as *items* of the value (see
:meth:`~daggr.values.registry.ValueKind.item`); the canvas first reads the list.

Example:
    >>> from PIL import Image
    >>> from daggr.values import kind_of, preview
    >>> shots = [Image.new("RGB", (8, 6)), (Image.new("RGB", (8, 6)), "a caption")]
    >>> kind_of(shots).name, preview(shots)["name"]
    ('gallery', 'gallery of 2')
"""

from __future__ import annotations

import base64
import io
import os
from typing import Any

from daggr.records import FileValue
from daggr.values import images
from daggr.values.files import ext_for_mime, mime_of
from daggr.values.kinds import basename, is_url
from daggr.values.limits import MAX_ITEMS_SHOWN, PREVIEW_ITEMS, PREVIEW_LEAF_CHARS, THUMBNAIL_PX
from daggr.values.registry import (
    DisplayError,
    FileSink,
    ValueKind,
    component_kind,
    json_bytes,
    thumbnail,
    to_rest,
)

_PALETTE = [(239, 68, 68), (59, 130, 246), (16, 185, 129), (245, 158, 11), (168, 85, 247)]


def is_picture(value: Any) -> bool:
    """An in-memory picture or a file of a picture or a video (what a gallery holds)."""
    if images.is_pil(value) or images.is_image(value, declared=False):
        return True
    if isinstance(value, FileValue) or is_url(value):
        return mime_of(basename(value)).startswith(("image/", "video/"))
    return False


def media_info(value: Any) -> dict[str, Any]:
    """How the canvas shows one picture, sound or file inside a larger value."""
    if images.is_pil(value) or images.is_array(value):
        width, height = images.size(value)
        return {"kind": "image", "name": f"image {width}×{height}", "mime": "image/png"}
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], int):
        return {"kind": "audio", "name": "audio", "mime": "audio/wav"}
    text = str(value)
    if is_url(text) or text.startswith("data:"):
        mime = text[5:].split(";", 1)[0] if text.startswith("data:") else mime_of(basename(text))
        return {"kind": _kind_of_mime(mime), "name": basename(text)[:200], "url": text}
    mime = mime_of(basename(text))
    return {"kind": _kind_of_mime(mime), "name": basename(text), "mime": mime}


def _kind_of_mime(mime: str) -> str:
    for kind in ("image", "audio", "video"):
        if mime.startswith(kind + "/"):
            return kind
    return "file"


# -- galleries --------------------------------------------------------------------------------
def gallery_items(value: Any) -> list[tuple[Any, str | None]]:
    """``[(picture, caption)]`` of a gallery value: pictures, ``(picture, caption)`` pairs,
    or gradio's ``{"image" | "video": ..., "caption": ...}`` items."""
    out = []
    for item in value:
        if isinstance(item, dict):
            media = item.get("image", item.get("video", item.get("path")))
            out.append((media, _caption(item.get("caption"))))
        elif isinstance(item, (tuple, list)) and len(item) == 2 and not _is_rate(item):
            out.append((item[0], _caption(item[1])))
        else:
            out.append((item, None))
    return out


def _is_rate(item: Any) -> bool:
    return isinstance(item[0], int) and not isinstance(item[0], bool)


def _caption(text: Any) -> str | None:
    return None if text is None else str(text)


def _is_gallery_item(item: Any) -> bool:
    if isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[1], str):
        item = item[0]
    return is_picture(item)


class GalleryKind(ValueKind):
    """Pictures (and videos) with optional captions: a list on a Gallery port, or any
    list whose items are all pictures or ``(picture, caption)`` pairs."""

    name = "gallery"

    def recognises(self, value: Any, component: Any) -> bool:
        if not isinstance(value, (list, tuple)) or images.is_array(value):
            return False
        kind = component_kind(component)
        if kind == "gallery":
            return True
        return kind is None and bool(value) and all(_is_gallery_item(v) for v in value[:50])

    def to_bytes(self, value: Any, component: Any) -> tuple[bytes, str, str]:
        items = []
        for media, caption in gallery_items(value)[:MAX_ITEMS_SHOWN]:
            info = media_info(media)
            items.append({**info, "caption": caption} if caption is not None else info)
        return json_bytes({"items": items, "count": len(value)}), "application/json", ""

    def item(self, value: Any, index: int, component: Any) -> tuple[Any, Any]:
        if not -len(value) <= index < len(value):
            raise DisplayError(f"No item {index} in this gallery of {len(value)}.")
        return gallery_items([value[index]])[0][0], "image"

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        out = []
        for media, caption in gallery_items(value):
            url = to_rest(media, "image", sink)
            out.append(url if caption is None else {"image": url, "caption": caption})
        return out

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        return self.sample(value, depth)

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        captions = [c for _, c in gallery_items(value[:PREVIEW_ITEMS]) if c]
        p: dict[str, Any] = {"type": "gallery", "name": f"gallery of {len(value)}"}
        p["count"] = len(value)
        if captions:
            p["text"] = " · ".join(c[:PREVIEW_LEAF_CHARS] for c in captions)[:300]
        return p

    def sample(self, value: Any, depth: int) -> Any:
        return f"<gallery of {len(value)}>"

    def thumbnail(self, value: Any, component: Any) -> bytes | None:
        first = gallery_items(value[:1])
        return thumbnail(first[0][0], "image") if first else None


# -- annotated images -------------------------------------------------------------------------
def _annotated_parts(value: Any) -> tuple[Any, list[tuple[Any, str]]]:
    if isinstance(value, dict):
        base = value.get("image")
        notes = [
            (a.get("image", a.get("box")), str(a.get("label", "")))
            for a in value.get("annotations") or []
        ]
        return base, notes
    base, notes = value
    return base, [(n[0], str(n[1])) for n in notes]


def _load_picture(value: Any) -> Any:
    from PIL import Image

    if images.is_pil(value) or images.is_array(value):
        return images.as_pil(value)
    if isinstance(value, str) and os.path.isfile(value):
        with Image.open(value) as picture:
            picture.load()
            return picture
    raise DisplayError(f"The annotated image's picture {str(value)[:80]!r} cannot be read.")


def annotate(value: Any) -> Any:
    """The picture with its boxes outlined and its masks tinted, one colour per label."""
    import numpy as np
    from PIL import Image, ImageDraw

    base, notes = _annotated_parts(value)
    picture = _load_picture(base).convert("RGBA")
    colours: dict[str, tuple[int, int, int]] = {}
    overlay = Image.new("RGBA", picture.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for mask, label in notes:
        colour = colours.setdefault(label, _PALETTE[len(colours) % len(_PALETTE)])
        if isinstance(mask, (tuple, list)) and len(mask) == 4:
            box = [int(v) for v in mask]
            draw.rectangle(box, fill=(*colour, 60), outline=(*colour, 255), width=3)
            continue
        alpha = np.asarray(_load_picture(mask)) if not images.is_array(mask) else mask
        if alpha.ndim == 3:  # an RGBA mask file: its alpha, else its brightness
            alpha = alpha[:, :, 3] if alpha.shape[2] == 4 else alpha.mean(axis=2)
        alpha = alpha.astype(np.float64)
        alpha = alpha / 255.0 if alpha.max(initial=0) > 1 else alpha
        layer = np.zeros((*alpha.shape, 4), np.uint8)
        layer[..., :3] = colour
        layer[..., 3] = np.clip(alpha * 128, 0, 255).astype(np.uint8)
        tint = Image.fromarray(layer, "RGBA")
        if tint.size != picture.size:
            tint = tint.resize(picture.size)
        overlay = Image.alpha_composite(overlay, tint)
        draw = ImageDraw.Draw(overlay)
    return Image.alpha_composite(picture, overlay)


def _labels(value: Any) -> list[str]:
    seen: list[str] = []
    for _, label in _annotated_parts(value)[1]:
        if label not in seen:
            seen.append(label[:PREVIEW_LEAF_CHARS])
    return seen[:PREVIEW_ITEMS]


class AnnotatedKind(ValueKind):
    """An AnnotatedImage's value: ``(picture, [(box or mask, label), ...])``, or the
    ``{"image", "annotations"}`` a Gradio app returns. Shown as one picture."""

    name = "annotated"

    def recognises(self, value: Any, component: Any) -> bool:
        if component_kind(component) != "annotatedimage":
            return False
        if isinstance(value, dict):
            return "image" in value
        return isinstance(value, (tuple, list)) and len(value) == 2

    def _png(self, value: Any, longest: int | None = None) -> bytes:
        try:
            return images.png(annotate(value), longest, fast=longest is None)
        except DisplayError:
            raise
        except Exception as exc:
            raise DisplayError(f"This annotated image cannot be drawn: {exc}") from None

    def to_bytes(self, value: Any, component: Any) -> tuple[bytes, str, str]:
        return self._png(value), "image/png", "annotated.png"

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        base, notes = _annotated_parts(value)
        out = []
        for mask, label in notes:
            if isinstance(mask, (tuple, list)):
                out.append({"box": [int(v) for v in mask], "label": label})
            else:
                out.append({"image": to_rest(mask, "image", sink), "label": label})
        return {"image": to_rest(base, "image", sink), "annotations": out}

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        return self.sample(value, depth)

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        n = len(_annotated_parts(value)[1])
        return {
            "type": "image",
            "name": f"annotated image, {n} annotation{'s' * (n != 1)}",
            "mime": "image/png",
            "labels": _labels(value),
        }

    def sample(self, value: Any, depth: int) -> Any:
        return f"<annotated image, {len(_annotated_parts(value)[1])} annotations>"

    def thumbnail(self, value: Any, component: Any) -> bytes | None:
        try:
            return self._png(value, THUMBNAIL_PX)
        except DisplayError:
            return None


# -- plots ------------------------------------------------------------------------------------
def _library(value: Any) -> str | None:
    module = type(value).__module__
    for name in ("matplotlib", "plotly", "altair", "bokeh"):
        if module.startswith(name):
            return name
    return None


_HOW_TO_SHOW = {
    "altair": "install vl-convert-python (pip install vl-convert-python) to see altair "
    "charts here, or return chart.to_image(format='png') wrapped in PIL.Image.open(io.BytesIO(...)).",
    "bokeh": "return a picture of it instead (bokeh.io.export_png), or a matplotlib figure.",
}


def _ext(mime: str) -> str:
    return ".html" if mime == "text/html" else ext_for_mime(mime)


class PlotKind(ValueKind):
    """A chart: a matplotlib figure (a picture), a plotly figure (interactive, drawn by
    the plotly.js that the plotly package ships), an altair chart (a picture when
    vl-convert is installed), or the ``{"type", "plot"}`` a Gradio app's Plot returns."""

    name = "plot"

    def recognises(self, value: Any, component: Any) -> bool:
        library = _library(value)
        if library == "matplotlib":
            return hasattr(value, "savefig")
        if library == "plotly":
            return hasattr(value, "to_plotly_json")
        if library in ("altair", "bokeh"):
            return hasattr(value, "to_dict") or hasattr(value, "to_json")
        return (
            component_kind(component) == "plot"
            and isinstance(value, dict)
            and isinstance(value.get("plot"), str)
        )

    def _render(self, value: Any) -> tuple[bytes, str]:
        library = _library(value)
        if library == "matplotlib":
            buf = io.BytesIO()
            value.savefig(buf, format="png", dpi=100, bbox_inches="tight")
            return buf.getvalue(), "image/png"
        if library == "plotly":
            html = value.to_html(include_plotlyjs=True, full_html=True, config={"responsive": True})
            return html.encode(), "text/html"
        if library == "altair":
            try:
                buf = io.BytesIO()
                value.save(buf, format="png")
                return buf.getvalue(), "image/png"
            except Exception as exc:
                raise DisplayError(f"An altair chart: {_HOW_TO_SHOW['altair']} ({exc})") from None
        if isinstance(value, dict) and value.get("plot", "").startswith("data:image/"):
            header, _, payload = value["plot"].partition(",")
            return base64.b64decode(payload), header[5:].split(";", 1)[0]
        raise DisplayError(
            f"A {library or value.get('type', 'plot')} chart: "
            + _HOW_TO_SHOW.get(
                library or "", "return a matplotlib or plotly figure to see it here."
            )
        )

    def to_bytes(self, value: Any, component: Any) -> tuple[bytes, str, str]:
        data, mime = self._render(value)
        return data, mime, "plot" + _ext(mime)

    def to_rest(self, value: Any, component: Any, sink: FileSink) -> Any:
        if _library(value) == "plotly":
            return {"type": "plotly", "plot": value.to_json()}
        data, mime = self._render(value)
        return sink.bytes_url(data, _ext(mime))

    def plain(self, value: Any, component: Any, depth: int) -> Any:
        return self.sample(value, depth)

    def preview(self, value: Any, component: Any) -> dict[str, Any]:
        library = _library(value) or str(value.get("type", "plot"))
        p: dict[str, Any] = {"type": "plot", "name": f"{library} chart"}
        if library == "plotly":
            p["mime"] = "text/html"
        elif library in _HOW_TO_SHOW:
            p["hint"] = _HOW_TO_SHOW[library]
        else:
            p["mime"] = "image/png"
        return p

    def sample(self, value: Any, depth: int) -> Any:
        return f"<{_library(value) or 'plot'} chart>"

    def thumbnail(self, value: Any, component: Any) -> bytes | None:
        try:
            data, mime = self._render(value)
        except Exception:  # a chart that cannot be drawn here: the drawing shows its name
            return None
        if not mime.startswith("image/"):
            return None
        from PIL import Image

        return images.png(Image.open(io.BytesIO(data)), THUMBNAIL_PX)
