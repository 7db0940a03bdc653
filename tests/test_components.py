"""Tests for daggr.components: gradio-like component specs."""

from __future__ import annotations

import inspect
import json
import math
import os
import struct
import subprocess
import sys
import warnings
import wave
import zlib
from pathlib import Path

import pytest

import daggr.components as dc
from daggr.records import FileValue

ROOT = Path(__file__).resolve().parents[1]

CLASSES = [
    getattr(dc, name)
    for name in dc.__all__
    if isinstance(getattr(dc, name), type) and name != "Text"
]
FILE_CLASSES = {dc.Image, dc.Audio, dc.Video, dc.File, dc.Gallery, dc.Model3D}

EXPECTED_KINDS = {
    "AnnotatedImage": "annotatedimage",
    "Audio": "audio",
    "Chatbot": "json",
    "Checkbox": "checkbox",
    "CheckboxGroup": "checkboxgroup",
    "Code": "code",
    "ColorPicker": "colorpicker",
    "Component": "text",
    "Dataframe": "dataframe",
    "Dialogue": "dialogue",
    "Dropdown": "dropdown",
    "File": "file",
    "Gallery": "gallery",
    "HTML": "html",
    "HighlightedText": "highlightedtext",
    "Image": "image",
    "JSON": "json",
    "Label": "label",
    "Markdown": "markdown",
    "Model3D": "model3d",
    "Number": "number",
    "Plot": "plot",
    "Radio": "radio",
    "Slider": "slider",
    "Text": "textbox",
    "TextArea": "textarea",
    "Textbox": "textbox",
    "Video": "video",
}

COMMON = dict(label="My label", info="Some help", visible=False, interactive=True, show_label=False)

# A plausible first-positional value per class, passed the way gradio users do.
SAMPLE_VALUES = {
    dc.AnnotatedImage: ("cat.png", [((1, 2, 30, 40), "cat")]),
    dc.Audio: "speech.wav",
    dc.Chatbot: [{"role": "user", "content": "hi"}],
    dc.Checkbox: True,
    dc.Code: "x = 1",
    dc.ColorPicker: "#123456",
    dc.Component: "anything",
    dc.Dataframe: {"headers": ["a"], "data": [[1]]},
    dc.Dialogue: [{"speaker": "A", "text": "hi"}],
    dc.File: "notes.txt",
    dc.Gallery: ["a.png", "b.png"],
    dc.HTML: "<b>x</b>",
    dc.HighlightedText: [["Paris", "LOC"]],
    dc.Image: "cat.png",
    dc.JSON: {"a": [1, 2]},
    dc.Label: {"cat": 0.9},
    dc.Markdown: "# Title",
    dc.Model3D: "mesh.obj",
    dc.Number: 3.5,
    dc.Plot: None,
    dc.TextArea: "long\ntext",
    dc.Textbox: "hello",
    dc.Video: "clip.mp4",
}


@pytest.fixture(autouse=True)
def daggr_home(tmp_path, monkeypatch):
    home = tmp_path / "daggr_home"
    monkeypatch.setenv("DAGGR_HOME", str(home))
    return home


@pytest.fixture(scope="module")
def gradio():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("GRADIO_ANALYTICS_ENABLED", "False")
        import gradio

        yield gradio


def make(cls):
    """An instance with a value set, whatever the class's positional order."""
    if cls is dc.Slider:
        return cls(0, 10, 4, step=2, **COMMON)
    if cls in (dc.Dropdown, dc.Radio, dc.CheckboxGroup):
        value = ["b"] if cls is dc.CheckboxGroup else "b"
        return cls(["a", ("Bee", "b")], value, **COMMON)
    return cls(SAMPLE_VALUES[cls], **COMMON)


# --- construction -------------------------------------------------------------------------


def test_every_public_class_is_covered():
    assert {c.__name__ for c in CLASSES} | {"Text"} == set(EXPECTED_KINDS)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_constructs_with_common_kwargs_and_positional_value(cls):
    comp = make(cls)
    for name, value in COMMON.items():
        assert getattr(comp, name) == value
    if cls.positional[0] == "value":
        assert comp.value == SAMPLE_VALUES[cls]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_unknown_gradio_kwargs_are_tolerated_and_kept(cls):
    comp = cls(elem_id="box", scale=2, min_width=100, every=None)
    assert comp.extra == {"elem_id": "box", "scale": 2, "min_width": 100, "every": None}


