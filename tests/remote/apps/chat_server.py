"""A loopback OpenAI-compatible chat server that streams its answer token by token.

It speaks ``POST /v1/chat/completions`` (and ``/models/<model>/v1/chat/completions``) with
and without ``"stream": true``, as the real ``huggingface_hub`` ``InferenceClient`` calls
it. What it says is set in the last user message, as ``key=value`` words:

- ``n=40``: how many tokens (default 10); ``delay=0.01``: seconds between them, or
  ``rate=1000``: tokens per second, paced by the clock (a late token goes out at once);
- ``size=4``: characters per token (default: ``w<i> ``);
- ``whole=1``: answer whole even when asked to stream (as small servers do);
- ``stamp=1``: each token carries the time it was sent (``<i>@<epoch ms>;``), so that a
  reader can measure how long it took to arrive; ``stamp=10``: every tenth token does,
  the others are ``size`` characters (4 by default), as a long answer's would be.

``GET /events`` lists what happened (``start stream`` or ``start whole``, as asked;
``sent <i>``, ``client-gone <i>``, ``done``), so a test can see a stopped client close the stream. Run as ``python
chat_server.py PORT``; serves until killed.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

EVENTS: list[str] = []
_lock = threading.Lock()


def note(event: str) -> None:
    with _lock:
        EVENTS.append(event)


def settings(messages: list[dict[str, Any]]) -> dict[str, float]:
    text = ""
    for m in reversed(messages):
        if m.get("role") == "user":
            text = str(m.get("content") or "")
            break
    found = {"n": 10.0, "delay": 0.01, "rate": 0.0, "size": 0.0, "stamp": 0.0, "whole": 0.0}
    for word in text.split():
        key, _, value = word.partition("=")
        if key in found:
            try:
                found[key] = float(value)
            except ValueError:
                pass
    return found


def token(i: int, s: dict[str, float]) -> str:
    if s["stamp"] and i % int(s["stamp"]) == 0:
        return f"{i}@{time.time() * 1000:.1f};"
    if s["stamp"]:
        return "abcd"[: int(s["size"]) or 4]
    if s["size"]:
        return (f"{i % 10}" * int(s["size"]))[: int(s["size"])]
    return f"w{i} "


def chunk(content: str | None, finish: str | None = None) -> bytes:
    payload = {
        "id": "chat-stream",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "loopback",
        "system_fingerprint": "loopback",
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": content},
                "finish_reason": finish,
                "logprobs": None,
            }
        ],
    }
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.startswith("/events"):
            with _lock:
                self._json(200, list(EVENTS))
        else:
            self._json(200, {"ok": True})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))
        if not self.path.endswith("/v1/chat/completions"):
            self._json(404, {"error": f"no route {self.path}"})
            return
        s = settings(body.get("messages") or [])
        n = int(s["n"])
        streamed = bool(body.get("stream")) and not s["whole"]
        note("start stream" if body.get("stream") else "start whole")  # as asked
        if not streamed:
            text = "".join(token(i, s) for i in range(n))
            note("done")
            self._json(
                200,
                {
                    "id": "chat",
                    "object": "chat.completion",
                    "created": 0,
                    "model": "loopback",
                    "system_fingerprint": "loopback",
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": text},
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": n, "total_tokens": n + 1},
                },
            )
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        start = time.perf_counter()
        try:
            for i in range(n):
                if s["rate"]:
                    wait = start + i / s["rate"] - time.perf_counter()
                    if wait > 0:
                        time.sleep(wait)
                elif s["delay"]:
                    time.sleep(s["delay"])
                self._chunk(chunk(token(i, s)))
                note(f"sent {i}")
            self._chunk(chunk(None, "stop"))
            self._chunk(b"data: [DONE]\n\n")
            self._chunk(b"")
            note("done")
        except (BrokenPipeError, ConnectionResetError):
            note(f"client-gone {i}")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


def serve(port: int = 0) -> ThreadingHTTPServer:
    """Start the server in a thread (port 0: any free one); returns it."""
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="chat-server", daemon=True).start()
    return server


if __name__ == "__main__":
    serve(int(sys.argv[1]))
    print("READY", flush=True)
    threading.Event().wait()
