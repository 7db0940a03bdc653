"""A loopback stand-in for Hugging Face's OAuth / OpenID Connect provider.

Speaks what "Sign in with Hugging Face" uses: discovery
(``/.well-known/openid-configuration``), ``/oauth/authorize`` (approves at once, as the
user the browser names in an ``X-Fake-User`` header), ``/oauth/token`` (code -> access
token, client credentials checked) and ``/oauth/userinfo``.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

CLIENT_ID = "daggr-test-client"
CLIENT_SECRET = "test-client-secret"


@dataclass
class FakeOAuth:
    url: str = ""
    codes: dict[str, str] = field(default_factory=dict)  # code -> user
    tokens: dict[str, str] = field(default_factory=dict)  # access token -> user
    server: ThreadingHTTPServer | None = None

    def token_of(self, user: str) -> str:
        return next(t for t, u in self.tokens.items() if u == user)

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()


def _handler(provider: FakeOAuth) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, status: int, data: Any) -> None:
            body = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self._json(
                    200,
                    {
                        "issuer": provider.url,
                        "authorization_endpoint": f"{provider.url}/oauth/authorize",
                        "token_endpoint": f"{provider.url}/oauth/token",
                        "userinfo_endpoint": f"{provider.url}/oauth/userinfo",
                    },
                )
            elif url.path == "/oauth/authorize":
                user = self.headers.get("X-Fake-User")
                if query.get("client_id") != CLIENT_ID or not user:
                    self._json(400, {"error": "unknown client or no user"})
                    return
                code = secrets.token_urlsafe(12)
                provider.codes[code] = user
                back = (
                    query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})
                )
                self.send_response(302)
                self.send_header("Location", back)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif url.path == "/oauth/userinfo":
                auth = self.headers.get("Authorization", "")
                user = provider.tokens.get(auth.removeprefix("Bearer "))
                if user is None:
                    self._json(401, {"error": "invalid token"})
                    return
                self._json(200, {"sub": f"id-{user}", "preferred_username": user, "name": user})
            else:
                self._json(404, {"error": f"no route {url.path}"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if (
                self.path != "/oauth/token"
                or self.headers.get("Authorization") != f"Basic {expected}"
            ):
                self._json(401, {"error": "bad client credentials"})
                return
            user = provider.codes.pop(form.get("code", ""), None)
            if user is None:
                self._json(400, {"error": "invalid_grant"})
                return
            token = f"hf_oauth{user}{secrets.token_hex(12)}"
            provider.tokens[token] = user
            self._json(200, {"access_token": token, "token_type": "bearer", "expires_in": 3600})

    return Handler


def start_fake_oauth() -> FakeOAuth:
    provider = FakeOAuth()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    provider.server = server
    provider.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return provider
