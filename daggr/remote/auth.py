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
from urllib.parse import urlparse

_TOKEN_LIKE = re.compile(r"hf_[A-Za-z0-9]{16,}")
_HF_HOSTS = ("huggingface.co", "hf.space", "hf.co")


def get_token() -> str | None:
    """``$HF_TOKEN``, else the token saved by ``hf auth login`` (``huggingface_hub.get_token``)."""
    token = os.environ.get("HF_TOKEN", "").strip()
    if token:
        return token
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
