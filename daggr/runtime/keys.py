"""Execution keys: a stable digest of everything that determines a node's result.

A key is the same across kernels for the same node code and the same inputs, which is
what lets a re-run notebook (new objects, same code) reuse its stored results.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import threading
import types
import weakref
from collections.abc import Callable
from typing import Any

from daggr.records import FileValue

_PRIMITIVES = (str, int, float, bool, type(None))


class Uncacheable(Exception):
    """A value has no stable digest; the node runs every time it is needed."""


def canonical(value: Any) -> Any:
    """A structure made of primitives and tuples whose ``repr`` identifies ``value``."""
    t = type(value)
    if t in _PRIMITIVES:
        return value
    if t is FileValue:
        try:
            st = os.stat(value)
            return ("file", str(value), st.st_size, st.st_mtime_ns)
        except OSError:
            return ("file", str(value), None, None)
    if t is list or t is tuple:
        return (t.__name__, *[canonical(v) for v in value])
    if t is dict:
        return ("dict", *sorted(((repr(canonical(k)), canonical(v)) for k, v in value.items())))
    if isinstance(value, (set, frozenset)):
        return ("set", *sorted(repr(canonical(v)) for v in value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return ("bytes", hashlib.blake2b(bytes(value), digest_size=16).hexdigest())
    if isinstance(value, _PRIMITIVES):  # str/int subclasses other than FileValue
        return (t.__qualname__, t.__base__(value) if t.__base__ in _PRIMITIVES else repr(value))
    tobytes = getattr(value, "tobytes", None)
    if callable(tobytes) and hasattr(value, "shape") and hasattr(value, "dtype"):
        data = hashlib.blake2b(tobytes(), digest_size=16).hexdigest()
        return ("array", str(value.dtype), tuple(value.shape), data)
    if t.__module__.startswith("PIL.") and hasattr(value, "tobytes"):
        data = hashlib.blake2b(value.tobytes(), digest_size=16).hexdigest()
        return ("image", value.mode, tuple(value.size), data)
    try:
        blob = pickle.dumps(value, protocol=5)
    except Exception as exc:
        raise Uncacheable(f"{t.__qualname__} cannot be fingerprinted: {exc}") from None
    return ("pickle", t.__qualname__, hashlib.blake2b(blob, digest_size=16).hexdigest())


def key_hasher(*parts: Any) -> Any:
    """A hasher already fed with ``parts``: copy it and add what varies per call."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=16)


def digest(*parts: Any) -> str:
    """A hex digest of already-canonical parts."""
    return key_hasher(*parts).hexdigest()


_code_hashes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_tls = threading.local()


def _progress() -> set[int]:
    """Functions being fingerprinted by this thread (a recursive closure refers to itself)."""
    seen = getattr(_tls, "seen", None)
    if seen is None:
        seen = _tls.seen = set()
    return seen


def callable_fingerprint(fn: Callable | None) -> str:
    """Identifies a function's behaviour: its code (nested functions included), defaults
    and captured values. Editing the function in a notebook cell changes it."""
    if fn is None:
        return "-"
    try:
        return _code_hashes[fn]
    except (KeyError, TypeError):
        pass
    seen = _progress()
    seen.add(id(fn))
    try:
        result = digest(_callable_parts(fn))
    finally:
        seen.discard(id(fn))
    try:
        _code_hashes[fn] = result
    except TypeError:
        pass
    return result


def _callable_parts(fn: Any) -> Any:
    if isinstance(fn, functools.partial):
        return ("partial", _callable_parts(fn.func), _safe(fn.args), _safe(fn.keywords))
    if isinstance(fn, (types.MethodType,)):
        return ("method", _callable_parts(fn.__func__), type(fn.__self__).__qualname__)
    code = getattr(fn, "__code__", None)
    if code is None:
        call = vars(type(fn)).get("__call__")
        if isinstance(call, types.FunctionType) and not isinstance(fn, type):
            state = _safe(vars(fn)) if hasattr(fn, "__dict__") else None
            return ("object", type(fn).__qualname__, _code_parts(call.__code__), state)
        qualname = getattr(fn, "__qualname__", type(fn).__qualname__)
        return ("opaque", getattr(fn, "__module__", None), qualname)
    closure = None
    if fn.__closure__:
        closure = tuple(_safe(_cell(c)) for c in fn.__closure__)
    return (
        "fn",
        _code_parts(code),
        _safe(fn.__defaults__),
        _safe(fn.__kwdefaults__),
        closure,
    )


def _cell(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:
        return None


def _code_parts(code: types.CodeType) -> Any:
    consts = tuple(
        _code_parts(c) if isinstance(c, types.CodeType) else _safe(c) for c in code.co_consts
    )
    return (code.co_code, consts, code.co_names, code.co_varnames, code.co_name)


_PLAIN = (*_PRIMITIVES, list, tuple, dict, set, frozenset, bytes, FileValue)


def _safe(value: Any) -> Any:
    """Canonical form of plain data; other captured objects (a loaded model, a client) are
    identified by type only, because pickling them to hash a function would be slow."""
    if isinstance(value, types.FunctionType):
        if id(value) in _progress():
            return ("recursive", value.__qualname__)
        return ("callable", callable_fingerprint(value))
    if callable(value) and not isinstance(value, type):
        return ("callable", getattr(value, "__qualname__", type(value).__qualname__))
    if type(value) in _PLAIN:  # exact types: a subclass may carry state of its own
        try:
            return canonical(value)
        except (Uncacheable, RecursionError):
            pass
    return ("opaque", type(value).__module__, type(value).__qualname__)
