"""Values: exact round trips through JSON text, the file store and a real DuckDB file."""

from __future__ import annotations

import json
import math
import pickle
import threading
from pathlib import Path

import duckdb
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from daggr.records import FileValue
from daggr.store import Store, UnavailableValue, ValueEncodingError
from daggr.store.codec import FileStore, decode, finalize, prepare
from tests.store.store_helpers import rec, reopen


def same(a, b) -> bool:
    """Equality that also checks types and treats nan as equal to nan."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


_keys = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["$file", "$tuple", "$float", "$", "$x"]),
    st.integers(-5, 5),
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),  # arbitrary size
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.text(st.characters(codec="utf-8") | st.sampled_from(["\ud800", "\udfff", "\x00"])),
)
json_like = st.recursive(
    _scalars,
    lambda kids: st.one_of(
        st.lists(kids, max_size=4),
        st.tuples(kids, kids),
        st.dictionaries(_keys, kids, max_size=4),
    ),
    max_leaves=20,
)

_json_con = duckdb.connect(":memory:")
_json_con.execute("CREATE TABLE j (v JSON)")
_json_lock = threading.Lock()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_like)
@pytest.mark.slow  # property-based: hundreds of random values
def test_json_like_values_round_trip_exactly(value) -> None:
    files = FileStore(Path("/nonexistent"))  # JSON-able values never touch the file store
    text, refs = finalize(prepare(value), files)
    assert refs == []
    assert same(decode(text, files), value)
    with _json_lock:  # DuckDB's JSON type accepts the text and gives it back verbatim
        _json_con.execute("DELETE FROM j")
        _json_con.execute("INSERT INTO j VALUES (?)", [text])
        assert _json_con.execute("SELECT v FROM j").fetchone()[0] == text


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    data=st.binary(max_size=300),
    shape=st.lists(st.integers(0, 4), min_size=0, max_size=3),
    dtype=st.sampled_from(["int8", "uint16", "int64", "float32", "float64", "bool", "complex64"]),
)
def test_binary_values_round_trip(tmp_path, data, shape, dtype) -> None:
    files = FileStore(tmp_path / "files")
    arr = (np.arange(int(np.prod(shape))) * 3).astype(dtype).reshape(shape)
    value = {"bytes": data, "arr": arr, "scalar": np.float32(1.5), "int": np.int64(-3)}
    text, refs = finalize(prepare(value), files)
    back = decode(text, files)
    assert type(back["bytes"]) is bytes and back["bytes"] == data
    assert back["arr"].dtype == arr.dtype and back["arr"].shape == arr.shape
    assert np.array_equal(back["arr"], arr)
    assert type(back["scalar"]) is np.float32 and back["scalar"] == 1.5
    assert type(back["int"]) is np.int64 and back["int"] == -3
    for sha, ext, size in refs:
        assert files.path(sha, ext).stat().st_size == size


def test_files_are_content_addressed(tmp_path) -> None:
    files = FileStore(tmp_path / "files")
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(b"same content")
    b.write_bytes(b"same content")
    text, refs = finalize(prepare([FileValue(str(a)), FileValue(str(b))]), files)
    (sha, ext, size), _ = refs
    assert ext == ".png" and size == 12
    stored = files.path(sha, ext)
    assert stored == tmp_path / "files" / sha[:2] / f"{sha}.png"
    assert len(list((tmp_path / "files").rglob("*.png"))) == 1  # one copy per content
    back = decode(text, files)
    assert back == [FileValue(str(stored))] * 2 and type(back[0]) is FileValue
    assert '"name":"a.png"' in text
    a.unlink()
    assert stored.read_bytes() == b"same content"  # the original may go away
    # re-storing a stored file does not duplicate it
    _, refs2 = finalize(prepare(back[0]), files)
    assert refs2[0][0] == sha


def test_pil_images_round_trip(tmp_path) -> None:
    files = FileStore(tmp_path / "files")
    images = {
        "rgb": Image.new("RGB", (7, 5), (10, 200, 30)),
        "rgba": Image.new("RGBA", (3, 4), (1, 2, 3, 4)),
        "l": Image.linear_gradient("L"),
        "p": Image.new("RGB", (4, 4), (255, 0, 0)).convert("P"),
        "cmyk": Image.new("CMYK", (2, 2), (1, 2, 3, 4)),  # not PNG-able: pickled
    }
    text, refs = finalize(prepare(images), files)
    back = decode(text, files)
    for name, img in images.items():
        assert back[name].mode == img.mode and back[name].size == img.size
        assert back[name].tobytes() == img.tobytes(), name
    assert sorted(ext for _, ext, _ in refs) == [".pkl", ".png", ".png", ".png", ".png"]


class Point:
    def __init__(self, x: int) -> None:
        self.x = x

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and other.x == self.x


def test_other_objects_are_pickled(tmp_path) -> None:
    files = FileStore(tmp_path / "files")
    value = {"p": Point(3), "s": {1, 2}, "c": 1 + 2j, "path": Path("/x")}
    text, refs = finalize(prepare(value), files)
    assert decode(text, files) == value
    assert all(ext == ".pkl" for _, ext, _ in refs)
    assert "Point" in text  # the type is named for SQL readers


def test_unstorable_value_names_node_and_port(store: Store) -> None:
    sheet = store.sheets("g").open_or_create()
    with pytest.raises(ValueEncodingError) as err:
        sheet.append(rec("gen", outputs={"image": threading.Lock()}))
    msg = str(err.value)
    assert "output 'image' of node 'gen'" in msg and "lock" in msg and "picklable" in msg
    assert isinstance(err.value, TypeError)
    assert sheet.count("gen") == 0  # nothing recorded
    with pytest.raises(ValueEncodingError, match="input 'fn' of node 'gen'"):
        sheet.append(rec("gen", inputs={"fn": lambda x: x}))
    with pytest.raises(ValueEncodingError, match="not an existing file"):
        sheet.append(rec("gen", outputs={"f": FileValue("/no/such/file.png")}))
    with pytest.raises(ValueEncodingError, match="input 'x'"):
        sheet.set_input("x", threading.Lock())


def test_values_in_a_real_database(store: Store, tmp_path) -> None:
    src = tmp_path / "clip.wav"
    src.write_bytes(b"RIFF....WAVE")
    value = {
        "text": "ünïcødé ✓",
        "surrogate": "a\ud800b",
        "big": 2**80,
        "nan": float("nan"),
        "inf": float("-inf"),
        "t": (1, (2, [3])),
        "ints": {1: "one", (2, 3): "tuple key"},
        "escaped": {"$file": "not a tag"},
        "file": FileValue(str(src)),
        "bytes": b"\x00\x01",
        "arr": np.eye(2),
        "img": Image.new("RGB", (2, 2), "red"),
        "point": Point(1),
    }
    sheet = store.sheets("g").open_or_create()
    sheet.append(rec("n", outputs=value))
    store = reopen(store)
    back = store.sheets("g").open(sheet.sheet_id).latest("n").outputs
    plain = ["text", "surrogate", "big", "nan", "inf", "t", "ints", "escaped", "bytes", "point"]
    assert same({k: back[k] for k in plain}, {k: value[k] for k in plain})
    assert Path(back["file"]).read_bytes() == src.read_bytes()
    assert np.array_equal(back["arr"], value["arr"])
    assert back["img"].tobytes() == value["img"].tobytes()
    prompt = store.sql("SELECT outputs->>'$.text' FROM results").scalar()
    assert prompt.startswith("ünïcødé ✓")
    store.close()


def test_missing_files_decode_to_unavailable(tmp_path) -> None:
    files = FileStore(tmp_path / "files")
    text, refs = finalize(prepare({"b": b"x", "p": Point(1)}), files)
    for sha, ext, _ in refs:
        files.path(sha, ext).unlink()
    back = decode(text, files)
    assert isinstance(back["b"], UnavailableValue) and "missing" in repr(back["b"])
    assert isinstance(back["p"], UnavailableValue)


def test_unpicklable_after_class_removed(tmp_path) -> None:
    files = FileStore(tmp_path / "files")
    blob = pickle.dumps(Point(1)).replace(b"Point", b"Gone!")
    sha, _ = files.put_bytes(blob, ".pkl")
    back = decode(json.dumps({"$pickle": sha, "ext": ".pkl"}), files)
    assert isinstance(back, UnavailableValue) and "Gone" in back.reason


def test_unknown_tags_pass_through() -> None:
    assert decode('{"$future":1,"x":2}') == {"$future": 1, "x": 2}
