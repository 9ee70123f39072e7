"""Lookup tables: sorted copies of the obligations and citation views, for lookups at scale.

With 100,000 plans the views behind ``kehoach obligations`` and ``kehoach cites``
read a column of every row group of ``tasks`` (1.6 M rows) or ``citations``
(0.6 M rows): their join keys are sha256-based strings, spread over the whole
file, that no zone map can prune. ``optimize`` writes what those views return
into tables sorted by the column a lookup selects on, so that DuckDB's zone maps
(min/max per row group) skip everything else:

- ``obligation_lookup``: the ``obligations`` view plus ``agency_rank`` and
  ``issuer_rank`` (the agency's and the issuer's place in the order of the
  registry's keys), sorted by ``agency_rank``: the agencies one name selects
  ("Sở Nội vụ": every "sở nội vụ <place>") are neighbours, so a lookup reads
  one or a few ranges of ranks. (Sorting by ``agency_id``, a hash, spread them
  over the whole table; and an IN list of 5 or more ids is a join in DuckDB,
  which reads every row group's wide columns: 0.3–0.5 s.)
- ``obligation_issuers``: the same rows sorted by ``issuer_rank``. (A narrow
  (issuer, row number) table with a fetch by row number was tried first: 1,600
  row numbers in an IN list made the same join, 250 ms.) The second copy costs
  ~0.1 GiB per 100,000 plans;
- ``obligation_names`` (agency_id, agency_rank, assignee_folded,
  assignee_normalized_folded, distinct) and ``obligation_issuer_ranks``
  (issuer_agency_id, issuer_rank): the ranks a lookup reads, found without
  reading the wide tables;
- ``citation_lookup``: the ``citation_links`` view, sorted by cited ``key``,
  then in the order ``cites`` lists a key's rows, so that it needs no sort
  (DuckDB returns a plain scan in insertion order: ``preserve_insertion_order``
  is on by default).

They are derived data, like the search index: ``lookup_state`` records the
documents they were built from, and a query uses them only while that still
matches the store (``is_fresh``); otherwise it reads the views, with the same
result. ``kehoach ingest`` rebuilds them when it stored something and the rebuild is
cheap or overdue (``worth_rebuilding``), and ``kehoach optimize`` does it on demand; a change of agency links
(``agencies.rebuild``) marks them stale.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Optional

OBLIGATION_TABLE = "obligation_lookup"
ISSUER_TABLE = "obligation_issuers"
NAMES_TABLE = "obligation_names"
ISSUER_NAMES_TABLE = "obligation_issuer_ranks"
CITATION_TABLE = "citation_lookup"
# derived tables, left out of exports (kehoach.store.export)
LOOKUP_TABLES = (OBLIGATION_TABLE, ISSUER_TABLE, NAMES_TABLE, ISSUER_NAMES_TABLE, CITATION_TABLE)
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


# ``kehoach ingest`` rebuilds the lookup tables by itself when the rebuild is cheap (a store of fewer
# plans than this: REBUILD_SECONDS_PER_PLAN each, so a few seconds) or when at least this share of the
# plans is new since the last build; otherwise it says so, and lookups read the views until
# ``kehoach optimize``.
REBUILD_SECONDS_PER_PLAN = 0.00035  # measured: ~35 s at 100,000 plans
AUTO_REBUILD_PLANS = 20_000
AUTO_REBUILD_SHARE = 0.05


def behind(con) -> tuple[int, Optional[int]]:
    """(plans stored, plans stored or replaced since the lookup tables were built; None: never built
    or marked stale)."""
    total = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    state = con.execute("SELECT last_ingested_at FROM lookup_state").fetchone()
    if state is None:
        return total, None
    if state[0] is None:
        return total, total
    return total, con.execute("SELECT count(*) FROM documents WHERE ingested_at > ?", [state[0]]).fetchone()[0]


def worth_rebuilding(total: int, new: Optional[int]) -> bool:
    """Whether an ingest that left the lookup tables stale should rebuild them now (see AUTO_REBUILD_*)."""
    return new is None or total < AUTO_REBUILD_PLANS or new >= AUTO_REBUILD_SHARE * total


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
        # Sorted by the agency's registry key, numbered in that order (agency_rank), so that
        # the agencies one name selects ("Sở Nội vụ": every "sở nội vụ <place>") lie together.
        # (INSERT … SELECT … ORDER BY stores rows in that order: DuckDB keeps insertion order.)
        con.execute(f"""
            CREATE OR REPLACE TABLE {OBLIGATION_TABLE} AS
            SELECT o.*, dense_rank() OVER (ORDER BY g.key NULLS LAST, o.agency_id NULLS LAST) AS agency_rank,
                   dense_rank() OVER (ORDER BY i.key NULLS LAST, o.issuer_agency_id NULLS LAST) AS issuer_rank
            FROM obligations o
            LEFT JOIN agencies g ON g.id = o.agency_id
            LEFT JOIN agencies i ON i.id = o.issuer_agency_id
            ORDER BY agency_rank, {_ROW_ORDER}""")
        con.execute(f"CREATE OR REPLACE TABLE {ISSUER_TABLE} AS "
                    f"SELECT * FROM {OBLIGATION_TABLE} ORDER BY issuer_rank, {_ROW_ORDER}")
        con.execute(f"CREATE OR REPLACE TABLE {NAMES_TABLE} AS SELECT DISTINCT agency_id, agency_rank, "
                    f"assignee_folded, assignee_normalized_folded FROM {OBLIGATION_TABLE} ORDER BY ALL")
        con.execute(f"CREATE OR REPLACE TABLE {ISSUER_NAMES_TABLE} AS SELECT DISTINCT issuer_agency_id, "
                    f"issuer_rank FROM {OBLIGATION_TABLE} ORDER BY ALL")
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


# At most this many ranges of ranks are read as separate (pruned) scans; more are merged
# across their smallest gaps: extra rows cost a little reading and are filtered out anyway.
MAX_RANGES = 8


def rank_ranges(ranks: list[int], most: int = MAX_RANGES) -> list[tuple[int, int]]:
    """Runs of consecutive ranks, ``(first, last)`` each, merged across the smallest gaps down to ``most``.

    Example:
        >>> rank_ranges([1, 2, 3, 7, 8, 20], most=2)
        [(1, 8), (20, 20)]
    """
    runs: list[list[int]] = []
    for r in sorted(set(ranks)):
        if runs and r == runs[-1][1] + 1:
            runs[-1][1] = r
        else:
            runs.append([r, r])
    while len(runs) > most:
        i = min(range(len(runs) - 1), key=lambda k: (runs[k + 1][0] - runs[k][1], k))
        runs[i:i + 2] = [[runs[i][0], runs[i + 1][1]]]
    return [(a, b) for a, b in runs]
