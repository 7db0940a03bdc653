"""Schema version, migrations, and files that are not (or no longer) usable."""

from __future__ import annotations

import duckdb
import pytest

from daggr.store import (
    SCHEMA_VERSION,
    CorruptDatabaseError,
    DatabaseOpenError,
    SchemaTooNewError,
    Store,
)
from daggr.store.schema import MIGRATIONS, Migration, ensure_schema
from tests.store.store_helpers import rec


def test_new_file_gets_current_version(store: Store, db_path) -> None:
    store.sheets("g").list()
    store.close()
    con = duckdb.connect(str(db_path))
    version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert int(version[0]) == SCHEMA_VERSION
    con.close()


def test_too_new_schema_is_a_clear_error(store: Store, db_path) -> None:
    store.sheets("g").create()
    store.close()
    con = duckdb.connect(str(db_path))
    con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    store = Store()
    with pytest.raises(SchemaTooNewError) as err:
        store.sheets("g").list()
    msg = str(err.value)
    assert str(db_path) in msg and "999" in msg
    assert "Upgrade daggr" in msg and "DAGGR_DB_PATH" in msg
    assert err.value.path == db_path


@pytest.mark.parametrize(
    "content",
    [b"", b"this is not a database\n" * 50, b"SQLite format 3\x00" + bytes(4000)],
    ids=["empty", "text", "sqlite"],
)
def test_corrupt_file_is_a_clear_error(home, db_path, content: bytes) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(content)
    store = Store()
    with pytest.raises(CorruptDatabaseError) as err:
        store.sheets("g").list()
    msg = str(err.value)
    assert str(db_path) in msg and "Move it aside" in msg
    assert db_path.read_bytes() == content  # never "repaired" behind the user's back


def test_foreign_duckdb_file_is_refused(home, db_path) -> None:
    db_path.parent.mkdir(parents=True)
    con = duckdb.connect(str(db_path))
    con.execute("CREATE TABLE mine (x INT)")
    con.close()
    with pytest.raises(DatabaseOpenError, match="not a daggr one"):
        Store().sheets("g").list()


def test_migrations_run_in_order_once(tmp_path) -> None:
    path = tmp_path / "m.duckdb"
    con = duckdb.connect(str(path))
    assert ensure_schema(con, path) == 0
    con.execute("INSERT INTO sheets VALUES ('s', 'g', 'u', 'n', now(), now(), NULL)")
    step = Migration(
        SCHEMA_VERSION + 1,
        "add a column",
        ("ALTER TABLE sheets ADD COLUMN color VARCHAR DEFAULT 'blue'",),
    )
    assert ensure_schema(con, path, [*MIGRATIONS, step]) == SCHEMA_VERSION
    assert ensure_schema(con, path, [*MIGRATIONS, step]) == SCHEMA_VERSION + 1  # no-op now
    assert con.execute("SELECT color FROM sheets").fetchall() == [("blue",)]
    with pytest.raises(SchemaTooNewError):
        ensure_schema(con, path)  # the older code refuses the migrated file
    con.close()


def test_failed_migration_rolls_back(tmp_path) -> None:
    path = tmp_path / "m.duckdb"
    con = duckdb.connect(str(path))
    ensure_schema(con, path)
    bad = Migration(SCHEMA_VERSION + 1, "broken", ("CREATE TABLE ok (x INT)", "NOT SQL"))
    with pytest.raises(duckdb.Error):
        ensure_schema(con, path, [*MIGRATIONS, bad])
    version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert int(version[0]) == SCHEMA_VERSION
    assert (
        con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'ok'").fetchone()[0]
        == 0
    )
    con.close()


def test_store_survives_a_file_opened_and_closed_by_others(store: Store, db_path) -> None:
    sheet = store.sheets("g").open_or_create()
    sheet.append(rec("n"))
    store.release()  # e.g. a user looks at the file with the duckdb CLI meanwhile
    con = duckdb.connect(str(db_path))
    assert con.execute("SELECT count(*) FROM results").fetchone()[0] == 1
    con.close()
    sheet.append(rec("n", "k2"))
    sheet.flush()
    assert store.sql("SELECT count(*) FROM results").scalar() == 2
