"""Soak: a served app under honest and hostile visitors at once.

    python bench/bench_soak.py [--quick] [--seconds S] [--callers N] [--sockets M]
    python -m bench soak [--quick]

Serves a three-FnNode graph (text -> shout -> count, and tag(shout, count)) from its own
process on 127.0.0.1, then for S seconds (default 60; ``--quick``: 10) drives it with N
REST callers (default 50) and M canvas websockets (default 20), each its own visitor. A
third of each are hostile: REST callers send random bodies (bad JSON, deep nesting,
wrong content types, cross-origin and foreign-Host headers, oversized text, floods with
one cookie) and websockets send random protocol frames (junk, unknown types, trait
updates, binary frames, deep nesting). The others call the graph and check every answer.

Afterwards the server is stopped and its DuckDB file read: every answered call (a REST
200, a canvas "ok") must be a row of the history. Prints calls/s, p50/p99 latency, the
server's RSS before and after, hostile answers by status, and failures. Raw numbers go
to bench/out/soak.json.

Targets (met / NOT MET): no innocent call failed; every answered call in the history;
no 5xx to a hostile request (but the graph's own 500 when a node fails on what it was
sent, which names the node); the server still answers afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

_REPO = Path(__file__).resolve().parent.parent
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

DEFAULT_SECONDS = 60.0
QUICK_SECONDS = 10.0
DEFAULT_CALLERS = 50
DEFAULT_SOCKETS = 20
HOSTILE_SHARE = 3  # one visitor in three is hostile

APP = """
import sys
from daggr import FnNode, Graph, components as gr

shout = FnNode(lambda text: text.upper(), name="shout", inputs={"text": gr.Textbox(value="x")})
count = FnNode(lambda s: len(s), name="count", inputs={"s": shout.output})
tag = FnNode(lambda s, n: f"{s}#{n}", name="tag", inputs={"s": shout.output, "n": count.output})
graph = Graph("soak", nodes=[tag], persist_key="soak")
graph.launch(port=int(sys.argv[1]), open_browser=False, quiet=True)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Server:
    """The app in its own process, so its memory is its own and it can be stopped cleanly."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.db = tmp / "soak.duckdb"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        script = tmp / "app.py"
        script.write_text(APP)
        env = dict(os.environ, DAGGR_HOME=str(tmp / "home"), DAGGR_DB_PATH=str(self.db))
        env.update(HF_HUB_OFFLINE="1", DAGGR_DEPENDENCY_CHECK="skip", PYTHONPATH=str(_REPO))
        self.log = open(tmp / "app.log", "w")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            [sys.executable, str(script), str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self) -> None:
        import httpx

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "api/user", timeout=2)
                return
            except httpx.HTTPError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        raise RuntimeError((self.tmp / "app.log").read_text()[-3000:])

    def stop(self) -> None:
        """Ctrl-C, as a person stops it (queued rows are written at exit)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


# -- visitors ---------------------------------------------------------------------------------
class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.answered: list[str] = []  # texts whose result the server reported
        self.failures: list[str] = []
        self.hostile: Counter[str] = Counter()
        self.hostile_5xx: list[str] = []


def expected(text: str) -> str:
    return f"{text.upper()}#{len(text)}"


