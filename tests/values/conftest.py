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
