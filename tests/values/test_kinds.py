"""Every kind of value a model returns, through the value registry: what the canvas gets
(bytes a browser decodes at the value's size), what REST gets (file URLs for media), and
what a card says at once (bounded previews)."""

from __future__ import annotations

import io
import json
import wave

import numpy as np
import pytest
from PIL import Image

from daggr import components as gr
from daggr import values
from daggr.records import FileValue
from tests.values import media as m
from tests.values.matrix import CASES


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def served(sink, url: str) -> bytes:
    return sink.files.lookup(url.rsplit("/file/", 1)[1]).read_bytes()


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P", "I;16", "1", "CMYK", "I", "F"])
def test_pil_images_in_every_mode_become_pngs_of_their_size(mode, sink):
    if mode in ("I", "F"):
        image = Image.fromarray(
            np.linspace(0, 4000, m.W * m.H)
            .reshape(m.H, m.W)
            .astype(np.int32 if mode == "I" else np.float32)
        )
    else:
        image = (
            m.picture(mode)
            if mode in ("RGB", "RGBA", "L", "P", "I;16")
            else m.picture().convert(mode)
        )
    data, mime, _ = values.encode(image, gr.Image())
    assert mime == "image/png" and decoded(data).size == (m.W, m.H)
    # a 32-bit or float picture is stretched to what a screen shows, never left black
    assert decoded(data).getextrema() != (0, 0)
    url = values.to_rest(image, gr.Image(), sink)
    assert url.endswith(".png") and decoded(served(sink, url)).size == (m.W, m.H)


@pytest.mark.parametrize(
    "array",
    [
        np.asarray(m.picture()),
        np.asarray(m.picture()) / 255.0,  # floats in 0..1
        np.asarray(m.picture("RGBA")),
        m.mask(),  # grayscale floats
        np.asarray(m.picture("L"))[:, :, None],  # (h, w, 1)
    ],
    ids=["uint8", "float", "rgba", "gray", "one-channel"],
)
def test_numpy_pictures_on_an_image_port_are_pngs_not_pixel_lists(array, sink):
    data, mime, _ = values.encode(array, gr.Image())
    assert mime == "image/png" and decoded(data).size == (m.W, m.H)
    url = values.to_rest(array, gr.Image(), sink)
    assert isinstance(url, str) and decoded(served(sink, url)).size == (m.W, m.H)
    assert values.preview(array, gr.Image())["name"] == f"image {m.W}×{m.H}"


def test_float_pictures_keep_their_brightness():
    gray = np.full((4, 4, 3), 0.5)
    assert decoded(values.encode(gray, gr.Image())[0]).getpixel((0, 0)) == (127, 127, 127)


@pytest.mark.parametrize("stereo", [False, True])
@pytest.mark.parametrize("ints", [False, True])
def test_rate_and_samples_audio_is_a_wav_of_its_length(stereo, ints, sink):
    sound = m.tone(seconds=0.5, stereo=stereo, ints=ints)
    data, mime, _ = values.encode(sound, gr.Audio())
    with wave.open(io.BytesIO(data)) as w:
        assert w.getframerate() == m.RATE and w.getnchannels() == (2 if stereo else 1)
        assert w.getnframes() / w.getframerate() == pytest.approx(0.5)
    assert values.preview(sound, gr.Audio())["duration"] == pytest.approx(0.5)
    assert values.to_rest(sound, gr.Audio(), sink).endswith(".wav")


def test_files_on_disk_keep_their_type_for_the_canvas(made):
    for key, mime in [("png", "image/png"), ("webm", "video/webm"), ("obj", "model/obj")]:
        data, got, name = values.encode(FileValue(str(made[key])))
        assert got == mime and data == made[key].read_bytes() and name == made[key].name
    p = values.preview(FileValue(str(made["webm"])), gr.Video())
    assert p == {"type": "file", "name": "clip.webm", "mime": "video/webm", "size": 709}


def test_a_link_on_a_file_port_is_shown_from_where_it_is(sink):
    url = "https://example.org/cats/tabby.png?size=large"
    p = values.preview(url, gr.Image())
    assert p == {"type": "url", "name": "tabby.png", "mime": "image/png", "url": url}
    assert values.to_rest(url, gr.Image(), sink) == url
    assert values.kind_of(url).name == "text"  # elsewhere a URL is text


def test_a_gallery_lists_its_pictures_and_captions_and_serves_each(made, sink):
    gallery = [m.picture(), (m.picture("L"), "grey"), FileValue(str(made["png"]))]
    for component in (gr.Gallery(), None):  # a list of pictures is a gallery undeclared too
        assert values.kind_of(gallery, component).name == "gallery"
    data, mime, _ = values.encode(gallery, gr.Gallery())
    listing = json.loads(data)
    assert mime == "application/json" and listing["count"] == 3
    assert [i.get("caption") for i in listing["items"]] == [None, "grey", None]
    for i in range(3):
        picture, picture_mime, _ = values.encode(gallery, gr.Gallery(), item=i)
        assert picture_mime == "image/png" and decoded(picture).size == (m.W, m.H)
    rest = values.to_rest(gallery, gr.Gallery(), sink)
    assert rest[1]["caption"] == "grey" and rest[1]["image"].endswith(".png")
    assert all(u.endswith(".png") for u in (rest[0], rest[2]))


