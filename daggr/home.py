"""Where daggr keeps its state on disk: one rule for every part of the package.

Nothing here creates a file or directory.

>>> import os
>>> os.environ["DAGGR_HOME"] = "/tmp/daggr-doc-home"
>>> str(daggr_home())
'/tmp/daggr-doc-home'
"""

from __future__ import annotations

import os
from pathlib import Path


def env_path(name: str) -> Path | None:
    """The path an environment variable names (``~`` expanded); None when unset or empty."""
    value = os.environ.get(name)
    return Path(value).expanduser() if value else None


def hf_home() -> Path:
    """``$HF_HOME``, else ``$XDG_CACHE_HOME/huggingface``, else ``~/.cache/huggingface``.

    Same rule as ``huggingface_hub.constants.HF_HOME``, without importing it.
    """
    home = env_path("HF_HOME")
    if home is not None:
        return home
    xdg = env_path("XDG_CACHE_HOME")
    return (xdg if xdg is not None else Path("~/.cache").expanduser()) / "huggingface"


def daggr_home() -> Path:
    """``$DAGGR_HOME``, default ``$HF_HOME/daggr``: the database, files and caches."""
    home = env_path("DAGGR_HOME")
    return home if home is not None else hf_home() / "daggr"
