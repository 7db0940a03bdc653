"""Values <-> JSON text, with a content-addressed store for everything that is not JSON.

A value is encoded in two steps so that the engine's thread never waits on the disk:

1. :func:`prepare` (caller's thread, CPU only): walks the value, keeps JSON as is, tags
   what JSON cannot say exactly, and turns binary values into :class:`Blob` leaves
   (bytes, ``.npy``, PNG or pickle payloads serialised in memory; a ``FileValue`` only
   remembers its path). An unstorable value raises :class:`ValueEncodingError` here,
   naming the node and port.
2. :func:`finalize` (writer thread): writes the blobs into the :class:`FileStore` and
   dumps the JSON text.

Tags (a dict whose first key starts with ``$``; plain dicts with ``$`` keys are escaped):

==============================================  ==========================================
``{"$float": "nan" | "inf" | "-inf"}``          non-finite float
``{"$int": "<hex>"}``                            int outside 64 bits (JSON numbers are not)
``{"$tuple": [...]}``                           tuple
``{"$dict": [[k, v], ...]}``                    dict with non-str keys or keys starting "$"
``{"$str": "<utf-8 surrogatepass hex>"}``       str holding lone surrogates
``{"$np": "<dtype>", "v": x}``                  numpy bool/int/float scalar
``{"$file": sha, "ext": ".png", "name": n}``    ``FileValue``, copied to the file store
``{"$bytes": sha, "ext": ".bin", "size": n}``   bytes
``{"$ndarray": sha, "ext": ".npy", ...}``       numpy array (``dtype``, ``shape``)
``{"$image": sha, "ext": ".png", ...}``         PIL image (``mode``, ``size``)
``{"$pickle": sha, "ext": ".pkl", "type": t}``  anything else that pickles
==============================================  ==========================================

Files live at ``<files>/<sha[:2]>/<sha><ext>``, one copy per content. A value is never
stored as a repr string: what cannot be restored is refused at :func:`prepare`.

>>> import tempfile, pathlib
>>> fs = FileStore(pathlib.Path(tempfile.mkdtemp()))
>>> p = prepare({"n": 1, "t": (1, 2.5), "x": float("inf")}, "output 'o' of node 'n'")
>>> text, refs = finalize(p, fs)
>>> decode(text, fs)
{'n': 1, 't': (1, 2.5), 'x': inf}
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import pickle
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from daggr.records import FileValue, remember_file_name

from .errors import ValueEncodingError

__all__ = [
    "Blob",
    "EncodedTree",
    "FileStore",
    "UnavailableValue",
    "decode",
    "finalize",
    "prepare",
    "swap_files",
]

_SHA_NAME = re.compile(r"[0-9a-f]{64}")
_EXT = re.compile(r"\.[A-Za-z0-9_-]{1,15}")
# PIL modes that PNG stores losslessly and reloads in the same mode.
_PNG_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I;16"})
_BLOB_EXT = {"$bytes": ".bin", "$ndarray": ".npy", "$image": ".png", "$pickle": ".pkl"}


class UnavailableValue:
    """Stands in for a stored value that can no longer be restored.

    Returned by :func:`decode` when a referenced file is missing or an unpickled class
    no longer exists, so that one broken value never prevents a sheet from opening.
    """

    __slots__ = ("reason", "tag")

    def __init__(self, tag: dict[str, Any], reason: str) -> None:
        self.tag = tag
        self.reason = reason

    def __repr__(self) -> str:
        return f"<unavailable value: {self.reason}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UnavailableValue) and other.tag == self.tag

    def __hash__(self) -> int:
        return hash(json.dumps(self.tag, sort_keys=True, default=str))


class Blob:
    """A non-JSON leaf of a prepared value: bytes to write, or a file to copy."""

    __slots__ = ("tag", "ext", "data", "src", "meta", "sha", "size")

    def __init__(
        self,
        tag: str,
        ext: str,
        data: bytes | None = None,
        src: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.tag = tag
        self.ext = ext
        self.data = data
        self.src = src
        self.meta = meta or {}
        self.sha: str | None = None
        self.size = 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {self.tag: self.sha, "ext": self.ext}
        if self.tag == "$file" and self.sha is None:
            # the source vanished before the writer could copy it: keep where it was
            out["missing"] = self.src
        out.update(self.meta)
        return out


class EncodedTree:
    """An encoded value and its blobs, from :func:`prepare`: a JSON tree whose non-JSON
    leaves are :class:`Blob` objects, written to the file store by :func:`finalize`."""

    __slots__ = ("tree", "blobs")

    def __init__(self, tree: Any, blobs: list[Blob]) -> None:
        self.tree = tree
        self.blobs = blobs


class _Unencodable(Exception):
    def __init__(self, value: Any, cause: BaseException | str) -> None:
        super().__init__(str(cause))
        self.value = value
        self.cause = cause


# --------------------------------------------------------------------------------------
# prepare (caller's thread)
# --------------------------------------------------------------------------------------


def _clean_str(s: str) -> bool:
    if s.isascii():
        return True
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: valid in Python, refused by JSON readers
        return False
    return True


def _plain_key(k: Any) -> bool:
    return type(k) is str and not k.startswith("$") and _clean_str(k)


def _clean_ext(suffix: str) -> str:
    return suffix if _EXT.fullmatch(suffix) else ""


def _pickle_blob(v: Any) -> Blob:
    try:
        data = pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # pickling raises anything: TypeError, AttributeError, ...
        raise _Unencodable(v, exc) from exc
    t = type(v)
    return Blob("$pickle", ".pkl", data=data, meta={"type": f"{t.__module__}.{t.__qualname__}"})


def _numpy_leaf(v: Any, np: Any, blobs: list[Blob]) -> Any:
    if isinstance(v, np.ndarray):
        if v.dtype.hasobject:
            blob = _pickle_blob(v)
        else:
            buf = io.BytesIO()
            np.save(buf, v, allow_pickle=False)
            blob = Blob(
                "$ndarray",
                ".npy",
                data=buf.getvalue(),
                meta={"dtype": v.dtype.str, "shape": list(v.shape)},
            )
        blobs.append(blob)
        return blob
    if isinstance(v, np.generic) and v.dtype.kind in "biuf":
        item = v.item()
        if type(item) is float and not math.isfinite(item):
            item = _prep(item, blobs)
        return {"$np": v.dtype.str, "v": item}
    return None


def _image_leaf(v: Any) -> Blob:
    if v.mode not in _PNG_MODES:
        return _pickle_blob(v)
    buf = io.BytesIO()
    try:
        v.save(buf, format="PNG")
    except Exception:  # e.g. an image whose palette PNG cannot hold: keep it exact
        return _pickle_blob(v)
    return Blob("$image", ".png", data=buf.getvalue(), meta={"mode": v.mode, "size": list(v.size)})


def _prep(v: Any, blobs: list[Blob]) -> Any:
    t = type(v)
    if t is str:
        if _clean_str(v):
            return v
        return {"$str": v.encode("utf-8", "surrogatepass").hex()}
    if v is None or t is bool:
        return v
    if t is int:
        # Outside 64 bits DuckDB reads a JSON number as a rounded double, and Python
        # will not even write one past 4300 digits: kept exactly, in hex.
        return v if -(2**63) <= v < 2**63 else {"$int": format(v, "x")}
    if t is float:
        if math.isfinite(v):
            return v
        return {"$float": "nan" if v != v else ("inf" if v > 0 else "-inf")}
    if t is list:
        return [_prep(x, blobs) for x in v]
    if t is dict:
        if all(_plain_key(k) for k in v):
            return {k: _prep(x, blobs) for k, x in v.items()}
        return {"$dict": [[_prep(k, blobs), _prep(x, blobs)] for k, x in v.items()]}
    if t is tuple:
        return {"$tuple": [_prep(x, blobs) for x in v]}
    if t is FileValue:
        path = os.fspath(v)
        if not os.path.isfile(path):
            raise _Unencodable(v, f"FileValue {path!r} is not an existing file")
        blob = Blob(
            "$file", _clean_ext(Path(path).suffix), src=path, meta={"name": Path(path).name}
        )
        blobs.append(blob)
        return blob
    if t is bytes:
        blob = Blob("$bytes", ".bin", data=v, meta={"size": len(v)})
        blobs.append(blob)
        return blob
    # Optional libraries are only looked at when the value's type comes from them: no
    # import of numpy or PIL just to store a string.
    np = sys.modules.get("numpy")
    if np is not None and t.__module__.startswith("numpy"):
        leaf = _numpy_leaf(v, np, blobs)
        if leaf is not None:
            return leaf
    pil = sys.modules.get("PIL.Image")
    if pil is not None and isinstance(v, pil.Image):
        blob = _image_leaf(v)
        blobs.append(blob)
        return blob
    blob = _pickle_blob(v)
    blobs.append(blob)
    return blob


def _describe(v: Any) -> str:
    t = type(v)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _unkeepable() -> dict[type, str]:
    import io
    import socket
    import types

    once = "a generator gives its items once and cannot be kept: return a list of them (list(...))"
    handle = (
        "an open {what} cannot be kept: return what you read from it (text, bytes) or "
        "the path of a file as daggr.FileValue"
    )
    hints = {
        types.GeneratorType: once,
        types.AsyncGeneratorType: once,
        types.CoroutineType: "a coroutine is a call not yet awaited: await it in the "
        "node's function (make it async def) and return its result",
        socket.socket: handle.format(what="socket"),
    }
    for t in (io.TextIOWrapper, io.BufferedReader, io.BufferedWriter, io.FileIO):
        hints[t] = handle.format(what="file")
    return hints


_UNKEEPABLE: dict[type, str] | None = None


def _hints() -> dict[type, str]:
    global _UNKEEPABLE
    if _UNKEEPABLE is None:
        _UNKEEPABLE = _unkeepable()
    return _UNKEEPABLE


def unkeepable_types() -> frozenset[type]:
    """The types :func:`unkeepable_hint` refuses: a set to test ``type(value) in`` on hot
    paths, where the hint is looked up only for a value that is refused."""
    return frozenset(_hints())


def unkeepable_hint(value: Any) -> str | None:
    """Why ``value`` can never be kept (a generator, an open socket, ...), or None."""
    return _hints().get(type(value))


def check_keepable(values: dict[str, Any], what: str, node: str) -> None:
    """Refuse outputs that no store can keep (what :func:`prepare` would refuse), for
    stores that keep values as they are: the same value fails the same way everywhere."""
    for port, value in values.items():
        hint = unkeepable_hint(value)
        if hint is not None:
            raise ValueEncodingError(f"Cannot store {what} {port!r} of node {node!r}: {hint}.")


def _encoding_error(where: str, exc: _Unencodable) -> ValueEncodingError:
    hint = unkeepable_hint(exc.value)
    if hint is not None:
        return ValueEncodingError(f"Cannot store {where}: {hint}.")
    if isinstance(exc.value, FileValue):
        return ValueEncodingError(
            f"Cannot store {where}: {exc.cause}. Return the path of a file that exists "
            f"when the node returns (the store copies it)."
        )
    return ValueEncodingError(
        f"Cannot store {where}: a {_describe(exc.value)} is not JSON, a FileValue, bytes, "
        f"a PIL image or a numpy array, and pickling it failed ({type(exc.cause).__name__}: "
        f"{exc.cause}). Return JSON-able data (str, int, float, bool, None, list, dict), "
        f"bytes, a file path wrapped in daggr.FileValue, or make the object picklable."
    )


def prepare(value: Any, where: str = "value") -> EncodedTree:
    """Encode ``value`` in memory; raise :class:`ValueEncodingError` if it cannot be stored.

    ``where`` names the value in the error, e.g. ``"output 'image' of node 'gen'"``.

    >>> prepare([1, (2, 3)]).tree
    [1, {'$tuple': [2, 3]}]
    """
    blobs: list[Blob] = []
    try:
        tree = _prep(value, blobs)
    except _Unencodable as exc:
        raise _encoding_error(where, exc) from None
    except RecursionError:
        raise ValueEncodingError(
            f"Cannot store {where}: it is nested too deeply or contains itself."
        ) from None
    return EncodedTree(tree, blobs)


def prepare_ports(values: dict[str, Any], what: str, node: str) -> EncodedTree:
    """Like :func:`prepare` for a ``{port: value}`` dict; errors name the port."""
    if type(values) is not dict or not all(_plain_key(k) for k in values):
        return prepare(values, f"{what}s of node {node!r}")
    blobs: list[Blob] = []
    tree: dict[str, Any] = {}
    for port, v in values.items():
        try:
            tree[port] = _prep(v, blobs)
        except _Unencodable as exc:
            raise _encoding_error(f"{what} {port!r} of node {node!r}", exc) from None
        except RecursionError:
            raise ValueEncodingError(
                f"Cannot store {what} {port!r} of node {node!r}: it is nested too deeply "
                f"or contains itself."
            ) from None
    return EncodedTree(tree, blobs)


# --------------------------------------------------------------------------------------
# finalize (writer thread)
# --------------------------------------------------------------------------------------


def _blob_default(obj: Any) -> Any:
    if isinstance(obj, Blob):
        return obj.to_json()
    raise TypeError(f"unexpected {type(obj).__name__} in a prepared value")


# One encoder for every value: json.dumps() with options builds a new one per call, which
# the writer thread would pay three times per stored result.
_encode = json.JSONEncoder(
    default=_blob_default, ensure_ascii=False, allow_nan=False, separators=(",", ":")
).encode


def dumps(tree: Any) -> str:
    """JSON text of a prepared tree (blobs must already be stored)."""
    return _encode(tree)


def finalize(prepared: EncodedTree, files: FileStore) -> tuple[str, list[tuple[str, str, int]]]:
    """Store the blobs of ``prepared``; return its JSON text and ``[(sha, ext, size)]``."""
    refs = []
    for blob in prepared.blobs:
        if blob.sha is None:
            files.store(blob)
        if blob.sha is not None:
            refs.append((blob.sha, blob.ext, blob.size))
    return dumps(prepared.tree), refs


def stored_files(prepared: EncodedTree, files: FileStore) -> dict[str, FileValue]:
    """``{original path: FileValue of the stored copy}`` for the FileValues of ``prepared``
    (each copy remembered by its original's name)."""
    out = {}
    for b in prepared.blobs:
        if b.tag == "$file" and b.sha is not None and b.src is not None:
            stored = out[b.src] = FileValue(str(files.path(b.sha, b.ext)))
            remember_file_name(stored, Path(b.src).name)
    return out


def swap_files(value: Any, mapping: dict[str, FileValue]) -> Any:
    """A copy of ``value`` whose FileValues found in ``mapping`` point at stored copies."""
    t = type(value)
    if t is FileValue:
        return mapping.get(str(value), value)
    if t is list:
        return [swap_files(x, mapping) for x in value]
    if t is tuple:
        return tuple(swap_files(x, mapping) for x in value)
    if t is dict:
        return {k: swap_files(x, mapping) for k, x in value.items()}
    return value


# --------------------------------------------------------------------------------------
# decode
# --------------------------------------------------------------------------------------


def _decoder(files: FileStore | None) -> Callable[[dict[str, Any]], Any]:
    def blob_path(d: dict[str, Any], tag: str) -> Path | None:
        sha = d.get(tag)
        if files is None or not isinstance(sha, str):
            return None
        return files.path(sha, d.get("ext") or _BLOB_EXT.get(tag, ""))

    def unavailable(d: dict[str, Any], what: str) -> UnavailableValue:
        return UnavailableValue(d, what)

    def hook(d: dict[str, Any]) -> Any:
        if not d:
            return d
        tag = next(iter(d))
        if tag[:1] != "$":
            return d
        if tag == "$tuple":
            return tuple(d[tag])
        if tag == "$dict":
            return {_hashable(k): v for k, v in d[tag]}
        if tag == "$float":
            return float(d[tag])
        if tag == "$int":
            return int(d[tag], 16)
        if tag == "$str":
            return bytes.fromhex(d[tag]).decode("utf-8", "surrogatepass")
        if tag == "$file":
            path = blob_path(d, tag)
            if path is None:
                missing = d.get("missing")
                return FileValue(missing) if missing else unavailable(d, "file never stored")
            if isinstance(d.get("name"), str):
                remember_file_name(str(path), d["name"])
            return FileValue(str(path))
        if tag == "$np":
            np = _import("numpy")
            if np is None:
                return d["v"]
            return np.dtype(d[tag]).type(d["v"])
        if tag in _BLOB_EXT:
            path = blob_path(d, tag)
            if path is None:
                return unavailable(d, "no file store")
            try:
                return _load_blob(tag, path)
            except FileNotFoundError:
                return unavailable(d, f"file {path} is missing")
            except Exception as exc:  # a pickled class that no longer exists, ...
                return unavailable(d, f"cannot load {path}: {type(exc).__name__}: {exc}")
        return d  # a tag from a newer daggr: hand it over untouched

    return hook


def _hashable(k: Any) -> Any:
    return tuple(_hashable(x) for x in k) if isinstance(k, list) else k


def _import(name: str) -> Any:
    try:
        return __import__(name)
    except ImportError:
        return None


def _load_blob(tag: str, path: Path) -> Any:
    if tag == "$bytes":
        return path.read_bytes()
    if tag == "$ndarray":
        import numpy as np

        return np.load(path, allow_pickle=False)
    if tag == "$image":
        from PIL import Image

        img = Image.open(path)
        img.load()
        return img
    with open(path, "rb") as fh:
        return pickle.load(fh)  # our own file store: written by this library


def decode(text: str | None, files: FileStore | None = None) -> Any:
    """Python value of JSON ``text`` written by :func:`finalize` (``None`` stays ``None``)."""
    if text is None:
        return None
    return json.loads(text, object_hook=_decoder(files))


def decode_many(texts: list[str | None], files: FileStore | None) -> list[Any]:
    """:func:`decode` for many texts sharing one hook."""
    hook = _decoder(files)
    return [None if t is None else json.loads(t, object_hook=hook) for t in texts]


# --------------------------------------------------------------------------------------
# content-addressed files
# --------------------------------------------------------------------------------------


class FileStore:
    """Content-addressed files: ``<root>/<sha[:2]>/<sha><ext>``, one copy per content.

    >>> import tempfile, pathlib
    >>> fs = FileStore(pathlib.Path(tempfile.mkdtemp()))
    >>> sha, size = fs.put_bytes(b"hello", ".txt")
    >>> fs.path(sha, ".txt").read_bytes()
    b'hello'
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path(self, sha: str, ext: str) -> Path:
        return self.root / sha[:2] / f"{sha}{ext}"

    def _known(self, src: str) -> tuple[str, str] | None:
        # A file already in the store is named by its hash: no need to read it again.
        p = Path(src)
        stem, ext = p.name[:64], p.name[64:]
        if _SHA_NAME.fullmatch(stem) and p.parent.name == stem[:2] and p.parent.parent == self.root:
            return stem, ext
        return None

    def _install(self, sha: str, ext: str, write: Callable[[Any], None]) -> Path:
        dest = self.path(sha, ext)
        if dest.exists():
            # refreshes the grace period that protects it from a concurrent delete
            os.utime(dest)
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                write(fh)
            os.replace(tmp, dest)  # atomic: a reader never sees half a file
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return dest

    def put_bytes(self, data: bytes, ext: str) -> tuple[str, int]:
        sha = hashlib.sha256(data).hexdigest()
        self._install(sha, ext, lambda fh: fh.write(data))
        return sha, len(data)

    def put_file(self, src: str | os.PathLike[str], ext: str) -> tuple[str, int]:
        src = os.fspath(src)
        known = self._known(src)
        if known is not None and known[1] == ext and os.path.exists(src):
            os.utime(src)
            return known[0], os.path.getsize(src)
        h = hashlib.sha256()
        with open(src, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        sha = h.hexdigest()

        def copy(out: Any) -> None:
            with open(src, "rb") as fin:
                shutil.copyfileobj(fin, out, 1 << 20)

        self._install(sha, ext, copy)
        return sha, os.path.getsize(src)

    def store(self, blob: Blob) -> None:
        """Write ``blob`` and set its ``sha``/``size`` (a vanished source leaves sha None)."""
        if blob.data is not None:
            blob.sha, blob.size = self.put_bytes(blob.data, blob.ext)
            blob.data = None  # the bytes now live on disk; free them
        elif blob.src is not None:
            try:
                blob.sha, blob.size = self.put_file(blob.src, blob.ext)
            except FileNotFoundError:
                blob.sha = None

    def remove(self, sha: str, ext: str, grace: float, now: float) -> bool:
        """Delete a file unless it was touched less than ``grace`` seconds ago."""
        p = self.path(sha, ext)
        try:
            if now - p.stat().st_mtime < grace:
                return False
            p.unlink()
        except FileNotFoundError:
            return True
        return True


def display_json(value: Any) -> str:
    """JSON for looking at a value (memory stores' SQL): nothing written, never raises."""
    try:
        prepared = prepare(value)
    except ValueEncodingError:
        return json.dumps({"$unstorable": _describe(value)})
    return dumps(prepared.tree)
