"""A visitor's mistake or attack stays in that visitor's session, black-box: an app in its
own process, an attacker and innocent visitors over HTTP and websockets."""

from __future__ import annotations

import asyncio
import json
import secrets
import time

import httpx
import pytest

from tests.hardening.served_app import (
    ServedApp,
    content,
    cookie_header,
    custom_frame,
    frames_until,
    node_status,
    visitor,
)

websockets = pytest.importorskip("websockets")
from websockets.exceptions import ConnectionClosed  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]  # apps in their own processes

GRAPH = """
import os, pathlib, time
from daggr import FnNode, Graph, components as gr

def shout(text):
    if text.startswith("wait:"):  # held until the test creates the file
        flag = pathlib.Path(text[5:])
        while not flag.exists():
            time.sleep(0.02)
    if text == "leak":
        raise ValueError("the hub said 401 for " + os.environ.get("HF_TOKEN", ""))
    if text == "echo":
        return "the token is " + os.environ.get("HF_TOKEN", "")
    return text.upper()

node = FnNode(shout, name="shout", inputs={"text": gr.Textbox(value="hi")},
              outputs={"loud": gr.Textbox()})
graph = Graph("visitors", nodes=[node], persist_key="visitors")
"""


def call(client: httpx.Client | httpx.AsyncClient, text: str):
    return client.post("api/call", json={"inputs": {"shout__text": text}})


async def innocent_canvas_run(app: ServedApp, text: str) -> str:
    """A new visitor opens the canvas, types ``text`` and runs; the card's preview."""
    async with httpx.AsyncClient(base_url=app.url, timeout=60) as client:
        await client.get("api/user")
        headers = {"Cookie": cookie_header(client)}
    async with websockets.connect(app.ws_url, additional_headers=headers) as ws:
        await frames_until(ws, lambda f: f["type"] == "open")
        await ws.send(custom_frame({"type": "set_input", "key": "shout__text", "value": text}))
        await ws.send(custom_frame({"type": "run", "node": "shout", "mode": "to_here"}))
        frames = await frames_until(ws, lambda f: node_status(f, "shout") in ("ok", "error"))
        return json.dumps(content(frames[-1])["states"]["shout"])


def test_one_visitors_bad_frames_and_call_flood_do_not_stop_the_app(tmp_path):
    """The attack that stopped a served app for everyone: an ``update`` frame that sets
    node_state to junk, a run (whose listener then raised and left the session's queue
    busy for ever), then ~46 calls with that cookie, filling the server's thread pool."""
    with ServedApp(GRAPH, tmp_path) as app:

        async def attack() -> dict:
            attacker = httpx.AsyncClient(base_url=app.url, timeout=60)
            await attacker.get("api/user")
            headers = {"Cookie": cookie_header(attacker)}
            connect = websockets.connect(app.ws_url, additional_headers=headers, max_size=None)
            async with connect as ws:
                await frames_until(ws, lambda f: f["type"] == "open")
                for state in (
                    {"node_state": {"shout": 5}},
                    {"node_state": "junk"},
                    {"topology": None},
                    {"viewport": {"positions": {"shout": "x" * 5_000_000}}},
                ):
                    update = {"method": "update", "state": state}
                    await ws.send(json.dumps({"type": "comm", "data": update}))
                await ws.send(custom_frame({"type": "run", "node": "shout", "mode": "to_here"}))
                frames = await frames_until(ws, lambda f: node_status(f, "shout") == "ok")
            answers = await asyncio.gather(*(call(attacker, f"flood {i}") for i in range(46)))
            # everyone else is served: REST calls, a new canvas, and the attacker's next call
            async with httpx.AsyncClient(base_url=app.url, timeout=60) as innocent:
                other = await call(innocent, "still here")
            canvas = await innocent_canvas_run(app, "canvas too")
            after = await call(attacker, "my queue is free")
            await attacker.aclose()
            return {
                "frames": frames,
                "flood": [r.status_code for r in answers],
                "other": other,
                "canvas": canvas,
                "after": after,
            }

        result = asyncio.run(attack())
    errors = [content(f)["message"] for f in result["frames"] if content(f).get("type") == "error"]
    assert len(errors) == 4, errors
    assert all("only viewport is written by the page" in e for e in errors[:3]), errors
    assert "A position is [x, y]" in errors[3]
    # the flood: a few ran, the rest were told to wait, none hung
    assert set(result["flood"]) <= {200, 429} and 200 in result["flood"], result["flood"]
    assert result["other"].json()["outputs"]["shout"]["loud"] == "STILL HERE"
    assert "CANVAS TOO" in result["canvas"]
    assert result["after"].status_code == 200, result["after"].text


