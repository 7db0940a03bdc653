from __future__ import annotations

from pathlib import Path

import pytest

from daggr.app.files import AppFiles
from tests.values import media


@pytest.fixture
def made(tmp_path: Path) -> dict[str, Path]:
    return media.files(tmp_path / "media")


@pytest.fixture
def sink(tmp_path: Path):
    """Where REST answers put files, as a served app does (real content-addressed files)."""
    files = AppFiles(tmp_path / "app-files")
    urls = files.urls("http://app.test")
    urls.files = files  # the test reads the files back by the URL's content id
    return urls


@pytest.fixture(autouse=True)
def fake_comm(monkeypatch: pytest.MonkeyPatch):
    """Canvases here talk through a recording comm, as in the widget tests."""
    import comm

    from tests.widget.widget_helpers import RecordingComm

    monkeypatch.setattr(comm, "create_comm", RecordingComm)
    return RecordingComm


@pytest.fixture(scope="session")
def gradio_values_app(tmp_path_factory):
    """The value matrix's real Gradio app (``gradio_values_app.py``) on 127.0.0.1."""
    import os
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    from tests.remote.loopback import CHILD_ENV, free_port

    port = free_port()
    folder = tmp_path_factory.mktemp("gradio-values")
    log = folder / "app.log"
    app = Path(__file__).parent / "gradio_values_app.py"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, str(app), str(port), str(folder / "media")],
            env=dict(os.environ, **CHILD_ENV),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the values app did not start:\n{log.read_text()[-3000:]}"
                ) from None
            time.sleep(0.2)
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)


@pytest.fixture
def file_server(tmp_path):
    """A plain HTTP server on 127.0.0.1 serving ``tmp_path / "www"`` (URL file inputs)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    root = tmp_path / "www"
    root.mkdir()

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=root))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def e2e_out() -> Path:
    import os
    import tempfile

    out = Path(os.environ.get("E2E_OUT") or tempfile.mkdtemp(prefix="daggr-values-e2e-"))
    out.mkdir(parents=True, exist_ok=True)
    return out