def test_defaults_follow_gradio():
    assert (dc.Slider().minimum, dc.Slider().maximum) == (0, 100)
    assert (dc.Textbox().lines, dc.TextArea().lines, dc.TextArea().max_lines) == (1, 7, 20)
    assert dc.Number().step == 1
    assert dc.Dropdown().filterable is True and dc.Dropdown().allow_custom_value is False
    assert dc.File().file_count == "single"
    assert dc.Gallery().columns == 2
    assert dc.Chatbot().type == "messages"
    assert dc.Code().lines == 5


def test_positional_order_follows_gradio():
    slider = dc.Slider(1, 50, 20, step=1)
    assert (slider.minimum, slider.maximum, slider.value) == (1, 50, 20)
    assert dc.Dropdown(["x", "y"], "y").value == "y"
    code = dc.Code("print(1)", "python")
    assert (code.value, code.language) == ("print(1)", "python")
    assert list(inspect.signature(dc.Textbox).parameters)[0] == "value"
    assert "lines" in inspect.signature(dc.Textbox).parameters


def test_too_many_positional_arguments_raise():
    with pytest.raises(TypeError):
        dc.Textbox("a", "b")


def test_text_is_textbox():
    assert dc.Text is dc.Textbox
    assert dc.Text("hi").to_dict()["component"] == "Textbox"


def test_components_compare_by_identity():
    # A shared instance is one user input; two equal-looking ones are two inputs.
    a, b = dc.Textbox(label="x"), dc.Textbox(label="x")
    assert a != b and len({a, b}) == 2


def test_repr_is_readable():
    assert repr(dc.Textbox("cat", label="Prompt")) == "Textbox(label='Prompt', value='cat')"
    assert repr(dc.Slider(1, 5)) == "Slider(minimum=1, maximum=5)"
    assert repr(dc.Image()) == "Image()"
    assert len(repr(dc.Textbox("x" * 10_000))) < 100


# --- kinds and descriptions ---------------------------------------------------------------


@pytest.mark.parametrize("name,kind", sorted(EXPECTED_KINDS.items()))
def test_kind(name, kind):
    assert getattr(dc, name)().kind == kind


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_is_file(cls):
    assert cls().is_file is (cls in FILE_CLASSES)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_to_dict_is_json_and_describes_the_component(cls):
    for comp in (cls(), make(cls)):
        desc = json.loads(json.dumps(comp.to_dict(), allow_nan=False))
        assert desc["component"] == cls.__name__
        assert desc["kind"] == comp.kind
        assert {"label", "show_label", "interactive", "visible"} <= set(desc["props"])
        assert set(cls.options) - {"type"} <= set(desc["props"])
    assert desc["props"]["label"] == "My label"
    assert desc["props"]["show_label"] is False


def test_to_dict_props_of_common_components():
    props = dc.Textbox(lines=3, max_lines=6, placeholder="Type here").to_dict()["props"]
    assert (props["lines"], props["max_lines"], props["placeholder"]) == (3, 6, "Type here")
    assert "choices" not in props and "minimum" not in props
    props = dc.Slider(1, 9, step=0.5).to_dict()["props"]
    assert (props["minimum"], props["maximum"], props["step"]) == (1, 9, 0.5)
    assert dc.Markdown().to_dict()["props"]["show_label"] is False
    assert dc.Textbox().to_dict()["props"]["show_label"] is True


def test_file_components_describe_paths_not_payloads():
    assert "type" not in dc.Image().to_dict()["props"]
    assert dc.Image(Path("/tmp/cat.png")).to_dict()["value"] == "/tmp/cat.png"
    assert dc.Image({"path": "/tmp/cat.png", "url": "/x"}).to_dict()["value"] == "/tmp/cat.png"
    assert dc.Image(b"\x89PNG" + b"\0" * 100_000).to_dict()["value"] is None
    gallery = dc.Gallery([("/tmp/a.png", "caption"), {"image": {"path": "/tmp/b.png"}}])
    assert gallery.to_dict()["value"] == ["/tmp/a.png", "/tmp/b.png"]
    assert dc.Image("/tmp/cat.png").default_value() == FileValue("/tmp/cat.png")
    assert isinstance(dc.Image("/tmp/cat.png").default_value(), FileValue)


def test_to_dict_never_emits_nan_or_calls_value_functions():
    calls = []

    def now():
        calls.append(1)
        return "later"

    comp = dc.Textbox(now)
    assert comp.to_dict()["value"] is None and calls == []
    assert comp.default_value() == "later" and comp.example_value() == "later"
    assert dc.Number(math.nan).to_dict()["value"] is None
    json.dumps(dc.JSON({"x": (1, 2), 3: {4}}).to_dict(), allow_nan=False)


