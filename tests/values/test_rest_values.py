"""REST answers give every media output as a URL that answers 200 with the right content
type, for values from Python functions and from a real Gradio app; file inputs take what
gradio's API takes (data: URLs, URLs, ``{"url"}`` / ``{"path"}`` objects), never a path
on the server."""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
import pytest
from PIL import Image

from daggr import FnNode, Graph
from daggr import components as gr
from tests.values import media as m
from tests.values.matrix import BY_NAME, fn_graph, gradio_graph


def file_urls(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if "/file/" in value else []
    if isinstance(value, dict):
        return [u for v in value.values() for u in file_urls(v)]
    if isinstance(value, list):
        return [u for v in value for u in file_urls(v)]
    return []


def check_outputs(client: httpx.Client, outputs: dict[str, Any], gradio: bool) -> None:
    for name, ports in outputs.items():
        case = BY_NAME[name]
        value = ports["value"]
        urls = file_urls(value)
        if case.rest is None:
            assert not urls, (name, value)
            continue
        assert urls, (name, str(value)[:200])
        # gradio apps send pictures as WebP; the kind of file is what matters
        want = case.rest.split("/")[0] + "/" if gradio else case.rest
        for url in urls:
            r = client.get(url)
            assert r.status_code == 200, (name, url)
            assert r.headers["content-type"].startswith(want), (name, r.headers["content-type"])
        if "img" in case.expect and case.name not in ("chat", "gallery", "plot"):
            picture = Image.open(io.BytesIO(client.get(urls[0]).content))
            assert picture.size == case.expect["img"], name


def test_every_media_output_of_a_function_is_a_fetchable_url(serve, tmp_path):
    app = serve(fn_graph(tmp_path / "media"))
    with httpx.Client(base_url=app.url, timeout=60) as client:
        r = client.post("/api/call", json={"inputs": {}})
        assert r.status_code == 200, r.text
        outputs = r.json()["outputs"]
        assert set(outputs) == set(BY_NAME)
        check_outputs(client, outputs, gradio=False)
        assert outputs["json"]["value"] == {"loss": "NaN", "seed": m.BIG, "steps": [1, 2, 3]}
        assert outputs["label"]["value"]["label"] == "cat"
        assert outputs["opaque"]["value"]["type"] == "Opaque"


@pytest.mark.slow
def test_every_media_output_of_a_gradio_app_is_a_fetchable_url(serve, gradio_values_app):
    app = serve(gradio_graph(gradio_values_app))
    with httpx.Client(base_url=app.url, timeout=120) as client:
        r = client.post("/api/call", json={"inputs": {}})
        assert r.status_code == 200, r.text
        outputs = r.json()["outputs"]
        check_outputs(client, outputs, gradio=True)
        assert outputs["gallery"]["value"][1]["caption"] == "grey"


def size_graph() -> Graph:
    def size(image: str) -> list[int]:
        return list(Image.open(image).size)

    node = FnNode(size, name="size", inputs={"image": gr.Image()}, outputs={"wh": gr.JSON()})
    return Graph("sizes", nodes=[node], persist_key=False)


def test_file_inputs_take_what_gradio_clients_send(serve, file_server, monkeypatch):
    root, base = file_server
    m.picture().save(root / "poster.png")
    app = serve(size_graph())
    png = (root / "poster.png").read_bytes()
    data_url = "data:image/png;base64," + base64.b64encode(png).decode()
    with httpx.Client(base_url=app.url, timeout=60) as client:

        def call(value: Any) -> httpx.Response:
            return client.post("/api/call", json={"inputs": {"size__image": value}})

        for value in (data_url, {"url": data_url}):
            r = call(value)
            assert r.status_code == 200 and r.json()["outputs"]["size"]["wh"] == [m.W, m.H]

        # a URL on this machine is refused unless the app's owner allows private addresses
        r = call(f"{base}/poster.png")
        assert r.status_code == 422 and "private address" in r.json()["error"]
        monkeypatch.setenv("DAGGR_ALLOW_PRIVATE_URLS", "1")
        for value in (f"{base}/poster.png", {"url": f"{base}/poster.png"}):
            r = call(value)
            assert r.status_code == 200, r.text
            assert r.json()["outputs"]["size"]["wh"] == [m.W, m.H]
        r = call(f"{base}/missing.png")
        assert r.status_code == 422 and "404" in r.json()["error"]

        # a file the server produced, named as gradio's FileData does
        echo = client.post("/api/call", json={"inputs": {"size__image": data_url}})
        assert echo.status_code == 200
        state = client.get(f"/api/sheets/{client.get('/api/sheets').json()['current']}").json()
        stored = state["inputs"]["size__image"]
        assert "/file/" in stored
        assert call({"path": stored}).json()["outputs"]["size"]["wh"] == [m.W, m.H]

        # never a path on the server, however it is wrapped
        for value in (
            str(root / "poster.png"),
            {"path": str(root / "poster.png")},
            "file:///etc/passwd",
        ):
            r = call(value)
            assert r.status_code == 422, value
            assert "never read for a remote caller" in r.json()["error"]
