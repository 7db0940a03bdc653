"""UI component specs, named and parameterised like gradio's, without importing gradio.

A component placed in a node's ``inputs`` becomes a user input on the canvas; one placed
in ``outputs`` says how to display that port. Write graphs with::

    from daggr import components as gr

    prompt = gr.Textbox(label="Prompt", lines=3)
    image = gr.Image(label="Result")

Real gradio components (``import gradio as gr``) work too: :func:`as_component` turns
them into these specs, reading only their public attributes.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import math
import os
import reprlib
import struct
import sys
import threading
import warnings
import wave
import weakref
import zlib
from array import array
from pathlib import Path
from typing import Any, ClassVar

from daggr.records import FileValue

__all__ = [
    "AnnotatedImage",
    "Audio",
    "Chatbot",
    "Checkbox",
    "CheckboxGroup",
    "Code",
    "ColorPicker",
    "Component",
    "Dataframe",
    "Dialogue",
    "Dropdown",
    "File",
    "Gallery",
    "HTML",
    "HighlightedText",
    "Image",
    "JSON",
    "Label",
    "Markdown",
    "Model3D",
    "Number",
    "Plot",
    "Radio",
    "Slider",
    "Text",
    "TextArea",
    "Textbox",
    "Video",
    "as_component",
    "examples_dir",
    "is_component",
]

# Keyword arguments every gradio component accepts, with gradio's defaults.
_COMMON: dict[str, Any] = {
    "label": None,
    "info": None,
    "visible": True,
    "interactive": None,
    "show_label": None,
}

_REGISTRY: dict[str, type[Component]] = {}


class Component:
    """A UI component spec; the generic base also stands in for unknown gradio classes.

    Subclasses only declare tables: ``options`` (type-specific parameters with gradio's
    names and defaults, in gradio's order) and ``positional`` (which of them, with
    ``value``, may be passed positionally, as in gradio). Every parameter becomes an
    attribute, like on a gradio component; unknown keyword arguments are kept in
    ``extra`` so that code written for gradio constructs unchanged.

    Example::

        >>> Textbox("cat", label="Prompt")
        Textbox(label='Prompt', value='cat')
    """

    kind: ClassVar[str] = "text"
    is_file: ClassVar[bool] = False
    component: str = "Component"
    positional: ClassVar[tuple[str, ...]] = ("value",)
    options: ClassVar[dict[str, Any]] = {}
    _show_label_default: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.component = cls.__name__
        cls.__signature__ = cls._build_signature()
        if cls.__module__ == __name__ and not cls.__name__.startswith("_"):
            _REGISTRY[cls.__name__] = cls

    @classmethod
    def _build_signature(cls) -> inspect.Signature:
        # A real signature keeps notebook tab-completion and help() as useful as gradio's.
        P = inspect.Parameter
        defaults = {"value": None, **cls.options}
        params = [P(n, P.POSITIONAL_OR_KEYWORD, default=defaults[n]) for n in cls.positional]
        params += [
            P(n, P.KEYWORD_ONLY, default=d) for n, d in defaults.items() if n not in cls.positional
        ]
        params += [P(n, P.KEYWORD_ONLY, default=d) for n, d in _COMMON.items()]
        params.append(P("kwargs", P.VAR_KEYWORD))
        return inspect.Signature(params)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        bound = type(self).__signature__.bind(*args, **kwargs)
        bound.apply_defaults()
        params = dict(bound.arguments)
        self.extra: dict[str, Any] = params.pop("kwargs")
        for name, value in params.items():
            setattr(self, name, value)
        if "choices" in self.options:
            self.choices = _normalise_choices(self.choices)
        type_ = getattr(self, "type", None)
        if self.is_file and type_ not in (None, "filepath"):
            _warn_file_type(self.component, type_, stacklevel=3)

    def __repr__(self) -> str:
        parts = []
        if self.label is not None:
            parts.append(f"label={self.label!r}")
        if self.value is not None:
            parts.append(f"value={reprlib.repr(self.value)}")
        for name, default in self.options.items():
            value = getattr(self, name)
            if value != default and not (default is None and _is_empty(value)):
                parts.append(f"{name}={reprlib.repr(value)}")
        return f"{self.component}({', '.join(parts)})"

    def default_value(self) -> Any:
        """The value the component starts with, as a node would receive it.

        A callable ``value`` is called (gradio calls it on every page load); for file
        components a gradio file dict or ``Path`` becomes a :class:`FileValue` path, a
        PIL image or ``(rate, samples)`` a saved PNG or WAV file, and anything else ``None``.
        """
        value = self.value() if callable(self.value) else self.value
        return _file_default(value) if self.is_file else value

    def example_value(self) -> Any:
        """A plausible value for trying a node out, made offline.

        The component's own default when it has one, else a generated value; file
        components return :class:`FileValue` paths to small files under
        :func:`examples_dir`.

        Example::

            >>> Slider(0, 10).example_value()
            5
        """
        value = self.default_value()
        if _is_empty(value) or (self.is_file and _is_remote(value)):
            return self._example()
        return value

    def _example(self) -> Any:
        return None if self.is_file else "Hello, world!"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable description for the canvas and ``/api/schema``.

        Example::

            >>> Slider(0, 10, label="Steps").to_dict()["props"]["maximum"]
            10
        """
        show_label = self._show_label_default if self.show_label is None else self.show_label
        props: dict[str, Any] = {
            "label": self.label,
            "show_label": show_label,
            "interactive": self.interactive,
            "visible": self.visible,
            "info": self.info,
        }
        for name in self.options:
            # Files always travel as paths, so gradio's `type` means nothing to the canvas.
            if not (self.is_file and name == "type"):
                props[name] = _jsonable(getattr(self, name))
        value = None if callable(self.value) else self.value
        value = _file_default(value) if self.is_file else value
        return {
            "component": self.component,
            "kind": self.kind,
            "props": props,
            "value": _jsonable(value),
        }


