"""Opening the database file."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import duckdb

from kehoach.store.errors import DatabaseNotFoundError, SchemaOutdatedError, StoreError
from kehoach.store.migrations import MIGRATIONS, migrate, pending_migrations

DEFAULT_DB = "kehoach.duckdb"


def keep_pandas_out() -> None:
    """Make ``import pandas`` fail in this process, unless it is imported already.

    DuckDB's Python client looks up ``pandas.NaT`` for every bound parameter, with no
    guard and no setting, so where pandas is installed the first parameterized query
    of a process imports pandas (with numpy): 0.65 s of a ~1 s `kehoach obligations`
    on these machines. kehoach never uses pandas. Only for a process kehoach owns
    (the `kehoach` command); a program that imports kehoach keeps its own modules.

    DuckDB then tries the import at each bound value, so code that binds many values
    passes a list as one JSON parameter (``kehoach.store.params.json_list``, with the figures).
    """
    if "pandas" not in sys.modules and not any(isinstance(f, _NoPandas) for f in sys.meta_path):
        sys.meta_path.insert(0, _NoPandas())


class _NoPandas:
    """An import finder that refuses pandas, as if it were not installed.

    (Not ``sys.modules["pandas"] = None``: pyarrow takes a "pandas" key there for the module.)
    """

    def find_spec(self, name, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"No module named {name!r} (kept out by kehoach.store.db.keep_pandas_out)",
                                      name=name)
        return None


# DuckDB lets one process write a database file, or several processes read it,
# never both: the file lock is taken at connect time. `kehoach ingest` holds it
# only while it writes a batch (kehoach.batch), so a lookup that finds it locked
# waits a little and tries again rather than failing at once.
_LOCKED = "Could not set lock on file"
LOCK_TIMEOUT_ENV = "KEHOACH_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 10.0


def _lock_timeout(value: float | None) -> float:
    if value is not None:
        return value
    try:
        return float(os.environ.get(LOCK_TIMEOUT_ENV, DEFAULT_LOCK_TIMEOUT))
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT


def release_request_path(target: str) -> Path:
    """The file a waiting process creates to ask a running ``kehoach ingest`` to free the database.

    The ingest (``kehoach.batch.run.Store``) keeps the database open while nobody
    asks (closing it costs a checkpoint); when this file appears it closes the
    database within about two seconds, removes the file and leaves the database
    free for a quarter second.
    """
    return Path(target + ".wanted")


def _ask_for_release(target: str) -> None:
    try:
        release_request_path(target).touch()
    except OSError:
        pass  # a read-only folder: the ingest frees the file at its end


def _connect_waiting(target: str, read_only: bool, lock_timeout: float | None) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, retried while another process holds the file lock, up to the timeout."""
    deadline = time.monotonic() + _lock_timeout(lock_timeout)
    delay = 0.02
    while True:
        try:
            con = duckdb.connect(target, read_only=read_only)
            if target != ":memory:":
                # the file is free: a request for it is served or stale (one still waiting makes it again)
                try:
                    release_request_path(target).unlink()
                except OSError:
                    pass
            return con
        except duckdb.IOException as e:
            if _LOCKED not in str(e) or time.monotonic() + delay > deadline:
                raise
            if target != ":memory:":
                _ask_for_release(target)
        time.sleep(delay)
        # `kehoach ingest` then leaves the file free for a quarter second: poll often enough to get in
        delay = min(delay * 2, 0.1)


def locked_error(target: str, e: Exception, lock_timeout: float | None = None) -> StoreError:
    """A StoreError that says who holds the database and what to do."""
    m = re.search(r"PID (\d+)", str(e))
    pid = int(m.group(1)) if m else None
    holder = f"process {pid}" if pid else "another process"
    ingest = _ingest_holder(target)
    if ingest and (pid is None or ingest.get("pid") == pid):
        holder = f"kehoach ingest (PID {ingest.get('pid')}, started {ingest.get('started', '?')})"
    waited = _lock_timeout(lock_timeout)
    return StoreError(
        f"database {target} is locked by {holder}; gave up after waiting {waited:g} s",
        f"DuckDB allows one writing process at a time and no readers while it writes; "
        f"try again when it is done, or set {LOCK_TIMEOUT_ENV}=SECONDS to wait longer",
    )


def _ingest_holder(target: str) -> dict | None:
    """What the ingest lock file beside the database says (kehoach.batch.lock), if anything."""
    import json

    try:
        return json.loads(Path(target + ".lock").read_text(encoding="utf-8") or "null")
    except (OSError, ValueError):
        return None


def connect(path: str | Path = DEFAULT_DB, read_only: bool = False,
            lock_timeout: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the store, creating and migrating it when opened for writing.

    Args:
        path: the database file, or ``":memory:"``.
        read_only: open for lookups only; the file must exist and be up to date.
        lock_timeout: seconds to keep trying while another process holds the
            file (default ``$KEHOACH_LOCK_TIMEOUT`` or 10).

    Raises:
        DatabaseNotFoundError: read_only and the file does not exist.
        SchemaOutdatedError: read_only and migrations are pending.
        StoreError: the file stayed locked by another process for ``lock_timeout``
            seconds (the message names it), or is not a DuckDB database.

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
        con = _connect_waiting(target, read_only and not in_memory, lock_timeout)
    except duckdb.IOException as e:
        if _LOCKED in str(e):
            raise locked_error(target, e, lock_timeout) from e
        # the file is not DuckDB, or cannot be read
        raise StoreError(f"cannot open {target}: {e}",
                         "check that --db names a kehoach database") from e
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