def test_a_chat_shows_its_messages_and_its_files(made, sink):
    chat = [
        {"role": "user", "content": "Draw a poster"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Here:"},
                {"type": "file", "file": FileValue(str(made["png"]))},
            ],
        },
        {"role": "assistant", "content": (str(made["wav"]),), "metadata": {"title": "jingle"}},
    ]
    listing = json.loads(values.encode(chat, gr.Chatbot())[0])["messages"]
    assert [mm["role"] for mm in listing] == ["user", "assistant", "assistant"]
    assert listing[1]["parts"][0] == {"text": "Here:"}
    assert listing[1]["parts"][1]["kind"] == "image" and listing[2]["title"] == "jingle"
    assert values.encode(chat, gr.Chatbot(), item=1)[1] == "audio/wav"
    rest = values.to_rest(chat, gr.Chatbot(), sink)
    assert rest[0] == {"role": "user", "content": "Draw a poster"}
    assert rest[1]["content"][1]["url"].endswith(".png")
    assert values.preview(chat)["name"] == "chat, 3 messages"


def test_tables_from_pandas_rows_and_dicts(sink):
    frame = m.table()
    for value, component in [
        (frame, None),
        ([["ada", 0.91]], gr.Dataframe()),
        ([{"name": "ada", "score": 0.91}], gr.Dataframe()),
    ]:
        shown = json.loads(values.encode(value, component)[0].replace(b"NaN", b"null"))
        assert ["ada", 0.91] in shown["data"]
    assert json.loads(values.encode(frame)[0].replace(b"NaN", b"null"))["headers"] == [
        "name",
        "score",
    ]
    assert values.to_rest(frame, None, sink)["data"][2] == ["cy", "NaN"]
    big = __import__("pandas").DataFrame({"n": range(50_000)})
    shown = json.loads(values.encode(big)[0])
    assert len(shown["data"]) == 1000 and shown["rows"] == 50_000  # the canvas gets a page


def test_json_keeps_nan_and_big_integers_exactly(sink):
    value = {"loss": float("nan"), "seed": m.BIG, "inf": float("-inf")}
    data = values.encode(value, gr.JSON())[0]
    assert data == b'{"loss":NaN,"seed":1180591620717411303425,"inf":-Infinity}'
    assert values.to_rest(value, gr.JSON(), sink) == {
        "loss": "NaN",
        "seed": m.BIG,
        "inf": "-Infinity",
    }
    assert "NaN" in values.preview(value)["text"]


def test_labels_highlights_and_annotated_images(sink):
    label = values.preview({"cat": 0.2, "dog": 0.8}, gr.Label())
    assert label == {"type": "label", "text": "dog (80%)"}
    assert values.to_rest("cat", gr.Label(), sink) == {"label": "cat"}
    entities = {
        "text": "Ada met Bob",
        "entities": [
            {"entity": "PER", "start": 0, "end": 3},
            {"entity": "PER", "start": 8, "end": 11},
        ],
    }
    spans = json.loads(values.encode(entities, gr.HighlightedText())[0])
    assert spans == [["Ada", "PER"], [" met ", None], ["Bob", "PER"]]
    annotated = (m.picture(), [((4, 4, 30, 24), "box"), (m.mask(), "mask")])
    data, mime, _ = values.encode(annotated, gr.AnnotatedImage())
    assert mime == "image/png" and decoded(data).size == (m.W, m.H)
    assert decoded(data).getpixel((45, 30)) != m.picture().convert("RGBA").getpixel(
        (45, 30)
    )  # tinted
    rest = values.to_rest(annotated, gr.AnnotatedImage(), sink)
    assert rest["annotations"][0] == {"box": [4, 4, 30, 24], "label": "box"}
    assert rest["annotations"][1]["image"].endswith(".png")


def test_a_matplotlib_figure_is_a_picture(sink):
    pytest.importorskip("matplotlib")
    data, mime, _ = values.encode(m.figure(), gr.Plot())
    assert mime == "image/png" and decoded(data).size[0] > 100
    assert values.to_rest(m.figure(), None, sink).endswith(".png")
    assert values.thumbnail(m.figure()) is not None


def test_a_plotly_figure_is_an_interactive_page_with_its_own_script():
    go = pytest.importorskip("plotly.graph_objects")
    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 1]))
    data, mime, _ = values.encode(fig)
    assert mime == "text/html" and b"<script" in data and b"cdn" not in data[:2000].lower()


def test_a_big_array_is_described_not_sent_and_an_unknown_object_says_how_to_show_it(sink):
    big = np.zeros((2000, 2000))
    p = values.preview(big)
    assert p["type"] == "object" and "31 MB" in p["name"] and "read it in code" in p["hint"]
    with pytest.raises(values.DisplayError, match="too large to show"):
        values.encode(big)
    assert values.to_rest(big, None, sink).endswith(".npy")

    class Prediction:
        pass

    p = values.preview(Prediction())
    assert p["name"].endswith("Prediction") and "no viewer" in p["hint"]
    assert "<" not in p["name"]  # never a bare repr


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_every_case_previews_within_bounds_and_encodes(case, made):
    value, component = case.make(made), case.component()
    p = values.preview(value, component)
    assert len(json.dumps(p)) < 2_000 and p["type"] != "none"
    assert p.get("text") or p.get("name")  # the static drawing has something to say
    if case.name != "opaque":
        data, mime, _ = values.encode(value, component)
        assert data and mime
