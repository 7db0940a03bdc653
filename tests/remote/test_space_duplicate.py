"""When a Space a graph calls has changed: duplicate it at the recorded revision under
your namespace and call the copy (the original daggr's safer choice), against the
loopback Hub with repository files, uploads and a real Gradio app behind the copy."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from daggr import GradioNode, Graph
from daggr.remote import check_dependencies
from tests.remote.fake_hub import FakeHub, make_handler

OLD, NEW = "1" * 40, "3" * 40
TOKEN = "hf_duplicate_test_token"


class RepoHub(FakeHub):
    """The fake Hub with repository files: ``files[(repo, sha)] = {path: bytes}``."""

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[tuple[str, str], dict[str, bytes]] = {}
        self.commits: list[dict[str, Any]] = []
        self.user = "me"
        self.host_for_new_spaces = "http://127.0.0.1:9"


def repo_handler(hub: RepoHub) -> type:
    base = make_handler(hub)

    class Handler(base):  # type: ignore[misc, valid-type]
        def _files(self, repo: str, rev: str) -> dict[str, bytes] | None:
            info = hub.spaces.get(repo)
            if info is None:
                return None
            sha = info["sha"] if rev in ("main", info["sha"]) else rev
            return hub.files.get((repo, sha))

        def do_HEAD(self) -> None:
            self._file(head=True)

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path == "/api/whoami-v2":
                self._record()
                self._send(200, {"type": "user", "name": hub.user, "auth": {}})
                return
            if path.startswith("/api/spaces/") and "/revision/" in path:
                self._record()
                repo, rev = path[len("/api/spaces/") :].split("/revision/")
                files = self._files(repo, rev)
                if files is None:
                    self._send(404, {"error": "Revision not found"})
                    return
                sha = rev if rev != "main" else hub.spaces[repo]["sha"]
                self._send(
                    200,
                    {
                        "id": repo,
                        "sha": sha,
                        "private": False,
                        "sdk": "gradio",
                        "siblings": [{"rfilename": f} for f in sorted(files)],
                        "runtime": {"stage": "RUNNING", "hardware": {}},
                        **{k: v for k, v in hub.spaces[repo].items() if k not in ("sha",)},
                    },
                )
                return
            if path.startswith("/api/spaces/") and "/tree/" in path:
                self._record()
                repo, rev = path[len("/api/spaces/") :].split("/tree/")
                files = self._files(repo, rev.split("/")[0]) or {}
                self._send(
                    200,
                    [
                        {
                            "type": "file",
                            "path": name,
                            "size": len(data),
                            "oid": hashlib.sha1(data).hexdigest(),
                        }
                        for name, data in sorted(files.items())
                    ],
                )
                return
            if path.startswith("/spaces/") and "/resolve/" in path:
                self._file(head=False)
                return
            super().do_GET()

        def _file(self, head: bool) -> None:
            self._record()
            path = self.path.split("?")[0]
            repo, rest = path[len("/spaces/") :].split("/resolve/")
            rev, name = rest.split("/", 1)
            files = self._files(repo, rev) or {}
            if name not in files:
                self._send(
                    404, {"error": "Entry not found"}, headers={"X-Error-Code": "EntryNotFound"}
                )
                return
            data = files[name]
            sha = rev if rev != "main" else hub.spaces[repo]["sha"]
            headers = {
                "X-Repo-Commit": sha,
                "ETag": f'"{hashlib.sha1(data).hexdigest()}"',
            }
            if head:
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                return
            self._send(200, data, "application/octet-stream", headers)

        def do_POST(self) -> None:
            path = self.path.split("?")[0]
            if path == "/api/repos/create":
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length))
                self._record(json.dumps(body).encode())
                repo = f"{body.get('organization') or hub.user}/{body['name']}"
                if repo not in hub.spaces:
                    hub.spaces[repo] = {"sha": "0" * 40, "host": hub.host_for_new_spaces}
                    hub.files[(repo, "0" * 40)] = {}
                self._send(200, {"url": f"{hub.url}/spaces/{repo}", "name": repo})
                return
            if path.startswith("/api/spaces/") and "/preupload/" in path:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length))
                self._record()
                files = [
                    {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                    for f in body["files"]
                ]
                self._send(200, {"files": files})
                return
            if path.startswith("/api/spaces/") and "/commit/" in path:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                self._record()
                repo = path[len("/api/spaces/") :].split("/commit/")[0]
                lines = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
                header = next(x["value"] for x in lines if x["key"] == "header")
                current = dict(hub.files.get((repo, hub.spaces[repo]["sha"]), {}))
                for line in lines:
                    if line["key"] == "file":
                        value = line["value"]
                        content = value["content"]
                        if value.get("encoding") == "base64":
                            content = base64.b64decode(content)
                        current[value["path"]] = (
                            content if isinstance(content, bytes) else content.encode()
                        )
                sha = hashlib.sha1(json.dumps(sorted(current)).encode() + raw).hexdigest()
                hub.files[(repo, sha)] = current
                hub.spaces[repo]["sha"] = sha
                hub.commits.append({"repo": repo, "summary": header.get("summary"), "sha": sha})
                self._send(
                    200,
                    {
                        "commitUrl": f"{hub.url}/spaces/{repo}/commit/{sha}",
                        "commitOid": sha,
                        "success": True,
                    },
                )
                return
            super().do_POST()

    return Handler


@pytest.fixture
def repo_hub(monkeypatch, daggr_home):
    import huggingface_hub.constants as constants

    hub = RepoHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), repo_handler(hub))
    server.daemon_threads = True
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.delenv("DAGGR_DEPENDENCY_CHECK", raising=False)
    hub.spaces["owner/tts"] = {"sha": OLD, "host": "http://127.0.0.1:9"}
    hub.files[("owner/tts", OLD)] = {"app.py": b"print('v1')\n", "requirements.txt": b"gradio\n"}
    yield hub
    server.shutdown()


def _graph() -> Graph:
    node = GradioNode(
        "owner/tts", api_name="/echo", name="tts", validate=False, inputs={"text": "hi"}
    )
    return Graph("Podcast", nodes=[node])


def _upstream_moves(hub: RepoHub) -> None:
    hub.spaces["owner/tts"]["sha"] = NEW
    hub.files[("owner/tts", NEW)] = {"app.py": b"print('v2, breaking')\n"}


class Terminal(io.StringIO):
    """Typed answers on a terminal: the prompt only asks where a person can answer."""

    def isatty(self) -> bool:
        return True


def test_duplicate_at_the_recorded_revision_and_call_the_copy(repo_hub, gradio_app, capsys):
    graph = _graph()
    assert [c.status for c in check_dependencies(graph)] == ["recorded"]
    _upstream_moves(repo_hub)
    repo_hub.host_for_new_spaces = gradio_app.url  # the copy runs (the real app answers)

    report = check_dependencies(graph, "duplicate")
    assert [(c.status, c.duplicate) for c in report] == [("duplicated", "me/tts-1111111")]
    assert graph.nodes["tts"].src == "me/tts-1111111"
    # the copy holds the recorded revision's files, not the new ones
    copy = repo_hub.files[("me/tts-1111111", repo_hub.spaces["me/tts-1111111"]["sha"])]
    assert copy == {"app.py": b"print('v1')\n", "requirements.txt": b"gradio\n"}
    assert repo_hub.commits[-1]["summary"] == f"Duplicate of owner/tts at revision {OLD}"
    assert "Duplicated → 'me/tts-1111111'" in capsys.readouterr().err
    assert graph.run(progress=False)["tts"] == {"output": "echo:hi"}

    # the next launch (a new process: new node objects) uses the copy without asking again
    repo_hub.requests.clear()
    again = _graph()
    report = check_dependencies(again)
    assert [(c.status, c.duplicate) for c in report] == [("pinned", "me/tts-1111111")]
    assert again.nodes["tts"].src == "me/tts-1111111"
    assert "calls 'me/tts-1111111', your copy of Space 'owner/tts'" in capsys.readouterr().err
    assert not repo_hub.paths("/api/spaces/owner/tts")


def test_the_prompt_offers_duplicate_update_or_later(repo_hub, monkeypatch, capsys):
    graph = _graph()
    check_dependencies(graph)
    _upstream_moves(repo_hub)

    monkeypatch.setattr("sys.stdin", Terminal("7\n3\n"))  # a wrong answer is asked again
    assert [c.status for c in check_dependencies(graph)] == ["kept"]
    out = capsys.readouterr().out
    assert "[1] Duplicate the recorded revision under your namespace" in out
    assert "'7' is not one of 1, 2, 3." in out
    assert graph.nodes["tts"].src == "owner/tts"

    monkeypatch.setattr("sys.stdin", Terminal("\n"))  # Enter: the default, duplicate
    assert [c.status for c in check_dependencies(graph)] == ["duplicated"]
    assert graph.nodes["tts"].src == "me/tts-1111111"

    other = Graph("Other", nodes=[GradioNode("owner/tts", name="tts", validate=False)])
    check_dependencies(other)
    repo_hub.spaces["owner/tts"]["sha"] = "4" * 40
    monkeypatch.setattr("sys.stdin", Terminal("2\n"))
    assert [c.status for c in check_dependencies(other)] == ["changed"]  # updated
    assert other.nodes["tts"].src == "owner/tts"
    assert {c.status for c in check_dependencies(other)} == {"unchanged"}


def test_without_a_login_duplication_says_why_and_updates(repo_hub, monkeypatch, capsys):
    graph = _graph()
    check_dependencies(graph)
    _upstream_moves(repo_hub)
    monkeypatch.setenv("HF_TOKEN", "")
    report = check_dependencies(graph, "duplicate")
    assert [c.status for c in report] == ["changed"]
    err = capsys.readouterr().err
    assert "needs a Hugging Face login with write access" in err
    assert graph.nodes["tts"].src == "owner/tts"
    assert {c.status for c in check_dependencies(graph)} == {"unchanged"}
