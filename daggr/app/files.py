"""Files the app hands out, served by content id only (``/file/<sha256><ext>``).

A content id is checked against a strict pattern and looked up in content-addressed
roots, so no request can name a path: ``/file/../../etc/passwd`` or an absolute path is
simply not a content id.

Example:
    >>> import pathlib, tempfile
    >>> files = AppFiles(pathlib.Path(tempfile.mkdtemp()))
    >>> src = pathlib.Path(tempfile.mkdtemp()) / "hello.txt"
    >>> _ = src.write_text("hi")
    >>> cid = files.content_id(str(src))
    >>> files.lookup(cid).read_text(), files.lookup("../../etc/passwd")
    ('hi', None)
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from daggr.records import FileValue
from daggr.store.codec import FileStore

CONTENT_ID = re.compile(r"([0-9a-f]{64})(\.[A-Za-z0-9_-]{1,15})?")


class AppFiles:
    """Content-addressed files: the store's file root (when it has one) plus the app's own
    root for outputs of memory-only graphs (uploads are saved by :mod:`daggr.values.files`)."""

    def __init__(self, own: Path | None = None, store_root: Path | None = None) -> None:
        self.own = FileStore(own or Path(tempfile.mkdtemp(prefix="daggr-app-files-")))
        self.roots = [self.own] + ([FileStore(store_root)] if store_root else [])

    def content_id(self, path: str) -> str:
        """The id under which ``path``'s content is served (copied in if needed)."""
        p = Path(path)
        for store in self.roots:
            known = store._known(str(p))
            if known is not None and p.exists():
                return known[0] + known[1]
        ext = p.suffix if CONTENT_ID.fullmatch("0" * 64 + p.suffix) else ""
        sha, _ = self.own.put_file(p, ext)
        return sha + ext

    def lookup(self, cid: str) -> Path | None:
        """The file for a content id, or None for anything that is not one."""
        m = CONTENT_ID.fullmatch(cid or "")
        if m is None:
            return None
        sha, ext = m.group(1), m.group(2) or ""
        for store in self.roots:
            path = store.path(sha, ext)
            if path.is_file():
                return path
        return None

    def resolve(self, cid: str) -> FileValue | None:
        path = self.lookup(cid)
        return None if path is None else FileValue(os.fspath(path))

    def urls(self, base: str) -> FileUrls:
        """Where REST answers put files: URLs under ``base`` (``http://host:port``)."""
        return FileUrls(self, base.rstrip("/"))


class FileUrls:
    """A :class:`daggr.values.FileSink`: files and bytes become ``/file/<content id>`` URLs."""

    def __init__(self, files: AppFiles, base: str) -> None:
        self._files, self._base = files, base

    def file_url(self, path: str) -> str:
        return f"{self._base}/file/{self._files.content_id(path)}"

    def bytes_url(self, data: bytes, ext: str) -> str:
        sha, _ = self._files.own.put_bytes(data, ext)
        return f"{self._base}/file/{sha}{ext}"
