"""Running FnNode work on another executor: a process pool or a Dask cluster.

The function runs where the executor puts it; preprocess and postprocess stay in the
session. Files a function returns are carried back as bytes and written locally, so a
worker on another machine can return files too.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from pathlib import Path
from typing import Any

from daggr.nodes.fn import FnNode, check_shippable, is_dask_client
from daggr.records import FileValue


class _FileBytes:
    """A file a worker returned, travelling back as its name and contents."""

    __slots__ = ("name", "data")

    def __init__(self, name: str, data: bytes):
        self.name = name
        self.data = data


def _pack(value: Any) -> Any:
    if isinstance(value, FileValue):
        return _FileBytes(os.path.basename(value), Path(value).read_bytes())
    if isinstance(value, tuple):
        return tuple(_pack(v) for v in value)
    if isinstance(value, list):
        return [_pack(v) for v in value]
    if isinstance(value, dict):
        return {k: _pack(v) for k, v in value.items()}
    return value


def _unpack(value: Any, folder: Path) -> Any:
    if isinstance(value, _FileBytes):
        digest = hashlib.sha256(value.data).hexdigest()
        path = folder / digest[:2] / f"{digest}{Path(value.name).suffix}"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
            tmp.write_bytes(value.data)
            os.replace(tmp, path)
        return FileValue(str(path))
    if isinstance(value, tuple):
        return tuple(_unpack(v, folder) for v in value)
    if isinstance(value, list):
        return [_unpack(v, folder) for v in value]
    if isinstance(value, dict):
        return {k: _unpack(v, folder) for k, v in value.items()}
    return value


def run_packed(fn: Any, kwargs: dict[str, Any]) -> Any:
    """Runs on the worker: call the function, carry returned files back as bytes."""
    result = fn(**kwargs)
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    return _pack(result)


def _received_files() -> Path:
    from daggr.store import daggr_home

    return daggr_home() / "worker-files"


async def call(executor: Any, node: FnNode, kwargs: dict[str, Any]) -> Any:
    """Run the node's function on ``executor`` and wait without blocking daggr's loop.
    Cancelling the awaiting task cancels the submitted work where the executor can."""
    check_shippable(executor, node.fn, node.name)  # a graph-wide executor is checked here
    future = executor.submit(run_packed, node.fn, kwargs)
    try:
        if is_dask_client(executor):
            loop = asyncio.get_running_loop()
            packed = await loop.run_in_executor(None, future.result)
        else:
            packed = await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        # Dask's cancel blocks on its own event loop, so it must not run on daggr's.
        threading.Thread(target=future.cancel, name="daggr-cancel", daemon=True).start()
        raise
    return _unpack(packed, _received_files())
