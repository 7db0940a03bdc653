"""Visitors of a served graph call remote apps as themselves: signed in with Hugging Face
(against a loopback OAuth provider), each has their own sheets and their own token;
anonymous visitors never use the owner's token unless the owner allows it; each
visitor's ZeroGPU identity (``X-IP-Token``) reaches the Gradio app."""

from __future__ import annotations

import json

import httpx
import pytest

from daggr import GradioNode, Graph
from daggr import components as gr
from daggr.app.oauth import OAuthConfig
from tests.remote.fake_oauth import CLIENT_ID, CLIENT_SECRET, start_fake_oauth

OWNER_TOKEN = "hf_ownerownerownerowner1234"


@pytest.fixture
def provider():
    fake = start_fake_oauth()
    yield fake
    fake.stop()


@pytest.fixture
def headers_graph(gradio_app, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", OWNER_TOKEN)
    monkeypatch.setenv("DAGGR_TOKEN_HOSTS", "127.0.0.1")  # the loopback app stands for a Space
    node = GradioNode(
        gradio_app.url,
        api_name="/headers_seen",
        name="seen",
        inputs={"x": gr.Textbox(value="hi")},
        outputs={"credentials": gr.Textbox()},
    )
    return Graph("Visitors", nodes=[node], persist_key="visitors-test")


def _visitor(app_url: str, user: str | None = None) -> httpx.Client:
    client = httpx.Client(base_url=app_url, timeout=30, follow_redirects=True)
    if user is not None:
        client.headers["X-Fake-User"] = user  # the provider signs this browser in as user
        page = client.get("login/huggingface")
        assert page.status_code == 200 and f">{user}</span>" in page.text
        assert "Sign out" in page.text
    return client


def _call(app, client: httpx.Client, ip_token: str | None, x: str) -> dict:
    """What the Gradio app received, as it echoed it. Read from the visitor's history on
    the server: the answer a visitor gets never shows a token (it says ``hf_***``)."""
    headers = {"X-IP-Token": ip_token} if ip_token else {}
    r = client.post("api/call", json={"inputs": {"seen__x": x}}, headers=headers)
    assert r.status_code == 200, r.text
    shown = json.loads(r.json()["outputs"]["seen"]["credentials"])
    assert shown["token"] in (None, "hf_***"), shown
    user = client.get("api/user").json()["user"]
    return json.loads(app.state.session(user).results.latest("seen").outputs["credentials"])


@pytest.mark.slow  # the Gradio app in a subprocess
def test_signed_in_visitors_call_as_themselves_and_anonymous_ones_never_as_the_owner(
    serve, provider, headers_graph
):
    config = OAuthConfig(CLIENT_ID, CLIENT_SECRET, provider.url, "openid profile inference-api")
    app = serve(headers_graph, oauth=config, owner_token=False)
    alice, bob, anon = _visitor(app.url, "alice"), _visitor(app.url, "bob"), _visitor(app.url)

    assert "Sign in with Hugging Face" in anon.get("").text
    assert _call(app, alice, "ip-alice", "a") == {
        "token": provider.token_of("alice"),
        "ip_token": "ip-alice",
    }
    assert _call(app, bob, "ip-bob", "b") == {
        "token": provider.token_of("bob"),
        "ip_token": "ip-bob",
    }
    assert _call(app, anon, "ip-anon", "c") == {"token": None, "ip_token": "ip-anon"}
    assert _call(app, anon, None, "d") == {"token": None, "ip_token": None}

    # Sheets by username: each sees only their own run, from any browser.
    users = [c.get("api/user").json() for c in (alice, bob, anon)]
    assert [u["user"] for u in users[:2]] == ["hf:alice", "hf:bob"]
    assert users[2]["user"].startswith("anon-") and not users[2]["signed_in"]
    for client, x in ((alice, "a"), (bob, "b")):
        sheet = client.get("api/sheets").json()["current"]
        state = client.get(f"api/sheets/{sheet}").json()
        assert state["inputs"]["seen__x"] == x
    again = _visitor(app.url, "alice")  # another browser of alice's
    assert again.get("api/sheets").json()["current"] == alice.get("api/sheets").json()["current"]

    # Signing out makes the browser anonymous again: no token any more.
    alice.get("logout")
    assert alice.get("api/user").json()["user"].startswith("anon-")
    assert _call(app, alice, None, "e")["token"] is None
    # Nothing of a token ever reaches a page.
    for client in (alice, bob, anon):
        text = client.get("").text + client.get("api/user").text
        assert "hf_oauth" not in text and OWNER_TOKEN not in text


@pytest.mark.slow  # the Gradio app in a subprocess
def test_the_owner_may_let_anonymous_visitors_use_their_token(serve, headers_graph):
    app = serve(headers_graph, oauth=False, owner_token=True)
    anon = _visitor(app.url)
    assert "Sign in" not in anon.get("").text
    assert _call(app, anon, "ip-1", "x") == {"token": OWNER_TOKEN, "ip_token": "ip-1"}


def test_a_forged_or_stale_callback_signs_nobody_in(serve, provider):
    from daggr import FnNode

    graph = Graph("g", nodes=[FnNode(lambda: 1, name="one")], persist_key=False)
    app = serve(graph, oauth=OAuthConfig(CLIENT_ID, CLIENT_SECRET, provider.url))
    r = httpx.get(app.url + "login/callback?code=x&state=y")
    assert r.status_code == 400 and "Sign in again" in r.text
    login = httpx.get(app.url + "login/huggingface")
    assert login.status_code == 302
    assert login.headers["location"].startswith(provider.url + "/oauth/authorize?")
    assert f"client_id={CLIENT_ID}" in login.headers["location"]