async def honest_caller(url: str, who: int, deadline: float, tally: Tally) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        await client.get("api/user")
        i = 0
        while time.monotonic() < deadline:
            text = f"r{who}-{i}"
            i += 1
            t0 = time.perf_counter()
            try:
                r = await client.post("api/call", json={"inputs": {"shout__text": text}})
                if r.status_code != 200:
                    tally.failures.append(f"REST {text}: HTTP {r.status_code} {r.text[:160]}")
                elif r.json()["outputs"]["tag"]["output"] != expected(text):
                    tally.failures.append(f"REST {text}: wrong answer {r.text[:160]}")
                else:
                    tally.latencies.append(time.perf_counter() - t0)
                    tally.answered.append(text)
            except Exception as exc:  # counted: an innocent call that failed
                tally.failures.append(f"REST {text}: {type(exc).__name__}: {exc}"[:240])


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def hostile_request(rng: random.Random, port: int) -> dict[str, Any]:
    """One random bad request: keyword arguments for httpx's ``request``."""
    body = json.dumps({"inputs": {"shout__text": "x"}})
    json_type = {"content-type": "application/json"}
    choices = [
        {"content": "{not json", "headers": json_type},
        {"content": '{"inputs": {"shout__text": ' + _deep(rng.randint(50, 5000)) + "}}"},
        {"content": body, "headers": {"content-type": "text/plain"}},
        {"content": body, "headers": {"origin": "http://evil.example", **json_type}},
        {"content": body, "headers": {"host": f"rebound.example:{port}", **json_type}},
        {"json": {"inputs": {"shout__text": "x" * rng.randint(1_000_001, 3_000_000)}}},
        {"json": {"inputs": {"nope__nope": 1}}},
        {"json": {"inputs": {"shout__text": rng.choice([None, 1, [], {}, True, 1e308])}}},
        {"json": rng.choice([[], "s", 1, None, {"inputs": 5}, {"extra": 1}])},
        {"content": bytes(rng.randrange(256) for _ in range(64)), "headers": json_type},
    ]
    return rng.choice(choices)


async def hostile_caller(url: str, port: int, who: int, deadline: float, tally: Tally) -> None:
    import httpx

    rng = random.Random(who)
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        await client.get("api/user")
        while time.monotonic() < deadline:
            if rng.random() < 0.1:  # a flood with one cookie
                asks = [{"json": {"inputs": {"shout__text": "flood"}}} for _ in range(12)]
            else:
                asks = [hostile_request(rng, port)]
            try:
                answers = await asyncio.gather(*(client.post("api/call", **a) for a in asks))
            except Exception as exc:
                tally.hostile[type(exc).__name__] += 1
                continue
            for r in answers:
                # A node that fails on what it was given (null text) is the graph's own
                # 500, naming the node; any other 5xx is the server failing.
                node_failed = r.status_code == 500 and "Execution error in node" in r.text
                tally.hostile["500 node failed" if node_failed else str(r.status_code)] += 1
                if r.status_code >= 500 and not node_failed:
                    tally.hostile_5xx.append(r.text[:200])


def _comm(content: Any, buffers: int = 0) -> str:
    return json.dumps(
        {"type": "comm", "data": {"method": "custom", "content": content}, "buffers": buffers}
    )


async def _cookie(url: str) -> str:
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        await client.get("api/user")
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


async def honest_canvas(url: str, who: int, deadline: float, tally: Tally) -> None:
    import websockets

    ws_url = url.replace("http://", "ws://") + "ws"
    headers = {"Cookie": await _cookie(url)}
    i = 0
    async with websockets.connect(ws_url, additional_headers=headers, max_size=None) as ws:
        json.loads(await ws.recv())  # the open state
        while time.monotonic() < deadline:
            text = f"w{who}-{i}"
            i += 1
            t0 = time.perf_counter()
            await ws.send(_comm({"type": "set_input", "key": "shout__text", "value": text}))
            await ws.send(_comm({"type": "run", "node": "tag", "mode": "to_here"}))
            try:
                async with asyncio.timeout(60):
                    while True:
                        raw = await ws.recv()
                        if isinstance(raw, bytes):
                            continue
                        content = (json.loads(raw).get("data") or {}).get("content") or {}
                        state = (content.get("states") or {}).get("tag") or {}
                        if state.get("status") == "ok":
                            if expected(text) not in json.dumps(state.get("preview")):
                                tally.failures.append(f"canvas {text}: wrong {state}"[:240])
                            break
                        if state.get("status") == "error" or content.get("type") == "error":
                            tally.failures.append(f"canvas {text}: {content}"[:240])
                            break
            except TimeoutError:
                tally.failures.append(f"canvas {text}: no answer in 60 s")
                return
            tally.latencies.append(time.perf_counter() - t0)
            tally.answered.append(text)


