"""Cross-plan lookups: agencies, citations (cited-by, most cited), events, deadlines, sections.

Like ``queries``, every function returns ``Rows`` and binds every value as a
parameter; only constant SQL fragments of this module are formatted in.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Optional, Sequence

from kehoach.store.agencies import LEVELS, match_agencies
from kehoach.store.errors import StoreError
from kehoach.store.keys import fold, number_key
from kehoach.store.queries import Rows, _as_date, _fetch, resolve_document

AGENCY_KINDS = ("agency", "group", "person", "other")


def citation_key_of(text: str) -> Optional[str]:
    """The stored citation key for user input: a number ("04/2012/TT-BNV"), or
    ``TYPE|DATE`` for a document cited without number ("Luật|2022-11-10").

    Example:
        >>> citation_key_of("Luật|2022-11-10")
        'luat|2022-11-10'
    """
    if "|" in text:
        doc_type, _, day = text.partition("|")
        return f"{fold(doc_type) or ''}|{day.strip()}"
    return number_key(text)


# ------------------------------------------------------------------ agencies

def agencies(con, *, name: Optional[str] = None, kinds: Sequence[str] = ("agency", "group"),
             level: Optional[str] = None, locality: Optional[str] = None) -> Rows:
    """The agency registry with counts: plans issued, tasks assigned, coordinations, citations.

    Args:
        name: keep agencies one of whose names contains these words (case,
            diacritics, đ/d and abbreviations ignored).
        kinds: which kinds of row to list (see ``agencies.AGENCY_KINDS``).
        level: ``trung_uong``, ``tinh``, ``huyen`` or ``xa``.
        locality: words of the locality ("lao cai").

    Returns:
        Rows: id, name, kind, level, locality, plans_issued, tasks_assigned,
        coordinations, participations, documents_cited, aliases; busiest first.
    """
    unknown = [k for k in kinds if k not in AGENCY_KINDS]
    if unknown:
        raise ValueError(f"unknown kind(s) {', '.join(unknown)}; valid: {', '.join(AGENCY_KINDS)}")
    if level is not None and level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; valid: {', '.join(LEVELS)}")
    where = ["list_contains(?, g.kind)"]
    params: list[Any] = [list(kinds)]
    if name is not None:
        where.append("list_contains(?, g.id)")
        params.append(match_agencies(con, name, contains=True))
    if level is not None:
        where.append("g.level = ?")
        params.append(level)
    if locality is not None:
        needle = fold(locality)
        if not needle:
            raise ValueError(f"locality {locality!r} has no letters or digits to match")
        where.append("contains(' ' || coalesce(kh_fold(g.locality), '') || ' ', ?)")
        params.append(f" {needle} ")
    return _fetch(con, f"""
        WITH plans AS (SELECT issuer_agency_id AS id, count(*) AS n FROM documents GROUP BY 1),
        per_assignment AS (SELECT assignment_id, count(*) AS n FROM tasks GROUP BY 1),
        tasks AS (SELECT a.agency_id AS id, sum(greatest(1, coalesce(t.n, 0)))::BIGINT AS n
                  FROM assignments a LEFT JOIN per_assignment t ON t.assignment_id = a.id GROUP BY 1),
        coord AS (SELECT agency_id AS id, count(*) AS n FROM assignment_coordinators GROUP BY 1),
        part AS (SELECT agency_id AS id, count(*) AS n FROM participants GROUP BY 1),
        cited AS (SELECT issuer_agency_id AS id, count(*) AS n FROM citations GROUP BY 1),
        al AS (SELECT agency_id AS id, list(DISTINCT alias ORDER BY alias) AS aliases
               FROM agency_aliases GROUP BY 1)
        SELECT g.id, g.name, g.kind, g.level, g.locality,
               coalesce(plans.n, 0) AS plans_issued, coalesce(tasks.n, 0) AS tasks_assigned,
               coalesce(coord.n, 0) AS coordinations, coalesce(part.n, 0) AS participations,
               coalesce(cited.n, 0) AS documents_cited, coalesce(al.aliases, []) AS aliases
        FROM agencies g
        LEFT JOIN plans ON plans.id = g.id LEFT JOIN tasks ON tasks.id = g.id
        LEFT JOIN coord ON coord.id = g.id LEFT JOIN part ON part.id = g.id
        LEFT JOIN cited ON cited.id = g.id LEFT JOIN al ON al.id = g.id
        WHERE {' AND '.join(where)}
        ORDER BY tasks_assigned DESC, plans_issued DESC, coordinations DESC, g.name, g.id
    """, params)


# ------------------------------------------------------------------ citations

_LINK_COLUMNS = """citing_number AS plan_number, citing_title AS plan_title, citing_issued_date AS plan_issued_date,
    citing_doc_id AS doc_id, kind, relation, doc_type AS cited_type, cited_number, key AS cited_key,
    cited_date, cited_issuer, subject AS cited_subject, name AS cited_name, cited_doc_id, cited_title,
    span_start, span_end, page"""


def cited_by(con, id_or_number: str) -> Rows:
    """What one stored plan cites, legal bases first, with the cited plan where it is stored.

    Raises:
        NotFoundError, AmbiguousError: see ``queries.resolve_document``.
    """
    doc_id = resolve_document(con, id_or_number)
    return _fetch(con, f"""
        SELECT {_LINK_COLUMNS} FROM citation_links WHERE citing_doc_id = ?
        ORDER BY kind, ordinal, cited_doc_id NULLS LAST""", [doc_id])


def top_cited(con, limit: int = 10) -> Rows:
    """The most-cited documents: by number of citing plans, then citations.

    Returns:
        Rows: cited_key, cited_number (the most common spelling), cited_type,
        citing_plans, citations, as_legal_basis, as_reference, cited_doc_id and
        cited_title (when the cited document is stored).
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    return _fetch(con, """
        SELECT key AS cited_key, mode(cited_number) AS cited_number, mode(doc_type) AS cited_type,
               count(DISTINCT citing_doc_id) AS citing_plans, count(*) AS citations,
               count(*) FILTER (WHERE kind = 'legal_basis') AS as_legal_basis,
               count(*) FILTER (WHERE kind = 'reference') AS as_reference,
               min(cited_doc_id) AS cited_doc_id, min(cited_title) AS cited_title
        FROM citation_links WHERE key IS NOT NULL
        GROUP BY key
        ORDER BY citing_plans DESC, citations DESC, key
        LIMIT ?""", [limit])


