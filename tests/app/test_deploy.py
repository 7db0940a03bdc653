"""`daggr deploy`: the dry run, and the upload against a loopback stand-in for the Hub."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SCRIPT = """
from daggr import FnNode, Graph
from daggr import components as gr

node = FnNode(lambda text: text[::-1], name="rev", inputs={"text": gr.Textbox(value="abc")})
graph = Graph("Reverse It!", nodes=[node], persist_key=False)
"""
TOKEN = "hf_loopback_test_token_123"


class FakeHub(BaseHTTPRequestHandler):
    """Only what create_repo, upload_folder and add_space_secret call."""

    calls: list[tuple[str, str, dict | str]] = []

    def log_message(self, *args):  # keep test output quiet
        pass

    def _body(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        try:
            return json.loads(raw)
        except ValueError:
            return raw

    def _json(self, data, status=200):
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        self.calls.append(("GET", self.path, self.headers.get("authorization", "")))
        if self.path.startswith("/api/whoami"):
            return self._json(
                {"name": "tester", "type": "user", "auth": {"accessToken": {"role": "write"}}}
            )
        self._json({"error": "not in the fake hub"}, 404)

    def do_POST(self):
        body = self._body()
        self.calls.append(("POST", self.path, body))
        host = f"http://{self.headers['host']}"
        if self.path == "/api/repos/create":
            return self._json({"url": f"{host}/spaces/tester/{body['name']}", "name": body["name"]})
        if "/preupload/" in self.path:
            files = [
                {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                for f in body["files"]
            ]
            return self._json({"files": files})
        if "/commit/" in self.path:
            return self._json(
                {
                    "commitUrl": f"{host}/spaces/tester/rev-space/commit/" + "1" * 40,
                    "commitOid": "1" * 40,
                }
            )
        if self.path == "/api/validate-yaml":  # README front matter check before a commit
            return self._json({"errors": [], "warnings": []})
        if self.path.endswith("/secrets"):
            return self._json({})
        self._json({"error": "not in the fake hub"}, 404)


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "HF_TOKEN"}
    return {**env, **extra}


def test_dry_run_prints_the_plan_offline(tmp_path):
    script = tmp_path / "app.py"
    script.write_text(SCRIPT)
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "daggr",
            "deploy",
            str(script),
            "--org",
            "acme",
            "--private",
            "--hardware",
            "t4-small",
            "--secret",
            "API_KEY=sk-very-secret",
            "--dry-run",
        ],
        capture_output=True,
        text=True,
        env=_env(HF_ENDPOINT="http://127.0.0.1:9"),
    )
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "Space:     acme/reverse-it" in out and "t4-small" in out and "Private:   yes" in out
    assert "API_KEY" in out and "sk-very-secret" not in out
    for name in ("app.py", "requirements.txt", "README.md"):
        assert name in out
    assert "nothing was uploaded" in out


@pytest.mark.slow  # the CLI in a subprocess and a fake Hub
def test_upload_goes_to_the_configured_hub_only(tmp_path):
    FakeHub.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    script = tmp_path / "app.py"
    script.write_text(SCRIPT)
    try:
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "daggr",
                "deploy",
                str(script),
                "--name",
                "rev-space",
                "--secret",
                "API_KEY=sk-very-secret",
                "--oauth",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env=_env(
                HF_ENDPOINT=endpoint,
                HF_TOKEN=TOKEN,
                HF_HUB_OFFLINE="0",
                HF_HOME=str(tmp_path / "hf"),
                HTTPS_PROXY="http://127.0.0.1:9",
                HTTP_PROXY="http://127.0.0.1:9",
                NO_PROXY="127.0.0.1,localhost",
            ),
        )
    finally:
        server.shutdown()
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"Deployed to {endpoint}/spaces/tester/rev-space" in r.stdout
    assert TOKEN not in r.stdout + r.stderr and "sk-very-secret" not in r.stdout + r.stderr
    paths = [(m, p) for m, p, _ in FakeHub.calls]
    assert ("POST", "/api/repos/create") in paths
    create = next(b for m, p, b in FakeHub.calls if p == "/api/repos/create")
    assert create["type"] == "space" and create["sdk"] == "gradio" and create["name"] == "rev-space"
    commit = next(b for m, p, b in FakeHub.calls if "/commit/" in p)
    assert all(f in commit for f in ("app.py", "requirements.txt", "README.md"))
    # The same folder as `daggr export`: this daggr travels with the Space.
    assert all(f in commit for f in ("daggr/__init__.py", "daggr/static/widget.js"))
    assert "daggr/__pycache__" not in commit
    secret = next(b for m, p, b in FakeHub.calls if p.endswith("/secrets"))
    assert secret == {"key": "API_KEY", "value": "sk-very-secret"} or secret["key"] == "API_KEY"


@pytest.mark.slow  # the CLI in a subprocess
def test_deploy_without_login_explains(tmp_path):
    script = tmp_path / "app.py"
    script.write_text(SCRIPT)
    r = subprocess.run(
        [sys.executable, "-m", "daggr", "deploy", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(
            HF_ENDPOINT="http://127.0.0.1:9", HF_HOME=str(tmp_path / "hf"), HF_HUB_OFFLINE="1"
        ),
    )
    assert r.returncode == 2 and "Not logged in" in r.stderr


pytestmark = pytest.mark.skipif(not Path(sys.executable).exists(), reason="needs the interpreter")
