"""Trust at the edge: every check the served app applies to what arrives from a browser
or an API client, in one place. Routes and the canvas socket below it trust their callers.

- **Host.** A request's ``Host`` must name the served address (``127.0.0.1``,
  ``localhost``, ``[::1]`` for a loopback server) or a host in ``$DAGGR_ALLOWED_HOSTS``
  (comma-separated, for a proxy); a page that rebinds its own domain to 127.0.0.1 gets a
  400. A server on every interface (``0.0.0.0``, as on Spaces) with no name configured
  accepts any ``Host``, and still checks ``Origin`` against it.
- **Same origin.** A state-changing request (any method but GET/HEAD/OPTIONS) and every
  websocket must come from the app's own origin (the ``Host`` it was sent to, a name in
  ``$DAGGR_ALLOWED_HOSTS``, or ``$SPACE_HOST`` on Spaces): an ``Origin`` of another origin, or
  ``Sec-Fetch-Site: cross-site | same-site``, gets a 403. Clients that send no
  ``Origin`` (scripts, ``curl``) are not browsers and carry no visitor's cookie by accident.
- **JSON.** A state-changing request's body must be ``application/json`` (415 otherwise,
  which also forces browsers into a CORS preflight the app never grants), at most
  :func:`max_body_bytes` (413, refused from ``Content-Length`` or while streaming, before
  it is all read) and nested at most :data:`MAX_JSON_DEPTH` levels (400).
- **Headers.** Every response carries a strict ``Content-Security-Policy``,
  ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy``; files are served as
  attachments unless they are images, audio or video, and inside a ``sandbox`` CSP.
- **Frames.** Every websocket frame is checked against the canvas protocol
  (:mod:`daggr.widget.protocol`) before it reaches the visitor's canvas.
- **Per visitor.** One visitor (one cookie) has at most ``$DAGGR_MAX_CALLS_PER_VISITOR``
  REST calls (default 4, then 429) and ``$DAGGR_MAX_SOCKETS_PER_VISITOR`` canvases (default
  8) at once, so no visitor can take the server's threads from the others.
- **Secrets.** Text sent to visitors (REST answers, canvas frames) has the server's
  Hugging Face token replaced by ``hf_***``.

Example:
    >>> policy = Policy.for_address("127.0.0.1", 7860)
    >>> policy.host_allowed("127.0.0.1:7860"), policy.host_allowed("evil.example:7860")
    (True, False)
    >>> policy.origin_allowed("http://127.0.0.1:7860", "127.0.0.1:7860")
    True
    >>> policy.origin_allowed("http://127.0.0.1:9999", "127.0.0.1:7860")
    False
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse

from daggr.remote.auth import get_token, redact
from daggr.values.files import mime_of
from daggr.values.limits import MAX_JSON_INPUT, max_upload_bytes
from daggr.widget.protocol import MessageError, check_frame

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

ALLOWED_HOSTS_ENV = "DAGGR_ALLOWED_HOSTS"
FRAME_ANCESTORS_ENV = "DAGGR_FRAME_ANCESTORS"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_JSON_DEPTH = 100
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
WILDCARD = frozenset({"0.0.0.0", "::", ""})

# Media a browser shows inline without running anything; every other file (HTML, SVG,
# XML, scripts, PDFs, unknown types) is a download.
_INLINE = re.compile(r"(image/(png|jpeg|gif|webp|avif|bmp)|audio/[\w.+-]+|video/[\w.+-]+)")
# Types a browser may run script from, were the file ever opened as a page: these go out
# as bytes; every other file keeps its type (a text file is text/plain) but downloads.
_ACTIVE = re.compile(r"text/html|image/svg\+xml|.*xml|.*javascript|.*ecmascript|multipart/.*")
FILE_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"


def page_csp(frame_ancestors: str) -> str:
    """The policy of the app's own pages: scripts only from the app's own files."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; media-src 'self' data: blob:; font-src 'self' data:; "
        "connect-src 'self'; frame-src 'self' blob: data:; object-src 'none'; "
        f"base-uri 'none'; form-action 'self'; frame-ancestors {frame_ancestors}"
    )


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, "") or default))
    except ValueError:
        return default


