"""The served app's edge, black-box: an app in its own process, spoken to over HTTP and
websockets as a visitor or an attacker would. Files cannot become pages on the app's
origin, every response carries the security headers, requests for another Host or from
another origin are refused, bodies are JSON, bounded and shallow.
(Chromium checks of the same promises: test_trust_browser.py.)"""

from __future__ import annotations

import asyncio
import base64
import json
import select
import socket

import pytest

from tests.hardening.served_app import (
    ServedApp,
    content,
    cookie_header,
    frames_until,
    stored_file_url,
    upload_and_run,
    visitor,
)

websockets = pytest.importorskip("websockets")
from websockets.exceptions import InvalidStatus  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]  # apps in their own processes

JSON = {"content-type": "application/json"}
GRAPH = """
from daggr import FnNode, Graph, components as gr

def keep(doc):
    return doc

keep_node = FnNode(keep, name="keep", inputs={"doc": gr.File()}, outputs={"copy": gr.File()})
graph = Graph("edge", nodes=[keep_node], persist_key="edge")
"""
EVIL_HTML = b"<html><body><script>localStorage.setItem('pwned', 'html')</script>hi</body></html>"
EVIL_SVG = (
    b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"localStorage.setItem('pwned', 'svg')\">"
    b'<script>localStorage.setItem("pwned", "svg-script")</script><rect width="9" height="9"/></svg>'
)
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with ServedApp(GRAPH, tmp_path_factory.mktemp("edge-app")) as served:
        yield served


@pytest.mark.parametrize(
    "name, data", [("evil.html", EVIL_HTML), ("cat.svg", EVIL_SVG), ("page.xhtml", EVIL_HTML)]
)
def test_an_uploaded_page_is_served_as_a_sandboxed_download_never_as_a_page(app, name, data):
    attacker = visitor(app)
    asyncio.run(upload_and_run(app, cookie_header(attacker), name, data))
    url = stored_file_url(attacker)
    assert url.startswith(app.url + "file/")

    victim = visitor(app)
    r = victim.get(url)
    assert r.status_code == 200 and r.content == data  # the file itself is intact
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"].startswith("attachment")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in r.headers["content-security-policy"]
    assert "default-src 'none'" in r.headers["content-security-policy"]


def test_pictures_stay_inline_but_sandboxed(app):
    attacker = visitor(app)
    asyncio.run(upload_and_run(app, cookie_header(attacker), "dot.png", PNG))
    r = visitor(app).get(stored_file_url(attacker))
    assert r.headers["content-type"] == "image/png"
    assert r.headers["content-disposition"].startswith("inline")
    assert "sandbox" in r.headers["content-security-policy"]


def test_every_route_carries_a_strict_csp_and_nosniff(app):
    client = visitor(app)
    answers = [
        client.get(""),
        client.get("static/widget.js"),
        client.get("app-static/host.js"),
        client.get("api/schema"),
        client.get("api/user"),
        client.get("api/sheets"),
        client.get("api/sheets/nope"),
        client.get("file/" + "0" * 64),
        client.post("api/call", json={"inputs": {}}),
        client.post("api/call", content=b"x", headers={"content-type": "text/plain"}),
        client.get("nope"),
    ]
    for r in answers:
        csp = r.headers.get("content-security-policy", "")
        assert r.headers.get("x-content-type-options") == "nosniff", r.url
        assert "script-src 'self'" in csp or "default-src 'none'" in csp, (r.url, csp)
        assert "'unsafe-inline'" not in csp.split("script-src")[-1].split(";")[0], csp
        assert "frame-ancestors" in csp or "sandbox" in csp, (r.url, csp)
    page_csp = answers[0].headers["content-security-policy"]
    assert "object-src 'none'" in page_csp and "base-uri 'none'" in page_csp


def test_a_request_for_another_host_is_refused(app):
    """DNS rebinding: a page on evil.example whose name now points at 127.0.0.1 sends
    Host: evil.example, and (for its websocket) the matching Origin."""
    client = visitor(app)
    evil = {"host": f"evil.example:{app.port}"}
    r = client.get("", headers=evil)
    assert r.status_code == 400 and "evil.example" in r.json()["error"]
    r = client.post("api/call", json={"inputs": {}}, headers=evil)
    assert r.status_code == 400
    assert client.get("api/sheets", headers=evil).status_code == 400
    # the rebound page cannot hide its name behind a forwarded header (its requests come
    # from this machine, whose proxy headers are believed)
    disguised = {**evil, "x-forwarded-host": f"127.0.0.1:{app.port}", **JSON}
    assert client.post("api/call", content=b'{"inputs": {}}', headers=disguised).status_code == 400

    async def rebound_socket() -> None:
        headers = {"Host": f"evil.example:{app.port}", "Cookie": cookie_header(client)}
        origin = f"http://evil.example:{app.port}"
        with pytest.raises(InvalidStatus):
            async with websockets.connect(app.ws_url, additional_headers=headers, origin=origin):
                pass

    asyncio.run(rebound_socket())
    # the served names still work
    for host in (f"127.0.0.1:{app.port}", f"localhost:{app.port}"):
        assert client.get("api/user", headers={"host": host}).status_code == 200