def test_a_visitor_over_their_share_waits_others_are_served(tmp_path):
    env = {"DAGGR_MAX_CALLS_PER_VISITOR": "2", "DAGGR_MAX_SOCKETS_PER_VISITOR": "2"}
    with ServedApp(GRAPH, tmp_path, env=env) as app:
        flag = tmp_path / "release"

        async def scenario() -> dict:
            greedy = httpx.AsyncClient(base_url=app.url, timeout=120)
            await greedy.get("api/user")
            held = [asyncio.ensure_future(call(greedy, f"wait:{flag}")) for _ in range(2)]
            await asyncio.sleep(0)  # both requests are on their way (they wait for the flag)
            while not all(t.done() for t in held):
                third = await call(greedy, "one more")
                if third.status_code == 429:
                    break
                await asyncio.sleep(0.05)  # a held call had not reached the server yet
            # sockets: two open canvases are the share; a third is closed "try again later"
            headers = {"Cookie": cookie_header(greedy)}
            async with websockets.connect(app.ws_url, additional_headers=headers) as a:
                await frames_until(a, lambda f: f["type"] == "open")
                async with websockets.connect(app.ws_url, additional_headers=headers) as b:
                    await frames_until(b, lambda f: f["type"] == "open")
                    async with websockets.connect(app.ws_url, additional_headers=headers) as c:
                        with pytest.raises(ConnectionClosed) as closed:
                            await c.recv()
            # meanwhile another visitor's calls and canvas are served
            others = []
            for i in range(3):
                async with httpx.AsyncClient(base_url=app.url, timeout=60) as other:
                    others.append((await call(other, f"other {i}")).json())
            canvas = await innocent_canvas_run(app, "canvas")
            flag.write_text("go")
            done = await asyncio.gather(*held)
            await greedy.aclose()
            return {
                "third": third,
                "closed": closed.value.rcvd.code,
                "others": others,
                "canvas": canvas,
                "held": [r.status_code for r in done],
            }

        result = asyncio.run(scenario())
        assert result["third"].status_code == 429
        assert result["third"].headers["retry-after"] == "1"
        assert "already has 2 REST calls running" in result["third"].json()["error"]
        assert result["closed"] == 1013
        assert [o["outputs"]["shout"]["loud"] for o in result["others"]] == [
            "OTHER 0",
            "OTHER 1",
            "OTHER 2",
        ]
        assert "CANVAS" in result["canvas"]
        assert result["held"] == [200, 200]


def test_the_servers_token_never_reaches_a_visitor(tmp_path):
    token = "hf_" + secrets.token_hex(16)
    with ServedApp(GRAPH, tmp_path, env={"HF_TOKEN": token}) as app:
        client = visitor(app)
        seen = [call(client, "leak").text, call(client, "echo").text]
        current = client.get("api/sheets").json()["current"]
        seen.append(client.get(f"api/sheets/{current}").text)

        async def canvas() -> list[str]:
            headers = {"Cookie": cookie_header(client)}
            out = []
            async with websockets.connect(app.ws_url, additional_headers=headers) as ws:
                out.append(await ws.recv())  # the open state: inputs, the last result
                for text in ("leak", "echo"):
                    await ws.send(
                        custom_frame({"type": "set_input", "key": "shout__text", "value": text})
                    )
                    await ws.send(custom_frame({"type": "run", "node": "shout", "mode": "to_here"}))
                    frames = await frames_until(
                        ws, lambda f: node_status(f, "shout") in ("ok", "error")
                    )
                    out += [json.dumps(f) for f in frames]
                rid = json.loads(out[-1])["data"]["content"]["states"]["shout"]["rid"]
                ask = {"type": "fetch", "id": "f1", "result": rid, "port": "loud"}
                await ws.send(custom_frame(ask))
                while True:  # the fetched value arrives as a binary frame
                    raw = await ws.recv()
                    if isinstance(raw, bytes):
                        out.append(raw.decode())
                        return out

        seen += asyncio.run(canvas())
    assert "401 for hf_***" in seen[0] and "the token is hf_***" in seen[1]
    leaks = [text[:300] for text in seen if token in text or token[3:] in text]
    assert not leaks, leaks


