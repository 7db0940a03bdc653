"""The sheet-scoped results view: history, get, find, consumers, inputs, state."""

from __future__ import annotations

import threading

import pytest

from daggr.records import ResultRecord, Status
from daggr.store import DuckSheet, MemorySheet, SheetResults, Store, duck_sheet
from tests.store.store_helpers import rec, reopen


def _sheet(store: Store, graph: str = "g"):
    return store.sheets(graph).open_or_create()


def test_implements_the_protocol(any_store: Store) -> None:
    sheet = _sheet(any_store)
    assert isinstance(sheet, SheetResults)
    assert isinstance(sheet, DuckSheet if not any_store.is_memory else MemorySheet)


def test_history_order_get_and_errors(any_store: Store) -> None:
    sheet = _sheet(any_store)
    records = [rec("a", f"k{i}", i) for i in range(5)]
    for r in records:
        sheet.append(r)
    sheet.append(rec("b"))
    assert [r.id for r in sheet.history("a")] == [r.id for r in records]
    assert sheet.count("a") == 5 and sheet.count("b") == 1 and sheet.count("zzz") == 0
    assert sheet.get("a", 0).id == records[0].id
    assert sheet.get("a", 3).outputs == {"out": 3}
    assert sheet.get("a", -1).id == records[-1].id == sheet.latest("a").id
    with pytest.raises(IndexError, match=r"valid indexes are 0\.\.4 \(or -5\.\.-1\)"):
        sheet.get("a", 5)
    with pytest.raises(IndexError, match="-5"):
        sheet.get("a", -6)
    with pytest.raises(IndexError, match="no results"):
        sheet.get("zzz", 0)
    assert sheet.latest("zzz") is None and sheet.history("zzz") == []
    assert sorted(sheet.nodes()) == ["a", "b"]


def test_values_survive_a_new_process(store: Store) -> None:
    sheet = _sheet(store)
    r = ResultRecord(
        node="gen",
        key="k1",
        outputs={"text": "héllo ✓", "n": 3, "scores": [0.5, 1e-300], "t": (1, "a")},
        inputs={"prompt": "a cat", "seed": 7},
        upstream={"prompt": "r-1"},
        variant=2,
        status="ok",
        started_at=1_700_000_000.123456,
        duration=1.25,
        items=[{"key": "i0", "status": "ok", "error": None}],
    )
    sheet.append(r)
    sheet.select("gen", r.id)
    store = reopen(store)
    got = store.sheets("g").open(sheet.sheet_id).latest("gen")
    assert got.outputs == r.outputs and got.inputs == r.inputs
    assert (got.id, got.key, got.upstream, got.variant, got.items) == (
        r.id,
        r.key,
        r.upstream,
        r.variant,
        r.items,
    )
    assert got.started_at == pytest.approx(r.started_at, abs=1e-6)
    assert got.duration == 1.25
    store.close()


def test_history_and_get_after_reopen(store: Store, monkeypatch) -> None:
    monkeypatch.setattr(duck_sheet, "PAGE", 4)  # exercise paging with few rows
    sheet = _sheet(store)
    ids = []
    for i in range(30):
        r = rec("a", f"k{i % 7}", i, status="ok" if i % 5 else Status.ERROR)
        ids.append(r.id)
        sheet.append(r)
        sheet.append(rec("b", f"k{i}", i))
    store = reopen(store)
    sheet = store.sheets("g").open(sheet.sheet_id)
    assert sheet.count("a") == 30
    assert [sheet.get("a", i).id for i in (17, 3, 29, 0, 18, 16)] == [
        ids[i] for i in (17, 3, 29, 0, 18, 16)
    ]
    assert [r.id for r in sheet.history("a")] == ids
    extra = rec("a", "new")
    sheet.append(extra)
    assert sheet.count("a") == 31 and sheet.get("a", 30).id == extra.id
    assert [r.id for r in sheet.history("a")] == [*ids, extra.id]
    store.close()


