"""Security: the token never leaks, uploads over REST are bounded, and (in
test_security_e2e.py) HTML / Markdown outputs cannot run script in the notebook page.

Already covered elsewhere (see SECURITY.md): sheet isolation (tests/app/test_rest.py,
tests/app/test_ws.py, tests/store/test_sheets.py), files by content id and path traversal
(tests/app/test_rest.py, tests/widget/test_canvas_features.py), canvas upload limits
(tests/widget/test_canvas_features.py), token redaction in results and logs
(tests/remote/test_token_safety.py).
"""

from __future__ import annotations

import base64
import json
import logging
import runpy
import secrets
import textwrap
import traceback
from pathlib import Path

import httpx
import pytest

from daggr import FnNode, Graph
from daggr import components as gr
from tests.hardening.hardening_helpers import free_port

APP_SCRIPT = textwrap.dedent(
    """
    from daggr import FnNode, GradioNode, Graph, components as gr

    echo = GradioNode({url!r}, api_name="/echo", name="echo",
                      inputs={{"text": gr.Textbox(value="hi")}})
    hang = GradioNode({url!r}, api_name="/hang", name="hang", inputs={{"text": "x"}}, timeout=1)
    gone = GradioNode({dead!r}, api_name="/echo", name="gone", inputs={{"text": "x"}},
                      validate=False)
    shout = FnNode(lambda s: s.upper(), name="shout", inputs={{"s": echo.output}})
    graph = Graph("token leak check", nodes=[shout, hang, gone])

    if __name__ == "__main__":
        graph.launch()
    """
)


@pytest.mark.slow  # the fault app, an export and a served app
def test_the_token_is_nowhere_in_widget_state_database_export_logs_or_errors(
    fault_app, monkeypatch, caplog, capfd, daggr_home, tmp_path, fake_comm
):
    token = "hf_fake" + secrets.token_hex(16)
    monkeypatch.setenv("HF_TOKEN", token)
    monkeypatch.setenv("DAGGR_TOKEN_HOSTS", "127.0.0.1")  # so the token is really sent
    caplog.set_level(logging.DEBUG)
    script = tmp_path / "app.py"
    script.write_text(APP_SCRIPT.format(url=fault_app.url, dead=f"http://127.0.0.1:{free_port()}"))
    graph = runpy.run_path(str(script))["graph"]

    result = graph.run(progress=False)
    assert result.status["shout"] == "ok" and result["shout"] == {"output": "ECHO:HI"}
    assert result.status["hang"] == "error" and result.status["gone"] == "error"

    from daggr.widget import Canvas

    canvas = Canvas(graph)
    seen: list[str] = [json.dumps(canvas.get_state(), default=str)]
    seen += [json.dumps(data, default=str) for _, data, _ in canvas.comm.log]

    # errors: every message, exception and traceback
    for outcome in result.outcomes.values():
        seen += [outcome.message or "", repr(outcome.error)]
        if outcome.error is not None:
            seen.append("".join(traceback.format_exception(outcome.error)))
    seen += [repr(result), result._repr_html_(), repr(graph)]
    for node in ("echo", "hang", "gone", "shout"):
        seen += [repr(r) for r in graph.history(node)]

    # a served app's error answers
    from daggr.app.serve import launch

    app = launch(graph, port=0, block=False, open_browser=False, quiet=True)
    try:
        for sub in ("subgraph_0", "subgraph_1", "subgraph_2", "nope"):
            r = httpx.post(f"{app.url}api/call/{sub}", json={"inputs": {}}, timeout=30)
            seen.append(r.text)
        seen.append(httpx.get(app.url + "api/schema").text)
        seen.append(httpx.get(app.url).text)
    finally:
        app.stop()

    # the exported Space
    space = graph.export_space(str(tmp_path / "space"), source=str(script))
    files = [p for p in Path(space).rglob("*") if p.is_file()]
    assert files
    seen += [p.read_bytes().decode("latin-1") for p in files]

    # the database file (and its WAL), and everything else daggr wrote
    graph.session.results.flush()
    graph.session.store.close()
    written = [p for p in daggr_home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".duckdb" for p in written)
    seen += [p.read_bytes().decode("latin-1") for p in written]

    # logs and output
    seen += [r.getMessage() for r in caplog.records]
    seen += [str(r.exc_info) for r in caplog.records if r.exc_info]
    out, err = capfd.readouterr()
    seen += [out, err]

    leaks = [text[:200] for text in seen if token in text or token[7:] in text]
    assert not leaks, leaks


def test_rest_uploads_over_the_limit_are_refused(serve, monkeypatch):
    monkeypatch.setenv("DAGGR_MAX_UPLOAD_MB", "0.001")  # about 1 KB
    node = FnNode(lambda doc: len(open(doc, "rb").read()), name="size", inputs={"doc": gr.File()})
    app = serve(Graph("upload limit", nodes=[node], persist_key=False))

    def data_url(n: int) -> str:
        return "data:text/plain;base64," + base64.b64encode(b"x" * n).decode()

    small = httpx.post(app.url + "api/call", json={"inputs": {"size__doc": data_url(500)}})
    assert small.status_code == 200 and small.json()["outputs"]["size"] == {"output": 500}
    big = httpx.post(app.url + "api/call", json={"inputs": {"size__doc": data_url(50_000)}})
    assert big.status_code == 413, big.text
    assert "DAGGR_MAX_UPLOAD_MB" in big.json()["error"]
    assert app.graph.session.results.count("size") == 0  # the notebook's sheet untouched


def test_the_notebook_user_lookup_sends_the_token_only_to_the_configured_hub(
    monkeypatch, daggr_home
):
    # HF_ENDPOINT set after huggingface_hub was imported must still be where the token
    # goes (the no_internet guard fails this test if it goes to huggingface.co).
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import huggingface_hub.constants as constants

    from daggr.remote import auth

    seen: list[tuple[str, str]] = []

    class Hub(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append((self.path, self.headers.get("authorization", "")))
            body = json.dumps({"name": "loopback-user", "type": "user"}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        token = "hf_fake" + secrets.token_hex(16)
        monkeypatch.setenv("HF_TOKEN", token)
        monkeypatch.delenv("DAGGR_USER", raising=False)
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
        monkeypatch.setattr(auth, "_users", {})
        assert auth.notebook_user() == "loopback-user"
        assert seen and all(path.startswith("/api/whoami") for path, _ in seen)
        assert seen[0][1] == f"Bearer {token}"
    finally:
        server.shutdown()
