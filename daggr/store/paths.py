"""Where the store keeps things on disk. Nothing here creates a file or directory.

With ``DAGGR_HOME=/data/daggr`` and no ``DAGGR_DB_PATH``:

>>> default_db_path()                      # doctest: +SKIP
PosixPath('/data/daggr/daggr.duckdb')
>>> default_files_dir()                    # doctest: +SKIP
PosixPath('/data/daggr/files')
"""

from __future__ import annotations

from pathlib import Path

from daggr.home import daggr_home, env_path, hf_home

__all__ = ["DB_FILENAME", "daggr_home", "default_db_path", "default_files_dir", "hf_home"]

DB_FILENAME = "daggr.duckdb"


def default_db_path() -> Path:
    """``$DAGGR_DB_PATH`` if set, else ``$DAGGR_HOME/daggr.duckdb``."""
    path = env_path("DAGGR_DB_PATH")
    return path if path is not None else daggr_home() / DB_FILENAME


def default_files_dir() -> Path:
    """``$DAGGR_HOME/files``: the content-addressed store of files referenced by values."""
    return daggr_home() / "files"