Component.__signature__ = Component._build_signature()  # type: ignore[misc]


# --- Text and numbers --------------------------------------------------------------------


class Textbox(Component):
    """Single- or multi-line text. Example: ``Textbox("cat", label="Prompt", lines=3)``."""

    kind = "textbox"
    options = {"type": "text", "lines": 1, "max_lines": None, "placeholder": None}


Text = Textbox


class TextArea(Textbox):
    """Multi-line text (a Textbox with more lines). Example: ``TextArea(label="Story")``."""

    kind = "textarea"
    options = {**Textbox.options, "lines": 7, "max_lines": 20}

    def _example(self) -> Any:
        return "Hello, world!\nThis is a second line."


class Number(Component):
    """A number. Example: ``Number(7, minimum=0, maximum=10, precision=0)``."""

    kind = "number"
    options = {"minimum": None, "maximum": None, "step": 1, "precision": None, "placeholder": None}

    def _example(self) -> Any:
        lo, hi = self.minimum, self.maximum
        x = (lo + hi) / 2 if lo is not None and hi is not None else lo if lo is not None else hi
        x = 42 if x is None else x
        return (
            int(round(x))
            if self.precision == 0 or float(x).is_integer()
            else round(x, self.precision or 6)
        )


class Slider(Component):
    """A number picked on a range. Example: ``Slider(1, 50, value=20, step=1, label="Steps")``."""

    kind = "slider"
    positional = ("minimum", "maximum", "value")
    options = {"minimum": 0, "maximum": 100, "step": None, "precision": None}

    def _example(self) -> Any:
        step = self.step or 1
        x = self.minimum + round((self.maximum - self.minimum) / 2 / step) * step
        return int(x) if float(x).is_integer() else round(x, 10)


class Checkbox(Component):
    """A boolean. Example: ``Checkbox(True, label="Upscale")``."""

    kind = "checkbox"

    def _example(self) -> Any:
        return True


