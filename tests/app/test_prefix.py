"""The served app behind a real reverse proxy that adds a path prefix: the page, its
assets, the websocket, REST and file downloads all work under the prefix."""

from __future__ import annotations

import asyncio
import io
import json
import sys

import httpx
import pytest

from daggr import FnNode, Graph
from daggr import components as gr
from daggr.app.prefix import ProxyHeaders, check_root_path, clean_prefix
from tests.app.proxy import Proxy

websockets = pytest.importorskip("websockets")
Image = pytest.importorskip("PIL.Image")

PREFIX = "/apps/demo"


def poster_graph() -> Graph:
    def poster(title: str):
        img = Image.new("RGBA", (48, 32), (30, 120, 200, 255))
        img.info["title"] = title
        return img

    def shout(text: str) -> str:
        return text.upper() + "!"

    loud = FnNode(shout, inputs={"text": gr.Textbox(value="hello")})
    image = FnNode(poster, inputs={"title": loud.output}, outputs={"image": gr.Image()})
    return Graph("Prefixed", nodes=[loud, image], persist_key=False)


@pytest.fixture
def proxied(serve):
    started: list[Proxy] = []

    def start(*, strip: bool = True, public_host: str | None = None, **launch_kwargs):
        app = serve(poster_graph(), **launch_kwargs)
        proxy = Proxy(app.url.rstrip("/"), PREFIX, strip=strip, public_host=public_host).start()
        started.append(proxy)
        return app, proxy

    yield start
    for proxy in started:
        proxy.stop()


def _socket_runs_shout(url: str, cookie: str) -> str:
    ws_url = url.replace("http://", "ws://") + "ws"

    async def go() -> str:
        async with websockets.connect(ws_url, additional_headers={"Cookie": cookie}) as ws:
            opened = json.loads(await ws.recv())
            assert opened["type"] == "open"
            for content in (
                {"type": "set_input", "key": "shout__text", "value": "through the proxy"},
                {"type": "run", "node": "shout", "mode": "to_here"},
            ):
                msg = {"method": "custom", "content": content}
                await ws.send(json.dumps({"type": "comm", "data": msg}))
            async with asyncio.timeout(20):
                while True:
                    frame = json.loads(await ws.recv())
                    states = frame.get("data", {}).get("content", {}).get("states", {})
                    if states.get("shout", {}).get("status") == "ok":
                        return json.dumps(states["shout"]["preview"])

    return asyncio.run(go())


@pytest.mark.parametrize("strip", [True, False], ids=["proxy-strips", "proxy-keeps-prefix"])
def test_everything_works_under_the_prefix(proxied, strip):
    app, proxy = proxied(
        strip=strip, public_host="daggr.example:8443", root_path=None if strip else PREFIX
    )
    with httpx.Client(timeout=20) as client:
        page = client.get(proxy.url)
        assert page.status_code == 200
        # The page links everything relative to the prefix, never from the site root.
        assert f'<base href="{PREFIX}/">' in page.text
        links = page.text.replace(f'<base href="{PREFIX}/">', "")
        assert 'src="app-static/host.js"' in links
        assert 'href="/' not in links and 'src="/' not in links
        for asset in ("static/widget.js", "static/widget.css", "app-static/host.js", "theme.css"):
            assert client.get(proxy.url + asset).status_code == 200, asset
        cookie = f"daggr_uid={page.cookies['daggr_uid']}"

        call = client.post(
            proxy.url + "api/call",
            json={"inputs": {"shout__text": "x"}},
            headers={"Cookie": cookie},
        )
        assert call.status_code == 200, call.text
        url = call.json()["outputs"]["poster"]["image"]
        # The file URL is the public one: the proxy's host and the prefix.
        assert url.startswith(f"http://daggr.example:8443{PREFIX}/file/"), url
        path = url.split("daggr.example:8443", 1)[1]
        download = client.get(proxy.url.split(PREFIX)[0] + path)
        assert download.status_code == 200
        assert Image.open(io.BytesIO(download.content)).size == (48, 32)
        assert client.get(proxy.url + "api/schema").json()["subgraphs"]

    assert "THROUGH THE PROXY!" in _socket_runs_shout(proxy.url, cookie)
    upstream_paths = {p.split("?")[0] for _, p in proxy.seen}
    assert ("/ws" if strip else f"{PREFIX}/ws") in upstream_paths


def test_the_prefix_without_a_trailing_slash_redirects(proxied):
    _, proxy = proxied(strip=False, root_path=PREFIX)
    r = httpx.get(proxy.url.rstrip("/"), follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == f"{PREFIX}/"


def test_forwarded_headers_from_an_untrusted_client_are_ignored(serve):
    app = serve(poster_graph(), forwarded_allow_ips="10.9.9.9")
    page = httpx.get(
        app.url, headers={"X-Forwarded-Prefix": "/evil", "X-Forwarded-Host": "evil.example"}
    )
    assert "<base" not in page.text and "evil" not in page.text
    call = httpx.post(
        app.url + "api/call",
        json={"inputs": {}},
        headers={"X-Forwarded-Prefix": "/evil", "X-Forwarded-Host": "evil.example"},
    ).json()
    assert call["outputs"]["poster"]["image"].startswith(app.url + "file/")


def test_root_path_is_checked_when_the_app_is_made():
    assert clean_prefix("/user/me/proxy/7860/") == "/user/me/proxy/7860"
    assert clean_prefix("/") == "" and clean_prefix("//evil.example") is None
    assert check_root_path(None) is None
    with pytest.raises(
        ValueError, match=r"root_path='https://x' is not a path prefix.*'/apps/demo'"
    ):
        check_root_path("https://x")
    with pytest.raises(ValueError, match="not a path prefix"):
        ProxyHeaders(app=None, root_path="/a/../b")


def test_launch_without_a_websocket_library_fails_at_once_with_the_pip_command(monkeypatch):
    from daggr.app.needs import MissingDependency
    from daggr.app.serve import launch

    monkeypatch.setitem(sys.modules, "websockets", None)
    monkeypatch.setitem(sys.modules, "wsproto", None)
    with pytest.raises(MissingDependency, match=r'pip install "websockets>=12"'):
        launch(poster_graph(), port=0, block=False, open_browser=False, quiet=True)
    monkeypatch.setitem(sys.modules, "mcp", None)
    with pytest.raises(MissingDependency, match=r"daggr\[mcp\]"):
        from daggr.app.needs import check_installed

        check_installed(mcp=True)
