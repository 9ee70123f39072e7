"""The named queries behind the lookup commands, and guarded ad-hoc SQL.

Every query returns ``Rows`` (column names + tuples) so that one formatter
serves table, JSON and CSV output alike.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterator, Optional

import duckdb

from kehoach.store.errors import AmbiguousError, NotFoundError, StoreError, UnsafeSQLError
from kehoach.store.keys import fold, number_key


@dataclass
class Rows:
    """A query result: column names and row tuples."""

    columns: list[str]
    rows: list[tuple] = field(default_factory=list)
    truncated: bool = False  # more rows matched than were fetched (``QueryLimits.max_rows``)

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.dicts())


def _fetch(con, sql: str, params: Optional[list] = None) -> Rows:
    cur = con.execute(sql, params or [])
    return Rows([d[0] for d in cur.description], cur.fetchall())


def _as_date(value: date | str | None, what: str) -> Optional[date]:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{what}: {value!r} is not a date (YYYY-MM-DD)")


# ---------------------------------------------------------------- obligations

OBLIGATION_COLUMNS = (
    "doc_id", "plan_number", "plan_issued_date", "issuer", "plan_title", "assignee",
    "assignee_normalized", "role", "request", "coordinators", "task", "deadline", "due_start",
    "due_end", "span_start", "span_end", "page",
    # 0004: the registry's names, the deadline's precision and flags
    "agency_id", "agency", "agency_level", "agency_locality", "lead_assignee", "issuer_agency_id",
    "issuer_agency", "deadline_precision", "deadline_inferred", "deadline_recurrence",
    "assignment_id", "task_ordinal", "plan_ingested_at",
)

ROLES = ("lead", "responsible", "coordinate")


def _roles(roles) -> Optional[tuple[str, ...]]:
    if roles is None:
        return None
    if isinstance(roles, str):
        roles = [roles]
    out: list[str] = []
    for r in roles:
        if r == "any":
            out += ROLES
        elif r == "assignee":
            out += ("lead", "responsible")
        elif r in ROLES:
            out.append(r)
        else:
            raise ValueError(f"unknown role {r!r}; valid: {', '.join(ROLES)}, assignee (lead or responsible), any")
    return tuple(dict.fromkeys(out))


def _agency_filter(con, text: str, id_column: str, folded_columns: tuple[str, ...]) -> tuple[str, list]:
    """SQL and parameters matching an agency by registry id, or by the words of the name as stored."""
    from kehoach.store.agencies import match_agencies

    needle = fold(text)
    if not needle:
        raise ValueError(f"agency {text!r} has no letters or digits to match")
    ids = match_agencies(con, text)
    # pad with spaces so that the match is on whole words ("so" does not match "co so")
    words = " OR ".join(f"contains(' ' || coalesce({c}, '') || ' ', ?)" for c in folded_columns)
    return f"(list_contains(?, {id_column}) OR {words})", [ids, *([f" {needle} "] * len(folded_columns))]


def obligations(con, agency: Optional[str] = None, due_before: date | str | None = None,
                due_after: date | str | None = None, overdue_as_of: date | str | None = None,
                issuer: Optional[str] = None, year: Optional[int] = None, roles=None, *,
                use_lookup: bool = True) -> Rows:
    """Who must do what by when: one row per task (``obligations`` view).

    Args:
        agency: keep rows whose party is this agency: a registry match (case,
            diacritics, đ/d, tone placement and abbreviations ignored: "ubnd
            quan 12" finds "Ủy ban nhân dân Quận 12" and the plan's "UBND
            quận"), or a name as stored containing these whole words: "so noi
            vu" finds "Sở Nội vụ" and "Lãnh đạo Sở Nội vụ"; "Nội v" finds nothing.
        due_before: keep deadlines that may fall on or before this day (a
            partial deadline such as ``2024-07`` counts from its first day).
        due_after: keep deadlines that may fall on or after this day.
        overdue_as_of: keep deadlines wholly past on this day (``due_end < as_of``).
        issuer: keep plans issued by this agency (registry match).
        year: keep deadlines that may fall in this year.
        roles: ``None`` (the assignee's row of each task, as before), or roles
            to keep: ``lead``, ``responsible``, ``coordinate`` (one row per
            coordinator of the task, from ``obligation_parties``), ``assignee``
            (lead or responsible), ``any``.
        use_lookup: read the lookup tables (``kehoach.store.optimize``) when
            they are up to date; False: always the views (same rows, slower).

    Returns:
        Rows with ``OBLIGATION_COLUMNS``, sorted by due date, then plan number;
        rows without a deadline come last (and are dropped by any date filter).

    Example:
        >>> obligations(con, agency="sở nội vụ", overdue_as_of="2020-08-01")  # doctest: +SKIP
    """
    from kehoach.store import optimize as lookup

    wanted = _roles(roles)
    where: list[str] = []
    params: list[Any] = []
    # the sorted copy of the view (kehoach.store.optimize) when it is up to date;
    # coordinator rows (obligation_parties) are only in the views
    fast = use_lookup and (wanted is None or "coordinate" not in wanted) and lookup.is_fresh(con)
    source, source_params = "obligations", []  # the view, or the lookup table's rows that can match

    def rows_of(table: str, column: str, ranks: list) -> tuple[str, list]:
        # the rows of a lookup table whose (sorted) rank is one of these: one scan per range
        # of ranks, each reading only the row groups that hold it
        ranges = lookup.rank_ranges(ranks)
        branches = [f"SELECT * FROM {table} WHERE {column} BETWEEN ? AND ?"] * len(ranges)
        return ("(" + (" UNION ALL ".join(branches) or f"SELECT * FROM {table} WHERE false") + ")",
                [v for r in ranges for v in r])

    if agency is not None:
        sql, p = _agency_filter(con, agency, "agency_id", ("assignee_folded", "assignee_normalized_folded"))
        where.append(sql)
        params += p
        if fast:
            # the agencies of every row the filter can keep: the registry's, and those of
            # rows written with these words; only their row groups of the lookup table are read
            ranks = con.execute(
                f"SELECT list(DISTINCT agency_rank) FROM {lookup.NAMES_TABLE} WHERE list_contains(?, agency_id) "
                "OR contains(' ' || coalesce(assignee_folded, '') || ' ', ?) "
                "OR contains(' ' || coalesce(assignee_normalized_folded, '') || ' ', ?)", p).fetchone()[0]
            source, source_params = rows_of(lookup.OBLIGATION_TABLE, "agency_rank", ranks or [])
    if issuer is not None:
        from kehoach.store.agencies import match_agencies

        issuer_ids = match_agencies(con, issuer)
        where.append("list_contains(?, issuer_agency_id)")
        params.append(issuer_ids)
        if fast and agency is None:
            ranks = con.execute(f"SELECT list(DISTINCT issuer_rank) FROM {lookup.ISSUER_NAMES_TABLE} "
                                "WHERE list_contains(?, issuer_agency_id)", [issuer_ids]).fetchone()[0]
            source, source_params = rows_of(lookup.ISSUER_TABLE, "issuer_rank", ranks or [])
    if due_before is not None:
        where.append("due_start <= ?")
        params.append(_as_date(due_before, "due_before"))
    if due_after is not None:
        where.append("due_end >= ?")
        params.append(_as_date(due_after, "due_after"))
    if overdue_as_of is not None:
        where.append("due_end < ?")
        params.append(_as_date(overdue_as_of, "overdue_as_of"))
    if year is not None:
        if not 1900 <= int(year) <= 2200:
            raise ValueError(f"year {year!r} is out of range")
        where.append("due_start <= ? AND due_end >= ?")
        params += [date(int(year), 12, 31), date(int(year), 1, 1)]
    if fast and source == "obligations":  # no agency or issuer: the whole copy
        source = lookup.OBLIGATION_TABLE
    if wanted is not None:
        if "coordinate" in wanted:
            source = "obligation_parties"
        where.append("list_contains(?, role)")
        params.append(list(wanted))
    params = source_params + params
    sql = (f"SELECT {', '.join(OBLIGATION_COLUMNS)} FROM {source} o"
           + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY due_start NULLS LAST, due_end NULLS LAST, plan_number NULLS LAST, doc_id,"
             " assignment_ordinal, task_ordinal NULLS FIRST, role, assignee")
    return _fetch(con, sql, params)


# ---------------------------------------------------------------- cites

def cites(con, number: str, *, use_lookup: bool = True, limit: Optional[int] = None) -> Rows:
    """Which stored plans cite the document with this number (or ``TYPE|DATE`` key).

    Numbers are compared by key (case, spaces and đ/d ignored), so
    "04/2012/tt-bnv" finds citations of "04/2012/TT-BNV"; a document cited
    without a number is asked for by its type and date: "Luật|2022-11-10".

    Returns:
        Rows: plan_number, plan_title, plan_issued_date, doc_id, kind
        ('legal_basis' or 'reference'), relation, cited_number, cited_date,
        cited_subject, span_start, span_end, page, then cited_key,
        cited_doc_id and cited_title (the cited plan when it is stored too).
        ``use_lookup`` as for ``obligations``. With ``limit``, at most that many rows
        (``Rows.truncated`` says there were more): a national law cited by tens of
        thousands of plans costs ~5 µs per row just to turn into Python tuples.

    Example:
        >>> cites(con, "04/2012/TT-BNV")  # doctest: +SKIP
    """
    from kehoach.store import optimize as lookup
    from kehoach.store.lookups import citation_key_of

    key = citation_key_of(number)
    if not key or key == "|":
        raise ValueError("number is empty")
    # The copy sorted by key (kehoach.store.optimize) reads a few row groups where the
    # view reads all of them, and holds a key's rows in this order already: no sort.
    fast = use_lookup and lookup.is_fresh(con)
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    rows = _fetch(con, f"""
        SELECT citing_number AS plan_number, citing_title AS plan_title, citing_issued_date AS plan_issued_date,
               citing_doc_id AS doc_id, kind, relation, cited_number, cited_date,
               subject AS cited_subject, span_start, span_end, page,
               key AS cited_key, cited_doc_id, cited_title
        FROM {lookup.CITATION_TABLE if fast else "citation_links"}
        WHERE key = ?
        {"" if fast else "ORDER BY " + lookup.CITES_ORDER}
        {"" if limit is None else "LIMIT ?"}
    """, [key] if limit is None else [key, limit + 1])
    if limit is not None and len(rows.rows) > limit:
        rows.rows = rows.rows[:limit]
        rows.truncated = True
    return rows


# ---------------------------------------------------------------- documents / show

def documents(con) -> Rows:
    """The stored documents, oldest first: id, number, doc_type, issued_date, issuer, title, ..."""
    return _fetch(con, """
        SELECT d.id, d.number, d.doc_type, d.issued_date, d.issuer, d.title, d.filename,
               (SELECT count(*) FROM assignments a WHERE a.doc_id = d.id) AS assignments,
               d.ingested_at
        FROM documents d
        ORDER BY d.issued_date_start NULLS LAST, d.number NULLS LAST, d.id
    """)


def resolve_document(con, id_or_number: str) -> str:
    """The id of the one stored document whose id starts with, or whose number is, the argument.

    A number is compared by key; a bare serial ("4639") matches "4639/KH-UBND-NV"
    when no document has exactly that number.

    Raises:
        NotFoundError: nothing matches.
        AmbiguousError: several documents match.
    """
    query = id_or_number.strip()
    matches: dict[str, Optional[str]] = {}
    if re.fullmatch(r"[0-9a-fA-F]{4,64}", query):
        for doc_id, number in con.execute(
                "SELECT id, number FROM documents WHERE starts_with(id, ?)", [query.lower()]).fetchall():
            matches[doc_id] = number
    key = number_key(query)
    if key:
        found = con.execute("SELECT id, number FROM documents WHERE number_key = ?", [key]).fetchall()
        if not found and "/" not in key:
            # "4639" for "4639/KH-UBND-NV": people quote a plan by its serial number
            found = con.execute("SELECT id, number FROM documents WHERE starts_with(number_key, ?)",
                                [key + "/"]).fetchall()
        for doc_id, number in found:
            matches[doc_id] = number
    if not matches:
        raise NotFoundError(f"no stored document has id prefix or number {query!r}",
                            "list the stored documents with `kehoach list`")
    if len(matches) > 1:
        listed = ", ".join(f"{i[:12]} ({n or 'no number'})" for i, n in sorted(matches.items()))
        raise AmbiguousError(f"{len(matches)} documents match {query!r}: {listed}",
                             "pass a longer id prefix")
    return next(iter(matches))


def show(con, id_or_number: str) -> dict[str, Any]:
    """One stored document: header, record and its parts as stored.

    Args:
        id_or_number: an id prefix (4+ hex digits) or a number ("4639/KH-UBND-NV",
            compared by key).

    Returns:
        ``{"document": {...}, "record": {...}, "legal_bases": [...],
        "references": [...], "assignments": [{..., "coordinators": [...],
        "tasks": [...]}], "deadlines": [...], "events": [...]}``;
        ``record`` is the stored record JSON.

    Raises:
        NotFoundError, AmbiguousError: see ``resolve_document``.

    Example:
        >>> show(con, "4639/KH-UBND-NV")["document"]["title"]  # doctest: +SKIP
    """
    doc_id = resolve_document(con, id_or_number)
    header = _fetch(con, "SELECT * EXCLUDE (record_json) FROM documents WHERE id = ?", [doc_id]).dicts()[0]
    record_json = con.execute("SELECT record_json FROM documents WHERE id = ?", [doc_id]).fetchone()[0]
    citations = _fetch(con, """
        SELECT kind, ordinal, relation, doc_type, number, date, issuer, subject, name,
               span_start, span_end, page, key, cited_doc_id
        FROM (SELECT c.*, (SELECT min(t.id) FROM documents t WHERE t.number_key = c.key AND t.id <> c.doc_id)
                          AS cited_doc_id
              FROM citations c WHERE c.doc_id = ?)
        ORDER BY kind, ordinal""", [doc_id]).dicts()
    assignments = _fetch(con, """
        SELECT a.id, a.ordinal, a.assignee, a.assignee_normalized, a.role, a.request, a.deadline,
               a.span_start, a.span_end, a.page, a.agency_id, g.name AS agency
        FROM assignments a LEFT JOIN agencies g ON g.id = a.agency_id
        WHERE a.doc_id = ? ORDER BY a.ordinal""", [doc_id]).dicts()
    coordinators = _fetch(con, """
        SELECT assignment_id, name FROM assignment_coordinators WHERE doc_id = ?
        ORDER BY assignment_id, ordinal""", [doc_id]).rows
    tasks = _fetch(con, """
        SELECT assignment_id, ordinal, text, deadline, span_start, span_end, page
        FROM tasks WHERE doc_id = ? ORDER BY assignment_id, ordinal""", [doc_id]).dicts()
    for a in assignments:
        a["coordinators"] = [name for aid, name in coordinators if aid == a["id"]]
        a["tasks"] = [{k: v for k, v in t.items() if k != "assignment_id"}
                      for t in tasks if t["assignment_id"] == a["id"]]
    deadlines = _fetch(con, """
        SELECT ordinal, date, text, assignees, task, inferred, recurrence, span_start, span_end, page
        FROM deadlines WHERE doc_id = ? ORDER BY ordinal""", [doc_id]).dicts()
    events = _fetch(con, """
        SELECT ordinal, name, start_value AS start, end_value AS "end", location, expected_attendees,
               span_start, span_end, page
        FROM events WHERE doc_id = ? ORDER BY ordinal""", [doc_id]).dicts()
    participants = _fetch(con, """
        SELECT ordinal, name, count, role, span_start, span_end, page
        FROM participants WHERE doc_id = ? ORDER BY ordinal""", [doc_id]).dicts()
    from kehoach.store.lookups import sections

    issuer_agency = con.execute("SELECT name FROM agencies WHERE id = ?", [header.get("issuer_agency_id")]).fetchone()
    return {
        "issuer_agency": issuer_agency[0] if issuer_agency else None,
        "sections": sections(con, doc_id),
        "participants": participants,
        "document": header,
        "record": json.loads(record_json) if isinstance(record_json, str) else record_json,
        "legal_bases": [c for c in citations if c["kind"] == "legal_basis"],
        "references": [c for c in citations if c["kind"] == "reference"],
        "assignments": assignments,
        "deadlines": deadlines,
        "events": events,
    }


# ---------------------------------------------------------------- ad-hoc SQL

# Statements may only start like a query. PRAGMA parses as SELECT in DuckDB, so
# the statement type alone is not enough.
_QUERY_STARTS = {"select", "with", "from", "values", "(", "table", "describe", "show", "summarize"}

# Table functions that read files, URLs or other databases. enable_external_access
# blocks them too; naming them here gives a clear message instead of a
# permission error, and covers an in-memory connection the caller did not lock down.
_FILE_FUNCTION = re.compile(
    r"""^(?: read_\w+ | \w+_scan | parquet_\w+ | glob | sniff_csv | query | query_table
          | sqlite_\w+ | postgres_\w+ | mysql_\w+ | iceberg_\w+ | delta_\w+ | ducklake_\w+
          | http_\w+ | getenv | load_aws_credentials | duckdb_secrets )$""",
    re.VERBOSE,
)
_WORD = re.compile(r'"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*|\S')
_SQL_HINT = "only one SELECT (or WITH … SELECT) over the stored tables is allowed"


def check_read_only_sql(con, sql: str) -> None:
    """Refuse anything but one query over the stored tables.

    Raises:
        UnsafeSQLError: empty input, several statements, a statement other than
            SELECT/WITH (DDL, DML, COPY, ATTACH, INSTALL, LOAD, PRAGMA, SET, …),
            or a table function that reads files (read_csv, read_parquet, glob, …).
        StoreError: the SQL does not parse.
    """
    words = []
    tokens = duckdb.tokenize(sql)
    for offset, _kind in tokens:
        m = _WORD.match(sql, offset)
        words.append(m.group(0) if m else "")
    first = words[0].lower() if words else ""
    # Before DuckDB parses anything: its parser itself reads files for some statements
    # (IMPORT DATABASE 'dir' reads dir/schema.sql, and a parse error would quote it).
    # A first word that is no keyword ("SELEC") is left to the parser's syntax error.
    if words and first not in _QUERY_STARTS and tokens[0][1] == duckdb.token_type.keyword:
        raise UnsafeSQLError(f"{first.upper()} statements are not allowed: the database is read-only here",
                             _SQL_HINT)
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as e:
        raise StoreError(f"SQL does not parse: {e}",
                         "check the syntax; `kehoach sql \"SHOW TABLES\"` lists the tables") from e
    if not statements:
        raise UnsafeSQLError("empty SQL", _SQL_HINT)
    if len(statements) > 1:
        raise UnsafeSQLError(f"{len(statements)} statements given", "run one statement at a time; " + _SQL_HINT)
    stype = statements[0].type
    if stype != duckdb.StatementType.SELECT or first not in _QUERY_STARTS:
        what = first.upper() if first not in _QUERY_STARTS else getattr(stype, "name", str(stype))
        raise UnsafeSQLError(f"{what} statements are not allowed: the database is read-only here", _SQL_HINT)
    for word, following in zip(words, words[1:]):
        name = word.strip('"').replace('""', '"').lower()
        if following == "(" and _FILE_FUNCTION.match(name):
            raise UnsafeSQLError(f"{name}() reads files or other databases, which `kehoach sql` does not allow",
                                 "query the stored tables (documents, assignments, obligations, …)")
    # FROM 'x.csv' (or "x.csv") is a replacement scan: DuckDB reads the file
    for table in _base_tables(con, sql):
        if any(ch in table for ch in "/\\.:"):
            raise UnsafeSQLError(f"FROM {table!r} reads a file, which `kehoach sql` does not allow",
                                 "query the stored tables (documents, assignments, obligations, …)")


def _base_tables(con, sql: str) -> list[str]:
    """Table names the query reads, from DuckDB's own parse tree."""
    try:
        tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    except (duckdb.Error, TypeError, ValueError):
        return []
    names: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE" and isinstance(node.get("table_name"), str):
                names.append(node["table_name"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree)
    return names


# per-query limits of `kehoach sql`: field -> (environment variable, option)
QUERY_LIMIT_VARS = {"seconds": ("KEHOACH_SQL_SECONDS", "--timeout"), "memory": ("KEHOACH_SQL_MEMORY", "--memory"),
                    "max_rows": ("KEHOACH_SQL_ROWS", "--max-rows")}


@dataclass(frozen=True)
class QueryLimits:
    """What one user-written query may cost: wall time, DuckDB memory, rows returned.

    A query over the limit of time or memory is stopped with a ``StoreError`` that
    names the limit and how to raise it; rows beyond ``max_rows`` are not fetched
    (``Rows.truncated`` says so). Defaults: 30 s, 1 GiB, 100,000 rows; each can be set
    by its environment variable (``QUERY_LIMIT_VARS``) or `kehoach sql` option.
    """

    seconds: float = 30.0
    memory: int = 1024 * 1024 * 1024
    max_rows: int = 100_000

    @classmethod
    def from_env(cls, environ=None, **given) -> "QueryLimits":
        """Defaults, overridden by the environment, overridden by ``given`` (None: not given).

        Raises:
            ValueError: a value that is not a positive number (or size, for memory), naming its source.
        """
        import os

        from kehoach.limits import parse_size, positive_number

        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, (var, option) in QUERY_LIMIT_VARS.items():
            for source, raw in ((var, env.get(var)), (option, given.get(name))):
                if raw is None or (isinstance(raw, str) and not raw.strip()):
                    continue
                try:
                    values[name] = parse_size(raw) if name == "memory" else \
                        positive_number(raw, int if name == "max_rows" else float)
                except ValueError as e:
                    raise ValueError(f"{source}: {e}") from None
        return cls(**values)

    def how_to_raise(self, name: str) -> str:
        var, option = QUERY_LIMIT_VARS[name]
        return f"narrow the query (WHERE, LIMIT, fewer joins), or raise the limit with {option} or {var}"


def read_only_sql(con, sql: str, limits: Optional[QueryLimits] = None) -> Rows:
    """Run one user-written query, refusing anything that could write or read files.

    Run it on a connection opened with ``connect(path, read_only=True)``; external
    access is switched off on ``con`` first (for good: DuckDB cannot switch it back on).
    The query runs under ``limits`` (default: ``QueryLimits()``): it is interrupted
    after ``seconds``, DuckDB may use ``memory`` bytes, and at most ``max_rows``
    rows are fetched (``Rows.truncated`` is True when there were more).

    Raises:
        UnsafeSQLError: see ``check_read_only_sql``.
        StoreError: the query fails (unknown table, type error, …), runs past the time
            limit or needs more memory than allowed.

    Example:
        >>> read_only_sql(con, "SELECT number, title FROM documents")  # doctest: +SKIP
    """
    import threading

    lim = limits or QueryLimits()
    # first, so that nothing the guard runs (DuckDB's parser included) reaches outside the database
    con.execute("SET enable_external_access = false")
    check_read_only_sql(con, sql)
    con.execute(f"SET memory_limit = '{int(lim.memory)}B'")  # an int formatted in: no user text
    timer = threading.Timer(lim.seconds, con.interrupt)
    timer.daemon = True
    timer.start()
    try:
        cur = con.execute(sql)
        rows = cur.fetchmany(lim.max_rows + 1)
        truncated = len(rows) > lim.max_rows
        return Rows([d[0] for d in cur.description], rows[:lim.max_rows], truncated=truncated)
    except duckdb.InterruptException as e:
        raise StoreError(f"query stopped after {lim.seconds:g} s (the time limit)", lim.how_to_raise("seconds")) from e
    except duckdb.OutOfMemoryException as e:
        from kehoach.limits import format_size

        raise StoreError(f"query needs more than {format_size(lim.memory)} of memory (the memory limit)",
                         lim.how_to_raise("memory")) from e
    except duckdb.PermissionException as e:
        raise UnsafeSQLError(f"the query tried to reach outside the database: {e}", _SQL_HINT) from e
    except duckdb.Error as e:
        raise StoreError(f"query failed: {e}",
                         "see the tables with `kehoach sql \"SHOW TABLES\"`") from e
    finally:
        timer.cancel()
