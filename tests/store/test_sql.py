"""Store.sql: real queries over the documented views; anything but SELECT is refused."""

from __future__ import annotations

import pytest

from daggr.records import Status
from daggr.store import ReadOnlyQueryError, Store
from tests.store.store_helpers import rec


def _fill(store: Store) -> None:
    sheets = store.sheets("g")
    one = sheets.open(sheets.create("one").id)
    two = sheets.open(sheets.create("two").id)
    one.append(rec("gen", "k1", inputs={"prompt": "a cat"}, outputs={"image": "cat.png"}))
    one.append(rec("gen", "k2", inputs={"prompt": "a dog"}, status=Status.ERROR, error="oom"))
    two.append(rec("gen", "k3", inputs={"prompt": "a fox"}, outputs={"image": "fox.png"}))
    two.append(rec("other", "k4", inputs={"prompt": "not gen"}))


def test_prompts_whose_result_is_ok(any_store: Store) -> None:
    _fill(any_store)
    result = any_store.sql(
        "SELECT sheet, inputs->>'$.prompt' AS prompt FROM history "
        "WHERE node = 'gen' AND status = 'ok' ORDER BY seq"
    )
    assert result.columns == ["sheet", "prompt"]
    assert result.rows == [("one", "a cat"), ("two", "a fox")]
    assert result.to_dicts()[0] == {"sheet": "one", "prompt": "a cat"}
    df = result.df()
    assert list(df["prompt"]) == ["a cat", "a fox"]


def test_parameters_and_latest_view(any_store: Store) -> None:
    _fill(any_store)
    rows = any_store.sql(
        "SELECT sheet, node, error FROM latest WHERE sheet = $1 ORDER BY node", ["one"]
    ).rows
    assert rows == [("one", "gen", "oom")]
    n = any_store.sql("SELECT count(*) FROM history WHERE duration >= ?", [0]).scalar()
    assert n == 4


@pytest.mark.parametrize(
    "query",
    [
        "INSERT INTO sheets VALUES ('x','g','u','n',now(),now(),NULL)",
        "UPDATE results SET status = 'ok'",
        "DELETE FROM results",
        "DROP TABLE results",
        "CREATE TABLE t (x INT)",
        "ATTACH '/tmp/elsewhere.duckdb' AS other",
        "COPY results TO '/tmp/out.csv'",
        "SELECT 1; DELETE FROM results",
        "PRAGMA version",
        "SET threads = 1",
        "EXPLAIN ANALYZE DELETE FROM results",
    ],
)
def test_writes_are_refused(any_store: Store, query: str) -> None:
    _fill(any_store)
    with pytest.raises(ReadOnlyQueryError) as err:
        any_store.sql(query)
    assert "read-only" in str(err.value) or "exactly one" in str(err.value)
    assert isinstance(err.value, ValueError)
    assert any_store.sql("SELECT count(*) FROM results").scalar() == 4


def test_sql_sees_rows_just_appended(store: Store) -> None:
    sheet = store.sheets("g").open_or_create()
    for i in range(50):
        sheet.append(rec("n", f"k{i}"))
    assert store.sql("SELECT count(*) FROM history").scalar() == 50


def test_sql_sees_file_tags(store: Store) -> None:
    sheet = store.sheets("g").open_or_create()
    sheet.append(rec("n", outputs={"audio": b"RIFF"}))
    tag = store.sql("SELECT outputs->'$.audio' FROM results").scalar()
    assert '"$bytes"' in tag and '".bin"' in tag