class ColorPicker(Component):
    """A colour as a hex string. Example: ``ColorPicker("#00ff00")``."""

    kind = "colorpicker"

    def _example(self) -> Any:
        return "#ff0000"


# --- Choices -----------------------------------------------------------------------------


class _Choices(Component):
    positional = ("choices", "value")
    options: ClassVar[dict[str, Any]] = {"choices": None, "type": "value"}

    def _first(self) -> Any:
        return self.choices[0][1] if self.choices else None


class Dropdown(_Choices):
    """Pick one (or several) of ``choices``: plain values or ``(label, value)`` pairs.

    Example: ``Dropdown(["cat", ("A dog", "dog")], value="cat", multiselect=False)``.
    """

    kind = "dropdown"
    options = {
        **_Choices.options,
        "multiselect": None,
        "allow_custom_value": False,
        "max_choices": None,
        "filterable": True,
    }

    def _example(self) -> Any:
        first = self._first()
        return ([first] if first is not None else []) if self.multiselect else first


class Radio(_Choices):
    """Pick one of ``choices``. Example: ``Radio(["low", "high"], value="low")``."""

    kind = "radio"

    def _example(self) -> Any:
        return self._first()


class CheckboxGroup(_Choices):
    """Pick any of ``choices``. Example: ``CheckboxGroup(["a", "b"], value=["a"])``."""

    kind = "checkboxgroup"

    def _example(self) -> Any:
        return [] if self._first() is None else [self._first()]


# --- Files (they always travel as FileValue paths) ---------------------------------------


class Image(Component):
    """An image file. Example: ``Image(label="Photo", height=256)``."""

    kind = "image"
    is_file = True
    options = {
        "height": None,
        "width": None,
        "image_mode": "RGB",
        "sources": None,
        "type": None,
        "placeholder": None,
    }

    def _example(self) -> Any:
        return _example_png()


class Audio(Component):
    """An audio file. Example: ``Audio(label="Speech", sources=["upload", "microphone"])``."""

    kind = "audio"
    is_file = True
    options = {"sources": None, "type": None}

    def _example(self) -> Any:
        return _example_wav()


class Video(Component):
    """A video file. Example: ``Video(label="Clip", format="mp4")``.

    Its example value is ``None``: the standard library cannot encode a format that a
    browser plays (MP4/WebM need video codecs), so pass a real clip to ``node.test()``.
    """

    kind = "video"
    is_file = True
    options = {"format": None, "sources": None, "height": None, "width": None}


class File(Component):
    """One file or several (``file_count="multiple"``). Example: ``File(file_types=[".txt"])``."""

    kind = "file"
    is_file = True
    options = {"file_count": "single", "file_types": None, "type": None}

    def _example(self) -> Any:
        types = " ".join(self.file_types or []).lower()
        if "image" in types or ".png" in types or ".jp" in types:
            path = _example_png()
        elif "audio" in types or ".wav" in types:
            path = _example_wav()
        else:
            path = _example_file("example.txt", b"Hello from daggr!\n")
        return path if self.file_count == "single" else [path]


class Gallery(Component):
    """A list of images. Example: ``Gallery(columns=3, height=300)``."""

    kind = "gallery"
    is_file = True
    options = {"columns": 2, "height": None, "type": None}

    def _example(self) -> Any:
        return [_example_png(variant) for variant in range(3)]


class Model3D(Component):
    """A 3D model file (.obj, .glb, .gltf). Example: ``Model3D(label="Mesh")``."""

    kind = "model3d"
    is_file = True
    options = {"height": None}

    def _example(self) -> Any:
        return _example_file("example.obj", _OBJ_TETRAHEDRON)


class AnnotatedImage(Component):
    """A picture with labelled boxes or masks, as ``(image, [(box or mask, label), ...])``
    where a box is ``(x1, y1, x2, y2)`` and a mask an array of 0..1 the picture's size.

    Example: ``AnnotatedImage(label="Detections")``.
    """

    kind = "annotatedimage"
    options = {"show_legend": True, "height": None, "width": None, "color_map": None}