def test_find_newest_ok_with_key(any_store: Store) -> None:
    sheet = _sheet(any_store)
    old = rec("a", "k1", 1)
    sheet.append(old)
    sheet.append(rec("a", "k2", 2))
    newer = rec("a", "k1", 3)
    sheet.append(newer)
    sheet.append(rec("a", "k1", 4, status=Status.ERROR, error="boom"))
    assert sheet.find("a", "k1").id == newer.id  # the failed newer one is skipped
    assert sheet.find("a", "k2").outputs == {"out": 2}
    assert sheet.find("a", "nope") is None and sheet.find("zzz", "k1") is None
    sheet.select("a", old.id)  # the user's selection wins when it has the key
    assert sheet.find("a", "k1").id == old.id
    assert sheet.find("a", "k2").outputs == {"out": 2}


def test_find_after_reopen(store: Store) -> None:
    sheet = _sheet(store)
    first = rec("a", "k1", 1)
    for r in (first, rec("a", "k2", 2), rec("a", "k3", 3, status=Status.ERROR)):
        sheet.append(r)
    store = reopen(store)
    sheet = store.sheets("g").open(sheet.sheet_id)
    assert sheet.find("a", "k2").outputs == {"out": 2}  # not the latest: read from the file
    assert sheet.find("a", "k1").id == first.id
    assert sheet.find("a", "k3") is None and sheet.find("a", "zz") is None
    newer = rec("a", "k1", 9)
    sheet.append(newer)
    assert sheet.find("a", "k1").id == newer.id
    store.close()


def test_by_id_and_consumers(any_store: Store) -> None:
    sheet = _sheet(any_store)
    up1, up2 = rec("up", "u1"), rec("up", "u2")
    sheet.append(up1)
    sheet.append(up2)
    c1 = rec("down", "d1", upstream={"up": up1.id})
    c2 = rec("down", "d2", upstream={"up": up2.id})
    c3 = rec("down", "d3", upstream={"up": up1.id, "other": "x"})
    for r in (c1, c2, c3):
        sheet.append(r)
    assert [r.id for r in sheet.consumers("down", up1.id)] == [c1.id, c3.id]
    assert [r.id for r in sheet.consumers("down", up2.id)] == [c2.id]
    assert sheet.consumers("down", "nope") == [] and sheet.consumers("zzz", up1.id) == []
    assert sheet.by_id(c2.id).key == "d2" and sheet.by_id("nope") is None
    if not any_store.is_memory:
        store = reopen(any_store)
        sheet = store.sheets("g").open(sheet.sheet_id)
        assert [r.id for r in sheet.consumers("down", up1.id)] == [c1.id, c3.id]
        assert sheet.by_id(c1.id).upstream == {"up": up1.id}
        store.close()


def test_by_id_does_not_cross_sheets(any_store: Store) -> None:
    sheets = any_store.sheets("g")
    a, b = sheets.open(sheets.create().id), sheets.open(sheets.create().id)
    r = rec("n")
    a.append(r)
    a.flush()
    assert b.by_id(r.id) is None


def test_selection(any_store: Store) -> None:
    sheet = _sheet(any_store)
    r1, r2 = rec("a", "k1"), rec("a", "k2")
    sheet.append(r1)
    sheet.append(r2)
    sheet.select("a", r1.id)
    assert sheet.selected("a").id == r1.id and sheet.selections() == {"a": r1.id}
    with pytest.raises(KeyError):
        sheet.select("a", "nope")
    with pytest.raises(ValueError, match="belongs to node 'a'"):
        sheet.select("b", r1.id)
    if not any_store.is_memory:
        store = reopen(any_store)
        sheet = store.sheets("g").open(sheet.sheet_id)
        assert sheet.selected("a").id == r1.id
        assert sheet.find("a", "k1").id == r1.id
        sheet.select("a", None)
        assert sheet.selected("a") is None
        store.close()


def test_inputs_state_viewport_round_trip(any_store: Store) -> None:
    sheet = _sheet(any_store)
    sheet.set_input("prompt", "a cat")
    sheet.set_inputs({"seed": 3, "opts": {"a": [1, 2], "t": (1, 2)}})
    sheet.set_input("prompt", "a dog")  # upsert
    sheet.set_state("choice", {"variant": 1})
    sheet.set_viewport({"x": 1.5, "y": -2, "zoom": 0.75})
    expected = {"prompt": "a dog", "seed": 3, "opts": {"a": [1, 2], "t": (1, 2)}}
    assert sheet.get_inputs() == expected
    assert sheet.get_input("seed") == 3 and sheet.get_input("zz", "d") == "d"
    assert sheet.get_state("choice") == {"variant": 1}
    assert sheet.get_state("missing", "dflt") == "dflt"
    if not any_store.is_memory:
        store = reopen(any_store)
        sheet = store.sheets("g").open(sheet.sheet_id)
        assert sheet.get_inputs() == expected
        assert sheet.get_state("choice") == {"variant": 1}
        assert sheet.viewport == {"x": 1.5, "y": -2, "zoom": 0.75}
        store.close()


