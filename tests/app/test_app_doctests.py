"""The examples in daggr.app's docstrings (skipped by tests/test_doctests.py: they serve)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "daggr.app",
    "daggr.app.deploy",
    "daggr.app.export",
    "daggr.app.files",
    "daggr.app.hot_reload",
    "daggr.app.identity",
    "daggr.app.serve",
    "daggr.app.rest",
    "daggr.app.server",
    "daggr.app.state",
    "daggr.app.ws_model",
    "daggr.app.canvas_socket",
    "daggr.app.demo",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
