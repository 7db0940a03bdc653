"""Persistence of daggr sheets: a DuckDB file (default) or memory only.

The store keeps what the engine produces and the session shows: sheets (per graph
``persist_key`` and user), their inputs and UI state, and an append-only history of
:class:`~daggr.records.ResultRecord` rows whose values may be any Python object
(files and binary values go to a content-addressed file store). It never imports the
engine, the session, the graph or the widget.

>>> from daggr.records import ResultRecord
>>> store = Store.memory()                          # Store() for the DuckDB file
>>> sheet = store.sheets("my-graph").open_or_create()
>>> sheet.append(ResultRecord("gen", key="k1", outputs={"text": "hi"}, inputs={"p": "x"}))
>>> sheet.find("gen", "k1").outputs
{'text': 'hi'}
>>> sheet.count("gen"), sheet.get("gen", -1).inputs
(1, {'p': 'x'})

Layout: :mod:`.paths` (where files live), :mod:`.schema` (tables, views, migrations;
the documentation for SQL users), :mod:`.codec` (values <-> JSON + file store),
:mod:`.db` (file lease and writer thread), :mod:`.writes` (batched writes),
:mod:`.sheet_catalog` (a graph's DuckDB sheets: list, create, rename, open),
:mod:`.duck_sheet` (one open DuckDB sheet), :mod:`.memory` (in-memory store),
:mod:`.query` (read-only SQL), :mod:`.store` (``Store``).
"""

from .base import SheetInfo, SheetNameTakenError, SheetResults
from .codec import FileStore, UnavailableValue
from .duck_sheet import DuckSheet
from .errors import (
    CorruptDatabaseError,
    DatabaseOpenError,
    ReadOnlyQueryError,
    SchemaTooNewError,
    SheetAccessError,
    SheetNotFoundError,
    StoreBusyError,
    StoreError,
    ValueEncodingError,
)
from .memory import MemorySheet, MemorySheets
from .paths import daggr_home, default_db_path, default_files_dir
from .query import QueryResult
from .schema import SCHEMA_VERSION
from .sheet_catalog import DuckSheets
from .store import Store

__all__ = [
    "SCHEMA_VERSION",
    "CorruptDatabaseError",
    "DatabaseOpenError",
    "DuckSheet",
    "DuckSheets",
    "FileStore",
    "MemorySheet",
    "MemorySheets",
    "QueryResult",
    "ReadOnlyQueryError",
    "SchemaTooNewError",
    "SheetAccessError",
    "SheetInfo",
    "SheetNameTakenError",
    "SheetNotFoundError",
    "SheetResults",
    "Store",
    "StoreBusyError",
    "StoreError",
    "UnavailableValue",
    "ValueEncodingError",
    "daggr_home",
    "default_db_path",
    "default_files_dir",
]
