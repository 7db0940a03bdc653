"""Real parts on loopback: a Gradio app in a subprocess, a fake Hub / Inference API in a
thread, and a guard that fails the session if anything tries to leave the machine."""

from __future__ import annotations

import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from tests.remote.fake_hub import FakeHub, start_fake_hub
from tests.remote.loopback import CHAT_SERVER, STREAM_APP, AppProcess, free_port

_LOCAL_HOSTS = {"127.0.0.1", "::1", "localhost", "0.0.0.0", "::"}
OUTSIDE_ATTEMPTS: list[str] = []


@pytest.fixture(scope="session", autouse=True)
def no_internet():
    """Refuse (and remember) every connection that is not to this machine."""
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def guarded_connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in _LOCAL_HOSTS:
            OUTSIDE_ATTEMPTS.append(str(address))
            raise OSError(f"test guard: no internet ({address})")
        return real_connect(self, address)

    def guarded_getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and name not in _LOCAL_HOSTS and not name.startswith("127."):
            OUTSIDE_ATTEMPTS.append(str(name))
            raise socket.gaierror(f"test guard: no internet ({name})")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = guarded_connect
    socket.getaddrinfo = guarded_getaddrinfo
    yield OUTSIDE_ATTEMPTS
    socket.socket.connect = real_connect
    socket.getaddrinfo = real_getaddrinfo
    assert not OUTSIDE_ATTEMPTS, f"something tried to reach the internet: {OUTSIDE_ATTEMPTS}"


_EARLY_APPS: list[AppProcess] = []
_EARLY_DIRS: list[Path] = []


@pytest.hookimpl(trylast=True)  # after -m / -k deselected what will not run
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start the shared app as soon as a selected test needs it: it spends seconds
    importing gradio, which the tests running before the remote ones hide."""
    if config.option.collectonly or not any("gradio_app" in i.fixturenames for i in items):
        return
    out = Path(tempfile.mkdtemp(prefix="daggr-gradio-app-"))
    _EARLY_DIRS.append(out)
    _EARLY_APPS.append(AppProcess(free_port(), out, out / "app.log").start(wait=False))


def pytest_sessionfinish(session: pytest.Session) -> None:
    for app in _EARLY_APPS:  # selected but never used (a -x stop, a deselection)
        app.stop()
    for out in _EARLY_DIRS:
        shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(scope="session")
def gradio_app(tmp_path_factory) -> AppProcess:
    """The shared app (never stopped by tests)."""
    if _EARLY_APPS:
        app = _EARLY_APPS.pop().ensure_running()
    else:
        out = tmp_path_factory.mktemp("app-out")
        app = AppProcess(free_port(), out, out / "app.log").start()
    yield app
    app.stop()


@pytest.fixture(scope="session")
def _own_app(tmp_path_factory) -> AppProcess:
    out = tmp_path_factory.mktemp("own-app-out")
    app = AppProcess(free_port(), out, out / "app.log").start(wait=False)
    yield app
    app.stop()


@pytest.fixture
def own_app(_own_app: AppProcess) -> AppProcess:
    """A second app that a test may stop and restart on the same port (running when the
    test starts)."""
    return _own_app.ensure_running()


def _started(script: Path, out: Path) -> AppProcess:
    return AppProcess(free_port(), out, out / "app.log", script).start()


@pytest.fixture(scope="session")
def stream_app(tmp_path_factory) -> AppProcess:
    """The app whose endpoints stream, queue and report progress (never stopped by tests)."""
    app = _started(STREAM_APP, tmp_path_factory.mktemp("stream-app-out"))
    yield app
    app.stop()


@pytest.fixture
def doomed_stream_app(tmp_path) -> AppProcess:
    """A stream app of this test's own, to kill mid-stream."""
    app = _started(STREAM_APP, tmp_path)
    yield app
    app.stop()


@pytest.fixture(scope="session")
def chat_server(tmp_path_factory) -> AppProcess:
    """The loopback OpenAI-compatible chat server that streams tokens."""
    server = _started(CHAT_SERVER, tmp_path_factory.mktemp("chat-server"))
    yield server
    server.stop()


@pytest.fixture
def doomed_chat_server(tmp_path) -> AppProcess:
    """A chat server of this test's own, to kill mid-answer."""
    server = _started(CHAT_SERVER, tmp_path)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fake_hub_server():
    hub, server = start_fake_hub()
    yield hub
    server.shutdown()


@pytest.fixture
def fake_hub(fake_hub_server: FakeHub, monkeypatch) -> FakeHub:
    """The fake Hub, online: HF_HUB_OFFLINE unset (and huggingface_hub's import-time copy
    patched), HF_ENDPOINT and DAGGR_INFERENCE_ENDPOINT pointing at it."""
    import huggingface_hub.constants as constants

    hub = fake_hub_server
    hub.requests.clear()
    hub.spaces.clear()
    hub.models.clear()
    hub.failures.clear()
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("DAGGR_INFERENCE_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_TOKEN", "")  # no token unless a test sets one
    return hub


@pytest.fixture(autouse=True)
def fresh_remote_state(monkeypatch):
    """Each test starts with no cached clients, local apps or revisions."""
    from daggr.remote import api_cache, gradio, local_space

    monkeypatch.setenv("HF_TOKEN", "")
    monkeypatch.setenv("DAGGR_RETRY_BACKOFF", "0.05")
    yield
    for key in list(gradio._sources):
        gradio._sources.pop(key, None)
    api_cache._latest_revision.clear()
    local_space.stop_all()
    local_space._failed.clear()
