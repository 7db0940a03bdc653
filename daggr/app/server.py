"""The standalone app: the notebook canvas in a browser page, the REST API, and files.

Starlette + uvicorn (dependencies of daggr); nothing here is imported by ``import daggr``.

Routes::

    GET  /                      the canvas page (sets the anonymous-visitor cookie)
    WS   /ws                    the canvas protocol (see ws_model)
    GET  /api/schema            inputs and outputs per subgraph
    POST /api/call[/{id}]       {"inputs": {...}} -> {"outputs": {node: {port: value}}}
    POST /api/stream[/{id}]     the same call, followed as server-sent events (rest_stream)
    GET  /api/user              {"user": id}
    GET  /api/sheets[/{id}]     the visitor's own sheets; another user's sheet id -> 404
    GET  /file/{content id}     an output file, by content id only (a download unless
                                it is an image, audio or video)

Every route and websocket frame passes the checks of :mod:`daggr.app.trust` first (Host,
same origin, JSON bodies, security headers, per-visitor limits).
"""

from __future__ import annotations

import asyncio
import html
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from daggr import values
from daggr.app import rest, rest_stream, trust
from daggr.app.canvas_socket import serve_socket
from daggr.app.files import AppFiles
from daggr.app.identity import COOKIE, Identity
from daggr.app.oauth import OAuthConfig
from daggr.app.state import ANONYMOUS, AppState, anonymous_sheet_days
from daggr.app.visitors import Visitors, cookie_options
from daggr.errors import DaggrError

if TYPE_CHECKING:
    from daggr.graph import Graph
    from daggr.runtime.result import RunHandle
    from daggr.session import Session
    from daggr.streaming import RunStream

