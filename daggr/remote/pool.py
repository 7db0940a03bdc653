"""Threads for blocking remote work (connecting, uploading, downloading, InferenceClient
calls), separate from asyncio's small default executor so that many remote nodes can wait
at once."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from daggr.remote.config import env_int

T = TypeVar("T")
_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def pool() -> ThreadPoolExecutor:
    """The shared pool (``DAGGR_REMOTE_THREADS``, default 64 threads)."""
    global _pool
    if _pool is None:
        with _lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(
                    max_workers=max(4, env_int("DAGGR_REMOTE_THREADS", 64)),
                    thread_name_prefix="daggr-remote",
                )
    return _pool


async def run_blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn`` on the pool and await it; a cancelled await leaves the thread to finish."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool(), functools.partial(fn, *args, **kwargs))
