"""The canvas bundle's build step for ``pip install`` (hatch-jupyter-builder's
``build-function``): ``npm ci`` then ``npm run build`` in ``js/``.

``npm ci`` installs exactly what the committed ``package-lock.json`` says and never
rewrites it (``npm install``, which hatch-jupyter-builder's own ``npm_builder`` runs,
may), so installing daggr from a clone leaves the git tree clean.
``HATCH_JUPYTER_BUILDER_SKIP_NPM=1`` skips the step, as it does for ``npm_builder``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def build(target_name: str, version: str, path: str = "js", build_cmd: str = "build") -> None:
    """Install the locked dependencies and build the bundle into ``daggr/static/``."""
    if os.environ.get("HATCH_JUPYTER_BUILDER_SKIP_NPM") == "1":
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "Building the daggr canvas needs Node >= 18 and npm on PATH (install Node.js), "
            "or install daggr from a wheel or an sdist, which carry the built bundle."
        )
    cwd = Path(path).resolve()
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=cwd, check=True)
    subprocess.run([npm, "run", build_cmd], cwd=cwd, check=True)
