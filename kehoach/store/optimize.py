"""Lookup tables: sorted copies of the obligations and citation views, for lookups at scale.

With 100,000 plans the views behind ``kehoach obligations`` and ``kehoach cites``
read a column of every row group of ``tasks`` (1.6 M rows) or ``citations``
(0.6 M rows): their join keys are sha256-based strings, spread over the whole
file, that no zone map can prune. ``optimize`` writes what those views return
into tables sorted by the column a lookup selects on, so that DuckDB's zone maps
(min/max per row group) skip everything else:

- ``obligation_lookup``: the ``obligations`` view, sorted by the assignee's
  agency (``agency_id``);
- ``obligation_issuers``: the same rows sorted by the plan's issuer
  (``issuer_agency_id``). A narrow (issuer, row number) table plus a fetch by
  row number was tried first: an issuer with 1,600 rows made a 1,600-value IN
  list, which DuckDB turns into a join over the whole wide table (250 ms); the
  second copy costs ~0.15 GiB per 100,000 plans;
- ``obligation_names``: each distinct (agency_id, assignee_folded,
  assignee_normalized_folded) of those rows, so that a lookup by the words of a
  name finds the agencies concerned without reading every assignment;
- ``citation_lookup``: the ``citation_links`` view, sorted by cited ``key``,
  then in the order ``cites`` lists a key's rows, so that it needs no sort
  (DuckDB returns a plain scan in insertion order: ``preserve_insertion_order``
  is on by default).

They are derived data, like the search index: ``lookup_state`` records the
documents they were built from, and a query uses them only while that still
matches the store (``is_fresh``); otherwise it reads the views, with the same
result. ``kehoach ingest`` rebuilds them when it stored something and
``kehoach optimize`` does it on demand; a change of agency links
(``agencies.rebuild``) marks them stale.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Optional

OBLIGATION_TABLE = "obligation_lookup"
ISSUER_TABLE = "obligation_issuers"
NAMES_TABLE = "obligation_names"
CITATION_TABLE = "citation_lookup"
# derived tables, left out of exports (kehoach.store.export)
LOOKUP_TABLES = (OBLIGATION_TABLE, ISSUER_TABLE, NAMES_TABLE, CITATION_TABLE)
# the order ``queries.cites`` lists one key's rows in
CITES_ORDER = ("citing_issued_start NULLS LAST, citing_number NULLS LAST, citing_doc_id, kind, ordinal, "
               "cited_doc_id NULLS LAST")

# after the sort column: one row per task of an assignment, so the stored order is deterministic
_ROW_ORDER = "doc_id, assignment_ordinal, task_ordinal NULLS FIRST"


def _signature(con) -> tuple[int, Optional[datetime]]:
    return tuple(con.execute("SELECT count(*), max(ingested_at) FROM documents").fetchone())


def is_fresh(con) -> bool:
    """True when the lookup tables were built from the documents stored now."""
    row = con.execute(
        "SELECT s.documents = d.n AND s.last_ingested_at IS NOT DISTINCT FROM d.last "
        "FROM lookup_state s, (SELECT count(*) AS n, max(ingested_at) AS last FROM documents) d").fetchone()
    return bool(row and row[0])


def mark_stale(con) -> None:
    """Forget the lookup tables' state (call after changing stored rows in place)."""
    con.execute("DELETE FROM lookup_state")


def optimize(con) -> dict[str, float]:
    """(Re)build the lookup tables in one transaction.

    Args:
        con: a writable connection, not inside a transaction.

    Returns:
        ``{"obligations": rows, "citations": rows, "seconds": s}``.

    Example:
        >>> optimize(con)["obligations"]  # doctest: +SKIP
        1653337
    """
    t = time.perf_counter()
    con.begin()
    try:
        con.execute("DELETE FROM lookup_state")
        signature = _signature(con)
        # (INSERT … SELECT … ORDER BY stores rows in that order: DuckDB keeps insertion order)
        con.execute(f"CREATE OR REPLACE TABLE {OBLIGATION_TABLE} AS "
                    f"SELECT * FROM obligations ORDER BY agency_id NULLS LAST, {_ROW_ORDER}")
        con.execute(f"CREATE OR REPLACE TABLE {ISSUER_TABLE} AS "
                    f"SELECT * FROM {OBLIGATION_TABLE} ORDER BY issuer_agency_id NULLS LAST, {_ROW_ORDER}")
        con.execute(f"CREATE OR REPLACE TABLE {NAMES_TABLE} AS SELECT DISTINCT agency_id, assignee_folded, "
                    f"assignee_normalized_folded FROM assignments ORDER BY ALL")
        con.execute(f"CREATE OR REPLACE TABLE {CITATION_TABLE} AS "
                    f"SELECT * FROM citation_links ORDER BY key NULLS LAST, {CITES_ORDER}")
        con.execute("INSERT INTO lookup_state VALUES (?, ?, ?)",
                    [datetime.now(timezone.utc).replace(tzinfo=None), signature[0], signature[1]])
        con.commit()
    except BaseException:
        con.rollback()
        raise
    counts = {name: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
              for name, table in (("obligations", OBLIGATION_TABLE), ("citations", CITATION_TABLE))}
    return {**counts, "seconds": round(time.perf_counter() - t, 2)}


def placeholders(n: int) -> str:
    """``?, ?, …`` for an IN list of ``n`` bound values (DuckDB prunes row groups with a constant IN list)."""
    return ", ".join(["?"] * n)
