"""Small facts about remote things, cached on disk under ``$DAGGR_HOME/api_info/``.

An entry remembers when it was fetched and, when known, the revision (a Space's or a
model's git sha) it describes. It is *fresh* while younger than the TTL and while no newer
revision has been seen in this process; a stale entry is refreshed when the source is
reachable and used, with a warning, when it is not.

>>> import os, tempfile
>>> os.environ["DAGGR_HOME"] = tempfile.mkdtemp()
>>> save("gradio", "http://127.0.0.1:7860", {"named_endpoints": {}}).value
{'named_endpoints': {}}
>>> load("gradio", "http://127.0.0.1:7860").fresh()
True
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any

from daggr.remote.config import api_info_ttl, daggr_home

_lock = threading.Lock()
# Revisions seen in this process (from Hub look-ups): a cache entry for an older one is stale.
_latest_revision: dict[tuple[str, str], str] = {}
# Which kind of Hub repo an entry kind describes.
_REPO_KIND = {"gradio": "space", "model": "model"}


@dataclass
class Entry:
    kind: str
    key: str
    value: Any
    revision: str | None
    fetched_at: float

    @property
    def age(self) -> float:
        return max(0.0, time.time() - self.fetched_at)

    def fresh(self, ttl: float | None = None) -> bool:
        if self.age > (api_info_ttl() if ttl is None else ttl):
            return False
        latest = _latest_revision.get((_REPO_KIND.get(self.kind, self.kind), self.key))
        return latest is None or self.revision is None or latest == self.revision

    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.fetched_at))


def note_revision(repo_kind: str, repo_id: str, revision: str | None) -> None:
    """Remember the current revision of a Hub repo (``repo_kind`` "space" or "model");
    cache entries describing another revision become stale."""
    if revision:
        _latest_revision[(repo_kind, repo_id)] = revision


def known_revision(repo_kind: str, repo_id: str) -> str | None:
    return _latest_revision.get((repo_kind, repo_id))


def _path(kind: str, key: str):
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", key)[-60:].strip("_") or "entry"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return daggr_home() / "api_info" / kind / f"{slug}-{digest}.json"


def load(kind: str, key: str) -> Entry | None:
    """The cached entry, or None (missing or unreadable files count as missing)."""
    try:
        data = json.loads(_path(kind, key).read_text())
        if data.get("key") != key:
            return None
        return Entry(kind, key, data["value"], data.get("revision"), float(data["fetched_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(kind: str, key: str, value: Any, revision: str | None = None) -> Entry:
    """Write an entry atomically (concurrent kernels never see half a file)."""
    entry = Entry(kind, key, value, revision, time.time())
    path = _path(kind, key)
    payload = json.dumps(
        {"key": key, "revision": revision, "fetched_at": entry.fetched_at, "value": value},
        default=str,
    )
    with _lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(payload)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    note_revision(_REPO_KIND.get(kind, kind), key, revision)
    return entry