VIEWS = ("canvas", "form")
WIDGET_STATIC = Path(__file__).resolve().parent.parent / "static"
APP_STATIC = Path(__file__).resolve().parent / "static"

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · daggr</title>{base}
<link rel="stylesheet" href="static/widget.css">
<link rel="stylesheet" href="app-static/host.css">
<link rel="stylesheet" href="theme.css">
</head><body class="daggr-page">
<header class="daggr-app-bar"><strong>{title}</strong>
<span class="daggr-app-status" id="daggr-status">connecting…</span>
<span class="daggr-app-views"><button type="button" data-view-tab="canvas">Canvas</button><button type="button" data-view-tab="form">Form</button></span>
<a href="api/schema" target="_blank">API</a>{account}
<button type="button" id="daggr-theme-toggle" class="daggr-app-theme">☾</button></header>
<main id="daggr-app" data-view="{view}"></main>
<script src="app-static/theme.js"></script>
<script type="module" src="app-static/host.js"></script>
</body></html>
"""


def create_app(
    graph: Graph | AppState,
    *,
    api_server: bool = True,
    identity: Identity | None = None,
    theme: Any = None,
    root_path: str | None = None,
    forwarded_allow_ips: str | list[str] | None = None,
    oauth: OAuthConfig | bool | None = None,
    owner_token: bool | None = None,
    view: str = "canvas",
    mcp_server: bool = False,
    policy: trust.Policy | None = None,
) -> Starlette:
    """The ASGI app serving ``graph`` (or an :class:`AppState`, to swap graphs later).

    The page uses relative URLs and works under any prefix a proxy strips; ``root_path``
    fixes the public prefix, else a proxy in ``forwarded_allow_ips`` (default: this
    machine) gives it with ``X-Forwarded-Prefix`` (see :mod:`daggr.app.prefix`).

    ``oauth``: "Sign in with Hugging Face" (an :class:`~daggr.app.oauth.OAuthConfig`;
    None: from the environment a Space with ``hf_oauth`` sets; False: off).
    ``owner_token``: whether visitors without a token of their own may call with the
    server's (see :mod:`daggr.app.visitors`). ``view``: what visitors see first, the
    ``"canvas"`` or the ``"form"`` (the graph's inputs, one Run button, the final
    outputs); a tab on the page switches. ``mcp_server``: also serve each subgraph as
    an MCP tool at ``/mcp`` (see :mod:`daggr.app.mcp`). ``policy``: what the edge
    accepts (:class:`daggr.app.trust.Policy`; ``launch()`` makes it for the address it
    binds; by default only configured hosts, or any).

    Example:
        >>> from daggr import FnNode, Graph
        >>> app = create_app(Graph("demo", nodes=[FnNode(lambda: 1, name="one")], persist_key=False))
        >>> sorted(r.path for r in app.routes)[:3]
        ['/', '/api/call', '/api/call/{subgraph}']
    """
    from daggr.app.prefix import check_root_path
    from daggr.app.theme import resolve_theme, theme_routes

    check_root_path(root_path)  # a bad prefix fails here, before anything is served
    if view not in VIEWS:
        raise ValueError(f"view={view!r} is not a view of the page; use one of {VIEWS}.")
    page_theme = resolve_theme(theme)  # a bad theme fails here, before anything is served
    state = graph if isinstance(graph, AppState) else AppState(graph)
    if oauth is None or oauth is True:
        oauth = OAuthConfig.from_env()
    visitors = Visitors(identity, oauth or None, owner_token)
    policy = policy or trust.Policy.for_address(None)
    limits = trust.VisitorLimits(policy.max_calls, policy.max_sockets)
    files = AppFiles(store_root=state.store.files_dir)
    locks: dict[str, threading.Lock] = {}
    locks_guard = threading.Lock()

    def user_lock(user: str) -> threading.Lock:
        with locks_guard:
            return locks.setdefault(user, threading.Lock())

    def identify(conn: HTTPConnection) -> tuple[str, str | None]:
        user, fresh = visitors.identify(conn)
        # The credentials this visitor's remote nodes call with (token, X-IP-Token).
        state.visit(user, visitors.visitor(conn))
        return user, fresh

    def answer(conn: HTTPConnection, response: Response, fresh: str | None) -> Response:
        if fresh:
            # It lasts as long as an unused anonymous sheet is kept (state.py).
            keep = max(3600, int(anonymous_sheet_days() * 86400))
            response.set_cookie(COOKIE, fresh, max_age=keep, httponly=True, **cookie_options(conn))
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    def error(exc: rest.ApiError | trust.EdgeRefusal) -> JSONResponse:
        if isinstance(exc, rest.ApiError):
            return trust.VisitorJSON(exc.payload, status_code=exc.status)
        return trust.VisitorJSON({"error": str(exc)}, exc.status, headers=exc.headers)

    async def page(request: Request) -> Response:
        user, fresh = identify(request)
        body = _PAGE.format(
            title=html.escape(state.graph.name),
            base=_base_tag(request),
            account=_account_links(visitors.account(request)),
            view=view,
        )
        # Each visit moves the cookie's expiry on, as each use keeps the visitor's sheets.
        keep = fresh or (request.cookies.get(COOKIE) if user.startswith(ANONYMOUS) else None)
        return answer(request, HTMLResponse(body), keep)

    def static_file(root: Path, name: str, media: str) -> Response:
        path = root / name
        if not path.is_file():
            return JSONResponse({"error": f"{name} is missing; rebuild the canvas bundle."}, 404)
        return FileResponse(path, media_type=media)

    async def widget_js(request: Request) -> Response:
        return static_file(WIDGET_STATIC, "widget.js", "text/javascript")

    async def widget_css(request: Request) -> Response:
        return static_file(WIDGET_STATIC, "widget.css", "text/css")

    async def host_asset(request: Request) -> Response:
        name = request.path_params["name"]
        media = {"host.js": "text/javascript", "host.css": "text/css"}.get(name)
        media = media or {"theme.js": "text/javascript"}.get(name)
        if media is None:
            return JSONResponse({"error": f"No asset {name!r}."}, 404)
        return static_file(APP_STATIC, name, media)

    async def schema(request: Request) -> Response:
        _, fresh = identify(request)
        data = await run_in_threadpool(rest.schema, state.graph)
        return answer(request, trust.VisitorJSON(data), fresh)

    async def begin(request: Request, user: str, body: Any, follow: bool = False) -> Any:
        """A REST call's run started off the loop (see :func:`_start_call`)."""
        subgraph = request.path_params.get("subgraph")
        return await run_in_threadpool(
            _start_call, state, user, user_lock(user), subgraph, body, files, follow
        )

    async def call(request: Request) -> Response:
        user, fresh = identify(request)
        base = str(request.base_url).rstrip("/")
        try:
            body = await trust.read_json(request)
            with limits.hold(user, "calls"), state.hold(user):
                session, targets, handle = await begin(request, user, body)
                # The run goes on in daggr's engine: no server thread waits for it.
                result = await asyncio.wrap_future(handle._future)
                data = await run_in_threadpool(_call_answer, session, targets, result, files, base)
        except (rest.ApiError, trust.EdgeRefusal) as exc:
            return answer(request, error(exc), fresh)
        return answer(request, trust.VisitorJSON(data), fresh)

    async def stream_call(request: Request) -> Response:
        user, fresh = identify(request)
        # Held while the events flow, not only while the run starts: a followed run
        # counts towards the visitor's share like any call.
        try:
            with ExitStack() as starting:
                body = await trust.read_json(request)
                starting.enter_context(limits.hold(user, "calls"))
                starting.enter_context(state.hold(user))
                session, targets, stream = await begin(request, user, body, follow=True)
                held = starting.pop_all()  # given back when the events end
        except (rest.ApiError, trust.EdgeRefusal) as exc:
            return answer(request, error(exc), fresh)
        sink = files.urls(str(request.base_url).rstrip("/"))
        events = trust.redacted(rest_stream.events(session, stream, targets, sink), held.close)
        return answer(request, StreamingResponse(events, media_type="text/event-stream"), fresh)

    async def user_info(request: Request) -> Response:
        user, fresh = identify(request)
        data = {"user": user, "signed_in": visitors.account(request)["user"] is not None}
        return answer(request, JSONResponse(data), fresh)

    async def sheets(request: Request) -> Response:
        user, fresh = identify(request)
        if fresh:  # a first visit has no sheets yet; listing them must not make one
            return answer(
                request, JSONResponse({"user": user, "current": None, "sheets": []}), fresh
            )
        session = await run_in_threadpool(state.session, user)
        rows = await run_in_threadpool(session.sheet_store.list)
        data = {
            "user": user,
            "current": session.results.sheet_id,
            "sheets": [_sheet_json(r) for r in rows],
        }
        return answer(request, trust.VisitorJSON(data), fresh)

    async def sheet(request: Request) -> Response:
        user, fresh = identify(request)
        if fresh:
            return answer(request, error(_no_sheet(request.path_params["sheet_id"])), fresh)
        session = await run_in_threadpool(state.session, user)
        try:
            data = await run_in_threadpool(
                _sheet_state, session, request.path_params["sheet_id"], files, str(request.base_url)
            )
        except rest.ApiError as exc:
            return answer(request, error(exc), fresh)
        return answer(request, trust.VisitorJSON(data), fresh)

    async def file(request: Request) -> Response:
        path = files.lookup(request.path_params["cid"])
        if path is None:
            return JSONResponse(
                {"error": "No such file. Files are served by the content id an API call returned."},
                404,
            )
        return trust.file_response(path)

    async def socket(websocket: WebSocket) -> None:
        await serve_socket(websocket, state, identify, limits)

    routes = [
        Route("/", page),
        Route("/static/widget.js", widget_js),
        Route("/static/widget.css", widget_css),
        Route("/app-static/{name}", host_asset),
        Route("/api/user", user_info),
        Route("/api/sheets", sheets),
        Route("/api/sheets/{sheet_id}", sheet),
        Route("/file/{cid:path}", file),
        WebSocketRoute("/ws", socket),
        *theme_routes(page_theme),
        *(visitors.sign_in.routes() if visitors.sign_in else []),
    ]
    if mcp_server:
        routes.append(_mcp_route(state, visitors, files, user_lock))
    if api_server:
        routes += [
            Route("/api/schema", schema),
            Route("/api/call", call, methods=["POST"]),
            Route("/api/call/{subgraph}", call, methods=["POST"]),
            Route("/api/stream", stream_call, methods=["POST"]),
            Route("/api/stream/{subgraph}", stream_call, methods=["POST"]),
        ]
    from starlette.middleware import Middleware

    from daggr.app.prefix import ProxyHeaders

    proxy = Middleware(ProxyHeaders, root_path=root_path, forwarded_allow_ips=forwarded_allow_ips)
    # The edge sees each request as the proxy in front gave it (its public host).
    edge = Middleware(trust.TrustEdge, policy=policy)
    app = Starlette(routes=routes, middleware=[proxy, edge])
    app.state.daggr = state
    return app


