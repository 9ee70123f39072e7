"""DuckDB store: schema and named migrations, the writer, the named queries.

Example:
    >>> from kehoach.store import connect, obligations
    >>> con = connect("kehoach.duckdb", read_only=True)          # doctest: +SKIP
    >>> obligations(con, agency="Sở Nội vụ").dicts()              # doctest: +SKIP
"""

from kehoach.store.dates import date_range
from kehoach.store.db import DEFAULT_DB, connect
from kehoach.store.errors import (
    AmbiguousError,
    DatabaseNotFoundError,
    NotFoundError,
    SchemaOutdatedError,
    StoreError,
    UnsafeSQLError,
)
from kehoach.store.keys import fold, number_key
from kehoach.store.migrations import MIGRATIONS, applied_migrations, migrate, pending_migrations
from kehoach.store.queries import (
    OBLIGATION_COLUMNS,
    QueryLimits,
    Rows,
    check_read_only_sql,
    cites,
    documents,
    obligations,
    read_only_sql,
    resolve_document,
    show,
)
from kehoach.store.writer import citation_key, document_id, has_document, record_ingest_error, store_record

__all__ = [
    "DEFAULT_DB", "MIGRATIONS", "OBLIGATION_COLUMNS", "AmbiguousError", "DatabaseNotFoundError",
    "NotFoundError", "QueryLimits", "Rows", "SchemaOutdatedError", "StoreError", "UnsafeSQLError", "applied_migrations",
    "check_read_only_sql", "citation_key", "cites", "connect", "date_range", "document_id", "documents",
    "fold", "has_document", "migrate", "number_key", "obligations", "pending_migrations", "read_only_sql",
    "record_ingest_error", "resolve_document", "show", "store_record",
]
