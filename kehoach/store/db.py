"""Opening the database file."""

from __future__ import annotations

from pathlib import Path

import duckdb

from kehoach.store.errors import DatabaseNotFoundError, SchemaOutdatedError, StoreError
from kehoach.store.migrations import MIGRATIONS, migrate, pending_migrations

DEFAULT_DB = "kehoach.duckdb"


def connect(path: str | Path = DEFAULT_DB, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the store, creating and migrating it when opened for writing.

    Args:
        path: the database file, or ``":memory:"``.
        read_only: open for lookups only; the file must exist and be up to date.

    Raises:
        DatabaseNotFoundError: read_only and the file does not exist.
        SchemaOutdatedError: read_only and migrations are pending.
        StoreError: the file is locked by a writer or is not a DuckDB database.

    Example:
        >>> con = connect(":memory:")
        >>> con.execute("SELECT count(*) FROM documents").fetchone()
        (0,)
    """
    target = str(path)
    in_memory = target == ":memory:"
    if read_only and not in_memory and not Path(target).is_file():
        raise DatabaseNotFoundError(
            f"database file not found: {target}",
            "run `kehoach ingest PATH` first or pass --db",
        )
    if not in_memory and not read_only:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(target, read_only=read_only and not in_memory)
    except duckdb.IOException as e:
        # another process holds the write lock, or the file is not DuckDB
        raise StoreError(f"cannot open {target}: {e}",
                         "wait for the other kehoach process to finish, or pass another --db") from e
    except duckdb.Error as e:
        raise StoreError(f"cannot open {target}: {e}", "check that --db names a kehoach database") from e
    if read_only and not in_memory:
        pending = pending_migrations(con)
        if len(pending) == len(MIGRATIONS):
            con.close()
            raise StoreError(f"{target} is not a kehoach database (no schema_migrations table)",
                             "pass the --db file that `kehoach ingest` wrote")
        if pending:
            con.close()
            raise SchemaOutdatedError(
                f"database {target} is not up to date (pending migrations: {', '.join(pending)})",
                f"open it for writing once, e.g. `kehoach ingest PATH --db {target}`",
            )
    else:
        migrate(con)
    return con
