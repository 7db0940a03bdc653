"""The pure parts of the remote adapters."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from pathlib import Path

import pytest

from daggr import FileValue, GradioNode
from daggr.errors import GraphError
from daggr.remote import api_cache
from daggr.remote.auth import redact, sends_token_to
from daggr.remote.errors import RemoteError
from daggr.remote.files import (
    decode_data_url,
    download_outputs,
    gradio_inputs,
    is_loopback,
    sniff_extension,
)
from daggr.remote.gradio import check_endpoint
from daggr.remote.inference import plan_arguments, unwrap
from daggr.remote.outputs import apply_postprocess, map_remote_outputs


@pytest.mark.parametrize(
    "head, ext",
    [
        (b"\x89PNG\r\n\x1a\n", ".png"),
        (b"\xff\xd8\xff\xe0", ".jpg"),
        (b"GIF89a", ".gif"),
        (b"RIFF\0\0\0\0WEBPVP8 ", ".webp"),
        (b"RIFF\0\0\0\0WAVEfmt ", ".wav"),
        (b"fLaC", ".flac"),
        (b"OggS", ".ogg"),
        (b"ID3\x04", ".mp3"),
        (b"\xff\xfb\x90", ".mp3"),
        (b"\0\0\0\x18ftypmp42", ".mp4"),
        (b"\0\0\0\x18ftypM4A ", ".m4a"),
        (b"\x1a\x45\xdf\xa3", ".webm"),
        (b"hello", ".bin"),
    ],
)
def test_sniff_extension(head, ext):
    assert sniff_extension(head + b"\0" * 16) == ext


def test_data_urls_become_files_and_strings_stay_strings(tmp_path):
    url = "data:audio/wav;base64," + base64.b64encode(b"RIFF\0\0\0\0WAVEfmt ").decode()
    path = decode_data_url(url)
    assert isinstance(path, FileValue) and path.endswith(".wav")
    assert Path(path).read_bytes().startswith(b"RIFF")
    existing = tmp_path / "notes.txt"
    existing.write_text("x")
    wrapped = gradio_inputs({"a": str(existing), "b": FileValue(str(existing)), "c": [url]})
    assert wrapped["a"] == str(existing)  # text, even though such a file exists
    assert wrapped["b"]["meta"] == {"_type": "gradio.FileData"}
    assert wrapped["c"][0]["path"].endswith(".wav")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        gradio_inputs(FileValue(str(tmp_path / "gone.png")))


def test_a_local_app_may_hand_over_files_by_path_a_remote_app_may_not(tmp_path):
    local = tmp_path / "x.png"
    local.write_bytes(b"\x89PNG")
    result = ({"path": str(local), "meta": {"_type": "gradio.FileData"}}, 3)
    out = download_outputs(result, local_paths=True)
    assert out == (FileValue(str(local)), 3) and isinstance(out, tuple)
    # A Space naming a file of this machine must not get daggr to read it.
    with pytest.raises(RemoteError, match="comes from a remote app"):
        download_outputs(result)
    assert is_loopback("http://127.0.0.1:7860") and is_loopback("http://localhost:8000/")
    assert not is_loopback("https://owner-app.hf.space") and not is_loopback("owner/app")


def test_output_mapping():
    class Node:
        _output_ports = ["a", "b"]
        postprocess = None

    assert map_remote_outputs(Node(), (1, 2, 3)) == {"a": 1, "b": 2}
    assert map_remote_outputs(Node(), (1,)) == {"a": 1, "b": None}
    assert map_remote_outputs(Node(), [1, 2]) == {"a": [1, 2], "b": None}
    assert map_remote_outputs(Node(), {"b": 5}) == {"a": None, "b": 5}
    Node.postprocess = staticmethod(lambda *xs: len(xs))
    assert apply_postprocess(Node(), (1, 2)) == 2 and apply_postprocess(Node(), [1, 2]) == 1


def test_redaction_and_token_hosts(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_" + "Z" * 30)
    assert (
        redact("token hf_" + "Z" * 30 + " and Bearer hf_" + "q" * 20)
        == "token hf_*** and Bearer hf_***"
    )
    assert redact("hf_hub_download failed") == "hf_hub_download failed"
    assert sends_token_to("https://huggingface.co/api") and sends_token_to("https://a-b.hf.space")
    assert not sends_token_to("https://evil-huggingface.co") and not sends_token_to(
        "http://10.0.0.2"
    )
    monkeypatch.setenv("DAGGR_TOKEN_HOSTS", "10.0.0.2, my.host")
    assert sends_token_to("http://10.0.0.2:7860") and sends_token_to("https://my.host/x")


def test_api_cache_freshness_follows_ttl_and_revision(monkeypatch):
    api_cache.save("gradio", "owner/app", {"v": 1}, revision="r1")
    entry = api_cache.load("gradio", "owner/app")
    assert entry.fresh() and entry.revision == "r1"
    api_cache.note_revision("space", "owner/app", "r2")  # the Space moved on
    assert not api_cache.load("gradio", "owner/app").fresh()
    api_cache.save("gradio", "owner/app", {"v": 2}, revision="r2")
    assert api_cache.load("gradio", "owner/app").fresh()
    monkeypatch.setenv("DAGGR_API_INFO_TTL", "0")
    time.sleep(0.01)
    assert not api_cache.load("gradio", "owner/app").fresh()


def test_unnamed_endpoints_are_accepted_as_slash_index():
    info = {
        "named_endpoints": {"/predict": {"parameters": [], "returns": []}},
        "unnamed_endpoints": {"2": {"parameters": [{"label": "x"}], "returns": [{}]}},
    }
    check_endpoint(GradioNode("http://h:1", api_name="/2", validate=False, inputs={"x": 1}), info)
    with pytest.raises(GraphError, match=r"Available endpoints: \['/predict', '/2'\]"):
        check_endpoint(GradioNode("http://h:1", api_name="/3", validate=False), info)


def test_inference_argument_planning():
    assert plan_arguments("visual-question-answering", ["image", "prompt"]) == {
        "image": "image",
        "prompt": "question",
    }
    assert plan_arguments("question-answering", ["input", "context"]) == {
        "input": "question",
        "context": "context",
    }
    with pytest.raises(GraphError, match=r"Missing required input\(s\) \{'context'\}"):
        plan_arguments("question-answering", ["question"])
    # Methods taking **kwargs forward extra parameters instead of refusing them.
    assert (
        plan_arguments("image-to-image", ["image", "prompt", "strength"])["strength"] == "strength"
    )


def test_unwrapping_answers():
    assert unwrap("automatic-speech-recognition", {"text": "hi"}) == "hi"
    assert unwrap("text-classification", [{"label": "a", "score": 0.7}]) == {"a": 0.7}
    assert unwrap("question-answering", [{"answer": "42", "score": 1}]) == "42"
    assert unwrap("object-detection", [{"label": "cat", "box": {"xmin": 1}}]) == [
        {"label": "cat", "box": {"xmin": 1}}
    ]
    video = unwrap("text-to-video", b"\0\0\0\x18ftypisom" + b"\0" * 8)
    assert video.endswith(".mp4")


def test_import_daggr_stays_light():
    code = (
        "import sys, daggr\n"
        "from daggr import GradioNode, InferenceNode\n"
        "GradioNode('owner/space', validate=False)\n"
        "InferenceNode('org/model', task='summarization', validate=False)\n"
        "import daggr.remote.gradio, daggr.remote.inference, daggr.remote.local_space\n"
        "heavy = {'gradio_client', 'huggingface_hub', 'httpx'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