def test_an_open_canvas_keeps_seeing_its_rest_runs_past_the_session_cap(tmp_path):
    """Sessions beyond the in-memory cap (512; 16 here) are dropped, least recently used
    first, but never one whose canvas is open: its REST runs still show on it."""
    with ServedApp(GRAPH, tmp_path, env={"DAGGR_MAX_SESSIONS": "16"}) as app:

        async def scenario() -> str:
            mine = httpx.AsyncClient(base_url=app.url, timeout=120)
            await mine.get("api/user")
            headers = {"Cookie": cookie_header(mine)}
            async with websockets.connect(app.ws_url, additional_headers=headers) as ws:
                await frames_until(ws, lambda f: f["type"] == "open")
                gate = asyncio.Semaphore(8)

                async def stranger(i: int) -> int:
                    async with gate, httpx.AsyncClient(base_url=app.url, timeout=120) as c:
                        return (await call(c, f"stranger {i}")).status_code

                statuses = await asyncio.gather(*(stranger(i) for i in range(40)))
                assert set(statuses) == {200}
                assert (await call(mine, "seen on my canvas")).status_code == 200
                frames = await frames_until(ws, lambda f: node_status(f, "shout") == "ok")
            await mine.aclose()
            return json.dumps(content(frames[-1]))

        assert "SEEN ON MY CANVAS" in asyncio.run(scenario())


def test_unused_anonymous_sheets_expire(tmp_path):
    """An anonymous visitor's sheet unused for DAGGR_ANON_SHEET_DAYS is deleted when new
    visitors arrive (here the keeping time is one second); an open canvas's is kept."""
    with ServedApp(GRAPH, tmp_path, env={"DAGGR_ANON_SHEET_DAYS": str(1 / 86400)}) as app:
        gone, kept = visitor(app), visitor(app)
        assert call(gone, "soon forgotten").status_code == 200
        assert call(kept, "kept while open").status_code == 200
        old = gone.get("api/sheets").json()["current"]
        mine = kept.get("api/sheets").json()["current"]

        async def while_open() -> tuple[int, dict]:
            headers = {"Cookie": cookie_header(kept)}
            async with websockets.connect(app.ws_url, additional_headers=headers) as ws:
                await frames_until(ws, lambda f: f["type"] == "open")
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    call(visitor(app), "new visitor")  # a first call: sweeps when due
                    # (listing the sheets does not use them; opening one would)
                    listed = [s["sheet_id"] for s in gone.get("api/sheets").json()["sheets"]]
                    if old not in listed:
                        break
                    await asyncio.sleep(0.5)
                status = gone.get(f"api/sheets/{old}").status_code
                return status, kept.get(f"api/sheets/{mine}").json()

        status, open_sheet = asyncio.run(while_open())
        assert status == 404
        assert gone.get("api/sheets").json()["sheets"][0]["sheet_id"] != old  # a new one
        assert open_sheet["results"]["shout"]["outputs"] == {"loud": "KEPT WHILE OPEN"}


def test_a_followed_run_counts_towards_the_share_and_shows_no_token(tmp_path):
    token = "hf_" + secrets.token_hex(16)
    env = {"DAGGR_MAX_CALLS_PER_VISITOR": "1", "HF_TOKEN": token}
    with ServedApp(GRAPH, tmp_path, env=env) as app:
        flag = tmp_path / "release"

        async def scenario() -> dict:
            async with httpx.AsyncClient(base_url=app.url, timeout=120) as client:
                await client.get("api/user")
                body = {"inputs": {"shout__text": f"wait:{flag}"}}
                async with client.stream("POST", "api/stream", json=body) as held:
                    assert held.status_code == 200
                    lines = held.aiter_lines()
                    while "event: started" not in await anext(lines):
                        pass  # the run is under way: the visitor's one call is taken
                    second = await call(client, "one more")
                    flag.write_text("go")
                    rest = [line async for line in lines]
                after = await call(client, "after")  # the share is given back at the end
                leaked = await client.post("api/stream", json={"inputs": {"shout__text": "leak"}})
            return {"second": second, "rest": rest, "after": after, "leaked": leaked.text}

        result = asyncio.run(scenario())
    assert result["second"].status_code == 429, result["second"].text
    assert "event: result" in result["rest"]
    assert result["after"].json()["outputs"]["shout"]["loud"] == "AFTER"
    assert "401 for hf_***" in result["leaked"], result["leaked"]
    assert token not in result["leaked"] and token[3:] not in result["leaked"]
