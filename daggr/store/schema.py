"""The database schema, its version, and the migrations that get a file there.

Users may query the database with SQL (``Store.sql`` or the ``duckdb`` CLI on the file
while no notebook holds it). All timestamps are UTC (``TIMESTAMP`` without zone).
Values (``inputs``, ``outputs``, ``value``) are JSON encoded by :mod:`daggr.store.codec`:
plain JSON stays plain (``outputs->>'$.text'`` works); files, bytes, arrays, images and
other objects appear as tag objects such as ``{"$file": "<sha256>", "ext": ".png",
"name": "cat.png"}`` whose file is ``files/<sha[:2]>/<sha><ext>`` under ``$DAGGR_HOME``.

Tables
------
``meta(key, value)``
    ``schema_version`` and facts about the file.
``counters(name, value)``
    ``results_seq``: last ``results.seq`` handed out.
``sheets(sheet_id, graph_key, user_id, name, created_at, updated_at, viewport JSON)``
    One row per sheet. ``graph_key`` is the graph's ``persist_key``; ``user_id`` is
    ``"local"`` unless logged in. ``updated_at`` is bumped by every write (sheets are
    listed most recently used first).
``sheet_counters(graph_key, user_id, last_number)``
    Highest n of "Sheet n" ever created, so default names never repeat after deletions.
``inputs(sheet_id, slot, value JSON, updated_at)``
    Current value of each input slot (upsert).
``ui_state(sheet_id, key, value JSON, updated_at)``
    Per-sheet UI facts: ``selected`` (``{node: result id}``), choice selections, ...
``results(id, seq, sheet_id, node, key, status, error, outputs JSON, inputs JSON,
upstream JSON, variant, items JSON, started_at, duration, created_at)``
    Append-only: one row per execution of a node. ``seq`` orders rows (global,
    increasing in commit order); ``key`` is the engine's cache key of the inputs;
    ``upstream`` maps upstream node -> the result id consumed; ``duration`` is seconds.
``files(sha256, ext, size, created_at)``
    Files in the content-addressed store.
``file_refs(sha256, ext, sheet_id, ref)``
    Which sheet references which file (``ref`` = result id, ``input:<slot>`` or
    ``state:<key>``); deleting a sheet deletes the files no other sheet references.

Views
-----
``history``
    ``results`` joined with their sheet: ``seq, result_id, graph_key, user_id, sheet_id,
    sheet`` (name) ``, node, key, status, error, inputs, outputs, upstream, variant,
    items, started_at, duration, created_at``.
``latest``
    The newest ``history`` row of each (sheet, node).

Example: every prompt whose result is ok::

    store.sql("SELECT inputs->>'$.prompt' AS prompt FROM history "
              "WHERE node = 'generate' AND status = 'ok' ORDER BY seq")
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import DatabaseOpenError, SchemaTooNewError, damaged_history


@dataclass(frozen=True)
class Migration:
    """Statements that bring a database from ``version - 1`` to ``version``."""

    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: list[Migration] = [
    Migration(
        1,
        "initial schema",
        (
            "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
            "CREATE TABLE counters (name VARCHAR PRIMARY KEY, value BIGINT NOT NULL)",
            "INSERT INTO counters VALUES ('results_seq', 0)",
            """CREATE TABLE sheets (
                sheet_id VARCHAR PRIMARY KEY,
                graph_key VARCHAR NOT NULL,
                user_id VARCHAR NOT NULL,
                name VARCHAR NOT NULL,
                created_at TIMESTAMP NOT NULL,
                updated_at TIMESTAMP NOT NULL,
                viewport JSON
            )""",
            "CREATE INDEX sheets_owner ON sheets (graph_key, user_id)",
            """CREATE TABLE sheet_counters (
                graph_key VARCHAR NOT NULL,
                user_id VARCHAR NOT NULL,
                last_number INTEGER NOT NULL,
                PRIMARY KEY (graph_key, user_id)
            )""",
            """CREATE TABLE inputs (
                sheet_id VARCHAR NOT NULL,
                slot VARCHAR NOT NULL,
                value JSON,
                updated_at TIMESTAMP NOT NULL,
                PRIMARY KEY (sheet_id, slot)
            )""",
            """CREATE TABLE ui_state (
                sheet_id VARCHAR NOT NULL,
                key VARCHAR NOT NULL,
                value JSON,
                updated_at TIMESTAMP NOT NULL,
                PRIMARY KEY (sheet_id, key)
            )""",
            """CREATE TABLE results (
                id VARCHAR PRIMARY KEY,
                seq BIGINT NOT NULL,
                sheet_id VARCHAR NOT NULL,
                node VARCHAR NOT NULL,
                key VARCHAR NOT NULL,
                status VARCHAR NOT NULL,
                error VARCHAR,
                outputs JSON,
                inputs JSON,
                upstream JSON,
                variant INTEGER,
                items JSON,
                started_at TIMESTAMP,
                duration DOUBLE,
                created_at TIMESTAMP NOT NULL
            )""",
            "CREATE INDEX results_sheet_node_seq ON results (sheet_id, node, seq)",
            "CREATE INDEX results_sheet_node_key ON results (sheet_id, node, key)",
            """CREATE TABLE files (
                sha256 VARCHAR NOT NULL,
                ext VARCHAR NOT NULL,
                size BIGINT NOT NULL,
                created_at TIMESTAMP NOT NULL,
                PRIMARY KEY (sha256, ext)
            )""",
            """CREATE TABLE file_refs (
                sha256 VARCHAR NOT NULL,
                ext VARCHAR NOT NULL,
                sheet_id VARCHAR NOT NULL,
                ref VARCHAR NOT NULL,
                PRIMARY KEY (sha256, ext, sheet_id, ref)
            )""",
            "CREATE INDEX file_refs_sheet ON file_refs (sheet_id)",
            """CREATE VIEW history AS
                SELECT r.seq, r.id AS result_id, s.graph_key, s.user_id, r.sheet_id,
                       s.name AS sheet, r.node, r.key, r.status, r.error, r.inputs,
                       r.outputs, r.upstream, r.variant, r.items, r.started_at,
                       r.duration, r.created_at
                FROM results r JOIN sheets s ON s.sheet_id = r.sheet_id""",
            """CREATE VIEW latest AS
                SELECT * FROM history
                QUALIFY row_number() OVER (PARTITION BY sheet_id, node ORDER BY seq DESC) = 1""",
        ),
    ),
]

SCHEMA_VERSION: int = MIGRATIONS[-1].version


def _stored_version(con: Any) -> int | None:
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except Exception:  # no meta table: a new file, or not ours (checked by the caller)
        return None
    return int(row[0]) if row else 0


EMPTY_FILE_BYTES = 12_288  # a DuckDB file that holds nothing yet: its three header blocks
DAGGR_TABLES = ("sheets", "results", "inputs", "ui_state", "files", "file_refs")


def ensure_schema(
    con: Any,
    path: Path,
    migrations: list[Migration] | None = None,
    *,
    existed: int = 0,
) -> int:
    """Bring the attached database (the connection's current one) to the newest schema.

    Called on every attach, so its fast path is one tiny query. Each migration runs in
    its own transaction; the caller holds the file's lock, so no other process can
    migrate at the same time. ``existed``: the file's size before it was attached; a
    file that held something but now shows no daggr schema is damaged, and is never
    made into a new, empty history. Returns the version found before migrating.
    """
    migrations = MIGRATIONS if migrations is None else migrations
    latest = migrations[-1].version
    version = _stored_version(con)
    if version == latest:
        return version
    if version is None:
        tables = {
            row[0]
            for row in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
            ).fetchall()
        }
        if tables & set(DAGGR_TABLES):
            raise damaged_history(
                path, "its 'meta' table, which holds the schema version, is missing"
            )
        if tables:
            raise DatabaseOpenError(
                f"{path} is a DuckDB database but not a daggr one (it has tables and no "
                f"'meta' table). Point DAGGR_DB_PATH at another file.",
                path,
            )
        if existed > EMPTY_FILE_BYTES:
            raise damaged_history(path, f"the file is {existed:,} bytes but shows no tables")
        version = 0
    if version > latest:
        raise SchemaTooNewError(
            f"{path} has daggr schema version {version}, but this daggr only knows "
            f"versions up to {latest}: it was written by a newer daggr. Upgrade daggr "
            f"(pip install -U daggr), or point DAGGR_DB_PATH at another file.",
            path,
        )
    for migration in migrations:
        if migration.version <= version:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            for statement in migration.statements:
                con.execute(statement)
            con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                [str(migration.version)],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return version
