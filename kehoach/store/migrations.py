"""Named schema migrations, applied in order and recorded in ``schema_migrations``.

A migration is never edited once released: a schema change is a new entry at
the end of ``MIGRATIONS``. Each one runs in its own transaction together with
the row that records it, so a failed migration leaves nothing half-applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Optional


@dataclass(frozen=True)
class Migration:
    """A named schema change: SQL statements, then an optional Python step (a backfill).

    Both run in the migration's transaction.
    """

    name: str
    statements: tuple[str, ...]
    run: Optional[Callable[..., None]] = None


_SPAN = "span_start INTEGER, span_end INTEGER, page INTEGER"

_INITIAL_SCHEMA = (
    # id = sha256 of the file's bytes, so the same file stored twice is one row
    """
    CREATE TABLE documents (
        id VARCHAR PRIMARY KEY,
        path VARCHAR,
        filename VARCHAR,
        format VARCHAR,
        pages INTEGER,
        chars INTEGER,
        status VARCHAR,
        doc_type VARCHAR,
        number VARCHAR,
        number_key VARCHAR,
        issuer VARCHAR,
        issuer_normalized VARCHAR,
        place VARCHAR,
        issued_date VARCHAR,          -- partial ISO, as precise as the source
        issued_date_start DATE,       -- first day issued_date can mean
        issued_date_end DATE,         -- last day issued_date can mean
        title VARCHAR,
        signer_name VARCHAR,
        signer_position VARCHAR,
        signer_authority VARCHAR,
        signer_on_behalf_of VARCHAR,
        record_json JSON,             -- the whole record, spans included
        ingested_at TIMESTAMP,        -- UTC
        schema_version INTEGER,
        file_size BIGINT,
        file_mtime TIMESTAMP          -- UTC
    )
    """,
    "CREATE INDEX documents_number_key ON documents (number_key)",
    # the normalized text every span points into
    "CREATE TABLE document_texts (doc_id VARCHAR PRIMARY KEY, text VARCHAR)",
    f"""
    CREATE TABLE citations (
        doc_id VARCHAR NOT NULL,
        kind VARCHAR NOT NULL CHECK (kind IN ('legal_basis', 'reference')),
        ordinal INTEGER NOT NULL,
        relation VARCHAR,
        doc_type VARCHAR,
        number VARCHAR,
        key VARCHAR,                  -- number_key(number), else doc_type|date folded
        date VARCHAR,
        issuer VARCHAR,
        issuer_normalized VARCHAR,
        subject VARCHAR,
        name VARCHAR,
        text VARCHAR,
        {_SPAN}
    )
    """,
    "CREATE INDEX citations_key ON citations (key)",
    f"""
    CREATE TABLE events (
        doc_id VARCHAR NOT NULL,
        ordinal INTEGER NOT NULL,
        name VARCHAR,
        start_value VARCHAR,
        end_value VARCHAR,
        date_start DATE,              -- first day of start_value
        date_end DATE,                -- last day of end_value, else of start_value
        location VARCHAR,
        expected_attendees INTEGER,
        recurrence VARCHAR,
        {_SPAN}
    )
    """,
    f"""
    CREATE TABLE participants (
        doc_id VARCHAR NOT NULL,
        ordinal INTEGER NOT NULL,
        name VARCHAR,
        name_normalized VARCHAR,
        count INTEGER,
        role VARCHAR,
        {_SPAN}
    )
    """,
    # id = "<doc_id>/<ordinal>": deterministic, so tasks can point at it
    # without a round trip for a sequence value
    f"""
    CREATE TABLE assignments (
        id VARCHAR PRIMARY KEY,
        doc_id VARCHAR NOT NULL,
        ordinal INTEGER NOT NULL,
        assignee VARCHAR,
        assignee_normalized VARCHAR,
        assignee_folded VARCHAR,            -- keys.fold(assignee), for search
        assignee_normalized_folded VARCHAR, -- keys.fold(assignee_normalized)
        role VARCHAR,
        request BOOLEAN,
        deadline VARCHAR,
        deadline_start DATE,
        deadline_end DATE,
        {_SPAN}
    )
    """,
    "CREATE INDEX assignments_doc ON assignments (doc_id)",
    """
    CREATE TABLE assignment_coordinators (
        assignment_id VARCHAR NOT NULL,
        doc_id VARCHAR NOT NULL,
        ordinal INTEGER NOT NULL,
        name VARCHAR,
        name_normalized VARCHAR,
        name_folded VARCHAR
    )
    """,
    # deadline/due_*: the task's own deadline where one lies inside its span,
    # else the assignment's (see writer._task_deadline)
    f"""
    CREATE TABLE tasks (
        assignment_id VARCHAR NOT NULL,
        doc_id VARCHAR NOT NULL,
        ordinal INTEGER NOT NULL,
        text VARCHAR,
        deadline VARCHAR,
        due_start DATE,
        due_end DATE,
        {_SPAN}
    )
    """,
    "CREATE INDEX tasks_assignment ON tasks (assignment_id)",
    f"""
    CREATE TABLE deadlines (
        doc_id VARCHAR NOT NULL,
        ordinal INTEGER NOT NULL,
        date VARCHAR,
        date_start DATE,
        date_end DATE,
        text VARCHAR,
        task VARCHAR,
        assignees VARCHAR[],
        inferred BOOLEAN,
        recurrence VARCHAR,
        {_SPAN}
    )
    """,
    f"""
    CREATE TABLE recipients (
        doc_id VARCHAR NOT NULL,
        ordinal INTEGER NOT NULL,
        name VARCHAR,
        name_normalized VARCHAR,
        {_SPAN}
    )
    """,
    f"""
    CREATE TABLE dates (
        doc_id VARCHAR NOT NULL,
        ordinal INTEGER NOT NULL,
        text VARCHAR,
        value VARCHAR,
        date_start DATE,
        date_end DATE,
        role VARCHAR,
        inferred BOOLEAN,
        {_SPAN}
    )
    """,
    # a log, not a state: every failed attempt is a row
    """
    CREATE TABLE ingest_errors (
        path VARCHAR,
        sha256 VARCHAR,
        reason VARCHAR,
        stage VARCHAR,
        hint VARCHAR,
        "at" TIMESTAMP                -- UTC; AT is a keyword in DuckDB, so quote it
    )
    """,
)

_OBLIGATIONS_VIEW = (
    # One row per task; an assignment without tasks still gives one row (task NULL).
    """
    CREATE VIEW obligations AS
    WITH co AS (
        SELECT assignment_id, list(name ORDER BY ordinal) AS coordinators
        FROM assignment_coordinators
        GROUP BY assignment_id
    )
    SELECT
        d.id AS doc_id,
        d.number AS plan_number,
        d.issued_date AS plan_issued_date,
        d.issuer,
        d.title AS plan_title,
        a.id AS assignment_id,
        a.ordinal AS assignment_ordinal,
        a.assignee,
        a.assignee_normalized,
        a.assignee_folded,
        a.assignee_normalized_folded,
        a.role,
        a.request,
        coalesce(co.coordinators, []::VARCHAR[]) AS coordinators,
        t.ordinal AS task_ordinal,
        t.text AS task,
        CASE WHEN t.assignment_id IS NULL THEN a.deadline ELSE t.deadline END AS deadline,
        CASE WHEN t.assignment_id IS NULL THEN a.deadline_start ELSE t.due_start END AS due_start,
        CASE WHEN t.assignment_id IS NULL THEN a.deadline_end ELSE t.due_end END AS due_end,
        coalesce(t.span_start, a.span_start) AS span_start,
        coalesce(t.span_end, a.span_end) AS span_end,
        coalesce(t.page, a.page) AS page
    FROM assignments a
    JOIN documents d ON d.id = a.doc_id
    LEFT JOIN tasks t ON t.assignment_id = a.id
    LEFT JOIN co ON co.assignment_id = a.id
    """,
)

_AGENCY_REGISTRY = (
    # id = agency_id(key): a hash of the key, the same in every database
    """
    CREATE TABLE agencies (
        id VARCHAR PRIMARY KEY,
        key VARCHAR NOT NULL,         -- agencies.name_key(name): folded, abbreviations written out
        name VARCHAR NOT NULL,        -- canonical full name, NFC, with its locality
        kind VARCHAR NOT NULL CHECK (kind IN ('agency', 'group', 'person', 'other')),
        level VARCHAR CHECK (level IN ('trung_uong', 'tinh', 'huyen', 'xa')),
        locality VARCHAR,             -- "tỉnh Lào Cai", "Quận 12", "xã Lương Minh"
        head VARCHAR,                 -- the head word the name begins with ("sở", "ủy ban nhân dân")
        parent_id VARCHAR,            -- internal units, persons and posts: the issuing agency
        name_folded VARCHAR           -- keys.fold(name)
    )
    """,
    # every written form seen for an agency (as written and canonical), by its key
    """
    CREATE TABLE agency_aliases (
        agency_id VARCHAR NOT NULL,
        alias_key VARCHAR NOT NULL,   -- agencies.name_key(alias)
        alias VARCHAR,
        PRIMARY KEY (agency_id, alias_key)
    )
    """,
    "ALTER TABLE documents ADD COLUMN issuer_agency_id VARCHAR",
    "ALTER TABLE assignments ADD COLUMN agency_id VARCHAR",
    "ALTER TABLE assignment_coordinators ADD COLUMN agency_id VARCHAR",
    "ALTER TABLE participants ADD COLUMN agency_id VARCHAR",
    "ALTER TABLE citations ADD COLUMN issuer_agency_id VARCHAR",
    "ALTER TABLE deadlines ADD COLUMN assignee_agency_ids VARCHAR[]",
)


def _backfill_agencies(con) -> None:
    from kehoach.store.agencies import _migration_backfill

    _migration_backfill(con)


# the deadline a row is due by, written once for the two views below
_DUE = """
        CASE WHEN t.assignment_id IS NULL THEN a.deadline ELSE t.deadline END AS deadline,
        CASE WHEN t.assignment_id IS NULL THEN a.deadline_start ELSE t.due_start END AS due_start,
        CASE WHEN t.assignment_id IS NULL THEN a.deadline_end ELSE t.due_end END AS due_end"""

_OBLIGATIONS_V2 = (
    # how precise a partial ISO date is (spec "Values": dates)
    r"""
    CREATE MACRO date_precision(v) AS CASE
        WHEN v IS NULL THEN NULL
        WHEN contains(v, '/') THEN 'range'
        WHEN regexp_full_match(v, '\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(:\d{2})?') THEN 'time'
        WHEN regexp_full_match(v, '\d{4}-\d{2}-\d{2}') THEN 'day'
        WHEN regexp_full_match(v, '\d{4}-\d{1,2}') THEN 'month'
        WHEN regexp_full_match(v, '\d{4}-Q[1-4]') THEN 'quarter'
        WHEN regexp_full_match(v, '\d{4}-H[12]') THEN 'half'
        WHEN regexp_full_match(v, '\d{4}') THEN 'year'
    END
    """,
    # Written with the row (writer) so that the view needs no aggregate over a
    # whole table: with 100,000 plans a correlated list() of coordinators cost
    # more than the rest of an obligations query together.
    "ALTER TABLE assignments ADD COLUMN coordinators VARCHAR[]",
    "ALTER TABLE assignments ADD COLUMN deadline_inferred BOOLEAN",
    "ALTER TABLE assignments ADD COLUMN deadline_recurrence VARCHAR",
    "ALTER TABLE tasks ADD COLUMN deadline_inferred BOOLEAN",
    "ALTER TABLE tasks ADD COLUMN deadline_recurrence VARCHAR",
    """
    UPDATE assignments SET coordinators = c.names
    FROM (SELECT assignment_id, list(name ORDER BY ordinal) AS names
          FROM assignment_coordinators GROUP BY assignment_id) c
    WHERE assignments.id = c.assignment_id
    """,
    # the flags of the deadline phrase(s) with the same date in the same plan
    """
    UPDATE assignments SET deadline_inferred = dl.inferred, deadline_recurrence = dl.recurrence
    FROM (SELECT doc_id, date, bool_or(inferred) AS inferred, min(recurrence) AS recurrence
          FROM deadlines GROUP BY doc_id, date) dl
    WHERE assignments.doc_id = dl.doc_id AND assignments.deadline = dl.date
    """,
    """
    UPDATE tasks SET deadline_inferred = dl.inferred, deadline_recurrence = dl.recurrence
    FROM (SELECT doc_id, date, bool_or(inferred) AS inferred, min(recurrence) AS recurrence
          FROM deadlines GROUP BY doc_id, date) dl
    WHERE tasks.doc_id = dl.doc_id AND tasks.deadline = dl.date
    """,
    # One row per task (an assignment without tasks: one row, task NULL), its
    # assignee's role. The columns of 0002 are kept, in their order, then new ones.
    f"""
    CREATE OR REPLACE VIEW obligations AS
    SELECT *, date_precision(deadline) AS deadline_precision
    FROM (
        SELECT
            d.id AS doc_id,
            d.number AS plan_number,
            d.issued_date AS plan_issued_date,
            d.issuer,
            d.title AS plan_title,
            a.id AS assignment_id,
            a.ordinal AS assignment_ordinal,
            a.assignee,
            a.assignee_normalized,
            a.assignee_folded,
            a.assignee_normalized_folded,
            a.role,
            a.request,
            coalesce(a.coordinators, []::VARCHAR[]) AS coordinators,
            t.ordinal AS task_ordinal,
            t.text AS task,{_DUE},
            coalesce(t.span_start, a.span_start) AS span_start,
            coalesce(t.span_end, a.span_end) AS span_end,
            coalesce(t.page, a.page) AS page,
            a.agency_id,
            ag.name AS agency,
            ag.level AS agency_level,
            ag.locality AS agency_locality,
            a.assignee AS lead_assignee,
            d.issuer_agency_id,
            ia.name AS issuer_agency,
            d.issued_date_start AS plan_issued_start,
            d.ingested_at AS plan_ingested_at,
            coalesce(CASE WHEN t.assignment_id IS NULL THEN a.deadline_inferred ELSE t.deadline_inferred END,
                     false) AS deadline_inferred,
            CASE WHEN t.assignment_id IS NULL THEN a.deadline_recurrence ELSE t.deadline_recurrence END
                AS deadline_recurrence
        FROM assignments a
        JOIN documents d ON d.id = a.doc_id
        LEFT JOIN tasks t ON t.assignment_id = a.id
        LEFT JOIN agencies ag ON ag.id = a.agency_id
        LEFT JOIN agencies ia ON ia.id = d.issuer_agency_id
    ) o
    """,
    # One row per task and party: the assignee's row (as in obligations) and
    # one row per coordinator, role 'coordinate', the assignee kept in lead_assignee.
    """
    CREATE VIEW obligation_parties AS
    SELECT * FROM obligations
    UNION ALL
    SELECT o.* REPLACE (
        c.name AS assignee, c.name_normalized AS assignee_normalized, c.name_folded AS assignee_folded,
        c.name_folded AS assignee_normalized_folded, 'coordinate' AS role, c.agency_id AS agency_id,
        ag.name AS agency, ag.level AS agency_level, ag.locality AS agency_locality)
    FROM obligations o
    JOIN assignment_coordinators c ON c.assignment_id = o.assignment_id
    LEFT JOIN agencies ag ON ag.id = c.agency_id
    """,
    # a citation, its citing plan, and the cited plan where that one is stored too
    """
    CREATE VIEW citation_links AS
    SELECT
        c.doc_id AS citing_doc_id,
        d.number AS citing_number,
        d.title AS citing_title,
        d.issued_date AS citing_issued_date,
        d.issued_date_start AS citing_issued_start,
        c.kind, c.ordinal, c.relation, c.doc_type, c.number AS cited_number, c.key, c.date AS cited_date,
        c.issuer AS cited_issuer, c.issuer_agency_id AS cited_issuer_agency_id, c.subject, c.name,
        c.span_start, c.span_end, c.page,
        t.id AS cited_doc_id,
        t.title AS cited_title
    FROM citations c
    JOIN documents d ON d.id = c.doc_id
    LEFT JOIN documents t ON t.number_key = c.key AND t.id <> c.doc_id
    """,
)

_SEARCH_SUPPORT = (
    # page boundaries of each document's normalized text, for spans found by search
    """
    CREATE TABLE document_pages (
        doc_id VARCHAR NOT NULL,
        page INTEGER NOT NULL,
        start_offset INTEGER NOT NULL,
        end_offset INTEGER NOT NULL,
        method VARCHAR                -- 'text' (text layer) or 'ocr'
    )
    """,
    # the folded form search matches on: lower case, no diacritics, đ -> d, one
    # character per character of the text, so offsets in it are offsets in the text
    """
    CREATE MACRO kh_fold(x) AS replace(strip_accents(lower(nfc_normalize(x))), 'đ', 'd')
    """,
    # what the full-text index was built from; the index is stale when this differs
    """
    CREATE TABLE search_index_state (
        built_at TIMESTAMP,
        documents BIGINT,
        last_ingested_at TIMESTAMP,
        method VARCHAR
    )
    """,
)

_INGEST_FILES = (
    # The bulk ingest's memory of each file it has seen (kehoach.batch): a re-run
    # skips a file whose path, size and mtime are unchanged without reading it,
    # re-extracts a changed one (its old document's rows are replaced) and
    # retries a failed one. One row per path; ingest_errors keeps every attempt.
    """
    CREATE TABLE ingest_files (
        path VARCHAR PRIMARY KEY,     -- absolute, as walked (symbolic links not resolved)
        size BIGINT,
        mtime_ns BIGINT,              -- st_mtime_ns when the file was read
        sha256 VARCHAR,               -- of the bytes read, when they could be read
        doc_id VARCHAR,               -- the stored document; NULL when the file failed
        status VARCHAR NOT NULL CHECK (status IN ('stored', 'failed')),
        reason VARCHAR,               -- why it failed (also logged in ingest_errors)
        stage VARCHAR,
        updated_at TIMESTAMP          -- UTC
    )
    """,
    # documents stored before this table existed count as stored files, so the
    # first re-run after upgrading does not read them all again (file_mtime has
    # microsecond precision; the resume check allows for that)
    """
    INSERT INTO ingest_files
    SELECT path, any_value(file_size), any_value(epoch_us(file_mtime)) * 1000, any_value(id), any_value(id),
           'stored', NULL, NULL, any_value(ingested_at)
    FROM documents
    WHERE path IS NOT NULL AND file_size IS NOT NULL AND file_mtime IS NOT NULL
    GROUP BY path
    """,
)

_LOOKUP_STATE = (
    # what the lookup tables (kehoach.store.optimize: sorted copies of the
    # obligations and citation_links views) were built from; a query uses them
    # only while this matches the documents stored, else it reads the views
    """
    CREATE TABLE lookup_state (
        built_at TIMESTAMP,
        documents BIGINT,
        last_ingested_at TIMESTAMP
    )
    """,
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001_initial_schema", _INITIAL_SCHEMA),
    Migration("0002_obligations_view", _OBLIGATIONS_VIEW),
    Migration("0003_agency_registry", _AGENCY_REGISTRY, run=_backfill_agencies),
    Migration("0004_obligations_citations_views", _OBLIGATIONS_V2),
    Migration("0005_search_support", _SEARCH_SUPPORT),
    Migration("0006_ingest_files", _INGEST_FILES),
    Migration("0007_lookup_state", _LOOKUP_STATE),
)


def _ensure_table(con) -> None:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)"
    )


def applied_migrations(con) -> list[str]:
    """Names of the migrations already applied, oldest first (empty for a new database)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchone()[0]
    if not exists:
        return []
    return [r[0] for r in con.execute("SELECT name FROM schema_migrations ORDER BY applied_at, name").fetchall()]


def pending_migrations(con) -> list[str]:
    """Names of the migrations not yet applied, in the order they would run."""
    done = set(applied_migrations(con))
    return [m.name for m in MIGRATIONS if m.name not in done]


def migrate(con) -> list[str]:
    """Apply the pending migrations in order.

    Args:
        con: a writable DuckDB connection.

    Returns:
        The names of the migrations applied now (empty when up to date).

    Example:
        >>> import duckdb
        >>> migrate(duckdb.connect(":memory:"))
        ['0001_initial_schema', '0002_obligations_view', '0003_agency_registry', '0004_obligations_citations_views', '0005_search_support', '0006_ingest_files', '0007_lookup_state']
    """
    _ensure_table(con)
    done = set(applied_migrations(con))
    applied: list[str] = []
    for migration in MIGRATIONS:
        if migration.name in done:
            continue
        con.begin()
        try:
            for statement in migration.statements:
                con.execute(statement)
            if migration.run is not None:
                migration.run(con)
            con.execute(
                "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                [migration.name, datetime.now(timezone.utc).replace(tzinfo=None)],
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
        applied.append(migration.name)
    return applied