def _split_host(host: str) -> tuple[str, str | None]:
    """``("name", "port" | None)`` of a Host header, lowercased; IPv6 without brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        return name, rest[1:] if rest.startswith(":") else None
    if host.count(":") == 1:
        name, port = host.split(":")
        return name.rstrip("."), port
    return host.rstrip("."), None


def _configured_hosts() -> set[str]:
    names = {h for h in os.environ.get(ALLOWED_HOSTS_ENV, "").replace(" ", "").split(",") if h}
    return {_split_host(h)[0] if h != "*" else "*" for h in names}


@dataclass
class Policy:
    """What the edge accepts. ``hosts``: Host names served (None: any, for a server on
    every interface with no name configured); ``public``: names configured for a proxy or
    a Space, whose origins are accepted whatever Host the proxy forwards."""

    hosts: frozenset[str] | None
    public: frozenset[str]
    frame_ancestors: str
    max_calls: int
    max_sockets: int

    @classmethod
    def for_address(cls, host: str | None, port: int | None = None) -> Policy:
        """The policy for a server bound to ``host`` (None: not known, e.g. an ASGI app
        run by another server): its own name, loopback aliases, and what is configured."""
        configured = _configured_hosts()
        bound = _split_host(host or "")[0]
        if "*" in configured or (bound in WILDCARD and not configured):
            hosts: frozenset[str] | None = None
        else:
            names = set(configured)
            if bound in LOOPBACK or bound in WILDCARD:
                names |= LOOPBACK
            elif bound:
                names.add(bound)
            hosts = frozenset(names)
        on_space = bool(os.environ.get("SPACE_ID"))
        ancestors = os.environ.get(FRAME_ANCESTORS_ENV) or (
            "'self' https://huggingface.co https://*.hf.space" if on_space else "'self'"
        )
        # A Space's own name (set by Spaces) is its public origin; its Host is not limited
        # to it, since the Spaces proxy and its health checks are not ours to predict.
        space = (
            {_split_host(os.environ["SPACE_HOST"])[0]} if os.environ.get("SPACE_HOST") else set()
        )
        return cls(
            hosts=hosts,
            public=frozenset((configured | space) - {"*"}),
            frame_ancestors=ancestors,
            max_calls=_env_int("DAGGR_MAX_CALLS_PER_VISITOR", 4),
            max_sockets=_env_int("DAGGR_MAX_SOCKETS_PER_VISITOR", 8),
        )

    def admit(self, url: str) -> None:
        """Also serve the address a proxy in front of the app gives it (the notebook's
        jupyter-server-proxy or Colab link, a share tunnel): its host, or any host when
        the link is relative (JupyterHub without its public URL, which is on another
        machine than the visitor's browser, so no page can rebind a name to it)."""
        parsed = urlparse(url)
        name = parsed.hostname
        if not name:
            self.hosts = None
            return
        if name in LOOPBACK:
            return
        if self.hosts is not None:
            self.hosts = self.hosts | {name}
        self.public = self.public | {name}

    def host_allowed(self, host: str | None) -> bool:
        if self.hosts is None:
            return True
        return bool(host) and _split_host(host)[0] in self.hosts

    def origin_allowed(self, origin: str | None, host: str | None) -> bool:
        """An Origin is the app's own when it names the Host the request was sent to, or
        a public name configured for a proxy or a Space."""
        if origin is None:
            return True
        parsed = urlparse(origin)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            return False  # "null" (a sandboxed page, a file:// page) is never the app
        if host and parsed.netloc.lower() == host.strip().lower():
            return True
        return (parsed.hostname or "") in self.public


class EdgeRefusal(Exception):
    """A request the edge refuses: an HTTP status and a message saying why and what to do."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


# -- the middleware -----------------------------------------------------------------------
class TrustEdge:
    """ASGI middleware applying the Host, Origin and content-type checks to every request
    and websocket, and the security headers to every response."""

    def __init__(self, app: Callable[..., Awaitable[None]], policy: Policy) -> None:
        self.app = app
        self.policy = policy
        self.csp = page_csp(policy.frame_ancestors)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        try:
            self.check(scope)
        except EdgeRefusal as exc:
            if kind == "websocket":
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": 1008, "reason": str(exc)[:120]})
            else:
                await _send_json(send, exc.status, {"error": str(exc)}, self._headers(exc.headers))
            return
        if kind == "websocket":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [
                    (k.encode(), v.encode())
                    for k, v in self._headers({}).items()
                    if k.encode() not in present
                ]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(self, extra: dict[str, str]) -> dict[str, str]:
        return {
            "content-security-policy": self.csp,
            "x-content-type-options": "nosniff",
            "referrer-policy": "same-origin",
            "cross-origin-opener-policy": "same-origin",
            **{k.lower(): v for k, v in extra.items()},
        }

    def check(self, scope: Scope) -> None:
        """Raise :class:`EdgeRefusal` for a request the app must not serve."""
        headers = Headers(scope=scope)
        host = headers.get("host")  # the public one, when a trusted proxy said so
        # DNS rebinding shows in the Host a browser dialled, which a trusted proxy's
        # X-Forwarded-Host (daggr.app.prefix) must not hide: that is the one checked.
        dialled = scope.get("daggr.dialled_host", host)
        if not self.policy.host_allowed(dialled):
            raise EdgeRefusal(
                400,
                f"This app is not served as {dialled!r}. Behind a proxy, name the public "
                f"host in ${ALLOWED_HOSTS_ENV} (comma-separated).",
            )
        websocket = scope["type"] == "websocket"
        if not websocket and scope.get("method", "GET") in SAFE_METHODS:
            return
        if not self.policy.origin_allowed(headers.get("origin"), host) or headers.get(
            "sec-fetch-site"
        ) in ("cross-site", "same-site"):
            raise EdgeRefusal(
                403,
                "Cross-origin requests are refused: call the API from the app's own page "
                "or from a script (which sends no Origin).",
            )
        length = headers.get("content-length")
        if websocket or (length in (None, "0") and "transfer-encoding" not in headers):
            return  # no body (an MCP session's DELETE): nothing to check the type of
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json" and not ctype.endswith("+json"):
            raise EdgeRefusal(
                415,
                f"The body must be JSON sent as Content-Type: application/json, got "
                f"{ctype or 'no content type'!r}.",
            )
        if length is not None and length.isdigit() and int(length) > max_body_bytes():
            raise EdgeRefusal(413, _too_large(int(length)), {"connection": "close"})


async def _send_json(send: Send, status: int, payload: Any, headers: dict[str, str]) -> None:
    body = json.dumps(payload).encode()
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    raw += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


# -- request bodies ---------------------------------------------------------------------------
def max_body_bytes() -> int:
    """The largest request body: one upload at the limit as base64, plus the JSON around it."""
    return max_upload_bytes() * 4 // 3 + MAX_JSON_INPUT + 64 * 1024


def _too_large(size: int) -> str:
    return (
        f"The request body is {size / 2**20:.1f} MB; at most {max_body_bytes() / 2**20:.1f} MB "
        "is accepted (one upload of DAGGR_MAX_UPLOAD_MB as base64, plus the inputs)."
    )


async def read_json(request: Request) -> Any:
    """The request's JSON body, read as it streams in and refused (413) once it passes
    :func:`max_body_bytes`, or when it is not JSON or nests too deep (400)."""
    limit = max_body_bytes()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise EdgeRefusal(413, _too_large(size) + " (stopped reading)", {"connection": "close"})
        chunks.append(chunk)
    try:
        return loads(b"".join(chunks))
    except ValueError as exc:
        raise EdgeRefusal(
            400, f'The body must be JSON: {{"inputs": {{"node__port": value}}}} ({exc}).'
        ) from None


def loads(data: bytes | str) -> Any:
    """JSON text as a value, or :class:`ValueError` (malformed, or nested deeper than
    :data:`MAX_JSON_DEPTH` levels, which no input needs and which would exhaust the stack)."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(str(exc)) from None
    if json_depth(value) > MAX_JSON_DEPTH:
        raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep")
    return value


def json_depth(value: Any) -> int:
    """How deep a JSON value nests (a scalar is 0), walked without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        )
        if children is None:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            return depth
        stack.extend((c, depth + 1) for c in children)
    return deepest


# -- files ---------------------------------------------------------------------------------
def file_response(path: Path) -> FileResponse:
    """A stored file, served so it cannot run script on the app's origin: images, audio
    and video inline, everything else as a download (markup and script as bare bytes),
    all under a sandboxing CSP."""
    mime = mime_of(str(path))
    inline = bool(_INLINE.fullmatch(mime))
    return FileResponse(
        path,
        media_type="application/octet-stream" if _ACTIVE.fullmatch(mime) else mime,
        content_disposition_type="inline" if inline else "attachment",
        filename=path.name,
        headers={
            "Cache-Control": "private, max-age=31536000, immutable",
            "Content-Security-Policy": FILE_CSP,
        },
    )


# -- websocket frames ---------------------------------------------------------------------------
class FrameRefused(Exception):
    """A frame from the page that does not follow the canvas protocol."""


def parse_frame(text: str, nodes: Any) -> tuple[dict[str, Any], int]:
    """A page's text frame as ``(comm data, number of binary buffers that follow)``,
    checked against the protocol's schema (:func:`daggr.widget.protocol.check_frame`)."""
    try:
        frame = loads(text)
    except ValueError as exc:
        raise FrameRefused(f"A frame is one JSON object: {exc}.") from None
    try:
        return check_frame(frame, nodes)
    except MessageError as exc:
        raise FrameRefused(str(exc)) from None


# -- per visitor ------------------------------------------------------------------------------
class TooBusy(EdgeRefusal):
    """A visitor over their share of the server (429)."""


class VisitorLimits:
    """Counts what each visitor holds (REST calls in flight, open canvases) so that one
    cookie can never take every worker thread from the others.

    Example:
        >>> limits = VisitorLimits(calls=1, sockets=1)
        >>> with limits.hold("anon-a", "calls"):
        ...     try:
        ...         with limits.hold("anon-a", "calls"):
        ...             pass
        ...     except TooBusy as exc:
        ...         print(exc.status)
        429
    """

    def __init__(self, calls: int, sockets: int) -> None:
        self._caps = {"calls": calls, "sockets": sockets}
        self._held: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def hold(self, user: str, what: str) -> Iterator[None]:
        key, cap = (user, what), self._caps[what]
        with self._lock:
            if self._held.get(key, 0) >= cap:
                noun = "REST calls running" if what == "calls" else "canvases open"
                raise TooBusy(
                    429,
                    f"This visitor already has {cap} {noun}; wait for one to finish "
                    f"(the server allows {cap} per visitor).",
                    {"retry-after": "1"},
                )
            self._held[key] = self._held.get(key, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._held[key] - 1
                if left:
                    self._held[key] = left
                else:
                    del self._held[key]


# -- secrets ---------------------------------------------------------------------------------
def redact_text(text: str) -> str:
    """Text for a visitor (a REST answer, a canvas frame) without the server's Hugging Face
    token, which a function's error or output may hold (``hf_***`` instead).

    Example:
        >>> redact_text('{"error": "401 for hf_abcdefghijklmnopqrstuvwxyz0123"}')
        '{"error": "401 for hf_***"}'
    """
    return redact(text, get_token())


def redact_bytes(data: bytes) -> bytes:
    """A binary frame for a visitor (a fetched value), without the server's token."""
    token = get_token()
    if token and len(token) >= 8 and token.encode() in data:
        data = data.replace(token.encode(), b"hf_***")
    return data


async def redacted(
    chunks: AsyncIterator[str], done: Callable[[], Any] | None = None
) -> AsyncIterator[str]:
    """A streamed answer to a visitor (server-sent events) without the server's token;
    ``done()`` once it ends, however it ends (the visitor gone too)."""
    try:
        async for chunk in chunks:
            yield redact_text(chunk)
    finally:
        if done is not None:
            done()


class VisitorJSON(JSONResponse):
    """A JSON answer to a visitor: the server's token never goes out in it."""

    def render(self, content: Any) -> bytes:
        return redact_text(super().render(content).decode()).encode()
