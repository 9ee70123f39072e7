"""Export every stored table to Parquet, CSV or JSON Lines: one file per table, ``<table>.<ext>``.

The files keep the store's table and column names and types (docs/schema.md),
so DuckDB (``read_parquet``/``read_csv``/``read_json``) and pandas read them
back, and other writers (the Dask workers of a bulk load) can produce shards
"in the export schema". Derived tables are left out: ``kehoach search``
rebuilds the search tables from ``document_texts``, ``kehoach optimize`` the
lookup tables from the views.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from kehoach.store.errors import StoreError
from kehoach.store.optimize import LOOKUP_TABLES

FORMATS = {"parquet": ("parquet", "(FORMAT parquet, COMPRESSION zstd)"),
           "csv": ("csv", "(FORMAT csv, HEADER true)"),
           "jsonl": ("jsonl", "(FORMAT json)")}
# derived from document_texts by the search index build, and the lookup tables
# (kehoach.store.optimize: sorted copies of views); not part of the record
DERIVED_TABLES = ("search_texts", "search_postings", *LOOKUP_TABLES)


def exported_tables(con) -> list[str]:
    """The base tables of the store's main schema, in name order, derived tables left out."""
    return [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND database_name = current_database() "
        "AND NOT list_contains(?, table_name) ORDER BY table_name", [list(DERIVED_TABLES)]).fetchall()]


def export(con, out_dir: str | Path, fmt: str = "parquet") -> list[tuple[str, Path, int]]:
    """Write each table to ``out_dir/<table>.<ext>``.

    Args:
        fmt: ``parquet``, ``csv`` (header row; a list column is written as
            ``[a, b]``) or ``jsonl`` (one JSON object per line).

    Returns:
        ``(table, path, rows)`` for each file written.

    Raises:
        ValueError: an unknown format.
        StoreError: the folder cannot be written.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; valid: {', '.join(FORMATS)}")
    ext, options = FORMATS[fmt]
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(f"cannot create {out}: {e.strerror or e}", "pass a writable --out folder") from e
    written = []
    for table in exported_tables(con):
        path = out / f"{table}.{ext}"
        # the table name comes from the catalog, quoted as an identifier; the path is bound
        ident = '"' + table.replace('"', '""') + '"'
        try:
            con.execute(f"COPY (SELECT * FROM {ident}) TO ? {options}", [str(path)])
        except duckdb.Error as e:
            raise StoreError(f"cannot write {path}: {e}", "check the --out folder's permissions and free space") from e
        rows = con.execute(f"SELECT count(*) FROM {ident}").fetchone()[0]
        written.append((table, path, rows))
    return written