def test_choices_are_normalised_to_label_value_pairs():
    dd = dc.Dropdown(["a", ("Bee", "b"), ["Sea", "c"], 4])
    assert dd.choices == [("a", "a"), ("Bee", "b"), ("Sea", "c"), ("4", 4)]
    assert dd.to_dict()["props"]["choices"] == [["a", "a"], ["Bee", "b"], ["Sea", "c"], ["4", 4]]
    assert dc.Radio().to_dict()["props"]["choices"] == []
    assert dc.CheckboxGroup(choices=[1, 2]).choices == [("1", 1), ("2", 2)]


# --- file-type warning --------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_comp",
    [
        lambda: dc.Image(type="numpy"),
        lambda: dc.Image(type="pil"),
        lambda: dc.Audio(type="numpy"),
        lambda: dc.File(type="binary"),
        lambda: dc.Gallery(type="pil"),
    ],
)
def test_type_on_file_component_warns(make_comp):
    with pytest.warns(UserWarning, match=r"^daggr ignores the `type` parameter") as record:
        make_comp()
    assert "file path" in str(record[0].message)
    assert record[0].filename == __file__  # points at the user's line


@pytest.mark.parametrize(
    "make_comp",
    [
        lambda: dc.Image(),
        lambda: dc.Image(type="filepath", label="x"),
        lambda: dc.Audio(type=None),
        lambda: dc.File(),
        lambda: dc.Textbox(type="password"),
        lambda: dc.Dropdown(["a"], type="index"),
    ],
)
def test_no_type_warning_when_unset_or_filepath(make_comp):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make_comp()
    assert caught == []


# --- example values -----------------------------------------------------------------------


def read_png(path):
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = {}, 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        tag, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(tag + body) & 0xFFFFFFFF, tag
        chunks[tag] = chunks.get(tag, b"") + body
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, color) == (8, 2)
    assert len(zlib.decompress(chunks[b"IDAT"])) == height * (1 + 3 * width)
    assert b"IEND" in chunks
    return width, height


def test_image_example_is_a_valid_png_in_daggr_home(daggr_home):
    comp = dc.Image()
    assert not daggr_home.exists()  # nothing is written until an example is asked for
    path = comp.example_value()
    assert isinstance(path, FileValue)
    assert Path(path).parent == daggr_home / "examples"
    width, height = read_png(path)
    assert width > 1 and height > 1
    from PIL import Image as PILImage

    with PILImage.open(path) as img:
        img.load()
        assert img.size == (width, height)


