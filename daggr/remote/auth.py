"""The Hugging Face token: where it comes from, which hosts may receive it, and keeping it
out of every message daggr produces.

>>> redact("401 for hf_abcdefghijklmnopqrstuvwxyz0123")
'401 for hf_***'
>>> sends_token_to("https://owner-space.hf.space/")
True
>>> sends_token_to("http://127.0.0.1:7860")
False
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Any
from urllib.parse import urlparse

from daggr.home import hf_home
from daggr.remote.config import env_float, hub_endpoint, hub_offline, remote_dir

_TOKEN_LIKE = re.compile(r"hf_[A-Za-z0-9]{16,}")
_HF_HOSTS = ("huggingface.co", "hf.space", "hf.co")


def get_token() -> str | None:
    """``$HF_TOKEN``, else the token saved by ``hf auth login`` (``huggingface_hub.get_token``)."""
    token = os.environ.get("HF_TOKEN", "").strip()
    if token:
        return token
    saved = os.environ.get("HF_TOKEN_PATH") or str(hf_home() / "token")
    if not os.path.exists(saved):
        return None  # nobody logged in: no need to import huggingface_hub to find out
    try:
        from huggingface_hub import get_token as hub_token

        return hub_token() or None
    except Exception:  # no huggingface_hub, or an unreadable token file: anonymous
        return None


def fingerprint(token: str | None) -> str:
    """A short, non-reversible key for caches keyed by token."""
    if not token:
        return "anonymous"
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def redact(text: str, token: str | None = None) -> str:
    """``text`` with the token (given, from the environment, or anything shaped like one)
    replaced by ``hf_***``."""
    for secret in (token, os.environ.get("HF_TOKEN", "").strip()):
        if secret and len(secret) >= 8:
            text = text.replace(secret, "hf_***")
    return _TOKEN_LIKE.sub("hf_***", text)


def describe(exc: BaseException, token: str | None = None) -> str:
    """``"Type: message"`` for an exception, redacted."""
    message = str(exc) or repr(exc)
    return redact(f"{type(exc).__name__}: {message}", token)


def sends_token_to(url: str) -> bool:
    """Whether the token may be sent to ``url``: Hugging Face hosts (Spaces included),
    plus hosts listed in ``DAGGR_TOKEN_HOSTS`` (comma-separated). A token is a credential
    for your account; an arbitrary app has no use for it."""
    host = (urlparse(url).hostname or "").lower()
    if any(host == h or host.endswith("." + h) for h in _HF_HOSTS):
        return True
    extra = os.environ.get("DAGGR_TOKEN_HOSTS", "")
    return host in {h.strip().lower() for h in extra.split(",") if h.strip()}


_users: dict[str, str] = {}


def notebook_user(lookup: Any = None) -> str:
    """Who owns the sheets of a notebook session: ``$DAGGR_USER``; else the Hugging Face
    username of the saved token (looked up once per token, bounded by
    ``DAGGR_CONNECT_TIMEOUT``, remembered on disk, never tried offline); else ``"local"``.

    ``lookup(token) -> username`` replaces the Hub's ``whoami`` (tests pass their own).
    """
    explicit = os.environ.get("DAGGR_USER", "").strip()
    if explicit:
        return explicit
    token = get_token()
    if not token:
        return "local"
    key = fingerprint(token)
    if key in _users:
        return _users[key]
    cache = remote_dir("users") / f"{key}.txt"
    if cache.exists():
        name = cache.read_text(encoding="utf-8").strip()
    elif hub_offline():
        return "local"
    else:
        name = _lookup(lookup or _whoami, token)
        if name:
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(name, encoding="utf-8")
    _users[key] = name or "local"
    return _users[key]


def _whoami(token: str) -> str | None:
    from huggingface_hub import HfApi

    # HF_ENDPOINT as set now (huggingface_hub's own default is read at its import): the
    # token goes to the Hub the user configured, never elsewhere.
    return HfApi(endpoint=hub_endpoint()).whoami(token=token).get("name")


def _lookup(lookup: Any, token: str) -> str | None:
    """Run the lookup in a thread so that an unreachable Hub costs at most the timeout."""
    import threading

    found: list[str | None] = []
    thread = threading.Thread(target=lambda: found.append(_safe(lookup, token)), daemon=True)
    thread.start()
    thread.join(env_float("DAGGR_CONNECT_TIMEOUT", 10.0))
    return found[0] if found else None


def _safe(lookup: Any, token: str) -> str | None:
    try:
        return lookup(token)
    except Exception:  # an invalid token or no network: sheets stay "local"
        return None