def random_frame(rng: random.Random) -> list[str | bytes]:
    """One random (mostly invalid) frame, and the binary frames it announces."""
    junk = rng.choice([None, 1, -1, 1e309, "x" * rng.randint(0, 3000), [], {}, True])
    kinds = ["run", "stop", "set_input", "move", "viewport", "select", "variant", "sheet"]
    kinds += ["fetch", "upload", "edit_items", "nope", None]
    content = {"type": rng.choice(kinds)}
    for key in rng.sample(["node", "mode", "key", "value", "x", "y", "zoom", "index", "id"], 3):
        content[key] = rng.choice([junk, "tag", "shout__text", 0, "to_here"])
    choices: list[list[str | bytes]] = [
        [_comm(content)],
        [_comm({"type": "upload", "key": "shout__text", "name": "a.html"}, 1), b"<script>"],
        ["not json at all"],
        ['{"type": "comm", "data": ' + _deep(rng.randint(100, 3000)) + "}"],
        [json.dumps({"type": "comm", "data": {"method": "update", "state": {"node_state": junk}}})],
        [
            json.dumps(
                {
                    "type": "comm",
                    "data": {"method": "update", "state": {"viewport": {"x": junk, "zoom": 1}}},
                }
            )
        ],
        [json.dumps({"type": "comm", "data": {"method": rng.choice(["close", None, 5])}})],
        [json.dumps({"type": "comm", "data": {}, "buffers": rng.choice([-1, 99, "2", 2])})],
        [bytes(rng.randrange(256) for _ in range(rng.randint(1, 512)))],
    ]
    return rng.choice(choices)


async def hostile_canvas(url: str, who: int, deadline: float, tally: Tally) -> None:
    import websockets

    rng = random.Random(1000 + who)
    ws_url = url.replace("http://", "ws://") + "ws"
    while time.monotonic() < deadline:
        try:
            headers = {"Cookie": await _cookie(url)}
            async with websockets.connect(ws_url, additional_headers=headers, max_size=None) as ws:
                await ws.recv()
                for _ in range(rng.randint(20, 200)):
                    if time.monotonic() >= deadline:
                        return
                    for piece in random_frame(rng):
                        await ws.send(piece)
                    tally.hostile["frame"] += 1
                    if rng.random() < 0.3:
                        await asyncio.sleep(0)
                    while True:  # drain what the server said back
                        try:
                            async with asyncio.timeout(0.001):
                                await ws.recv()
                        except TimeoutError:
                            break
        except Exception as exc:  # a closed socket is an acceptable answer to junk
            tally.hostile[f"socket {type(exc).__name__}"] += 1
            await asyncio.sleep(0.05)


async def drive(url: str, port: int, callers: int, sockets: int, seconds: float) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + seconds
    tasks = []
    for i in range(callers):
        if i % HOSTILE_SHARE == HOSTILE_SHARE - 1:
            tasks.append(hostile_caller(url, port, i, deadline, tally))
        else:
            tasks.append(honest_caller(url, i, deadline, tally))
    for i in range(sockets):
        if i % HOSTILE_SHARE == HOSTILE_SHARE - 1:
            tasks.append(hostile_canvas(url, i, deadline, tally))
        else:
            tasks.append(honest_canvas(url, i, deadline, tally))
    await asyncio.gather(*tasks)
    return tally


def missing_from_history(db: Path, texts: list[str]) -> list[str]:
    from daggr.store import Store

    with Store(db, files_dir=db.parent / "files-unused") as store:
        rows = store.sql(
            "SELECT outputs->>'$.output' AS o FROM results WHERE node = 'tag' AND status = 'ok'"
        ).rows
    seen = {row[0] for row in rows}
    return [t for t in texts if expected(t) not in seen]