# ------------------------------------------------------------------ events and deadlines

def _window(column_start: str, column_end: str, date_from, date_to, where: list[str], params: list) -> None:
    start = _as_date(date_from, "from")
    end = _as_date(date_to, "to")
    if start is not None and end is not None and end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    if start is not None:
        where.append(f"{column_end} >= ?")
        params.append(start)
    if end is not None:
        where.append(f"{column_start} <= ?")
        params.append(end)


def events(con, date_from: date | str | None = None, date_to: date | str | None = None,
           issuer: Optional[str] = None) -> Rows:
    """Scheduled events of every plan whose dates overlap ``[date_from, date_to]``, soonest first.

    A coarse date ("2020-Q3") overlaps every day it covers; events without a
    readable date are dropped by any date filter.
    """
    where: list[str] = []
    params: list[Any] = []
    _window("e.date_start", "e.date_end", date_from, date_to, where, params)
    if issuer is not None:
        where.append("list_contains(?, d.issuer_agency_id)")
        params.append(match_agencies(con, issuer))
    return _fetch(con, f"""
        SELECT e.date_start, e.date_end, e.start_value AS start, e.end_value AS "end",
               date_precision(e.start_value) AS precision, e.name, e.location, e.expected_attendees,
               e.recurrence, d.number AS plan_number, d.issuer, d.title AS plan_title,
               e.doc_id, e.ordinal, e.span_start, e.span_end, e.page, d.ingested_at
        FROM events e JOIN documents d ON d.id = e.doc_id
        {'WHERE ' + ' AND '.join(where) if where else ''}
        ORDER BY e.date_start NULLS LAST, e.date_end NULLS LAST, d.number NULLS LAST, e.doc_id, e.ordinal
    """, params)


def deadlines(con, date_from: date | str | None = None, date_to: date | str | None = None,
              agency: Optional[str] = None, issuer: Optional[str] = None) -> Rows:
    """Every deadline phrase of every plan due within ``[date_from, date_to]``, soonest first.

    Args:
        agency: keep deadlines one of whose assignees is this agency (registry match).
        issuer: keep deadlines of plans issued by this agency.
    """
    where: list[str] = []
    params: list[Any] = []
    _window("dl.date_start", "dl.date_end", date_from, date_to, where, params)
    if agency is not None:
        where.append("list_has_any(?, dl.assignee_agency_ids)")
        params.append(match_agencies(con, agency))
    if issuer is not None:
        where.append("list_contains(?, d.issuer_agency_id)")
        params.append(match_agencies(con, issuer))
    return _fetch(con, f"""
        SELECT dl.date_start AS due_start, dl.date_end AS due_end, dl.date AS deadline,
               date_precision(dl.date) AS precision, dl.inferred, dl.recurrence, dl.text, dl.task,
               dl.assignees, d.number AS plan_number, d.issuer, d.title AS plan_title,
               dl.doc_id, dl.ordinal, dl.span_start, dl.span_end, dl.page, d.ingested_at
        FROM deadlines dl JOIN documents d ON d.id = dl.doc_id
        {'WHERE ' + ' AND '.join(where) if where else ''}
        ORDER BY dl.date_start NULLS LAST, dl.date_end NULLS LAST, d.number NULLS LAST, dl.doc_id, dl.ordinal
    """, params)


# ------------------------------------------------------------------ sections of a stored plan

def page_of(con, doc_id: str, offset: Optional[int]) -> Optional[int]:
    """The page holding a text offset of a stored document, where its source has pages."""
    if offset is None:
        return None
    row = con.execute(
        "SELECT page FROM document_pages WHERE doc_id = ? AND start_offset <= ? ORDER BY start_offset DESC LIMIT 1",
        [doc_id, offset]).fetchone()
    return row[0] if row else None


def sections(con, doc_id: str) -> list[dict[str, Any]]:
    """The plan's numbered top-level sections (I., II., …) with spans, from its stored text.

    Empty when the text is not stored or has no roman-numbered headings.
    """
    row = con.execute("SELECT text FROM document_texts WHERE doc_id = ?", [doc_id]).fetchone()
    if not row or not row[0]:
        return []
    try:
        from kehoach.extract.structure import analyse
    except ImportError as e:  # pragma: no cover - the extractor ships with the package
        raise StoreError(f"cannot load the document structure reader ({e})", "reinstall kehoach") from e
    text = row[0]
    anatomy = analyse(text)
    out = []
    for i, section in enumerate(anatomy.sections):
        start = section.heading.start
        nxt = anatomy.sections[i + 1].heading.start if i + 1 < len(anatomy.sections) else (
            anatomy.closing[0].start if anatomy.closing else len(text))
        out.append({"ordinal": i, "label": section.heading.label, "title": section.title,
                    "span_start": start, "span_end": nxt, "page": page_of(con, doc_id, start)})
    return out
