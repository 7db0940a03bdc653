"""Helpers for the store tests: records, reopening a store, the worker subprocess."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from daggr.records import ResultRecord
from daggr.store import Store

REPO = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("worker.py")


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