def test_example_dir_defaults_under_hf_home(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGGR_HOME")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    assert dc.Image().example_value().startswith(str(tmp_path / "hf" / "daggr" / "examples"))


def test_audio_example_is_a_valid_wav():
    path = dc.Audio().example_value()
    assert isinstance(path, FileValue) and path.endswith(".wav")
    with wave.open(path) as wav:
        assert wav.getnchannels() == 1 and wav.getsampwidth() == 2
        assert 0.1 <= wav.getnframes() / wav.getframerate() <= 5
        assert any(wav.readframes(wav.getnframes()))  # not silence


def test_gallery_example_is_several_distinct_images():
    paths = dc.Gallery().example_value()
    assert len(paths) >= 2 and len(set(paths)) == len(paths)
    assert all(isinstance(p, FileValue) for p in paths)
    assert len({Path(p).read_bytes() for p in paths}) == len(paths)
    for p in paths:
        read_png(p)


def test_file_and_model3d_examples_are_real_files():
    txt = dc.File().example_value()
    assert isinstance(txt, FileValue) and Path(txt).read_text().strip()
    multiple = dc.File(file_count="multiple").example_value()
    assert isinstance(multiple, list) and all(os.path.isfile(p) for p in multiple)
    assert dc.File(file_types=["image"]).example_value().endswith(".png")
    assert dc.File(file_types=[".wav"]).example_value().endswith(".wav")
    obj = dc.Model3D().example_value()
    assert isinstance(obj, FileValue) and obj.endswith(".obj")
    lines = Path(obj).read_text().splitlines()
    vertices = [ln for ln in lines if ln.startswith("v ")]
    faces = [ln for ln in lines if ln.startswith("f ")]
    assert len(vertices) >= 3 and faces
    assert all(1 <= int(i) <= len(vertices) for f in faces for i in f.split()[1:])


def test_video_example_is_none_without_a_default():
    assert dc.Video().example_value() is None
    assert dc.Video("/tmp/clip.mp4").example_value() == "/tmp/clip.mp4"


def test_examples_are_reused_not_rewritten():
    first = dc.Image().example_value()
    mtime = os.stat(first).st_mtime_ns
    assert dc.Image().example_value() == first
    assert os.stat(first).st_mtime_ns == mtime


def test_example_prefers_the_components_own_value():
    assert dc.Textbox("cat").example_value() == "cat"
    assert dc.Number(0).example_value() == 0
    assert dc.Checkbox(False).example_value() is False
    assert dc.Image("/data/cat.png").example_value() == "/data/cat.png"
    # A remote default is no use offline: generate a local file instead.
    assert os.path.isfile(dc.Image("https://example.com/cat.png").example_value())
    assert dc.Slider(0, 10, 7).example_value() == 7


def test_example_shapes():
    assert isinstance(dc.Textbox().example_value(), str) and dc.Textbox().example_value()
    assert "\n" in dc.TextArea().example_value()
    assert dc.Number(minimum=10, maximum=20).example_value() == 15
    assert dc.Number(minimum=0, maximum=1, precision=0).example_value() in (0, 1)
    assert isinstance(dc.Number().example_value(), (int, float))
    assert dc.Slider(0, 10).example_value() == 5
    assert dc.Slider(0, 1, step=0.25).example_value() == 0.5
    assert dc.Slider(2, 9, step=3).example_value() in (2, 5, 8)
    assert isinstance(dc.Checkbox().example_value(), bool)
    assert dc.Dropdown([("Bee", "b"), "c"]).example_value() == "b"
    assert dc.Dropdown(["x", "y"], multiselect=True).example_value() == ["x"]
    assert dc.Radio(["x", "y"]).example_value() == "x"
    assert dc.CheckboxGroup(["x", "y"]).example_value() == ["x"]
    assert dc.ColorPicker().example_value() == "#ff0000"
    assert isinstance(dc.JSON().example_value(), dict)
    df = dc.Dataframe(headers=["name", "age"], datatype=["str", "number"]).example_value()
    assert df["headers"] == ["name", "age"] and df["data"]
    assert all(len(row) == 2 and isinstance(row[1], (int, float)) for row in df["data"])
    df = dc.Dataframe(headers=["a", "b", "c"], datatype=["number"]).example_value()
    assert all(row == [row[0]] * 3 and isinstance(row[0], int) for row in df["data"])
    assert len(dc.Dataframe(col_count=3).example_value()["headers"]) == 3
    label = dc.Label().example_value()
    assert label["label"] in {c["label"] for c in label["confidences"]}
    spans = dc.HighlightedText().example_value()
    assert all(len(span) == 2 and isinstance(span[0], str) for span in spans)
    chat = dc.Chatbot().example_value()
    assert chat and all(set(m) == {"role", "content"} for m in chat)
    assert {m["role"] for m in chat} <= {"user", "assistant", "system"}
    for cls in (dc.Markdown, dc.HTML, dc.Code):
        assert isinstance(cls().example_value(), str) and cls().example_value()
    lines = dc.Dialogue(speakers=["Host", "Guest"]).example_value()
    assert [line["speaker"] for line in lines] == ["Host", "Guest"]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_example_values_are_json_able_and_offline(cls):
    value = cls().example_value()
    text = json.dumps(value)
    assert "http" not in text and "data:" not in text


# --- gradio interop -----------------------------------------------------------------------


def test_as_component_and_is_component_on_plain_objects():
    box = dc.Textbox()
    assert dc.as_component(box) is box
    assert dc.is_component(box)
    for obj in ("Textbox", 3, None, dc.Textbox, {"component": "Textbox"}):
        assert dc.as_component(obj) is None and not dc.is_component(obj)


@pytest.mark.slow  # imports gradio in this process (seconds)
def test_gradio_components_convert_with_their_settings(gradio):
    box = dc.as_component(gradio.Textbox("hi", label="Prompt", lines=3, placeholder="Type"))
    assert isinstance(box, dc.Textbox)
    assert (box.value, box.label, box.lines, box.placeholder) == ("hi", "Prompt", 3, "Type")

    slider = dc.as_component(gradio.Slider(1, 10, value=3, step=0.5, label="Steps"))
    assert isinstance(slider, dc.Slider)
    assert (slider.minimum, slider.maximum, slider.step, slider.value) == (1, 10, 0.5, 3)

    dropdown = dc.as_component(gradio.Dropdown(["a", ("Bee", "b")], value="b", label="Pick"))
    assert isinstance(dropdown, dc.Dropdown)
    assert dropdown.to_dict()["props"]["choices"] == [["a", "a"], ["Bee", "b"]]
    assert (dropdown.value, dropdown.label) == ("b", "Pick")

    radio = dc.as_component(gradio.Radio([("One", 1), ("Two", 2)], value=2))
    assert radio.choices == [("One", 1), ("Two", 2)] and radio.example_value() == 2

    number = dc.as_component(gradio.Number(5, minimum=0, maximum=9, visible=False))
    assert (number.value, number.minimum, number.maximum, number.visible) == (5, 0, 9, False)

    md = dc.as_component(gradio.Markdown("# Hi"))
    assert md.to_dict()["props"]["show_label"] is False and md.value == "# Hi"


@pytest.mark.parametrize(
    "name,kind",
    [
        ("Textbox", "textbox"),
        ("TextArea", "textarea"),
        ("Text", "textbox"),
        ("Image", "image"),
        ("Audio", "audio"),
        ("Microphone", "audio"),
        ("Video", "video"),
        ("File", "file"),
        ("Gallery", "gallery"),
        ("JSON", "json"),
        ("Chatbot", "json"),
        ("Markdown", "markdown"),
        ("HTML", "html"),
        ("Code", "code"),
        ("Label", "label"),
        ("Dataframe", "dataframe"),
        ("HighlightedText", "highlightedtext"),
        ("Model3D", "model3d"),
        ("Checkbox", "checkbox"),
        ("CheckboxGroup", "checkboxgroup"),
        ("ColorPicker", "colorpicker"),
        ("Dropdown", "dropdown"),
        ("Radio", "radio"),
        ("Slider", "slider"),
        ("Number", "number"),
    ],
)
@pytest.mark.slow  # imports gradio in this process (seconds)
def test_every_gradio_class_converts_to_a_json_able_spec(gradio, name, kind):
    comp = dc.as_component(getattr(gradio, name)())
    assert comp is not None and comp.kind == kind
    json.dumps(comp.to_dict(), allow_nan=False)
    json.dumps(comp.example_value())


@pytest.mark.slow  # imports gradio in this process (seconds)
def test_same_gradio_instance_maps_to_one_spec(gradio):
    shared, other = gradio.Textbox(label="Prompt"), gradio.Textbox(label="Prompt")
    assert dc.as_component(shared) is dc.as_component(shared)
    assert dc.as_component(shared) is not dc.as_component(other)
    assert dc.is_component(shared)


@pytest.mark.slow  # imports gradio in this process (seconds)
def test_gradio_file_values_become_paths(gradio, tmp_path):
    png = tmp_path / "cat.png"
    png.write_bytes(Path(dc.Image().example_value()).read_bytes())
    image = dc.as_component(gradio.Image(str(png), label="Photo"))
    assert image.label == "Photo"
    assert isinstance(image.default_value(), FileValue)
    assert image.to_dict()["value"] == str(png)
    gallery = dc.as_component(gradio.Gallery([str(png)]))
    assert [os.path.basename(p) for p in gallery.default_value()] == ["cat.png"]


@pytest.mark.slow  # imports gradio in this process (seconds)
def test_gradio_type_warning_only_when_type_was_passed(gradio):
    with pytest.warns(UserWarning, match=r"^daggr ignores the `type` parameter"):
        dc.as_component(gradio.Image(type="numpy"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # gradio's own default type for images is "numpy"; the user did not choose it.
        dc.as_component(gradio.Image(label="Input"))
        dc.as_component(gradio.Audio())
        dc.as_component(gradio.File(type="filepath"))
    assert caught == []


@pytest.mark.slow  # imports gradio in this process (seconds)
def test_unknown_gradio_components_become_generic(gradio):
    button = dc.as_component(gradio.Button("Go"))
    assert type(button) is dc.Component
    desc = button.to_dict()
    assert (desc["component"], desc["kind"]) == ("Button", "text")
    editor = dc.as_component(gradio.ImageEditor())
    assert editor.is_file and editor.to_dict()["component"] == "ImageEditor"
    assert not dc.Component().is_file  # the instance override stays on that instance


@pytest.mark.slow  # imports gradio in this process (seconds)
def test_gradio_layouts_are_not_components(gradio):
    with gradio.Blocks():
        row = gradio.Row()
    assert dc.as_component(row) is None and not dc.is_component(row)


# --- import cost ----------------------------------------------------------------------------


def test_importing_components_does_not_import_gradio(tmp_path):
    code = (
        "import sys, daggr.components\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('gradio', 'gradio_client')]\n"
        "assert not bad, bad\n"
    )
    env = {**os.environ, "DAGGR_HOME": str(tmp_path / "home")}
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=60)
    assert not (tmp_path / "home").exists()  # nothing written at import time
