"""Where daggr keeps files, under the names the original daggr's examples import.

``get_daggr_files_dir()`` is the folder a node can write its generated files to (they
travel between nodes as paths); ``get_daggr_cache_dir()`` is daggr's home folder
(``$DAGGR_HOME``, default ``$HF_HOME/daggr``). Both are created on first call.

Example:
    >>> from daggr.state import get_daggr_files_dir
    >>> import uuid
    >>> path = get_daggr_files_dir() / f"{uuid.uuid4()}.txt"
    >>> _ = path.write_text("made by a node")
    >>> path.parent.name
    'outputs'
"""

from __future__ import annotations

from pathlib import Path

from daggr.home import daggr_home

__all__ = ["get_daggr_cache_dir", "get_daggr_files_dir"]


def get_daggr_cache_dir() -> Path:
    """daggr's home folder (``$DAGGR_HOME``, default ``$HF_HOME/daggr``), created if needed."""
    home = daggr_home()
    home.mkdir(parents=True, exist_ok=True)
    return home


def get_daggr_files_dir() -> Path:
    """A folder for files that nodes make (``$DAGGR_HOME/outputs``), created if needed.

    Results that are files are also copied into daggr's content-addressed store when
    they are recorded, so history keeps them even if this folder is cleaned.
    """
    files = get_daggr_cache_dir() / "outputs"
    files.mkdir(parents=True, exist_ok=True)
    return files
