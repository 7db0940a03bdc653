"""The canvas protocol over a real websocket (the `websockets` client)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.app.graphs import parallel_graph

websockets = pytest.importorskip("websockets")


async def _frames(ws, until, timeout=10.0):
    seen = []
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            seen.append(frame)
            if until(frame):
                return seen


def _cookie(url: str) -> str:
    r = httpx.get(url)
    return f"daggr_uid={r.cookies['daggr_uid']}"


def test_canvas_protocol_over_a_socket(serve):
    app = serve(parallel_graph())
    ws_url = app.url.replace("http://", "ws://") + "ws"

    async def session():
        cookie = _cookie(app.url)
        async with websockets.connect(ws_url, additional_headers={"Cookie": cookie}) as ws:
            opened = json.loads(await ws.recv())
            assert opened["type"] == "open" and opened["user"].startswith("anon-")
            state = opened["state"]
            assert sorted(n["id"] for n in state["topology"]["nodes"]) == ["a", "b", "total"]
            assert state["node_state"]["total"]["status"] == "idle"

            def send(content):
                return ws.send(
                    json.dumps({"type": "comm", "data": {"method": "custom", "content": content}})
                )

            await send({"type": "set_input", "key": "a__x", "value": 4})
            await send({"type": "run", "node": "total", "mode": "to_here"})
            frames = await _frames(
                ws,
                lambda f: (
                    f["type"] == "comm"
                    and f["data"]
                    .get("content", {})
                    .get("states", {})
                    .get("total", {})
                    .get("status")
                    == "ok"
                ),
            )
            done = frames[-1]["data"]["content"]["states"]["total"]
            assert "12" in json.dumps(done["preview"])  # (4 * 2) + (2 * 2)
            await send({"type": "run", "node": "nope", "mode": "to_here"})
            (err,) = [
                f
                for f in await _frames(
                    ws, lambda f: f["data"].get("content", {}).get("type") == "error"
                )
                if f["data"].get("content", {}).get("type") == "error"
            ]
            assert "No node 'nope'" in err["data"]["content"]["message"]
            return cookie

    cookie = asyncio.run(session())
    # the run landed in this visitor's sheet, visible over REST with the same cookie
    sheets = httpx.get(app.url + "api/sheets", headers={"Cookie": cookie}).json()
    state = httpx.get(
        app.url + f"api/sheets/{sheets['current']}", headers={"Cookie": cookie}
    ).json()
    assert state["results"]["total"]["outputs"] == {"output": 12}
    assert app.graph.session.results.count("total") == 0  # not the notebook's sheet


def test_cross_site_socket_is_refused(serve):
    app = serve(parallel_graph())

    async def attempt():
        async with websockets.connect(
            app.url.replace("http://", "ws://") + "ws",
            additional_headers={"Origin": "http://evil.example"},
        ) as ws:
            await ws.recv()

    with pytest.raises(websockets.exceptions.WebSocketException):
        asyncio.run(attempt())


def test_a_socket_cannot_reach_another_users_sheet_or_results(serve):
    app = serve(parallel_graph(persist=True))
    alice = httpx.Client(base_url=app.url, timeout=30)
    alice.post("/api/call", json={"inputs": {"a__x": 100}})
    alice_user = alice.get("/api/user").json()["user"]
    alice_sheet = alice.get("/api/sheets").json()["current"]
    alice_result = app.state.session(alice_user).results.latest("total").id
    alice.close()

    async def bob():
        async with websockets.connect(app.url.replace("http://", "ws://") + "ws") as ws:
            opened = json.loads(await ws.recv())
            assert opened["user"] != alice_user

            async def ask(content):
                await ws.send(
                    json.dumps({"type": "comm", "data": {"method": "custom", "content": content}})
                )
                frames = await _frames(
                    ws,
                    lambda f: (
                        f["type"] == "comm"
                        and f["data"].get("content", {}).get("type") in ("error", "fetched")
                    ),
                )
                return frames[-1]["data"]["content"], frames

            answer, frames = await ask(
                {"type": "fetch", "id": "1", "result": alice_result, "port": "output"}
            )
            assert "error" in answer and "204" not in json.dumps(frames)
            answer, frames = await ask({"type": "sheet", "action": "switch", "name": alice_sheet})
            assert answer["type"] == "error" and "204" not in json.dumps(frames)

    asyncio.run(bob())
