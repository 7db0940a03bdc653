""" "Sign in with Hugging Face" for a served graph (OAuth 2 / OpenID Connect).

On a Space whose README says ``hf_oauth: true`` (``daggr export --oauth``), the Space
gives the app ``OAUTH_CLIENT_ID``, ``OAUTH_CLIENT_SECRET``, ``OAUTH_SCOPES`` and
``OPENID_PROVIDER_URL``; with them the page shows a sign-in link. A signed-in visitor:

- works in their own sheets, by username (``hf:<name>``), from any browser;
- has their calls made with their own token (and their ZeroGPU quota), never the owner's.

Routes: ``GET /login/huggingface`` (to the provider), ``GET /login/callback`` (back from
it), ``GET /logout``. Signed-in visitors are kept in memory by a random, HttpOnly cookie
(a restart signs everyone out); their token never reaches the page.

Example:
    >>> OAuthConfig.from_env({}) is None
    True
    >>> OAuthConfig.from_env({"OAUTH_CLIENT_ID": "id", "OAUTH_CLIENT_SECRET": "s",
    ...                       "OPENID_PROVIDER_URL": "https://huggingface.co"}).scopes
    'openid profile'
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

SESSION_COOKIE = "daggr_session"
STATE_COOKIE = "daggr_oauth_state"
MAX_SIGNED_IN = 10_000  # remembered sign-ins; the oldest are signed out past this


@dataclass(frozen=True)
class OAuthConfig:
    """Where and as whom the app signs visitors in."""

    client_id: str
    client_secret: str
    provider: str = "https://huggingface.co"
    scopes: str = "openid profile"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OAuthConfig | None:
        """What a Space with ``hf_oauth: true`` provides, or None when it is not there."""
        env = os.environ if env is None else env
        client_id, secret = env.get("OAUTH_CLIENT_ID"), env.get("OAUTH_CLIENT_SECRET")
        if not client_id or not secret:
            return None
        return cls(
            client_id,
            secret,
            (env.get("OPENID_PROVIDER_URL") or "https://huggingface.co").rstrip("/"),
            env.get("OAUTH_SCOPES") or "openid profile",
        )

    def __repr__(self) -> str:  # never the secret
        return f"OAuthConfig(client_id={self.client_id!r}, provider={self.provider!r})"


@dataclass(frozen=True)
class SignedIn:
    username: str
    token: str
    expires: float

    def __repr__(self) -> str:
        return f"SignedIn({self.username!r})"


class SignIn:
    """The sign-in routes and the signed-in visitors of one app."""

    def __init__(self, config: OAuthConfig, secure: Any = None) -> None:
        self.config = config
        self._endpoints: dict[str, str] | None = None
        self._visitors: OrderedDict[str, SignedIn] = OrderedDict()
        self._lock = threading.Lock()
        # cookie_options(conn) -> set_cookie keyword arguments (SameSite, Secure, ...)
        self._cookie_options = secure or (lambda conn: {"samesite": "lax"})

    # -- who is signed in ---------------------------------------------------------------------
    def visitor(self, conn: HTTPConnection) -> SignedIn | None:
        sid = conn.cookies.get(SESSION_COOKIE, "")
        if not sid:
            return None
        with self._lock:
            who = self._visitors.get(sid)
            if who is not None and who.expires < time.time():
                del self._visitors[sid]
                who = None
        return who

    # -- routes ---------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [
            Route("/login/huggingface", self.login),
            Route("/login/callback", self.callback),
            Route("/logout", self.logout),
        ]

    def _redirect_uri(self, request: Request) -> str:
        return str(request.base_url) + "login/callback"

    async def login(self, request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        endpoints = await run_in_threadpool(self.endpoints)
        state = secrets.token_urlsafe(24)
        query = urlencode(
            {
                "client_id": self.config.client_id,
                "redirect_uri": self._redirect_uri(request),
                "response_type": "code",
                "scope": self.config.scopes,
                "state": state,
            }
        )
        response = RedirectResponse(f"{endpoints['authorization_endpoint']}?{query}", 302)
        response.set_cookie(
            STATE_COOKIE, state, max_age=600, httponly=True, **self._cookie_options(request)
        )
        return response

    async def callback(self, request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        state = request.query_params.get("state", "")
        expected = request.cookies.get(STATE_COOKIE, "")
        if not state or not secrets.compare_digest(state, expected):
            return PlainTextResponse(
                "Sign-in failed: this link is stale or was not started here. Sign in again.", 400
            )
        code = request.query_params.get("code")
        if not code:
            reason = request.query_params.get("error_description") or "no code was given"
            return PlainTextResponse(f"Sign-in failed: {reason}.", 400)
        try:
            who = await run_in_threadpool(self._exchange, code, self._redirect_uri(request))
        except Exception as exc:
            return PlainTextResponse(f"Sign-in failed: {type(exc).__name__}.", 502)
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._visitors[sid] = who
            while len(self._visitors) > MAX_SIGNED_IN:
                self._visitors.popitem(last=False)
        response = RedirectResponse(str(request.base_url), 302)
        response.delete_cookie(STATE_COOKIE)
        max_age = max(60, int(who.expires - time.time()))
        response.set_cookie(
            SESSION_COOKIE, sid, max_age=max_age, httponly=True, **self._cookie_options(request)
        )
        return response

    async def logout(self, request: Request) -> Response:
        sid = request.cookies.get(SESSION_COOKIE, "")
        with self._lock:
            self._visitors.pop(sid, None)
        response = RedirectResponse(str(request.base_url), 302)
        response.delete_cookie(SESSION_COOKIE)
        return response

    # -- the provider ---------------------------------------------------------------------------
    def endpoints(self) -> dict[str, str]:
        """The provider's authorize, token and userinfo URLs (OpenID discovery, cached)."""
        if self._endpoints is None:
            import httpx

            url = f"{self.config.provider}/.well-known/openid-configuration"
            found = httpx.get(url, timeout=10).raise_for_status().json()
            self._endpoints = {
                k: found[k]
                for k in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint")
            }
        return self._endpoints

    def _exchange(self, code: str, redirect_uri: str) -> SignedIn:
        import httpx

        endpoints = self.endpoints()
        tokens = (
            httpx.post(
                endpoints["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "client_id": self.config.client_id,
                },
                auth=(self.config.client_id, self.config.client_secret),
                timeout=10,
            )
            .raise_for_status()
            .json()
        )
        token = tokens["access_token"]
        info = (
            httpx.get(
                endpoints["userinfo_endpoint"],
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            .raise_for_status()
            .json()
        )
        username = info.get("preferred_username") or info.get("name") or info["sub"]
        expires = time.time() + float(tokens.get("expires_in") or 8 * 3600)
        return SignedIn(str(username), token, expires)
