"""Fixtures for the store tests: real DuckDB files in a temp dir, one per test (helpers
live in store_helpers.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from daggr.store import Store


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DAGGR_HOME and DAGGR_DB_PATH in this test's temp dir."""
    home = tmp_path / "home"
    monkeypatch.setenv("DAGGR_HOME", str(home))
    monkeypatch.setenv("DAGGR_DB_PATH", str(tmp_path / "db" / "test.duckdb"))
    return home


@pytest.fixture
def db_path(home: Path) -> Path:
    return Path(os.environ["DAGGR_DB_PATH"])


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    s = Store(file_grace=0.0)
    yield s
    s.close()


@pytest.fixture(params=["duckdb", "memory"])
def any_store(request: pytest.FixtureRequest, home: Path) -> Iterator[Store]:
    """The same behaviour is expected from both backends."""
    s = Store(file_grace=0.0) if request.param == "duckdb" else Store.memory()
    yield s
    s.close()
