"""Hardening tests: faults, bad input, load and security, on real parts over 127.0.0.1.

Fixtures: a restartable Gradio app in a subprocess (``fault_app``), a recording comm for
Canvas objects (``fake_comm``), and a guard that fails a test if anything tries to leave
the machine; ``serve`` (a served daggr app) comes from tests/conftest.py. Helpers live in
hardening_helpers.py.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hardening.hardening_helpers import AppProcess, RecordingComm, free_port

HERE = Path(__file__).parent
_LOCAL = {"127.0.0.1", "::1", "localhost", "0.0.0.0", "::"}
OUTSIDE: list[str] = []


@pytest.fixture(autouse=True)
def no_internet():
    """Refuse (and remember) every connection that is not to this machine, during each
    test of this folder (per test, so other folders' tests are not blamed here)."""
    OUTSIDE.clear()
    real_connect, real_gai = socket.socket.connect, socket.getaddrinfo

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in _LOCAL:
            OUTSIDE.append(str(address))
            raise OSError(f"test guard: no internet ({address})")
        return real_connect(self, address)

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and name not in _LOCAL and not name.startswith("127."):
            OUTSIDE.append(str(name))
            raise socket.gaierror(f"test guard: no internet ({name})")
        return real_gai(host, *args, **kwargs)

    socket.socket.connect, socket.getaddrinfo = connect, getaddrinfo
    yield OUTSIDE
    socket.socket.connect, socket.getaddrinfo = real_connect, real_gai
    assert not OUTSIDE, f"something tried to reach the internet: {OUTSIDE}"


@pytest.fixture(scope="session")
def _fault_app(tmp_path_factory) -> Iterator[AppProcess]:
    app = AppProcess(free_port(), tmp_path_factory.mktemp("fault-app") / "app.log").start()
    yield app
    app.kill()


@pytest.fixture
def fault_app(_fault_app: AppProcess, monkeypatch) -> AppProcess:
    """The fault app, running when the test starts (a test may kill it)."""
    monkeypatch.setenv("HF_TOKEN", "")
    monkeypatch.setenv("DAGGR_RETRY_BACKOFF", "0.05")
    monkeypatch.setenv("DAGGR_REMOTE_RETRIES", "1")
    yield _fault_app.ensure_running()
    from daggr.remote import gradio

    for key in list(gradio._sources):
        gradio._sources.pop(key, None)


@pytest.fixture
def fake_comm(monkeypatch):
    import comm

    monkeypatch.setattr(comm, "create_comm", RecordingComm)
    return RecordingComm
