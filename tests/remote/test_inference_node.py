"""InferenceNode through the real huggingface_hub clients against a loopback Hub and
Inference API (HF_ENDPOINT and DAGGR_INFERENCE_ENDPOINT point at it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from daggr import FileValue, FnNode, Graph, GraphError, InferenceNode
from daggr import components as gr
from daggr.remote.errors import RemoteAppError, RemoteOffline
from tests.remote.fake_hub import WAV


def run(*nodes, **inputs):
    return Graph("inference test", nodes=list(nodes), persist_key=False).run(
        progress=False, **inputs
    )


def test_chat_passes_every_input_and_the_task_comes_from_the_hub(fake_hub):
    fake_hub.models["acme/tiny-chat"] = {"pipeline_tag": "text-generation", "sha": "a" * 40}
    node = InferenceNode(
        "acme/tiny-chat",
        inputs={"prompt": gr.Textbox(), "system": "be brief", "temperature": 0.5, "max_tokens": 7},
    )
    answer = json.loads(run(node, tiny_chat__prompt="hello")["tiny-chat"]["output"])
    assert answer["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hello"},
    ]
    assert answer["params"]["temperature"] == 0.5 and answer["params"]["max_tokens"] == 7
    assert fake_hub.paths("/api/models/acme/tiny-chat") == ["/api/models/acme/tiny-chat"]
    assert fake_hub.paths("/models/acme/tiny-chat/v1/chat/completions")


def test_task_lookup_is_cached_on_disk_including_not_found(fake_hub):
    fake_hub.models["acme/tiny-chat"] = {"pipeline_tag": "text-generation"}
    InferenceNode("acme/tiny-chat", name="one")
    InferenceNode("acme/tiny-chat", name="two")
    assert len(fake_hub.paths("/api/models/acme/tiny-chat")) == 1
    with pytest.raises(GraphError, match="Model 'acme/nope' not found on Hugging Face Hub"):
        InferenceNode("acme/nope")
    with pytest.raises(GraphError, match="not found .*cached on"):
        InferenceNode("acme/nope")
    assert len(fake_hub.paths("/api/models/acme/nope")) == 1


def test_unknown_parameter_lists_the_methods_parameters(fake_hub):
    fake_hub.models["acme/tiny-chat"] = {"pipeline_tag": "text-generation"}
    with pytest.raises(GraphError) as err:
        InferenceNode("acme/tiny-chat", inputs={"prompt": "hi", "temprature": 0.2})
    msg = str(err.value)
    assert "Invalid input(s) {'temprature'}" in msg and "InferenceClient.chat_completion" in msg
    assert "'temprature' -> 'temperature'" in msg and "max_tokens" in msg


def test_unknown_task_suggests_the_closest():
    with pytest.raises(GraphError, match="Did you mean 'text-to-image'"):
        InferenceNode("acme/x", task="text-to-imag", validate=False)


def test_offline_without_cache_says_what_to_do():
    with pytest.raises(RemoteOffline, match="HF_HUB_OFFLINE=1.*task="):
        InferenceNode("acme/tiny-chat")


def test_text_to_image_saves_a_png_with_parameters_applied(fake_hub, daggr_home):
    fake_hub.models["acme/tiny-sd"] = {"pipeline_tag": "text-to-image"}
    node = InferenceNode(
        "acme/tiny-sd",
        inputs={"prompt": "a red square", "width": 12, "height": 5},
        outputs={"image": gr.Image()},
    )
    image = run(node)["tiny-sd"]["image"]
    assert isinstance(image, FileValue) and image.endswith(".png")
    assert Path(image).is_relative_to(daggr_home) and Image.open(image).size == (12, 5)


def test_speech_recognition_reads_an_upstream_file(fake_hub, tmp_path):
    fake_hub.models["acme/tiny-asr"] = {"pipeline_tag": "automatic-speech-recognition"}
    clip = tmp_path / "clip.wav"
    clip.write_bytes(WAV)
    record = FnNode(lambda: FileValue(str(clip)), name="record", outputs={"audio": gr.Audio()})
    asr = InferenceNode("acme/tiny-asr", inputs={"audio": record.audio}, outputs=["text"])
    assert run(asr)["tiny-asr"] == {"text": f"heard {len(WAV)} bytes"}


def test_classification_feature_extraction_and_summarization(fake_hub, tmp_path):
    fake_hub.models.update(
        {
            "acme/cls": {"pipeline_tag": "image-classification"},
            "acme/emb": {"pipeline_tag": "feature-extraction"},
            "acme/sum": {"pipeline_tag": "summarization"},
        }
    )
    picture = tmp_path / "p.png"
    Image.new("RGB", (2, 2)).save(picture)
    cls = InferenceNode("acme/cls", inputs={"image": FileValue(str(picture)), "top_k": 2})
    emb = InferenceNode("acme/emb", inputs={"text": "hello", "normalize": True})
    summ = InferenceNode(
        "acme/sum", inputs={"input": "a very long text indeed", "truncation": "longest_first"}
    )
    result = run(cls, emb, summ)
    assert result["cls"] == {"output": {"red": 0.9, "blue": 0.1}}
    assert result["emb"] == {"output": [0.5, 0.25, 1.0]}  # 1.0: one extra parameter arrived
    summary = result["sum"]["output"]
    assert summary.startswith("a very long ") and "longest_first" in summary
    assert fake_hub.paths("/models/acme/emb/pipeline/feature-extraction")


def test_text_to_speech_extension_comes_from_the_bytes(fake_hub):
    fake_hub.models["acme/tts"] = {"pipeline_tag": "text-to-speech"}
    audio = run(InferenceNode("acme/tts", inputs={"text": "hi"}))["tts"]["output"]
    assert isinstance(audio, FileValue) and audio.endswith(".flac")


def test_url_endpoint_speaks_chat_without_the_hub(fake_hub):
    node = InferenceNode(f"{fake_hub.url}/tgi", name="tgi", inputs={"messages": gr.Textbox()})
    answer = json.loads(run(node, tgi__messages="yo")["tgi"]["output"])
    assert answer["messages"] == [{"role": "user", "content": "yo"}]
    assert fake_hub.paths("/tgi/v1/chat/completions") and not fake_hub.paths("/api/")


def test_transient_503_is_retried_then_succeeds(fake_hub):
    fake_hub.models["acme/sum"] = {"pipeline_tag": "summarization"}
    fake_hub.failures["acme/sum"] = 2
    node = InferenceNode("acme/sum", inputs={"text": "loading models takes a while"})
    assert run(node)["sum"]["output"].startswith("loading mode")


def test_model_errors_are_reported_with_the_servers_message(fake_hub, tmp_path):
    fake_hub.models["acme/broken"] = {"pipeline_tag": "image-segmentation"}
    picture = tmp_path / "p.png"
    Image.new("RGB", (2, 2)).save(picture)
    node = InferenceNode("acme/broken", inputs={"image": FileValue(str(picture))})
    outcome = run(node).outcome("broken")
    assert isinstance(outcome.error, RemoteAppError)
    assert (
        "acme/broken" in outcome.message and "cannot do task image-segmentation" in outcome.message
    )


def test_what_models_return_shows_as_its_kind(fake_hub, tmp_path):
    """A picture, a classification and speech from the Inference API are shown like the
    same values from a function: a picture, a label with bars, a player."""
    from daggr import values

    fake_hub.models.update(
        {
            "acme/tiny-sd": {"pipeline_tag": "text-to-image"},
            "acme/cls": {"pipeline_tag": "image-classification"},
            "acme/tts": {"pipeline_tag": "text-to-speech"},
        }
    )
    picture = tmp_path / "p.png"
    Image.new("RGB", (2, 2)).save(picture)
    nodes = {
        "tiny-sd": InferenceNode(
            "acme/tiny-sd",
            inputs={"prompt": "a red square", "width": 12, "height": 5},
            outputs={"image": gr.Image()},
        ),
        "cls": InferenceNode(
            "acme/cls", inputs={"image": FileValue(str(picture))}, outputs={"label": gr.Label()}
        ),
        "tts": InferenceNode("acme/tts", inputs={"text": "hi"}, outputs={"speech": gr.Audio()}),
    }
    result = run(*nodes.values())
    shown = {}
    for name, node in nodes.items():
        ((port, value),) = result[name].items()
        shown[name] = values.preview(value, node._output_components[port])
    assert shown["tiny-sd"]["mime"] == "image/png"
    assert shown["cls"] == {"type": "label", "text": "red (90%)"}
    assert shown["tts"]["mime"] == "audio/flac"
    data, mime, _ = values.encode(result["tiny-sd"]["image"], gr.Image())
    assert mime == "image/png" and Image.open(__import__("io").BytesIO(data)).size == (12, 5)
