"""Read-only SQL over the store: ``Store.sql(query, params)`` returns a :class:`QueryResult`.

Only a single ``SELECT`` (``WITH ... SELECT``, ``FROM ...``, ``VALUES``) is accepted, and
it runs inside a transaction that is rolled back: the history cannot be changed here.
See :mod:`daggr.store.schema` for the tables and views.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from .db import duckdb_module
from .errors import ReadOnlyQueryError


def check_read_only(query: str) -> None:
    """Raise :class:`ReadOnlyQueryError` unless ``query`` is one read-only statement."""
    if not isinstance(query, str):
        raise TypeError(f"A query must be a str, got {type(query).__name__}.")
    duckdb = duckdb_module()
    statements = duckdb.extract_statements(query)  # a syntax error raises ParserException
    if len(statements) != 1:
        raise ReadOnlyQueryError(
            f"Store.sql runs exactly one SELECT statement, got {len(statements)}."
        )
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise ReadOnlyQueryError(
            f"Store.sql is read-only: it runs SELECT queries, not {kind.name} statements. "
            f"Change sheets, inputs and results through the daggr API (sheets.delete(), "
            f"sheet.set_input(), ...), which keeps files and references consistent."
        )


def run_read_only(
    con: Any, query: str, params: Sequence[Any] | dict[str, Any] | None
) -> QueryResult:
    """Run a checked query inside a transaction that is always rolled back."""
    check_read_only(query)
    con.execute("BEGIN TRANSACTION")
    try:
        cursor = con.execute(query, params) if params is not None else con.execute(query)
        columns = [d[0] for d in cursor.description] if cursor.description else []
        rows = cursor.fetchall()
    finally:
        con.execute("ROLLBACK")
    return QueryResult(columns, rows)


class QueryResult:
    """Rows of a query with their column names.

    >>> r = QueryResult(["node", "n"], [("gen", 3)])
    >>> r.to_dicts()
    [{'node': 'gen', 'n': 3}]
    >>> r.column("n")
    [3]
    """

    def __init__(self, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        self.columns = columns
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        return self.rows[index]

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self.rows)

    def to_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=False)) for row in self.rows]

    def column(self, name: str) -> list[Any]:
        try:
            i = self.columns.index(name)
        except ValueError:
            raise KeyError(f"No column {name!r}; columns are {self.columns}.") from None
        return [row[i] for row in self.rows]

    def scalar(self) -> Any:
        """The first column of the first row (None if there is no row)."""
        return self.rows[0][0] if self.rows else None

    def df(self) -> Any:
        """A pandas DataFrame (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("QueryResult.df() needs pandas: pip install pandas") from None
        return pd.DataFrame.from_records(self.rows, columns=self.columns)

    def __repr__(self) -> str:
        head = self.rows[:10]
        cells = [self.columns] + [[_short(v) for v in row] for row in head]
        widths = [max(len(str(r[i])) for r in cells) for i in range(len(self.columns))]
        lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=False)) for r in cells]
        more = f"\n... {len(self.rows) - 10} more rows" if len(self.rows) > 10 else ""
        return "\n".join(lines) + more + f"\n({len(self.rows)} rows)"


def _short(v: Any) -> str:
    s = str(v)
    return s if len(s) <= 40 else s[:37] + "..."