def test_state_changing_requests_need_the_apps_own_origin_and_json(app):
    client = visitor(app)
    body = json.dumps({"inputs": {}})
    other_port = {"origin": "http://127.0.0.1:1", **JSON}
    r = client.post("api/call", content=body, headers=other_port)
    assert r.status_code == 403 and "Cross-origin" in r.json()["error"]
    r = client.post("api/call", content=body, headers={"sec-fetch-site": "same-site", **JSON})
    assert r.status_code == 403
    r = client.post("api/call", content=body, headers={"origin": "null", **JSON})
    assert r.status_code == 403
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""):
        r = client.post("api/call", content=body, headers={"content-type": ctype})
        assert r.status_code == 415, ctype
        assert "application/json" in r.json()["error"]
    # the app's own page, and scripts (no Origin), are served
    same = {"origin": app.url.rstrip("/"), "sec-fetch-site": "same-origin", **JSON}
    assert client.post("api/call", content=body, headers=same).status_code == 400  # no doc
    assert client.post("api/call", content=body, headers=JSON).status_code == 400


def test_configured_public_hosts_are_served_behind_a_proxy(tmp_path):
    env = {"DAGGR_ALLOWED_HOSTS": "daggr.example.org, other.example"}
    with ServedApp(GRAPH, tmp_path, env=env) as proxied:
        client = visitor(proxied)
        assert client.get("", headers={"host": "daggr.example.org"}).status_code == 200
        r = client.post(
            "api/call",
            json={"inputs": {}},
            headers={"host": f"127.0.0.1:{proxied.port}", "origin": "https://daggr.example.org"},
        )
        assert r.status_code == 400 and "doc" in r.json()["error"]  # past the edge
        assert client.get("", headers={"host": "evil.example"}).status_code == 400


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [600, 5_000, 200_000])
def test_deeply_nested_json_is_a_400_naming_the_limit(app, depth):
    client = visitor(app)
    body = '{"inputs": {"keep__doc": ' + deep(depth) + "}}"
    r = client.post("api/call", content=body, headers=JSON)
    assert r.status_code == 400, r.text[:300]
    assert "nested more than 100 levels" in r.json()["error"]

    async def deep_frame() -> list[dict]:
        async with websockets.connect(
            app.ws_url, additional_headers={"Cookie": cookie_header(client)}
        ) as ws:
            await frames_until(ws, lambda f: f["type"] == "open")
            await ws.send('{"type": "comm", "data": ' + deep(depth) + "}")
            return await frames_until(ws, lambda f: content(f).get("type") == "error")

    (*_, error) = asyncio.run(deep_frame())
    assert "nested more than 100 levels" in content(error)["message"]
    assert client.get("api/user").status_code == 200  # and the app is still there


def _post_raw(port: int, head: bytes, chunks: list[bytes]) -> tuple[bytes, int]:
    """Send a request's head then its body chunk by chunk until the server answers;
    (answer, bytes of body sent)."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(head)
        for chunk in chunks:
            if select.select([s], [], [], 0)[0]:
                break  # an answer (or a close) before the body is all sent
            try:
                s.sendall(chunk)
            except OSError:  # the server closed the connection after answering
                break
            sent += len(chunk)
        answer = b""
        try:
            while piece := s.recv(65536):  # the whole answer: the server closes after it
                answer += piece
        except ConnectionResetError:  # closed with our unread body still in its buffer
            pass
        return answer, sent


def test_an_oversized_body_is_refused_before_it_is_read(tmp_path):
    """A 400 MB data: URL gets its 413 from the headers, or once the stream passes the
    limit, not after the server has read (and held) the whole body."""
    with ServedApp(GRAPH, tmp_path, env={"DAGGR_MAX_UPLOAD_MB": "1"}) as small:
        total = 400 * 2**20
        head = (
            f"POST /api/call HTTP/1.1\r\nHost: 127.0.0.1:{small.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {total}\r\n\r\n"
        ).encode()
        prefix = b'{"inputs": {"keep__doc": "data:text/plain;base64,'
        chunks = [prefix] + [b"QUJD" * 16384] * (total // 65536)
        answer, sent = _post_raw(small.port, head, chunks)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        # refused from Content-Length: what was sent sits in the sockets' buffers, unread
        assert sent < 40 * 2**20, sent

        # without a Content-Length (chunked): refused once the limit is passed
        head = (
            f"POST /api/call HTTP/1.1\r\nHost: 127.0.0.1:{small.port}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        ).encode()
        piece = b"QUJD" * 16384
        framed = [b"%x\r\n%s\r\n" % (len(prefix), prefix)]
        framed += [b"%x\r\n%s\r\n" % (len(piece), piece)] * (total // len(piece))
        answer, sent = _post_raw(small.port, head, framed)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert b"stopped reading" in answer
        assert sent < 40 * 2**20, sent
        assert visitor(small).get("api/user").status_code == 200
