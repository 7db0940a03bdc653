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
