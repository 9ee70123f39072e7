"""Writing records: one document per transaction, idempotent by file hash."""

from __future__ import annotations

import os
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Optional, Sequence

import duckdb

from kehoach.store.agencies import record_links
from kehoach.store.dates import date_range
from kehoach.store.keys import fold, number_key

if TYPE_CHECKING:  # the store reads records; it does not need the extractor
    from kehoach.ingest.base import SourceText
    from kehoach.schema import Assignment, Citation, Deadline, PlanRecord

# DuckDB caps prepared parameters per statement far above this; the cap keeps
# one multi-row INSERT's parameter list a sane size for very long documents.
_MAX_PARAMS = 2000


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class RowSink:
    """Collects the rows ``_write`` would insert, table by table, instead of inserting them.

    The bulk ingest (``kehoach.batch``) builds a document's rows in a worker
    process with the same code as ``store_record`` and writes many documents'
    rows at once in the main process.
    """

    def __init__(self) -> None:
        self.tables: dict[str, tuple[tuple[str, ...], list[tuple]]] = {}

    def add(self, table: str, columns: Sequence[str], rows: list[Sequence[Any]]) -> None:
        cols, kept = self.tables.setdefault(table, (tuple(columns), []))
        if cols != tuple(columns):
            raise ValueError(f"{table}: rows with columns {columns} after {cols}")
        kept.extend(tuple(r) for r in rows)


