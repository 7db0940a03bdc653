"""Who owns a notebook's sheets: DAGGR_USER, the logged-in Hugging Face user, or "local"."""

from __future__ import annotations

from daggr import FnNode, Graph
from daggr.remote import auth


def test_sheets_belong_to_the_logged_in_user_and_the_lookup_is_remembered(monkeypatch):
    monkeypatch.delenv("DAGGR_USER", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_TOKEN", "hf_fake_user_token_0123456789")
    monkeypatch.setattr(auth, "_users", {})
    calls = []

    def whoami(token):
        calls.append(token)
        return "ada"

    assert auth.notebook_user(whoami) == "ada"
    monkeypatch.setattr(auth, "_users", {})  # a new process: the disk remembers
    assert auth.notebook_user(whoami) == "ada" and len(calls) == 1
    monkeypatch.setattr(auth, "_whoami", whoami)
    g = Graph("Owned", nodes=[FnNode(lambda: 1, name="one")])
    assert g.session.user == "ada"


def test_offline_or_anonymous_is_local_and_daggr_user_wins(monkeypatch):
    monkeypatch.setattr(auth, "_users", {})
    monkeypatch.delenv("DAGGR_USER", raising=False)
    monkeypatch.setenv("HF_TOKEN", "hf_other_fake_token_987654321")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert auth.notebook_user(lambda token: "never asked") == "local"
    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setenv("HF_HOME", "/nonexistent-hf-home")
    assert auth.notebook_user(lambda token: "never asked") == "local"
    monkeypatch.setenv("DAGGR_USER", "grace")
    assert auth.notebook_user() == "grace"


def test_an_unreachable_hub_falls_back_to_local(monkeypatch):
    monkeypatch.setattr(auth, "_users", {})
    monkeypatch.delenv("DAGGR_USER", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_TOKEN", "hf_unreachable_fake_token_55555")

    def down(token):
        raise ConnectionError("no route to the Hub")

    assert auth.notebook_user(down) == "local"
