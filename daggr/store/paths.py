"""Where the store keeps things on disk. Nothing here creates a file or directory.

With ``DAGGR_HOME=/data/daggr`` and no ``DAGGR_DB_PATH``:

>>> default_db_path()                      # doctest: +SKIP
PosixPath('/data/daggr/daggr.duckdb')
>>> default_files_dir()                    # doctest: +SKIP
PosixPath('/data/daggr/files')
"""

from __future__ import annotations

import os
from pathlib import Path

DB_FILENAME = "daggr.duckdb"


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else None


def hf_home() -> Path:
    """``$HF_HOME``, else ``$XDG_CACHE_HOME/huggingface``, else ``~/.cache/huggingface``.

    Same rule as ``huggingface_hub.constants.HF_HOME``, without importing it.
    """
    home = _env_path("HF_HOME")
    if home is not None:
        return home
    xdg = _env_path("XDG_CACHE_HOME")
    return (xdg if xdg is not None else Path("~/.cache").expanduser()) / "huggingface"


def daggr_home() -> Path:
    """``$DAGGR_HOME``, default ``$HF_HOME/daggr``: the database, files and caches."""
    home = _env_path("DAGGR_HOME")
    return home if home is not None else hf_home() / "daggr"


def default_db_path() -> Path:
    """``$DAGGR_DB_PATH`` if set, else ``$DAGGR_HOME/daggr.duckdb``."""
    path = _env_path("DAGGR_DB_PATH")
    return path if path is not None else daggr_home() / DB_FILENAME


def default_files_dir() -> Path:
    """``$DAGGR_HOME/files``: the content-addressed store of files referenced by values."""
    return daggr_home() / "files"
