"""Running FnNode work on another executor: a process pool or a Dask cluster.

The function runs where the executor puts it; preprocess and postprocess stay in the
session. Files a function returns are carried back as bytes and written locally, so a
worker on another machine can return files too.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import os
import threading
from collections.abc import Callable
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


async def call_many(
    executor: Any,
    node: FnNode,
    kwargs_list: list[dict[str, Any]],
    on_result: Callable[[int, Any, BaseException | None], None],
    on_progress: Callable[[int, bool], None],
) -> None:
    """Run the node's function once per ``kwargs_list`` entry on ``executor``, as the
    executor's own map would: submitted together (one ``client.map`` for Dask; every
    ``submit`` at once for a ``concurrent.futures`` executor, as ``Executor.map`` does),
    and waited for by one thread (no round trip through daggr's loop per item).

    ``on_progress(index, ok)`` is called as each item completes, ``on_result(index,
    value, error)`` when its value is here: at once from a process pool; from Dask, the
    values of the items that succeeded come in one ``gather`` at the end, as
    ``client.gather(client.map(...))`` fetches them (a gather per completion would add a
    round trip per item). Cancelling the awaiting task cancels what has not started."""
    check_shippable(executor, node.fn, node.name)
    folder = _received_files()
    if is_dask_client(executor):
        futures = executor.map(_Packed(node.fn), kwargs_list, pure=False)
        wait = _dask_waiter(executor, futures, folder, on_result, on_progress)
    else:
        futures = [executor.submit(run_packed, node.fn, kwargs) for kwargs in kwargs_list]
        wait = _futures_waiter(futures, folder, on_result, on_progress)
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(None, wait)
    except asyncio.CancelledError:
        threading.Thread(
            target=_cancel_all, args=(executor, futures), name="daggr-cancel", daemon=True
        ).start()
        raise


class _Packed:
    """``run_packed`` bound to one function: what ``client.map`` ships, once."""

    __slots__ = ("fn",)

    def __init__(self, fn: Any):
        self.fn = fn

    def __call__(self, kwargs: dict[str, Any]) -> Any:
        return run_packed(self.fn, kwargs)


def _deliver(
    on_result: Callable[[int, Any, BaseException | None], None],
    index: int,
    get: Callable[[], Any],
    folder: Path,
) -> bool:
    try:
        value = _unpack(get(), folder)
    except BaseException as exc:  # the item's own error, or its cancellation
        on_result(index, None, exc)
        return False
    on_result(index, value, None)
    return True


def _futures_waiter(
    futures: list, folder: Path, on_result: Callable, on_progress: Callable
) -> Callable[[], None]:
    def wait() -> None:
        index = {id(f): i for i, f in enumerate(futures)}
        for future in concurrent.futures.as_completed(futures):
            i = index[id(future)]
            on_progress(i, _deliver(on_result, i, future.result, folder))

    return wait


def _dask_waiter(
    client: Any, futures: list, folder: Path, on_result: Callable, on_progress: Callable
) -> Callable[[], None]:
    def wait() -> None:
        from distributed import as_completed

        index = {f.key: i for i, f in enumerate(futures)}
        finished = []
        for future in as_completed(futures):  # completions only: no data moves yet
            i = index[future.key]
            if future.status == "finished":
                finished.append(future)
                on_progress(i, True)
            else:  # its error (and the worker's traceback), or cancelled
                on_progress(i, _deliver(on_result, i, future.result, folder))
        if finished:
            for future, packed in zip(finished, client.gather(finished), strict=True):
                _deliver(on_result, index[future.key], lambda p=packed: p, folder)

    return wait


def _cancel_all(executor: Any, futures: list) -> None:
    if is_dask_client(executor):
        executor.cancel(futures)  # one message for all of them
    else:
        for future in futures:
            future.cancel()