class Plot(Component):
    """A chart: a matplotlib figure, a plotly figure or an altair chart.

    Example: ``Plot(label="Loss")``.
    """

    kind = "plot"
    options = {"format": "webp"}


# --- Structured and rich values -----------------------------------------------------------


class JSON(Component):
    """Any JSON-able value. Example: ``JSON({"seed": 42}, label="Metadata")``."""

    kind = "json"

    def _example(self) -> Any:
        return {"message": "Hello, world!", "count": 1}


class Markdown(Component):
    """Markdown text. Example: ``Markdown("# Title")``."""

    kind = "markdown"
    _show_label_default = False

    def _example(self) -> Any:
        return "**Hello**, world!"


class HTML(Component):
    """An HTML snippet. Example: ``HTML("<b>Done</b>")``."""

    kind = "html"
    _show_label_default = False

    def _example(self) -> Any:
        return "<p>Hello, <b>world</b>!</p>"


class Code(Component):
    """Source code. Example: ``Code("print(1)", "python", lines=10)``."""

    kind = "code"
    positional = ("value", "language")
    options = {"language": None, "lines": 5, "max_lines": None}

    def _example(self) -> Any:
        return 'print("Hello, world!")' if self.language in (None, "python") else "Hello, world!"


class Label(Component):
    """A classification result. Example: ``Label(num_top_classes=3)``."""

    kind = "label"
    options = {"num_top_classes": None}

    def _example(self) -> Any:
        confidences = [{"label": "cat", "confidence": 0.9}, {"label": "dog", "confidence": 0.1}]
        return {"label": "cat", "confidences": confidences}


class Dataframe(Component):
    """A table, as ``{"headers": [...], "data": [[...], ...]}``.

    Example: ``Dataframe(headers=["name", "score"], datatype=["str", "number"])``.
    """

    kind = "dataframe"
    options = {"headers": None, "row_count": None, "col_count": None, "datatype": "str"}

    def example_value(self) -> Any:
        value = self.default_value()
        if isinstance(value, dict) and not value.get("data"):
            headers = value.get("headers") or self.headers  # gradio's empty-table default
        elif not _is_empty(value):
            return value
        else:
            headers = self.headers
        if not headers:
            count = (
                self.col_count[0] if isinstance(self.col_count, (list, tuple)) else self.col_count
            )
            headers = [str(i + 1) for i in range(count or 2)]
        types = (self.datatype if isinstance(self.datatype, list) else [self.datatype]) or ["str"]
        samples = {"number": [1, 2], "bool": [True, False], "date": ["2024-01-01", "2024-01-02"]}
        # gradio reuses the last datatype for any columns beyond the list.
        columns = [
            samples.get(types[min(i, len(types) - 1)], ["a", "b"]) for i in range(len(headers))
        ]
        return {"headers": list(headers), "data": [list(row) for row in zip(*columns, strict=True)]}


class HighlightedText(Component):
    """Text spans with labels, as ``[[text, label_or_None], ...]``.

    Example: ``HighlightedText(color_map={"PER": "green"})``.
    """

    kind = "highlightedtext"
    options = {"color_map": None, "show_legend": False}

    def _example(self) -> Any:
        return [["Ada Lovelace", "PER"], [" was born in ", None], ["London", "LOC"]]


class Chatbot(Component):
    """A conversation, as messages ``{"role", "content"}``. Example: ``Chatbot(height=300)``.

    Its kind is ``"json"`` (as in the original); ``to_dict()["component"]`` stays
    ``"Chatbot"`` for a canvas that wants a dedicated renderer.
    """

    kind = "json"
    options = {"type": "messages", "height": 400, "placeholder": None}

    def _example(self) -> Any:
        if self.type == "tuples":
            return [["Hello!", "Hi! How can I help?"]]
        return [
            {"role": "user", "content": "Hello!"},
            {"role": "assistant", "content": "Hi! How can I help?"},
        ]