def run_soak(callers: int, sockets: int, seconds: float) -> dict[str, Any]:
    import httpx

    with tempfile.TemporaryDirectory(prefix="daggr-soak-") as tmp:
        server = Server(Path(tmp))
        try:
            server.wait_ready()
            for i in range(20):  # warm up: imports, the first sheets, the first runs
                httpx.post(server.url + "api/call", json={"inputs": {"shout__text": f"warm{i}"}})
            rss_before = rss_mb(server.proc.pid)
            t0 = time.perf_counter()
            tally = asyncio.run(drive(server.url, server.port, callers, sockets, seconds))
            wall = time.perf_counter() - t0
            rss_after = rss_mb(server.proc.pid)
            still = httpx.post(server.url + "api/call", json={"inputs": {"shout__text": "after"}})
            alive = still.status_code == 200
        finally:
            server.stop()
        missing = missing_from_history(server.db, tally.answered)
    lat = sorted(tally.latencies)

    def pct(p: float) -> float | None:
        return lat[min(len(lat) - 1, int(p * len(lat)))] if lat else None

    return {
        "callers": callers,
        "sockets": sockets,
        "seconds": seconds,
        "answered": len(tally.answered),
        "calls_per_s": len(tally.answered) / wall if wall else None,
        "p50_s": pct(0.50),
        "p99_s": pct(0.99),
        "mean_s": statistics.fmean(lat) if lat else None,
        "rss_before_mb": rss_before,
        "rss_after_mb": rss_after,
        "innocent_failed": len(tally.failures),
        "failures": tally.failures[:20],
        "missing_from_history": len(missing),
        "missing_examples": missing[:20],
        "hostile": dict(tally.hostile),
        "hostile_5xx": len(tally.hostile_5xx),
        "hostile_5xx_examples": tally.hostile_5xx[:5],
        "alive_after": alive,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_SECONDS:g} s instead of 60")
    ap.add_argument("--callers", type=int, default=DEFAULT_CALLERS)
    ap.add_argument("--sockets", type=int, default=DEFAULT_SOCKETS)
    ap.add_argument("--seconds", type=float, default=None)
    args = ap.parse_args(argv)
    seconds = args.seconds or (QUICK_SECONDS if args.quick else DEFAULT_SECONDS)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("DAGGR_DEPENDENCY_CHECK", "skip")

    from bench._baseline import mark, print_table, write_json

    print(
        f"daggr soak: {args.callers} REST callers and {args.sockets} canvas websockets for "
        f"{seconds:g} s, one in {HOSTILE_SHARE} hostile, against a served 3-FnNode graph "
        f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs)",
        flush=True,
    )
    r = run_soak(args.callers, args.sockets, seconds)
    ms = lambda s: "-" if s is None else f"{s * 1000:.1f} ms"  # noqa: E731
    hostile = ", ".join(f"{k}: {v}" for k, v in sorted(r["hostile"].items()))
    print_table(
        ["figure", "value", "target", ""],
        [
            ["answered calls (REST 200 + canvas ok)", r["answered"], "", ""],
            ["calls/s", f"{r['calls_per_s']:.1f}", "", ""],
            ["latency p50", ms(r["p50_s"]), "", ""],
            ["latency p99", ms(r["p99_s"]), "", ""],
            ["server RSS before", f"{r['rss_before_mb']:.0f} MB", "", ""],
            ["server RSS after", f"{r['rss_after_mb']:.0f} MB", "", ""],
            ["innocent calls failed", r["innocent_failed"], "= 0", mark(r["innocent_failed"] == 0)],
            [
                "answered but missing from history",
                r["missing_from_history"],
                "= 0",
                mark(r["missing_from_history"] == 0),
            ],
            [
                "hostile requests the server failed (5xx)",
                r["hostile_5xx"],
                "= 0",
                mark(r["hostile_5xx"] == 0),
            ],
            ["server answers afterwards", r["alive_after"], "True", mark(r["alive_after"])],
        ],
        title="soak",
    )
    print(f"hostile traffic by answer: {hostile}")
    for failure in r["failures"][:5]:
        print("  failure:", failure)
    for text in r["missing_examples"][:5]:
        print("  missing from history:", text)
    for text in r["hostile_5xx_examples"]:
        print("  5xx:", text)
    print(f"raw numbers: {write_json('soak', r)}")
    ok = (
        r["innocent_failed"] == 0
        and r["missing_from_history"] == 0
        and r["hostile_5xx"] == 0
        and r["alive_after"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
