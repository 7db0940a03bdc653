"""Serving under a path prefix and behind a reverse proxy.

A served graph is often reached through a proxy that adds a prefix: JupyterHub and Binder
(jupyter-server-proxy at ``/user/<name>/proxy/<port>/``), nginx or Traefik locations, a
Space. The page uses relative URLs only, so it works under any prefix the proxy strips;
this middleware tells the app the public address for what needs it whole (``<base>``,
the file URLs of REST answers, the Host check):

- ``root_path`` (``launch(root_path="/apps/demo")``, ``--root-path``) fixes the prefix;
  otherwise a trusted proxy's ``X-Forwarded-Prefix`` gives it per request;
- from a trusted proxy, ``X-Forwarded-Host`` becomes the request's Host,
  ``X-Forwarded-Proto`` its scheme and ``X-Forwarded-For`` its client;
- a request whose path still carries the prefix (a proxy that does not strip it) is
  routed as if it had been stripped.

Trusted proxies are the clients in ``forwarded_allow_ips`` (default: this machine, as for
uvicorn; ``"*"`` trusts every client, for a server that only a proxy can reach). Headers
from anyone else are ignored, so a visitor cannot make the app link elsewhere.

Example:
    >>> clean_prefix("/user/me/proxy/7860/")
    '/user/me/proxy/7860'
    >>> clean_prefix("https://evil.example/") is None
    True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

Scope = dict[str, Any]

DEFAULT_TRUSTED = ("127.0.0.1", "::1")
_SEGMENT = re.compile(r"[A-Za-z0-9._~%!$&'()*+,;=:@-]+")
_HOST = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


def clean_prefix(value: str | None) -> str | None:
    """``value`` as a path prefix (``""`` for none, no trailing slash), or None when it
    is not a plain path (a URL, ``..``, characters a path never has)."""
    if value is None:
        return None
    value = value.strip()
    if value in ("", "/"):
        return ""
    if not value.startswith("/") or value.startswith("//"):  # "//host" is another site
        return None
    parts = value.strip("/").split("/")
    if any(p in ("", ".", "..") or not _SEGMENT.fullmatch(p) for p in parts):
        return None
    return "/" + "/".join(parts)


def check_root_path(root_path: str | None) -> str | None:
    """``root_path`` cleaned (None stays None), or a ValueError that shows a valid one."""
    if root_path is None:
        return None
    fixed = clean_prefix(root_path)
    if fixed is None:
        raise ValueError(
            f"root_path={root_path!r} is not a path prefix: give the path the app is served "
            "under, e.g. root_path='/apps/demo'."
        )
    return fixed


class ProxyHeaders:
    """ASGI middleware: the public prefix, host, scheme and client of each request.

    Args:
        app: the ASGI app behind it.
        root_path: a fixed public prefix (``"/apps/demo"``); None to take it from a trusted
            proxy's ``X-Forwarded-Prefix``.
        forwarded_allow_ips: clients whose ``X-Forwarded-*`` headers are believed
            (``"*"``: all).
    """

    def __init__(
        self,
        app: Any,
        root_path: str | None = None,
        forwarded_allow_ips: Iterable[str] | str | None = None,
    ) -> None:
        self.app = app
        self.root_path = check_root_path(root_path)
        if forwarded_allow_ips is None:
            forwarded_allow_ips = DEFAULT_TRUSTED
        if isinstance(forwarded_allow_ips, str):
            forwarded_allow_ips = [h.strip() for h in forwarded_allow_ips.split(",")]
        self.trusted = frozenset(h for h in forwarded_allow_ips if h)

    def trusts(self, scope: Scope) -> bool:
        if "*" in self.trusted:
            return True
        client = scope.get("client")
        return bool(client) and client[0] in self.trusted

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = self.rewrite(scope)
            prefix = scope["root_path"]
            if scope["type"] == "http" and prefix and scope["path"] == prefix:
                # The page's relative URLs need the trailing slash.
                from starlette.responses import RedirectResponse

                await RedirectResponse(prefix + "/", 307)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def rewrite(self, scope: Scope) -> Scope:
        """A copy of ``scope`` with the public prefix, host, scheme and client."""
        scope = dict(scope)
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        trusted = self.trusts(scope)
        prefix = self.root_path
        if trusted:
            if prefix is None:
                prefix = clean_prefix(_first(headers.get(b"x-forwarded-prefix")))
            host = _first(headers.get(b"x-forwarded-host"))
            if host and _HOST.fullmatch(host):
                # The Host the connection came with, for the Host check (daggr.app.trust):
                # a forwarded header names the public address, never the one dialled.
                scope["daggr.dialled_host"] = (headers.get(b"host") or b"").decode("latin-1")
                scope["headers"] = [
                    (k, v) for k, v in scope.get("headers", []) if k.lower() != b"host"
                ] + [(b"host", host.encode("latin-1"))]
            proto = (_first(headers.get(b"x-forwarded-proto")) or "").lower()
            if proto in ("http", "https", "ws", "wss"):
                secure = proto in ("https", "wss")
                if scope["type"] == "websocket":
                    scope["scheme"] = "wss" if secure else "ws"
                else:
                    scope["scheme"] = "https" if secure else "http"
            client = _first(headers.get(b"x-forwarded-for"))
            if client:
                scope["client"] = (client, 0)
        prefix = prefix or ""
        scope["root_path"] = prefix
        path = scope.get("path", "")
        if prefix and (path == prefix or path.startswith(prefix + "/")):
            # The proxy kept the prefix: route the rest (Starlette strips root_path itself
            # only when it matches; keep both spellings of the path consistent).
            scope["path"] = path
        else:
            scope["path"] = prefix + path
        raw = scope.get("raw_path")
        if raw is not None and not raw.startswith(prefix.encode()):
            scope["raw_path"] = prefix.encode() + raw
        return scope


def _first(value: bytes | None) -> str | None:
    """The first (client-most) entry of a comma-separated forwarded header."""
    if not value:
        return None
    return value.decode("latin-1").split(",")[0].strip() or None


def public_base(scope: Scope) -> str:
    """``scheme://host/prefix/`` of a request that went through :class:`ProxyHeaders`."""
    from starlette.requests import HTTPConnection

    return str(HTTPConnection(scope).base_url)
