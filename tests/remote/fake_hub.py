"""A loopback stand-in for the Hugging Face Hub API and the Inference API.

Speaks just enough of both for the real ``huggingface_hub`` clients: ``/api/spaces/<id>``
and ``/api/models/<id>`` (info with sha, host, pipeline_tag), and ``/models/<id>...``
inference requests answered per the model's task. Every request is logged (method, path,
whether it carried a token) so that tests can assert what was asked.
"""

from __future__ import annotations

import base64
import io
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image

FLAC = b"fLaC\x00\x00\x00\x22" + b"\x00" * 64
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32


@dataclass
class Request:
    method: str
    path: str
    authorized: bool
    body: bytes = b""


@dataclass
class FakeHub:
    spaces: dict[str, dict[str, Any]] = field(default_factory=dict)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)  # model -> 503s still to send
    url: str = ""

    def paths(self, prefix: str = "") -> list[str]:
        return [r.path for r in self.requests if r.path.startswith(prefix)]


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


def make_handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep pytest output clean
            pass

        def _send(
            self,
            status: int,
            body: Any,
            content_type: str = "application/json",
            headers: dict[str, str] | None = None,
        ) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _record(self, body: bytes = b"") -> str:
            auth = self.headers.get("authorization") or ""
            hub.requests.append(
                Request(self.command, self.path, auth.startswith("Bearer hf_"), body)
            )
            return auth

        def do_GET(self) -> None:
            self._record()
            path = self.path.split("?")[0]
            for kind, table in (("spaces", hub.spaces), ("models", hub.models)):
                prefix = f"/api/{kind}/"
                if path.startswith(prefix):
                    repo = path[len(prefix) :].split("/revision/")[0]
                    info = table.get(repo)
                    if info is None:
                        self._send(
                            404,
                            {"error": "Repository not found"},
                            headers={"X-Error-Code": "RepoNotFound"},
                        )
                        return
                    payload = {"id": repo, "private": False, **info}
                    if kind == "spaces":
                        payload.setdefault("runtime", {"stage": "RUNNING", "hardware": {}})
                    self._send(200, payload)
                    return
            self._send(404, {"error": f"no route {path}"})

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            auth = self._record(body)
            path = self.path.split("?")[0]
            if path.endswith("/v1/chat/completions"):
                self._chat(body)
                return
            if not path.startswith("/models/"):
                self._send(404, {"error": f"no route {path}"})
                return
            model = path[len("/models/") :].split("/pipeline/")[0]
            info = hub.models.get(model)
            if info is None:
                self._send(404, {"error": f"Model {model} does not exist"})
                return
            if hub.failures.get(model, 0) > 0:
                hub.failures[model] -= 1
                self._send(503, {"error": "Model is loading"})
                return
            task = info.get("pipeline_tag")
            is_json = (self.headers.get("content-type") or "").startswith("application/json")
            payload = json.loads(body) if is_json and body else {}
            params = payload.get("parameters") or {}
            if info.get("leaky"):
                # A server that echoes credentials in its errors: daggr must redact them.
                self._send(400, {"error": f"credentials {auth} are not valid for {model}"})
            elif task == "text-to-image":
                png = _png(int(params.get("width") or 8), int(params.get("height") or 8))
                self._send(200, png, "image/png")
            elif task == "automatic-speech-recognition":
                audio = base64.b64decode(payload["inputs"]) if is_json else body
                self._send(200, {"text": f"heard {len(audio)} bytes"})
            elif task == "image-classification":
                self._send(200, [{"label": "red", "score": 0.9}, {"label": "blue", "score": 0.1}])
            elif task == "feature-extraction":
                extra = {k: v for k, v in payload.items() if k != "inputs"}
                self._send(200, [0.5, 0.25, float(len(extra))])
            elif task == "summarization":
                text = payload["inputs"]
                self._send(200, [{"summary_text": f"{text[:12]}... ({json.dumps(params)})"}])
            elif task == "text-to-speech":
                self._send(200, FLAC, "audio/flac")
            else:
                self._send(400, {"error": f"fake hub cannot do task {task}"})

        def _chat(self, body: bytes) -> None:
            request = json.loads(body)
            params = {k: v for k, v in request.items() if k not in ("model", "messages", "stream")}
            content = json.dumps({"messages": request["messages"], "params": params})
            if request.get("stream"):
                self._stream_chat(content)
                return
            self._send(
                200,
                {
                    "id": "chat-1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": request.get("model", "dummy"),
                    "system_fingerprint": "fake",
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": content},
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                },
            )

        def _stream_chat(self, content: str) -> None:
            # As OpenAI-compatible servers stream: chunks of the answer, then the reason
            # it stopped, then [DONE] (server-sent events).
            half = len(content) // 2
            pieces = [(content[:half], None), (content[half:], None), (None, "stop")]
            events = [
                "data: "
                + json.dumps(
                    {
                        "id": "chat-1",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": "dummy",
                        "system_fingerprint": "fake",
                        "choices": [
                            {"index": 0, "delta": {"content": text}, "finish_reason": finish}
                        ],
                    }
                )
                + "\n\n"
                for text, finish in pieces
            ]
            self._send(200, ("".join(events) + "data: [DONE]\n\n").encode(), "text/event-stream")

    return Handler


def start_fake_hub() -> tuple[FakeHub, ThreadingHTTPServer]:
    hub = FakeHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(hub))
    server.daemon_threads = True
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, name="fake-hub", daemon=True).start()
    return hub, server