class Dialogue(Component):
    """Lines of a script, as ``[{"speaker", "text"}, ...]``.

    Example: ``Dialogue(speakers=["Host", "Guest"])``.
    """

    kind = "dialogue"
    options = {"speakers": None, "color_map": None, "placeholder": None}

    def _example(self) -> Any:
        first, second = (list(self.speakers or []) + ["Speaker 1", "Speaker 2"])[:2]
        return [{"speaker": first, "text": "Hello!"}, {"speaker": second, "text": "Hi there!"}]


# --- gradio interop -----------------------------------------------------------------------

# gradio classes we have no spec for, whose values are files nonetheless.
_GRADIO_FILE_CLASSES = {"ImageEditor", "ImageSlider"}
_converted: weakref.WeakKeyDictionary[Any, Component] = weakref.WeakKeyDictionary()
_converted_lock = threading.Lock()


def is_component(obj: Any) -> bool:
    """Whether ``obj`` is a daggr component spec or a real gradio component.

    Example::

        >>> is_component(Textbox()), is_component("text")
        (True, False)
    """
    return isinstance(obj, Component) or _is_gradio_component(obj)


def as_component(obj: Any) -> Component | None:
    """The daggr spec for ``obj``: itself if it already is one, a converted copy of a
    gradio component (the same spec every time for the same gradio object, so a shared
    component stays one user input), else ``None``.

    Example::

        >>> import gradio
        >>> box = gradio.Textbox(label="Prompt")
        >>> as_component(box) is as_component(box)
        True
    """
    if isinstance(obj, Component):
        return obj
    if not _is_gradio_component(obj):
        return None
    with _converted_lock:
        spec = _converted.get(obj)
        if spec is None:
            spec = _converted[obj] = _from_gradio(obj)
    return spec


def _is_gradio_component(obj: Any) -> bool:
    # Decided from class names and modules alone: importing gradio costs seconds.
    module = type(obj).__module__
    if not module.startswith("gradio") or module.startswith("gradio_client"):
        return False
    return any(
        k.__name__ == "Component" and k.__module__.startswith("gradio") for k in type(obj).__mro__
    )


def _from_gradio(obj: Any) -> Component:
    mro = type(obj).__mro__
    cls = next((_REGISTRY[k.__name__] for k in mro if k.__name__ in _REGISTRY), Component)
    # gradio records the arguments the user actually passed; its `.value` has been
    # post-processed (files copied to its cache, chat messages rewritten) and its `.type`
    # defaults to "numpy" for images, which the user never chose.
    recorded = getattr(obj, "_constructor_args", None)
    explicit = (
        recorded[0]
        if isinstance(recorded, list) and recorded and isinstance(recorded[0], dict)
        else {}
    )
    kwargs: dict[str, Any] = {}
    for name in cls.__signature__.parameters:
        if name == "value":
            kwargs[name] = explicit["value"] if "value" in explicit else getattr(obj, "value", None)
        elif name == "type" and cls.is_file:
            kwargs[name] = explicit.get("type")
        elif name != "kwargs" and hasattr(obj, name):
            kwargs[name] = getattr(obj, name)
    spec = cls(**kwargs)
    if cls is Component:
        spec.component = type(obj).__name__
        if any(k.__name__ in _GRADIO_FILE_CLASSES for k in mro):
            spec.is_file = True  # type: ignore[misc]
    return spec


def _warn_file_type(component: str, type_: Any, stacklevel: int) -> None:
    warnings.warn(
        f"daggr ignores the `type` parameter of {component} (type={type_!r}): files travel "
        "between nodes as file paths, so your function receives a path string, as with "
        "type='filepath'. Remove `type=` (or use type='filepath') to silence this warning.",
        UserWarning,
        stacklevel=stacklevel,
    )


