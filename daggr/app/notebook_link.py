"""The link to a served graph that a person in this notebook can open.

``launch()`` serves on this machine's port; a notebook in a browser elsewhere reaches it
only through a proxy it already has. In order:

1. ``$DAGGR_PROXY_URL``: a template such as ``https://lab.example/proxy/{port}/``;
2. Google Colab: Colab's own port proxy (``google.colab.kernel.proxyPort``);
3. JupyterHub and Binder (``$JUPYTERHUB_SERVICE_PREFIX``) with jupyter-server-proxy:
   ``/user/<name>/proxy/<port>/`` (absolute with ``$JUPYTERHUB_PUBLIC_URL`` when set;
   relative otherwise, which opens from the notebook page);
4. a kernel started by a Jupyter server (found by its runtime file) that has
   jupyter-server-proxy: ``<server url>proxy/<port>/``;
5. otherwise the direct address.

The served page uses relative URLs and reads the proxy's ``X-Forwarded-Prefix``, so it
works under each of these prefixes.

Example:
    >>> import os
    >>> os.environ["DAGGR_PROXY_URL"] = "https://lab.example/proxy/{port}/"
    >>> notebook_url(7860, "http://127.0.0.1:7860/")
    'https://lab.example/proxy/7860/'
    >>> del os.environ["DAGGR_PROXY_URL"]
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path


def notebook_url(port: int, direct: str) -> str:
    """The first link of the list above that applies, else ``direct``."""
    for find in FINDERS:
        try:
            url = find(port)
        except Exception:  # a finder that cannot tell must not stop the app from serving
            url = None
        if url:
            return url
    return direct


def from_template(port: int) -> str | None:
    template = os.environ.get("DAGGR_PROXY_URL", "").strip()
    if not template:
        return None
    url = template.replace("{port}", str(port))
    return url if url.endswith("/") else url + "/"


def from_colab(port: int) -> str | None:
    if "google.colab" not in sys.modules:
        return None
    from google.colab.output import eval_js  # type: ignore[import-not-found]

    url = eval_js(f"google.colab.kernel.proxyPort({int(port)}, {{'cache': false}})")
    return str(url) if url else None


def has_server_proxy() -> bool:
    try:
        return find_spec("jupyter_server_proxy") is not None
    except (ImportError, ValueError):
        return False


def from_jupyterhub(port: int) -> str | None:
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "").strip()
    if not prefix or not has_server_proxy():
        return None
    prefix = "/" + prefix.strip("/") + "/"
    public = os.environ.get("JUPYTERHUB_PUBLIC_URL", "").strip().rstrip("/")
    return f"{public}{prefix}proxy/{int(port)}/"


def from_jupyter_server(port: int) -> str | None:
    """The Jupyter server that started this kernel, from its runtime file."""
    if not has_server_proxy():
        return None
    info = server_info(os.getppid())
    if not info or not info.get("url"):
        return None
    base = str(info["url"]).split("?")[0].rstrip("/") + "/"
    return f"{base}proxy/{int(port)}/"


def server_info(pid: int) -> dict | None:
    """The runtime file a Jupyter server with ``pid`` writes (``jpserver-<pid>.json``)."""
    try:
        from jupyter_core.paths import jupyter_runtime_dir
    except ImportError:
        return None
    path = Path(jupyter_runtime_dir()) / f"jpserver-{int(pid)}.json"
    if not path.is_file():
        return None
    info = json.loads(path.read_text(encoding="utf-8"))
    info.pop("token", None)  # never part of a link that gets printed
    return info


FINDERS: list[Callable[[int], str | None]] = [
    from_template,
    from_colab,
    from_jupyterhub,
    from_jupyter_server,
]
