"""Who is asking: every REST call and websocket resolves its user here first.

A visitor is either a Hugging Face user (only when the operator trusts bearer tokens,
``DAGGR_TRUST_HF_TOKEN=1``) or an anonymous browser identified by a random, HttpOnly
cookie. A server-side ``HF_TOKEN`` is never used as anyone's identity: on a Space it
belongs to the deployer, and every anonymous visitor would otherwise share their sheets.

Example:
    >>> resolver = Identity(trust_hf_token=False)
    >>> user, new_cookie = resolver.resolve(headers={}, cookies={})
    >>> user.startswith("anon-") and new_cookie == user[5:]
    True
    >>> resolver.resolve({}, {COOKIE: new_cookie})[0] == user
    True
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from collections.abc import Callable, Mapping

COOKIE = "daggr_uid"
_COOKIE_VALUE = re.compile(r"[A-Za-z0-9_-]{20,64}")


def trust_from_env() -> bool:
    return os.environ.get("DAGGR_TRUST_HF_TOKEN", "").strip().lower() in ("1", "true", "yes")


class Identity:
    """Maps a request's headers and cookies to a user id (the store's ``user_id``).

    Args:
        trust_hf_token: accept ``Authorization: Bearer <HF token>`` and identify the user
            as ``hf:<username>`` via ``huggingface_hub.whoami`` (cached per token).
        whoami: the lookup to use (tests pass a stub); defaults to huggingface_hub's.
    """

    def __init__(
        self,
        trust_hf_token: bool | None = None,
        whoami: Callable[[str], str | None] | None = None,
    ) -> None:
        self.trust_hf_token = trust_from_env() if trust_hf_token is None else trust_hf_token
        self._whoami = whoami or _hub_whoami
        self._tokens: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def resolve(
        self, headers: Mapping[str, str], cookies: Mapping[str, str]
    ) -> tuple[str, str | None]:
        """``(user_id, cookie to set or None)``. Never raises for a bad header or cookie:
        a visitor with an unusable one simply becomes a new anonymous visitor."""
        if self.trust_hf_token:
            auth = headers.get("authorization", "")
            if auth.lower().startswith("bearer "):
                name = self._hf_user(auth[7:].strip())
                if name:
                    return f"hf:{name}", None
        value = cookies.get(COOKIE, "")
        if _COOKIE_VALUE.fullmatch(value):
            return f"anon-{value}", None
        fresh = secrets.token_urlsafe(24)
        return f"anon-{fresh}", fresh

    def _hf_user(self, token: str) -> str | None:
        if not token:
            return None
        with self._lock:
            if token in self._tokens:
                return self._tokens[token]
        try:
            name = self._whoami(token)
        except Exception:  # an invalid or expired token is just "not logged in"
            name = None
        with self._lock:
            if len(self._tokens) > 1024:
                self._tokens.clear()
            self._tokens[token] = name
        return name


def _hub_whoami(token: str) -> str | None:
    from huggingface_hub import whoami

    return whoami(token=token).get("name")
