"""GradioNode against a real Gradio app on 127.0.0.1, through the real gradio_client."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from PIL import Image

from daggr import FileValue, FnNode, GradioNode, Graph, GraphError, NodeError
from daggr import components as gr
from daggr.remote.errors import RemoteAppError, RemoteOffline, RemoteUnreachable
from tests.remote.loopback import free_port


def run(*nodes, **inputs):
    return Graph("remote test", nodes=list(nodes), persist_key=False).run(progress=False, **inputs)


# -- validation -------------------------------------------------------------------------------
def test_unknown_endpoint_lists_endpoints_and_suggests(gradio_app):
    with pytest.raises(GraphError) as err:
        GradioNode(gradio_app.url, api_name="/ecko", inputs={"text": "x"})
    msg = str(err.value)
    assert f"API endpoint '/ecko' not found in '{gradio_app.url}'" in msg
    assert "'/echo'" in msg and "'/divmod'" in msg  # the available list
    assert "Did you mean '/echo'?" in msg


def test_unknown_parameter_suggests_per_key_and_lists_valid(gradio_app):
    with pytest.raises(GraphError) as err:
        GradioNode(gradio_app.url, api_name="/add", inputs={"aa": 1, "bb": 2})
    msg = str(err.value)
    assert "Invalid parameter(s)" in msg and "'aa'" in msg and "'bb'" in msg
    assert "'aa' -> 'a'" in msg and "'bb' -> 'b'" in msg
    assert "Valid parameters: {" in msg and "'a'" in msg


def test_missing_required_parameter(gradio_app):
    with pytest.raises(
        GraphError, match=r"Missing required parameter\(s\) \{'a'\} for endpoint '/add'"
    ):
        GradioNode(gradio_app.url, api_name="/add", inputs={"b": 2})
    GradioNode(gradio_app.url, api_name="/add", inputs={"a": 2})  # b has a default


def test_more_outputs_than_returns_warns_unless_postprocess(gradio_app):
    with pytest.warns(UserWarning, match="defines 2 outputs but endpoint '/echo' only returns 1"):
        GradioNode(gradio_app.url, api_name="/echo", inputs={"text": "x"}, outputs=["a", "b"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GradioNode(
            gradio_app.url,
            api_name="/echo",
            inputs={"text": "x"},
            outputs=["a", "b"],
            postprocess=lambda s: (s, s.upper()),
        )


def test_api_name_without_slash_and_default_name(gradio_app):
    node = GradioNode(gradio_app.url.replace("http://", ""), api_name="echo", inputs={"text": "x"})
    assert node.api_name == "/echo" and node.name == "echo" and node.src == gradio_app.url


@pytest.mark.slow  # a second Gradio app, stopped and restarted
def test_second_construction_uses_the_disk_cache_offline(own_app, daggr_home, monkeypatch):
    GradioNode(own_app.url, api_name="/echo", inputs={"text": "x"})
    cached = list((daggr_home / "api_info" / "gradio").glob("*.json"))
    assert len(cached) == 1 and json.loads(cached[0].read_text())["key"] == own_app.url
    own_app.stop()
    try:
        from daggr.remote import gradio

        gradio.forget(own_app.url, None)  # no live client either: only the disk can answer
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            GradioNode(own_app.url, api_name="/echo", name="again", inputs={"text": "y"})
        with pytest.raises(GraphError, match="Did you mean: 'txt' -> 'text'"):
            GradioNode(own_app.url, api_name="/echo", inputs={"txt": "y"})
        # Stale (TTL 0) and unreachable: used anyway, with a warning that says why.
        monkeypatch.setenv("DAGGR_API_INFO_TTL", "0")
        with pytest.warns(UserWarning, match="cached on .*Could not reach the Gradio app"):
            GradioNode(own_app.url, api_name="/echo", name="stale", inputs={"text": "y"})
    finally:
        own_app.start(wait=False)  # the next test that needs it waits


def test_unreachable_app_fails_fast_with_what_was_tried(monkeypatch):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(RemoteUnreachable) as err:
        GradioNode(url, api_name="/echo", inputs={"text": "x"})
    msg = str(err.value)
    assert f"tried GET {url}/config" in msg
    assert "Connect" in msg and "refused" in msg.lower()
    assert "Pass validate=False to skip validation" in msg
    # Without validation the run fails at once (it never answered: no retries).
    node = GradioNode(url, api_name="/echo", validate=False, inputs={"text": "x"})
    result = run(node)
    assert result.status[node.name] == "error"
    assert isinstance(result.outcome(node.name).error, RemoteUnreachable)
    assert "attempts" not in result.outcome(node.name).message


def test_space_id_offline_fails_fast_and_clearly():
    with pytest.raises(RemoteOffline) as err:
        GradioNode("gradio/hello_world", inputs={"name": "x"})
    assert "HF_HUB_OFFLINE=1" in str(err.value) and "validate=False" in str(err.value)
    node = GradioNode("gradio/hello_world", validate=False, inputs={"name": "x"})
    result = run(node)
    assert isinstance(result.outcome(node.name).error, RemoteOffline)


# -- calls ------------------------------------------------------------------------------------
def test_text_numbers_and_multiple_returns(gradio_app):
    echo = GradioNode(gradio_app.url, api_name="/echo", inputs={"text": gr.Textbox()})
    add = GradioNode(gradio_app.url, api_name="/add", inputs={"a": 2.5})
    div = GradioNode(
        gradio_app.url, api_name="/divmod", inputs={"a": 7, "b": 2}, outputs=["q", "r"]
    )
    first = GradioNode(
        gradio_app.url, api_name="/divmod", name="q_only", inputs={"a": 7, "b": 2}, outputs=["q"]
    )
    result = run(echo, add, div, first, echo__text="hi")
    assert result["echo"] == {"output": "echo:hi"}
    assert result["add"] == {"output": 3.5}
    assert result["divmod"] == {"q": 3, "r": 1}
    assert result["q_only"] == {"q": 3}  # extra endpoint outputs are dropped


def test_single_list_output_stays_a_list_and_gallery_is_files(gradio_app):
    words = GradioNode(gradio_app.url, api_name="/words", inputs={"n": 3}, outputs=["words"])
    gallery = GradioNode(gradio_app.url, api_name="/gallery", inputs={"n": 2}, outputs=["images"])
    result = run(words, gallery)
    assert result["words"] == {"words": ["w0", "w1", "w2"]}
    images = result["gallery"]["images"]
    assert len(images) == 2 and all(isinstance(p, FileValue) for p in images)
    assert all(Path(p).exists() and Image.open(p).size == (4, 4) for p in images)


def test_image_round_trip_between_nodes(gradio_app, tmp_path, daggr_home):
    src = tmp_path / "in.png"
    Image.new("RGB", (5, 3), (10, 20, 30)).save(src)
    make = FnNode(lambda: FileValue(str(src)), name="make", outputs={"image": gr.Image()})
    invert = GradioNode(
        gradio_app.url,
        api_name="/invert",
        name="inv1",
        inputs={"image": make.image},
        outputs={"image": gr.Image()},
    )
    again = GradioNode(
        gradio_app.url,
        api_name="/invert",
        name="inv2",
        inputs={"image": invert.image},
        outputs={"image": gr.Image()},
    )
    result = run(again)
    once, twice = result["inv1"]["image"], result["inv2"]["image"]
    assert isinstance(once, FileValue) and isinstance(twice, FileValue)
    assert Path(once).is_relative_to(daggr_home) and Path(twice).exists()
    assert Image.open(once).getpixel((0, 0)) == (245, 235, 225)
    assert Image.open(twice).getpixel((0, 0)) == (10, 20, 30)


def test_data_url_inputs_are_decoded_to_files(gradio_app):
    import base64
    import io

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), (0, 0, 0)).save(buffer, format="PNG")
    data_url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    node = GradioNode(gradio_app.url, api_name="/invert", inputs={"image": gr.Image()})
    out = run(node, invert__image=data_url)["invert"]["output"]
    assert Image.open(out).getpixel((1, 1)) == (255, 255, 255)


def test_plain_strings_naming_files_are_sent_as_strings(gradio_app, tmp_path, monkeypatch):
    (tmp_path / "README.md").write_text("a file")
    monkeypatch.chdir(tmp_path)
    node = GradioNode(gradio_app.url, api_name="/echo", inputs={"text": gr.Textbox()})
    for text in ("README.md", str(tmp_path / "README.md")):
        assert run(node, echo__text=text)["echo"]["output"] == f"echo:{text}"


def test_postprocess_sees_raw_client_values_before_download(gradio_app):
    seen = []

    def post(value):
        seen.append(value)
        return value

    node = GradioNode(
        gradio_app.url, api_name="/invert", inputs={"image": gr.Image()}, postprocess=post
    )
    src = Path(gradio_app.out_dir) / "pp.png"
    Image.new("RGB", (2, 2)).save(src)
    out = run(node, invert__image=FileValue(str(src)))["invert"]["output"]
    assert isinstance(seen[0], dict) and seen[0]["url"].startswith(gradio_app.url)
    assert isinstance(out, FileValue)


def test_app_error_fails_at_once_with_the_apps_message(gradio_app):
    node = GradioNode(gradio_app.url, api_name="/fail", inputs={"x": "please"})
    result = run(node)
    outcome = result.outcome("fail")
    assert isinstance(outcome.error, RemoteAppError)
    assert "the app refused 'please'" in outcome.message and "attempt" not in outcome.message
    with pytest.raises(NodeError, match="the app refused"):
        result["fail"]


def test_node_test_runs_a_gradio_node(gradio_app):
    node = GradioNode(gradio_app.url, api_name="/echo", inputs={"text": gr.Textbox()})
    assert node.test(text="t") == {"output": "echo:t"}


def test_scattered_items_call_the_app_once_each(gradio_app):
    words = FnNode(lambda: ["a", "b", "c"], name="words")
    echo = GradioNode(gradio_app.url, api_name="/echo", inputs={"text": words.output.each})
    assert run(echo)["echo"]["output"] == ["echo:a", "echo:b", "echo:c"]


def test_unvalidated_node_gets_the_same_teaching_error_at_run_time(gradio_app):
    node = GradioNode(gradio_app.url, api_name="/echo", validate=False, inputs={"txt": "x"})
    outcome = run(node).outcome("echo")
    assert isinstance(outcome.error, GraphError)
    assert "Did you mean: 'txt' -> 'text'?" in outcome.message
