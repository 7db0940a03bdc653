"""Who a request is, and on whose behalf that visitor's runs call remote apps.

Every route and the websocket ask :meth:`Visitors.identify` first: a visitor signed in
with Hugging Face (:mod:`daggr.app.oauth`) is ``hf:<username>``; otherwise the
:class:`~daggr.app.identity.Identity` rules apply (anonymous cookie, or a trusted bearer
token). :meth:`Visitors.bind` then gives the visitor's session the credentials its remote
nodes use (:class:`daggr.remote.visitor.Visitor`): their own token when signed in, the
server's token only where the owner allows it, and their ``X-IP-Token``.

``owner_token`` (``launch(owner_token=...)``): whether calls of visitors who have no token
of their own may use the server's ``HF_TOKEN`` / login. Default: yes when the app is only
for this machine (a loopback address, not a Space), no otherwise.

Example:
    >>> from starlette.requests import HTTPConnection
    >>> conn = HTTPConnection({"type": "http", "headers": [(b"x-ip-token", b"ip-1")]})
    >>> v = Visitors(owner_token=False).visitor(conn)
    >>> v.token, v.owner_token, dict(v.headers)
    (None, False, {'x-ip-token': 'ip-1'})
"""

from __future__ import annotations

import inspect
import os
from typing import Any

from starlette.requests import HTTPConnection
from starlette.responses import Response

from daggr.app.identity import Identity
from daggr.app.oauth import OAuthConfig, SignIn
from daggr.remote.visitor import Visitor, forwarded_headers

_PARTITIONED = "partitioned" in inspect.signature(Response.set_cookie).parameters


def cookie_options(conn: HTTPConnection) -> dict[str, Any]:
    """SameSite/Secure for the app's cookies. A Space shows the app in an iframe on
    huggingface.co: only a partitioned SameSite=None cookie reaches it there; elsewhere
    Lax is the safer choice."""
    https = (
        conn.url.scheme in ("https", "wss")
        or conn.headers.get("x-forwarded-proto") == "https"
        or bool(os.environ.get("SPACE_ID"))
    )
    if not https:
        return {"samesite": "lax", "secure": False}
    return {"samesite": "none", "secure": True, **({"partitioned": True} if _PARTITIONED else {})}


def default_owner_token(host: str | None = None) -> bool:
    """The server's token serves visitors only on an app for this machine."""
    if os.environ.get("SPACE_ID"):
        return False
    return host is None or host in ("127.0.0.1", "localhost", "::1")


class Visitors:
    """Identity, sign-in and per-visitor credentials of one app."""

    def __init__(
        self,
        identity: Identity | None = None,
        oauth: OAuthConfig | None = None,
        owner_token: bool | None = None,
    ) -> None:
        self.identity = identity or Identity()
        self.sign_in = SignIn(oauth, cookie_options) if oauth is not None else None
        self.owner_token = default_owner_token() if owner_token is None else owner_token

    def identify(self, conn: HTTPConnection) -> tuple[str, str | None]:
        """``(user id, anonymous cookie to set or None)``."""
        signed = self.sign_in.visitor(conn) if self.sign_in else None
        if signed is not None:
            return f"hf:{signed.username}", None
        return self.identity.resolve(conn.headers, conn.cookies)

    def visitor(self, conn: HTTPConnection) -> Visitor:
        """The credentials this request's runs call with."""
        signed = self.sign_in.visitor(conn) if self.sign_in else None
        return Visitor(
            token=signed.token if signed else None,
            owner_token=self.owner_token,
            headers=forwarded_headers(conn.headers),
        )

    def account(self, conn: HTTPConnection) -> dict[str, Any]:
        """What the page shows: whether sign-in exists and who is signed in."""
        signed = self.sign_in.visitor(conn) if self.sign_in else None
        return {"sign_in": self.sign_in is not None, "user": signed.username if signed else None}
