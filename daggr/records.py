"""Value types shared by the engine and the store.

Both layers import this module and neither imports the other: the engine produces
:class:`ResultRecord` rows, the store keeps them.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Status(str, Enum):
    """How a node (or one item of a scattered node) fared.

    A ``str``: it compares equal to its value and prints as it. Records and outcomes
    carry the plain values (``Status.OK.value``), exactly as rows read back from the
    store do; comparing exact strings is also what Python does fastest, and the engine
    compares statuses for every node.

    Example:
        >>> Status.OK == "ok", f"{Status.CACHED}", Status("error")
        (True, 'cached', 'error')
    """

    PENDING = "pending"  # in a run, not started yet
    RUNNING = "running"
    OK = "ok"  # executed and succeeded
    CACHED = "cached"  # a stored result computed from the same inputs was reused
    ERROR = "error"
    SKIPPED = "skipped"  # an upstream node failed or was cancelled
    CANCELLED = "cancelled"

    __str__ = str.__str__
    __format__ = str.__format__

    def __repr__(self) -> str:
        return str.__repr__(self.value)


_OK = Status.OK.value


class FileValue(str):
    """A path string that names a file.

    Files travel between nodes as local paths; this subclass marks a string as a file so
    that plain text such as ``"README.md"`` is never mistaken for one.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"FileValue({str.__repr__(self)})"


# A file kept by the store is named by its content; people know it by the name it had.
_FILE_NAMES: dict[str, str] = {}
_MAX_FILE_NAMES = 100_000


def remember_file_name(path: str, name: str) -> None:
    """Record that the file at ``path`` (a stored copy) was returned as ``name``."""
    if len(_FILE_NAMES) >= _MAX_FILE_NAMES:
        _FILE_NAMES.clear()
    _FILE_NAMES[path] = name


def file_name(path: str) -> str:
    """The name a file was returned with: its own, or for a stored copy the original's.

    Example:
        >>> remember_file_name("/store/ab/ab12.png", "poster.png")
        >>> file_name("/store/ab/ab12.png"), file_name("/tmp/cat.png")
        ('poster.png', 'cat.png')
    """
    return _FILE_NAMES.get(path) or os.path.basename(path.rstrip("/\\")) or path


_counter = itertools.count()
_process_tag = f"{os.getpid():x}{int.from_bytes(os.urandom(3), 'big'):06x}"
_SUFFIXES = tuple(f"{i:02x}" for i in range(256))
_batch: Iterator[str] = iter(())


def new_result_id() -> str:
    """A result id, unique across processes: a clock reading, a per-process tag, a batch
    number and a position in the batch.

    Ids are made 256 at a time, by concatenation: formatting numbers for every id would
    be a noticeable part of the engine's per-node cost.
    """
    global _batch
    try:
        return next(_batch)
    except StopIteration:
        prefix = f"{time.time_ns():016x}-{_process_tag}-{next(_counter):x}"
        _batch = iter([prefix + suffix for suffix in _SUFFIXES])
        return next(_batch)


@dataclass(slots=True)
class ResultRecord:
    """One execution of one node: what it produced and exactly what produced it.

    ``upstream`` maps each upstream node name to the id of the result this execution
    consumed; staleness and cascading selection are questions over these ids.
    For a scattered node ``items`` holds one entry per item:
    ``{"key": str, "status": "ok"|"error"|"cancelled", "error": str|None}`` (see
    :class:`Status`), and every
    output value is the list of per-item values (``None`` where the item failed).
    """

    node: str
    key: str
    outputs: dict[str, Any]
    inputs: dict[str, Any]
    upstream: dict[str, str] = field(default_factory=dict)
    variant: int | None = None
    status: str = _OK
    error: str | None = None
    started_at: float = 0.0
    duration: float = 0.0
    items: list[dict[str, Any]] | None = None
    id: str = field(default_factory=new_result_id)

    @property
    def ok(self) -> bool:
        return self.status == _OK


class History(list):
    """A node's results, oldest first (a list of :class:`ResultRecord`)."""

    def __init__(self, node: str, records: list[ResultRecord]):
        super().__init__(records)
        self.node = node
