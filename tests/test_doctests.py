"""The short examples in public docstrings must run and show what they say."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import daggr

# Modules whose examples need a kernel, a browser or remote servers are tested elsewhere.
SKIP = ("daggr.widget", "daggr.remote", "daggr.cli", "daggr.app", "daggr.__main__")

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(daggr.__path__, "daggr.") if not m.name.startswith(SKIP)
)


# Examples that import gradio into this process (seconds): in the full suite only.
IMPORT_GRADIO = {"daggr.components"}


@pytest.mark.parametrize(
    "name", [pytest.param(m, marks=pytest.mark.slow) if m in IMPORT_GRADIO else m for m in MODULES]
)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_daggr_home_follows_hf_home(tmp_path, monkeypatch):
    """Without DAGGR_HOME, daggr keeps its state under $HF_HOME/daggr, like the original."""
    from daggr.store import daggr_home, default_db_path

    monkeypatch.delenv("DAGGR_HOME", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    assert daggr_home() == tmp_path / "hf" / "daggr"
    assert default_db_path().parent == tmp_path / "hf" / "daggr"