# --- values --------------------------------------------------------------------------------


def _normalise_choices(choices: Any) -> list[tuple[Any, Any]]:
    pairs = []
    for choice in choices or []:
        if isinstance(choice, (tuple, list)) and len(choice) == 2:
            pairs.append((choice[0], choice[1]))
        else:
            pairs.append((str(choice), choice))
    return pairs


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, tuple, dict)) and len(value) == 0)


def _is_remote(value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(str(v).startswith(("http://", "https://", "data:")) for v in values)


def _as_path(value: Any) -> FileValue | None:
    saved = _saved_media(value)
    if saved is not None:
        return saved
    if isinstance(value, (str, os.PathLike)):
        return FileValue(os.fspath(value))
    if isinstance(value, dict):  # a gradio FileData dict or a gallery item {"image": {...}}
        inner = value.get("path") or value.get("image") or value.get("video")
        return None if inner is None else _as_path(inner)
    if isinstance(value, tuple) and value:  # a gallery (path, caption) pair
        return _as_path(value[0])
    return None


def _saved_media(value: Any) -> FileValue | None:
    """A picture (PIL, numpy) or ``(rate, samples)`` sound given as a file component's
    value, saved once as a PNG or WAV file so that it shows like any file."""
    from daggr.values import audio, images

    if images.is_pil(value) or images.is_image(value, declared=True):
        data, ext = images.png(value), ".png"
    elif audio.is_rate_and_samples(value):
        data, ext = audio.wav(*value), ".wav"
    else:
        return None
    return _example_file(f"value-{hashlib.sha256(data).hexdigest()[:24]}{ext}", data)


def _file_default(value: Any) -> Any:
    if isinstance(value, list):
        return [p for p in map(_as_path, value) if p is not None]
    return _as_path(value)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None  # NaN is not JSON for the browser
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "model_dump"):  # gradio's pydantic data models
        return _jsonable(value.model_dump())
    if hasattr(value, "columns") and hasattr(value, "values"):  # a pandas DataFrame
        return {
            "headers": [str(c) for c in value.columns],
            "data": _jsonable(value.values.tolist()),
        }
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return _jsonable(value.tolist())
    return None


# --- example files --------------------------------------------------------------------------


def examples_dir() -> Path:
    """Where generated example files live: ``$DAGGR_HOME/examples``.

    ``DAGGR_HOME`` defaults to ``$HF_HOME/daggr`` (``HF_HOME`` as huggingface_hub
    resolves it). Created on first use.

    Example::

        >>> examples_dir().name
        'examples'
    """
    from daggr.home import daggr_home

    path = daggr_home() / "examples"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _example_file(name: str, data: bytes) -> FileValue:
    path = examples_dir() / name
    if not path.exists():
        # Write-then-rename so a concurrent reader never sees half a file.
        tmp = path.with_name(f".{name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return FileValue(str(path))


def _example_png(variant: int = 0, width: int = 64, height: int = 48) -> FileValue:
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # filter type "None" for each scanline
        for x in range(width):
            rgb = (x * 255 // (width - 1), y * 255 // (height - 1), 160)
            row += bytes(rgb[(i + variant) % 3] for i in range(3))
        rows.append(bytes(row))

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    png += chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b"")
    return _example_file(f"example_{variant}.png", png)


def _example_wav(seconds: float = 0.5, rate: int = 16000, hz: float = 440.0) -> FileValue:
    count = int(seconds * rate)
    samples = array("h", (int(8000 * math.sin(2 * math.pi * hz * i / rate)) for i in range(count)))
    if sys.byteorder == "big":
        samples.byteswap()  # WAV samples are little-endian
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return _example_file("example.wav", buffer.getvalue())


_OBJ_TETRAHEDRON = b"""# daggr example model: a tetrahedron
v 0 0 0
v 1 0 0
v 0 1 0
v 0 0 1
f 1 3 2
f 1 2 4
f 1 4 3
f 2 3 4
"""