def _insert(con, table: str, columns: Sequence[str], rows: list[Sequence[Any]]) -> None:
    """Insert ``rows`` with bound parameters, many rows per statement.

    Only ``table`` and ``columns`` (constants of this module, never user input)
    are formatted into the SQL; every value goes through a ``?`` parameter.
    One multi-row ``VALUES`` statement per chunk is much faster in DuckDB than
    ``executemany``, which runs the statement once per row.
    """
    if not rows:
        return
    if isinstance(con, RowSink):  # bulk ingest: rows are collected, then written in batches
        con.add(table, columns, rows)
        return
    row_sql = "(" + ", ".join("?" * len(columns)) + ")"
    per_chunk = max(1, _MAX_PARAMS // len(columns))
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    for i in range(0, len(rows), per_chunk):
        chunk = rows[i:i + per_chunk]
        con.execute(head + ", ".join([row_sql] * len(chunk)), [v for row in chunk for v in row])


class _Provenance:
    """span -> (span_start, span_end, page); the page from the source when the item lacks one."""

    def __init__(self, source_text: Optional["SourceText"]):
        self.source_text = source_text

    def __call__(self, span, page=None) -> tuple[Optional[int], Optional[int], Optional[int]]:
        start, end = (span[0], span[1]) if span else (None, None)
        if page is None and start is not None and self.source_text is not None and self.source_text.pages:
            page = self.source_text.page_at(start)
        return start, end, page


def citation_key(c: "Citation") -> Optional[str]:
    """The key that links a citation to the document it names (spec: "canonical key").

    The number when there is one, compared by ``number_key``; for an unnumbered
    document (a law cited by name) ``doc_type|date`` folded, as the spec scores it.
    """
    if c.number:
        return number_key(c.number)
    if c.doc_type or c.date:
        return f"{fold(c.doc_type) or ''}|{c.date or ''}"
    return None


def _task_deadline(span, assignment: "Assignment", deadlines: Iterable["Deadline"]) -> Optional[str]:
    """The deadline a task is due by.

    A deadline phrase inside the task's own text wins ("Gửi nội dung về Sở Nội vụ
    trước ngày 15/7/2020", seed 004), the earliest if there are several; else the
    assignment's deadline applies to each of its tasks.
    """
    if span:
        inside = [d for d in deadlines
                  if d.date and d.span and span[0] <= d.span[0] and d.span[1] <= span[1]]
        if inside:
            return min(inside, key=lambda d: date_range(d.date)[0] or date.max).date
    return assignment.deadline


def _deadline_flags(value: Optional[str], deadlines: Iterable["Deadline"]) -> tuple[Optional[bool], Optional[str]]:
    """Inferred flag and recurrence of the deadline phrase(s) with this date."""
    if not value:
        return None, None
    same = [d for d in deadlines if d.date == value]
    if not same:
        return None, None
    return any(d.inferred for d in same), min((d.recurrence for d in same if d.recurrence), default=None)


def _file_stat(path: Optional[str]) -> tuple[Optional[int], Optional[datetime]]:
    if not path:
        return None, None
    try:
        st = os.stat(path)
    except OSError:
        return None, None
    return st.st_size, datetime.fromtimestamp(st.st_mtime, timezone.utc).replace(tzinfo=None)


def document_id(record: "PlanRecord") -> str:
    """The id a record is stored under: the sha256 of its file's bytes."""
    if record.source.sha256:
        return record.source.sha256
    if record.source.path and Path(record.source.path).is_file():
        from kehoach.pipeline import file_sha256

        return file_sha256(record.source.path)
    raise ValueError("record.source.sha256 is not set and record.source.path is not a file; "
                     "use kehoach.pipeline.process_file, which sets both")


def has_document(con, doc_id: str) -> bool:
    """Whether a document with this id (sha256) is stored."""
    return con.execute("SELECT 1 FROM documents WHERE id = ?", [doc_id]).fetchone() is not None


def store_record(con, record: "PlanRecord", source_text: Optional["SourceText"] = None) -> bool:
    """Store one record and its parts in one transaction.

    Args:
        con: a writable connection (see ``connect``); not inside a transaction.
        record: the extracted record; ``record.source.sha256`` is its id.
        source_text: the normalized text the spans point into; stored in
            ``document_texts`` and used to fill ``page`` from spans.

    Returns:
        True if the document was added, False if its id was already stored
        (then nothing is written).

    Example:
        >>> record, source = process_file("plan.docx")   # doctest: +SKIP
        >>> store_record(con, record, source)             # doctest: +SKIP
        True
    """
    doc_id = document_id(record)
    con.begin()
    try:
        if has_document(con, doc_id):
            con.rollback()
            return False
        _write(con, doc_id, record, source_text)
        con.commit()
    except duckdb.ConstraintException:
        # another connection stored the same file between our check and insert
        con.rollback()
        if has_document(con, doc_id):
            return False
        raise
    except BaseException:
        con.rollback()
        raise
    return True


def _write(con, doc_id: str, record: "PlanRecord", source_text: Optional["SourceText"]) -> None:
    prov = _Provenance(source_text)
    src = record.source
    signer = record.signer
    issued_start, issued_end = date_range(record.issued_date)
    file_size, file_mtime = _file_stat(src.path)
    text = source_text.text if source_text is not None else None
    pages = src.pages or (len(source_text.pages) if source_text is not None and source_text.pages else None)
    links = record_links(record)  # agency ids of every name, stored with the rows
    links.write(con)

    _insert(con, "documents", (
        "id", "path", "filename", "format", "pages", "chars", "status", "doc_type", "number",
        "number_key", "issuer", "issuer_normalized", "place", "issued_date", "issued_date_start",
        "issued_date_end", "title", "signer_name", "signer_position", "signer_authority",
        "signer_on_behalf_of", "record_json", "ingested_at", "schema_version", "file_size", "file_mtime",
        "issuer_agency_id",
    ), [(
        # absolute, so that a row still leads to its file whatever the reader's cwd
        doc_id, os.path.abspath(src.path) if src.path else None, Path(src.path).name if src.path else None,
        src.format or (source_text.format if source_text is not None else None),
        pages, src.chars or (len(text) if text is not None else None), src.status,
        record.doc_type, record.number, number_key(record.number),
        record.issuer, record.issuer_normalized, record.place, record.issued_date,
        issued_start, issued_end, record.title,
        signer.name if signer else None, signer.position if signer else None,
        signer.authority if signer else None, signer.on_behalf_of if signer else None,
        record.to_json(), _utcnow(), record.schema_version,
        file_size, file_mtime, links.issuer,
    )])

    if text is not None:
        _insert(con, "document_texts", ("doc_id", "text"), [(doc_id, text)])
    if source_text is not None and source_text.pages:
        _insert(con, "document_pages", ("doc_id", "page", "start_offset", "end_offset", "method"),
                [(doc_id, p.number, p.start, p.end, p.method) for p in source_text.pages])

    citation_rows = []
    for kind, items, ids in (("legal_basis", record.legal_bases, links.legal_bases),
                             ("reference", record.references, links.references)):
        for i, c in enumerate(items):
            citation_rows.append((
                doc_id, kind, i, c.relation, c.doc_type, c.number, citation_key(c), c.date, c.issuer,
                c.issuer_normalized, c.subject, c.name, c.text, *prov(c.span, c.page), ids[i],
            ))
    _insert(con, "citations", (
        "doc_id", "kind", "ordinal", "relation", "doc_type", "number", "key", "date", "issuer",
        "issuer_normalized", "subject", "name", "text", "span_start", "span_end", "page", "issuer_agency_id",
    ), citation_rows)

    event_rows = []
    for i, e in enumerate(record.events):
        start, end = date_range(e.start)
        if e.end:
            end = date_range(e.end)[1]
        event_rows.append((doc_id, i, e.name, e.start, e.end, start, end, e.location,
                           e.expected_attendees, e.recurrence, *prov(e.span, e.page)))
    _insert(con, "events", (
        "doc_id", "ordinal", "name", "start_value", "end_value", "date_start", "date_end", "location",
        "expected_attendees", "recurrence", "span_start", "span_end", "page",
    ), event_rows)

    _insert(con, "participants", (
        "doc_id", "ordinal", "name", "name_normalized", "count", "role", "span_start", "span_end", "page",
        "agency_id",
    ), [(doc_id, i, p.name, p.name_normalized, p.count, p.role, *prov(p.span, p.page), links.participants[i])
        for i, p in enumerate(record.participants)])

    assignment_rows, coordinator_rows, task_rows = [], [], []
    for i, a in enumerate(record.assignments):
        aid = f"{doc_id}/{i}"
        a_start, a_end = date_range(a.deadline)
        assignment_rows.append((
            aid, doc_id, i, a.assignee, a.assignee_normalized, fold(a.assignee), fold(a.assignee_normalized),
            a.role, a.request, a.deadline, a_start, a_end, *prov(a.span, a.page), links.assignments[i],
            list(a.coordinators), *_deadline_flags(a.deadline, record.deadlines),
        ))
        for j, name in enumerate(a.coordinators):
            normalized = a.coordinators_normalized[j] if j < len(a.coordinators_normalized) else None
            coordinator_rows.append((aid, doc_id, j, name, normalized, fold(name), links.coordinators[i][j]))
        for j, task in enumerate(a.tasks):
            span = a.task_spans[j] if j < len(a.task_spans) else None
            deadline = _task_deadline(span, a, record.deadlines)
            due_start, due_end = date_range(deadline)
            task_rows.append((aid, doc_id, j, task, deadline, due_start, due_end, *prov(span),
                              *_deadline_flags(deadline, record.deadlines)))
    _insert(con, "assignments", (
        "id", "doc_id", "ordinal", "assignee", "assignee_normalized", "assignee_folded",
        "assignee_normalized_folded", "role", "request", "deadline", "deadline_start", "deadline_end",
        "span_start", "span_end", "page", "agency_id", "coordinators", "deadline_inferred", "deadline_recurrence",
    ), assignment_rows)
    _insert(con, "assignment_coordinators", (
        "assignment_id", "doc_id", "ordinal", "name", "name_normalized", "name_folded", "agency_id",
    ), coordinator_rows)
    _insert(con, "tasks", (
        "assignment_id", "doc_id", "ordinal", "text", "deadline", "due_start", "due_end",
        "span_start", "span_end", "page", "deadline_inferred", "deadline_recurrence",
    ), task_rows)

    deadline_rows = []
    for i, d in enumerate(record.deadlines):
        start, end = date_range(d.date)
        deadline_rows.append((doc_id, i, d.date, start, end, d.text, d.task, list(d.assignees),
                              d.inferred, d.recurrence, *prov(d.span, d.page), links.deadlines[i]))
    _insert(con, "deadlines", (
        "doc_id", "ordinal", "date", "date_start", "date_end", "text", "task", "assignees", "inferred",
        "recurrence", "span_start", "span_end", "page", "assignee_agency_ids",
    ), deadline_rows)

    _insert(con, "recipients", (
        "doc_id", "ordinal", "name", "name_normalized", "span_start", "span_end", "page",
    ), [(doc_id, i, r.name, r.name_normalized, *prov(r.span, r.page)) for i, r in enumerate(record.recipients)])

    date_rows = []
    for i, m in enumerate(record.dates):
        start, end = date_range(m.value)
        date_rows.append((doc_id, i, m.text, m.value, start, end, m.role, m.inferred, *prov(m.span, m.page)))
    _insert(con, "dates", (
        "doc_id", "ordinal", "text", "value", "date_start", "date_end", "role", "inferred",
        "span_start", "span_end", "page",
    ), date_rows)


def record_ingest_error(con, path: str | Path, reason: str, stage: str, hint: Optional[str] = None,
                        sha256: Optional[str] = None) -> None:
    """Log a file that could not be ingested (one row per failed attempt)."""
    _insert(con, "ingest_errors", ("path", "sha256", "reason", "stage", "hint", '"at"'),
            [(os.path.abspath(path), sha256, reason, stage, hint, _utcnow())])


def document_rows(record: "PlanRecord", source_text: Optional["SourceText"] = None) -> RowSink:
    """The rows ``store_record`` would write for ``record``, per table, without a database.

    Example:
        >>> record, source = process_file("plan.docx")   # doctest: +SKIP
        >>> sorted(document_rows(record, source).tables)  # doctest: +SKIP
        ['assignment_coordinators', 'assignments', 'citations', ...]
    """
    sink = RowSink()
    _write(sink, document_id(record), record, source_text)
    return sink
