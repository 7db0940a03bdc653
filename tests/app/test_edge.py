"""The served app's edge, in the fast loop (an app served in this process): Host, Origin,
JSON and the security headers. The black-box versions, with an app in its own process
and Chromium, are in tests/hardening/test_trust_*.py."""

from __future__ import annotations

import httpx

from daggr import FnNode, Graph
from daggr import components as gr


def test_the_edge_refuses_foreign_hosts_origins_and_non_json(serve):
    node = FnNode(lambda text: text[::-1], name="flip", inputs={"text": gr.Textbox(value="ab")})
    app = serve(Graph("edge", nodes=[node], persist_key=False))
    with httpx.Client(base_url=app.url, timeout=30) as client:
        page = client.get("")
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-content-type-options"] == "nosniff"

        ok = client.post("api/call", json={"inputs": {"flip__text": "abc"}})
        assert ok.json()["outputs"]["flip"]["output"] == "cba"

        rebound = client.get("", headers={"host": "rebound.example"})
        assert rebound.status_code == 400 and "DAGGR_ALLOWED_HOSTS" in rebound.json()["error"]
        foreign = client.post(
            "api/call", json={"inputs": {}}, headers={"origin": "http://127.0.0.1:1"}
        )
        assert foreign.status_code == 403
        plain = client.post(
            "api/call", content=b'{"inputs": {}}', headers={"content-type": "text/plain"}
        )
        assert plain.status_code == 415
        deep = client.post(
            "api/call",
            content=b'{"inputs": {"flip__text": ' + b"[" * 500 + b"]" * 500 + b"}}",
            headers={"content-type": "application/json"},
        )
        assert deep.status_code == 400 and "nested more than 100 levels" in deep.json()["error"]