def test_refresh_sees_rows_written_by_another_store(home, tmp_path) -> None:
    # Two stores on one file with separate file dirs: separate views, like two processes.
    first = Store(file_grace=0.0)
    other = Store(files_dir=tmp_path / "other-files")
    a = first.sheets("g").open_or_create()
    b = other.sheets("g").open(a.sheet_id)
    assert a is not b
    a.append(rec("n", "k1"))
    b.append(rec("m", "k2"))
    a.flush()
    b.flush()
    assert b.count("n") == 0  # a snapshot until refreshed
    b.refresh()
    a.refresh()
    assert b.count("n") == 1 and a.count("m") == 1
    assert a.find("m", "k2") is not None
    first.close()
    other.close()


def test_append_is_thread_safe(any_store: Store) -> None:
    sheet = _sheet(any_store)

    def work(t: int) -> None:
        for i in range(200):
            sheet.append(rec(f"n{t % 2}", f"k{t}-{i}", i))
            sheet.find(f"n{t % 2}", f"k{t}-{i}")

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sheet.flush()
    assert sheet.count("n0") == sheet.count("n1") == 400
    if not any_store.is_memory:
        assert any_store.sql("SELECT count(*), count(DISTINCT seq) FROM results").rows == [
            (800, 800)
        ]


def test_memory_store_writes_nothing(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DAGGR_HOME", str(tmp_path / "h"))
    store = Store(path=None)
    sheet = store.sheets("g").open_or_create()
    obj = object()  # memory keeps values as they are, even unstorable ones
    sheet.append(rec("n", outputs={"o": obj}))
    assert sheet.latest("n").outputs["o"] is obj
    assert not (tmp_path / "h").exists()
    assert store.path is None and store.files_dir is None


def test_nothing_created_before_use(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DAGGR_HOME", str(tmp_path / "h"))
    monkeypatch.delenv("DAGGR_DB_PATH", raising=False)
    store = Store()
    assert store.path == (tmp_path / "h" / "daggr.duckdb").resolve()
    assert not (tmp_path / "h").exists()
    store.sheets("g").list()
    assert store.path.exists()
    store.close()


def test_paths_follow_the_environment(tmp_path, monkeypatch) -> None:
    from daggr.store import daggr_home, default_db_path, default_files_dir

    monkeypatch.delenv("DAGGR_HOME", raising=False)
    monkeypatch.delenv("DAGGR_DB_PATH", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    assert daggr_home() == tmp_path / "hf" / "daggr"
    assert default_db_path() == tmp_path / "hf" / "daggr" / "daggr.duckdb"
    monkeypatch.setenv("DAGGR_HOME", str(tmp_path / "dh"))
    assert default_files_dir() == tmp_path / "dh" / "files"
    monkeypatch.setenv("DAGGR_DB_PATH", str(tmp_path / "elsewhere.duckdb"))
    assert default_db_path() == tmp_path / "elsewhere.duckdb"
    monkeypatch.delenv("HF_HOME")
    monkeypatch.delenv("DAGGR_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert daggr_home() == tmp_path / "home" / ".cache" / "huggingface" / "daggr"


def test_items_and_upstream_are_checked_and_kept(store: Store) -> None:
    sheet = _sheet(store)
    items = [{"key": ("a", 1), "status": "ok", "error": None}, {"key": "b", "status": "error"}]
    r = rec("scatter", items=items, upstream={"src": "r-1"})
    sheet.append(r)
    with pytest.raises(TypeError, match="upstream"):
        sheet.append(rec("scatter", upstream={"src": 3}))
    store = reopen(store)
    got = store.sheets("g").open(sheet.sheet_id).latest("scatter")
    assert got.items == items and got.upstream == {"src": "r-1"}
    store.close()


def test_flush_reports_nothing_when_all_is_written(store: Store) -> None:
    sheet = _sheet(store)
    sheet.append(rec("n"))
    sheet.flush()
    assert store._db.pending == 0