def _account_links(account: dict[str, Any]) -> str:
    if not account["sign_in"]:
        return ""
    if account["user"]:
        name = html.escape(account["user"])
        return f'\n<span class="daggr-app-user">{name}</span> <a href="logout">Sign out</a>'
    return '\n<a href="login/huggingface" class="daggr-app-login">Sign in with Hugging Face</a>'


def _base_tag(request: Request) -> str:
    # Only when the prefix is known: relative URLs alone already work under a prefix that
    # a proxy strips without saying so.
    prefix = request.scope.get("root_path") or ""
    return f'\n<base href="{html.escape(prefix)}/">' if prefix else ""


def _mcp_route(
    state: AppState,
    visitors: Visitors,
    files: AppFiles,
    user_lock: Any,
) -> Route:
    from daggr.app.mcp import MCP_USER, McpEndpoint
    from daggr.remote.visitor import Visitor

    # Agents are anonymous callers: the server's token only where the owner allows it.
    state.visit(MCP_USER, Visitor(owner_token=visitors.owner_token))

    def run_call(subgraph: str | None, body: dict[str, Any], base: str) -> dict[str, Any]:
        return _run_call(state, MCP_USER, user_lock(MCP_USER), subgraph, body, files, base)

    endpoint = McpEndpoint(lambda: state.graph, run_call)
    return Route("/mcp", endpoint, methods=["GET", "POST", "DELETE"])


