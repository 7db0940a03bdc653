"""Fixtures for the store tests: real DuckDB files in a temp dir, one per test."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from daggr.records import ResultRecord
from daggr.store import Store

REPO = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("worker.py")


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


def reopen(store: Store) -> Store:
    """Close ``store`` and open its file again (a new kernel, in effect)."""
    path, files = store.path, store.files_dir
    store.close()
    return Store(path, files_dir=files, file_grace=0.0)


def rec(node: str, key: str = "k", i: int = 0, **kw) -> ResultRecord:
    kw.setdefault("outputs", {"out": i})
    kw.setdefault("inputs", {"x": i})
    return ResultRecord(node=node, key=key, **kw)


def worker_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def worker_cmd(*args: str) -> list[str]:
    return [sys.executable, str(WORKER), *args]
