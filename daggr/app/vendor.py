"""The daggr an exported Space runs: a copy of the running one, next to ``app.py``.

The package index's ``daggr`` is another project, so a Space must not install daggr by
name. The export carries this daggr's own package folder (its Python source and the built
canvas bundle), which ``python app.py`` imports first since it sits beside the script, and
its ``requirements.txt`` lists this daggr's dependencies. No wheel path in
``requirements.txt``: a Space installs its requirements before the repository's files are
there. ``$DAGGR_REQUIREMENT`` (a requirement line) replaces the copy, e.g. once this daggr
is published under a name of its own.

Example:
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> lines = vendor_daggr(out)
    >>> (out / "daggr" / "__init__.py").is_file(), any(ln.startswith("duckdb") for ln in lines)
    (True, True)
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import daggr
from daggr.errors import DaggrError

PACKAGE = Path(daggr.__file__).resolve().parent
BUNDLE = ("static/widget.js", "static/widget.css")


class VendorError(DaggrError, RuntimeError):
    """This daggr cannot be copied into a Space (no canvas bundle, no metadata)."""


def vendor_daggr(out: Path) -> list[str]:
    """Copy the running daggr into ``out/daggr``; return the requirement lines it needs."""
    missing = [name for name in BUNDLE if not (PACKAGE / name).is_file()]
    if missing:
        raise VendorError(
            f"This daggr has no canvas bundle ({', '.join(missing)} missing in {PACKAGE}), so "
            "an exported Space would serve a blank page. Build it with `cd js && npm run "
            "build` (or reinstall daggr with `pip install -e .`) and export again."
        )
    dest = out / "daggr"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(PACKAGE, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.map"))
    return dependencies()


def dependencies() -> list[str]:
    """This daggr's own dependencies (its extras left out), from its installed metadata."""
    from importlib.metadata import PackageNotFoundError, requires

    try:
        declared = requires("daggr") or []
    except PackageNotFoundError:
        raise VendorError(
            "daggr's metadata is not installed, so its dependencies are unknown: install "
            "it (`pip install -e .` in a clone) and export again."
        ) from None
    return [req for req in declared if not re.search(r"\bextra\s*==", req)]
