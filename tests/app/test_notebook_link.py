"""Which link `launch()` gives in a notebook: Colab's port proxy, JupyterHub/Binder's
jupyter-server-proxy path, the Jupyter server's own proxy, or the direct address."""

from __future__ import annotations

import json
import os
import sys
import types

import pytest

from daggr.app import notebook_link
from daggr.app.notebook_link import notebook_url

DIRECT = "http://127.0.0.1:7861/"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for var in ("DAGGR_PROXY_URL", "JUPYTERHUB_SERVICE_PREFIX", "JUPYTERHUB_PUBLIC_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)


def test_a_plain_kernel_gets_the_direct_address():
    assert notebook_url(7861, DIRECT) == DIRECT


def test_colab_uses_its_port_proxy(monkeypatch):
    asked: list[str] = []
    # Colab's own module, as the Colab runtime provides it.
    output = types.ModuleType("google.colab.output")
    output.eval_js = lambda js: asked.append(js) or "https://abc-7861-colab.googleusercontent.com/"
    colab = types.ModuleType("google.colab")
    colab.output = output
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.output", output)
    assert notebook_url(7861, DIRECT) == "https://abc-7861-colab.googleusercontent.com/"
    assert asked == ["google.colab.kernel.proxyPort(7861, {'cache': false})"]


def test_jupyterhub_and_binder_go_through_jupyter_server_proxy(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ada/")
    assert notebook_url(7861, DIRECT) == "/user/ada/proxy/7861/"
    monkeypatch.setenv("JUPYTERHUB_PUBLIC_URL", "https://hub.example/")
    assert notebook_url(7861, DIRECT) == "https://hub.example/user/ada/proxy/7861/"
    monkeypatch.setattr(notebook_link, "has_server_proxy", lambda: False)
    assert notebook_url(7861, DIRECT) == DIRECT  # without the proxy, that path is a 404


def test_a_kernel_of_a_jupyter_server_with_the_proxy_uses_it(tmp_path, monkeypatch):
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    info = {"url": "http://localhost:8888/lab-base/", "token": "secret-token", "pid": os.getppid()}
    (runtime / f"jpserver-{os.getppid()}.json").write_text(json.dumps(info))
    url = notebook_url(7861, DIRECT)
    assert url == "http://localhost:8888/lab-base/proxy/7861/" and "secret" not in url


def test_an_explicit_template_wins(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ada/")
    monkeypatch.setenv("DAGGR_PROXY_URL", "https://lab.example/p/{port}")
    assert notebook_url(7861, DIRECT) == "https://lab.example/p/7861/"


def test_a_failing_finder_falls_back(monkeypatch):
    def broken(port: int) -> str:
        raise RuntimeError("cannot tell")

    monkeypatch.setattr(notebook_link, "FINDERS", [broken, *notebook_link.FINDERS])
    assert notebook_url(7861, DIRECT) == DIRECT