# -- REST helpers (worker threads) -----------------------------------------------------
def _start_call(
    state: AppState,
    user: str,
    lock: threading.Lock,
    subgraph: str | None,
    body: Any,
    files: AppFiles,
    follow: bool = False,
) -> tuple[Session, list[str], RunHandle | RunStream]:
    """The call's run started: ``(session, targets, RunHandle)``, or with ``follow`` a
    :class:`RunStream` of its updates instead of the handle."""
    session = state.session(user)
    # One call at a time per visitor until its run has snapshotted its inputs.
    with lock:
        call = rest.prepare_call(session, subgraph, body, files.resolve)
        rest.apply_call(session, call)
        try:
            if follow:
                run: RunHandle | RunStream = session.stream(*call.targets)
            else:
                run = session.start(*call.targets, progress=False)
        except DaggrError as exc:
            raise rest.ApiError(400, str(exc)) from None
    return session, call.targets, run


def _call_answer(
    session: Session, targets: list[str], result: Any, files: AppFiles, base: str
) -> dict[str, Any]:
    failure = rest.node_failure(result)
    if failure is not None:
        raise failure
    urls = files.urls(base)
    nodes = session.graph.nodes
    outputs = {t: rest.outputs_json(nodes[t], result[t], urls) for t in targets}
    return {"outputs": outputs, "sheet_id": session.results.sheet_id}


def _run_call(
    state: AppState,
    user: str,
    lock: threading.Lock,
    subgraph: str | None,
    body: Any,
    files: AppFiles,
    base: str,
) -> dict[str, Any]:
    """A whole call from a worker thread (an MCP tool call), waiting for its run."""
    session, targets, handle = _start_call(state, user, lock, subgraph, body, files)
    return _call_answer(session, targets, handle.result(), files, base)


def _no_sheet(sheet_id: str) -> rest.ApiError:
    # Another user's sheet answers like a missing one: ids must not be probeable.
    return rest.ApiError(404, f"Sheet {sheet_id!r} not found among your sheets.")


def _sheet_json(info: Any) -> dict[str, Any]:
    return {
        "sheet_id": info.id,
        "name": info.name,
        "created_at": info.created_at.isoformat(),
        "updated_at": info.updated_at.isoformat(),
    }


def _sheet_state(session: Session, sheet_id: str, files: AppFiles, base: str) -> dict[str, Any]:
    from daggr.store import SheetAccessError, SheetNotFoundError

    try:
        info = session.sheet_store.get(sheet_id)
        sheet = session.sheet_store.open(info.id)
    except (SheetAccessError, SheetNotFoundError):
        raise _no_sheet(sheet_id) from None
    urls = files.urls(base)
    results = {}
    for name, node in session.graph.nodes.items():
        record = sheet.latest(name)
        if record is not None:
            results[name] = {
                "count": sheet.count(name),
                "status": record.status,
                "outputs": rest.outputs_json(node, record.outputs, urls),
            }
    slots = session.plan().slots
    inputs = {
        slot: values.to_rest(v, getattr(slots.get(slot), "component", None), urls)
        for slot, v in sheet.get_inputs().items()
    }
    return {"sheet": _sheet_json(info), "inputs": inputs, "results": results}
