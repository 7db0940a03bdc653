"""A real reverse proxy for the app tests (aiohttp, on 127.0.0.1 in a thread).

It serves ``upstream`` under ``prefix`` the way nginx or jupyter-server-proxy do: HTTP and
websockets pass through; ``strip=True`` removes the prefix (and says so with
``X-Forwarded-Prefix``), ``strip=False`` passes the path on whole; the public host goes in
``X-Forwarded-Host``. Every request it forwarded is in ``seen`` (method, path upstream).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length"}


@dataclass
class Proxy:
    upstream: str  # http://127.0.0.1:port
    prefix: str  # /apps/demo
    strip: bool = True
    public_host: str | None = None  # X-Forwarded-Host to send (default: the proxy's own)
    seen: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""  # http://127.0.0.1:port/apps/demo/
    _loop: asyncio.AbstractEventLoop | None = None
    _runner: web.AppRunner | None = None

    def _target(self, request: web.Request) -> str:
        path = request.rel_url.raw_path
        if self.strip:
            path = path[len(self.prefix) :] or "/"
        query = request.rel_url.raw_query_string
        return path + ("?" + query if query else "")

    def _headers(self, request: web.Request) -> dict[str, str]:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        headers["X-Forwarded-Host"] = self.public_host or request.host
        headers["X-Forwarded-Proto"] = request.scheme
        headers["X-Forwarded-For"] = request.remote or "127.0.0.1"
        if self.strip:
            headers["X-Forwarded-Prefix"] = self.prefix
        return headers

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not request.rel_url.raw_path.startswith(self.prefix):
            return web.Response(status=404, text="outside the proxied prefix")
        target = self._target(request)
        self.seen.append((request.method, target))
        headers = self._headers(request)
        if request.headers.get("upgrade", "").lower() == "websocket":
            return await self._websocket(request, target, headers)
        async with aiohttp.ClientSession(auto_decompress=False) as session:
            async with session.request(
                request.method,
                self.upstream + target,
                headers=headers,
                data=await request.read(),
                allow_redirects=False,
            ) as upstream:
                body = await upstream.read()
                out = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP}
                return web.Response(status=upstream.status, body=body, headers=out)

    async def _websocket(
        self, request: web.Request, target: str, headers: dict[str, str]
    ) -> web.StreamResponse:
        client = web.WebSocketResponse()
        await client.prepare(request)
        headers = {k: v for k, v in headers.items() if not k.lower().startswith("sec-websocket")}
        async with aiohttp.ClientSession() as session:
            url = "ws" + self.upstream[4:] + target
            async with session.ws_connect(url, headers=headers) as upstream:

                async def pump(src, dst) -> None:
                    async for msg in src:
                        if msg.type == aiohttp.WSMsgType.TEXT:
                            await dst.send_str(msg.data)
                        elif msg.type == aiohttp.WSMsgType.BINARY:
                            await dst.send_bytes(msg.data)
                        else:
                            break
                    await dst.close()

                await asyncio.gather(pump(client, upstream), pump(upstream, client))
        return client

    def start(self) -> Proxy:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", self.handle)
            self._runner = web.AppRunner(app)
            loop.run_until_complete(self._runner.setup())
            loop.run_until_complete(web.SockSite(self._runner, sock).start())
            ready.set()
            loop.run_forever()

        threading.Thread(target=serve, daemon=True, name="test-proxy").start()
        ready.wait(10)
        self.url = f"http://127.0.0.1:{port}{self.prefix}/"
        return self

    def stop(self) -> None:
        if self._loop is not None and self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
