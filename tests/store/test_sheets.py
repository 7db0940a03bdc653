"""Sheets: create, list, rename, delete, clear; names; user and graph isolation."""

from __future__ import annotations

import time

import pytest

from daggr.records import FileValue
from daggr.store import (
    SheetAccessError,
    SheetNameTakenError,
    SheetNotFoundError,
    Store,
)
from daggr.store.db import Database
from tests.store.store_helpers import rec, reopen


def test_create_list_get(any_store: Store) -> None:
    sheets = any_store.sheets("g")
    assert sheets.list() == []
    a = sheets.create()
    b = sheets.create("experiments")
    assert (a.name, b.name) == ("Sheet 1", "experiments")
    assert a.graph_key == "g" and a.user_id == "local"
    assert a.created_at.tzinfo is not None
    assert sheets.get(a.id) == sheets.get("Sheet 1")
    assert {s.id for s in sheets.list()} == {a.id, b.id}


def test_a_sheet_is_stamped_when_it_was_used_not_when_its_write_landed(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy writer commits late; the sheet list still orders by use."""
    monkeypatch.setattr(Database, "batch_interval", 30.0)  # only flush() commits
    sheets = store.sheets("g")
    a, b = sheets.create(), sheets.create()
    sheets.open(b.id)  # committed at once; the next commit waits for the interval
    store.flush()
    before = time.time()
    sheets.open(a.id).set_input("x", 1)
    after = time.time()
    time.sleep(0.3)  # the commit lands after the use
    store.flush()
    stamped = next(s.updated_at for s in sheets.list() if s.id == a.id).timestamp()
    assert before - 0.001 <= stamped <= after + 0.001  # microseconds in the file
    sheets.open(b.id)
    assert sheets.names()[0] == b.name


def test_list_is_most_recently_used_first(any_store: Store) -> None:
    sheets = any_store.sheets("g")
    a, b, c = sheets.create(), sheets.create(), sheets.create()
    assert sheets.names()[0] == c.name
    time.sleep(0.002)
    sheets.open(a.id).set_input("x", 1)
    assert sheets.names()[0] == a.name
    time.sleep(0.002)
    sheets.open(b.id)  # opening a sheet is using it
    assert sheets.names()[0] == b.name


def test_default_names_never_repeat(any_store: Store) -> None:
    sheets = any_store.sheets("g")
    s1, s2 = sheets.create(), sheets.create()
    sheets.delete(s2.id)
    sheets.delete(s1.id)
    assert sheets.create().name == "Sheet 3"
    sheets.create("Sheet 7")  # an explicit default-looking name moves the counter
    assert sheets.create().name == "Sheet 8"
    # other graphs and users count on their own
    assert any_store.sheets("other").create().name == "Sheet 1"
    assert any_store.sheets("g", user_id="alice").create().name == "Sheet 1"


def test_default_names_never_repeat_across_reopen(store: Store) -> None:
    store.sheets("g").delete(store.sheets("g").create().id)
    store = reopen(store)
    assert store.sheets("g").create().name == "Sheet 2"
    store.close()


def test_rename(any_store: Store) -> None:
    sheets = any_store.sheets("g")
    a, b = sheets.create(), sheets.create()
    view = sheets.open(a.id)
    assert sheets.rename("Sheet 1", "baseline").name == "baseline"
    assert view.name == "baseline"
    assert sheets.get(a.id).name == "baseline"
    with pytest.raises(SheetNameTakenError, match="already exists"):
        sheets.rename(a.id, b.name)
    with pytest.raises(ValueError, match="non-empty"):
        sheets.rename(a.id, "  ")
    assert sheets.rename(a.id, "baseline").name == "baseline"  # same name is fine


def test_create_duplicate_name_refused(any_store: Store) -> None:
    sheets = any_store.sheets("g")
    sheets.create("x")
    with pytest.raises(SheetNameTakenError):
        sheets.create("x")


def test_unknown_sheet_lists_valid_names(any_store: Store) -> None:
    sheets = any_store.sheets("g")
    sheets.create("baseline")
    sheets.create("variant")
    with pytest.raises(SheetNotFoundError) as err:
        sheets.open("baselin")
    msg = str(err.value)
    assert "'baselin'" in msg and "'baseline'" in msg and "'variant'" in msg
    assert "Did you mean 'baseline'?" in msg
    assert isinstance(err.value, KeyError)
    with pytest.raises(SheetNotFoundError, match="no sheets yet"):
        any_store.sheets("empty").get("nope")


def test_other_users_sheets_are_refused(any_store: Store) -> None:
    alice = any_store.sheets("g", user_id="alice")
    bob = any_store.sheets("g", user_id="bob")
    sheet = alice.create("private")
    alice.open(sheet.id).set_input("secret", 42)
    assert bob.list() == []
    for call in (
        lambda: bob.get(sheet.id),
        lambda: bob.open(sheet.id),
        lambda: bob.rename(sheet.id, "mine"),
        lambda: bob.delete(sheet.id),
        lambda: bob.clear(sheet.id),
    ):
        with pytest.raises(SheetAccessError, match="another user") as err:
            call()
        assert isinstance(err.value, PermissionError)
    # by name, bob only ever sees his own sheets
    with pytest.raises(SheetNotFoundError):
        bob.open("private")
    assert alice.open(sheet.id).get_inputs() == {"secret": 42}


def test_sheets_are_scoped_by_graph(any_store: Store) -> None:
    a = any_store.sheets("graph-a").create()
    with pytest.raises(SheetNotFoundError):
        any_store.sheets("graph-b").open(a.id)


def test_bad_arguments(any_store: Store) -> None:
    with pytest.raises(ValueError, match="graph key"):
        any_store.sheets("")
    with pytest.raises(ValueError, match="user id"):
        any_store.sheets("g", user_id="")
    with pytest.raises(TypeError, match="id or name"):
        any_store.sheets("g").open(3)  # type: ignore[arg-type]


def test_delete_removes_everything_of_the_sheet(any_store: Store) -> None:
    sheets = any_store.sheets("g")
    keep, doomed = sheets.create(), sheets.create()
    v_keep, v_doomed = sheets.open(keep.id), sheets.open(doomed.id)
    for v in (v_keep, v_doomed):
        v.append(rec("n", "k1"))
        v.set_input("x", 1)
        v.set_state("s", 2)
    sheets.delete(doomed.id)
    with pytest.raises(SheetNotFoundError):
        sheets.open(doomed.id)
    with pytest.raises(SheetNotFoundError, match="deleted"):
        v_doomed.append(rec("n"))
    assert [s.id for s in sheets.list()] == [keep.id]
    n = any_store.sql(
        "SELECT (SELECT count(*) FROM results WHERE sheet_id = $1) + "
        "(SELECT count(*) FROM inputs WHERE sheet_id = $1) + "
        "(SELECT count(*) FROM ui_state WHERE sheet_id = $1) + "
        "(SELECT count(*) FROM sheets WHERE sheet_id = $1)",
        [doomed.id],
    ).scalar()
    assert n == 0
    assert v_keep.count("n") == 1


def _stored(store: Store, fv: FileValue) -> bool:
    import os

    return os.path.exists(fv)


def test_delete_removes_only_files_no_other_sheet_uses(store: Store, tmp_path) -> None:
    shared, own = tmp_path / "shared.png", tmp_path / "own.wav"
    shared.write_bytes(b"\x89PNG shared")
    own.write_bytes(b"RIFF own")
    sheets = store.sheets("g")
    a, b = sheets.open(sheets.create().id), sheets.open(sheets.create().id)
    a.append(rec("n", outputs={"img": FileValue(str(shared)), "snd": FileValue(str(own))}))
    a.set_input("upload", b"input bytes")
    b.append(rec("n", outputs={"img": FileValue(str(shared))}))
    store.flush()
    stored = a.latest("n").outputs
    upload_rows = store.sql("SELECT value->>'$.\"$bytes\"' FROM inputs").scalar()
    upload = store.files_dir / upload_rows[:2] / f"{upload_rows}.bin"
    assert stored["img"] != str(shared) and stored["img"].endswith(".png")
    assert all(p.exists() for p in (upload,)) and _stored(store, stored["snd"])
    assert store.sql("SELECT count(*) FROM files").scalar() == 3

    sheets.delete(a.sheet_id)
    assert _stored(store, stored["img"])  # still used by sheet b
    assert not _stored(store, stored["snd"])
    assert not upload.exists()
    assert store.sql("SELECT count(*) FROM files").scalar() == 1
    assert b.latest("n").outputs["img"] == stored["img"]


def test_recently_touched_files_survive_a_delete(home, tmp_path) -> None:
    # A file written moments ago may belong to a row another process has not committed
    # yet: the grace period keeps it; gc_files() collects it once it is old enough.
    store = Store(file_grace=3600)
    sheets = store.sheets("g")
    v = sheets.open(sheets.create().id)
    v.append(rec("n", outputs={"b": b"payload"}))
    store.flush()
    sha = store.sql("SELECT sha256 FROM files").scalar()
    path = store.files_dir / sha[:2] / f"{sha}.bin"
    sheets.delete(v.sheet_id)
    assert path.exists()
    assert store.gc_files() == 0
    store._file_grace = 0.0
    assert store.gc_files() == 1
    assert not path.exists()
    store.close()


def test_clear_keeps_the_sheet(any_store: Store) -> None:
    sheets = any_store.sheets("g")
    info = sheets.create("keep me")
    v = sheets.open(info.id)
    v.append(rec("n"))
    v.set_input("x", 1)
    sheets.clear(info.id)
    assert sheets.get(info.id).name == "keep me"
    assert v.count("n") == 0 and v.get_inputs() == {}
    v.append(rec("n", "k2"))
    assert v.count("n") == 1


def test_open_or_create(any_store: Store) -> None:
    sheets = any_store.sheets("g")
    first = sheets.open_or_create()
    assert first.name == "Sheet 1"
    assert sheets.open_or_create().sheet_id == first.sheet_id
