"""Cross-plan commands of `kehoach`: agencies, cited-by, search, events, deadlines, export.

They register on ``kehoach.cli.app`` (imported at the end of ``kehoach.cli``)
and share its output options and ``Error: … — hint`` handling; like the rest
of the CLI they only parse options, call the store and format its rows.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from kehoach.cli import (
    DEFAULT_DB,
    CalendarFormat,
    DbOption,
    FormatOption,
    OutputFormat,
    _console,
    _emit,
    _fail,
    _list_table,
    _open_db,
    _parse_day,
    _store_errors,
    app,
)


def write_calendar(text: str, out: Optional[Path]) -> None:
    """Write an iCalendar text exactly (CRLF kept) to ``out`` or stdout."""
    data = text.encode("utf-8")
    if out is None:
        sys.stdout.flush()
        try:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        except AttributeError:  # a test runner's text stream
            sys.stdout.write(text)
        return
    try:
        out.write_bytes(data)
    except OSError as e:
        _fail(f"cannot write {out}: {e.strerror or e}", "pass a writable --out path")
    typer.echo(f"wrote {out}", err=True)


def emit_rows(rows, format: CalendarFormat, out: Optional[Path], calendar, **table_options) -> None:
    """Rows as table/json/csv (stdout), or as an iCalendar file."""
    if format is CalendarFormat.ics:
        write_calendar(calendar(rows.dicts()), out)
        return
    if out is not None:
        _fail("--out only applies with --format ics", "redirect the output instead: … > rows.json")
    _emit(rows, OutputFormat(format.value), **table_options)


OutOption = Annotated[Optional[Path], typer.Option(
    "--out", "-o", metavar="FILE", help="With --format ics: write the calendar here (default: stdout).")]
CalendarFormatOption = Annotated[CalendarFormat, typer.Option(
    "--format", "-f", case_sensitive=False,
    help="table, json, csv, or ics (an iCalendar file of the dated items, RFC 5545).")]
FromOption = Annotated[Optional[str], typer.Option(
    "--from", metavar="YYYY-MM-DD", help="Keep items that may fall on or after this day.")]
ToOption = Annotated[Optional[str], typer.Option(
    "--to", metavar="YYYY-MM-DD", help="Keep items that may fall on or before this day.")]


# ------------------------------------------------------------------ agencies

class Level(str, Enum):
    trung_uong = "trung_uong"
    tinh = "tinh"
    huyen = "huyen"
    xa = "xa"


@app.command()
def agencies(
    name: Annotated[Optional[str], typer.Argument(
        help="Words of the agency's name; case, diacritics and abbreviations ignored.", show_default=False)] = None,
    level: Annotated[Optional[Level], typer.Option(help="trung_uong, tinh, huyen or xa.")] = None,
    locality: Annotated[Optional[str], typer.Option(help="Words of the locality, e.g. \"Lào Cai\".")] = None,
    all_kinds: Annotated[bool, typer.Option(
        "--all", help="Also list persons and posts the registry does not know as bodies.")] = False,
    format: FormatOption = OutputFormat.table,
    db: DbOption = DEFAULT_DB,
) -> None:
    """List the agency registry: one row per agency, with plans issued and tasks assigned.

    Names are resolved to one canonical agency each: abbreviations written out
    (UBND = Ủy ban nhân dân), tone placement and case unified, and a bare unit
    ("UBND quận", "Sở Nội vụ") placed in the issuing plan's locality. Groups
    ("UBND các huyện") are listed as one row of kind group.

    Example: kehoach agencies "sở nội vụ" --level tinh
    """
    from kehoach.store.lookups import AGENCY_KINDS, agencies as list_agencies

    con = _open_db(db)
    try:
        with _store_errors():
            rows = list_agencies(con, name=name, level=level.value if level else None, locality=locality,
                                 kinds=AGENCY_KINDS if all_kinds else ("agency", "group"))
    except ValueError as e:
        _fail(str(e), "give words of the name, e.g. kehoach agencies \"Sở Nội vụ\"")
    finally:
        con.close()
    _emit(rows, format, table_columns=[("name", "agency"), ("kind", "kind"), ("level", "level"),
                                       ("locality", "locality"), ("plans_issued", "plans issued"),
                                       ("tasks_assigned", "tasks assigned"), ("coordinations", "coordinations")],
          empty="no agencies match")


# ------------------------------------------------------------------ citations

@app.command("cited-by")
def cited_by(
    plan: Annotated[str, typer.Argument(metavar="ID|NUMBER", show_default=False,
                                        help="The citing plan: an id prefix (4+ hex digits) or its number.")],
    format: FormatOption = OutputFormat.table,
    db: DbOption = DEFAULT_DB,
) -> None:
    """What one stored plan cites (legal bases, then references), and which of those are stored too.

    Example: kehoach cited-by 4639/KH-UBND-NV
    """
    from kehoach.store.lookups import cited_by as find_cited

    con = _open_db(db)
    try:
        with _store_errors():
            rows = find_cited(con, plan)
    finally:
        con.close()
    _emit(rows, format, table_columns=[("kind", "kind"), ("relation", "relation"), ("cited_type", "type"),
                                       ("cited_number", "number"), ("cited_date", "date"),
                                       ("cited_issuer", "issuer"), ("cited_doc_id", "stored as")],
          empty=f"{plan} cites nothing")


# ------------------------------------------------------------------ search

@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Words to find; case, diacritics and đ/d are ignored.",
                                         show_default=False)],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="How many documents.")] = 20,
    format: FormatOption = OutputFormat.table,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Full-text search over the stored documents, best match first, with a snippet and its span.

    Every word must occur; "doi thoai", "đối thoại" and "ĐỐI THOẠI" are the same
    query. The index is (re)built when documents were added since it was built.

    Example: kehoach search "đối thoại" --limit 5
    """
    from kehoach.store import connect
    from kehoach.store.search import build_index, index_is_stale, search as run_search

    if not query.strip():
        _fail("the query is empty", "give words to find, e.g. kehoach search \"đối thoại\"")
    con = _open_db(db)
    try:
        stale = index_is_stale(con)
    finally:
        con.close()
    if stale:
        typer.echo("building the search index…", err=True)
        with _store_errors():
            con = connect(db)
            try:
                build_index(con)
            finally:
                con.close()
    con = _open_db(db)
    try:
        with _store_errors():
            rows = run_search(con, query, limit)
    except ValueError as e:
        _fail(str(e), "give words to find, e.g. kehoach search \"đối thoại\"")
    finally:
        con.close()
    _emit(rows, format, table_columns=[("rank", "#"), ("plan_number", "plan"), ("snippet", "snippet"),
                                       ("page", "page"), ("score", "score")],
          empty=f"no document contains every word of {query!r}")


# ------------------------------------------------------------------ lookup tables

@app.command()
def optimize(db: DbOption = DEFAULT_DB) -> None:
    """Rebuild the lookup tables that make `obligations` and `cites` fast on large stores.

    They are sorted copies of the obligations and citation views (see
    docs/schema.md); a lookup reads them while they are up to date and the views
    otherwise, with the same rows. `kehoach ingest` rebuilds them when it stored
    something; run this after changing the store any other way.

    Example: kehoach optimize --db plans.duckdb
    """
    from kehoach.store import connect
    from kehoach.store.optimize import optimize as run_optimize

    with _store_errors():
        con = connect(db)
        try:
            done = run_optimize(con)
        finally:
            con.close()
    typer.echo(f"lookup tables rebuilt: {done['obligations']} obligation rows, {done['citations']} citation rows "
               f"in {done['seconds']:.1f} s (db: {db})")


def refresh_lookups(db: Path, always: bool = False, on_rebuild=None) -> Optional[str]:
    """After an ingest: rebuild the lookup tables when documents changed since they were built.

    Unless ``always``, a large store whose tables are only a few plans behind is left as it is (the
    rebuild costs ~35 s at 100,000 plans; lookups read the views meanwhile, with the same rows).
    ``on_rebuild()`` is called before a rebuild starts.

    Returns:
        what was done, for the user ("lookup tables rebuilt …" / "… not rebuilt …"), or None when
        they were up to date.
    """
    from kehoach.store import connect
    from kehoach.store.optimize import REBUILD_SECONDS_PER_PLAN, behind, is_fresh, optimize as run_optimize, \
        worth_rebuilding

    with _store_errors():
        con = connect(db)
        try:
            if is_fresh(con):
                return None
            total, new = behind(con)
            if not always and not worth_rebuilding(total, new):
                return (f"lookup tables not rebuilt: {new} of {total} plans are new since the last build; "
                        f"`obligations` and `cites` read the plain views (same rows, slower) until "
                        f"`kehoach optimize --db {db}` (about {total * REBUILD_SECONDS_PER_PLAN:.0f} s)")
            if on_rebuild is not None:
                on_rebuild()
            done = run_optimize(con)
        finally:
            con.close()
    return (f"lookup tables rebuilt: {done['obligations']} obligation rows, {done['citations']} citation rows "
            f"in {done['seconds']:.1f} s")


# ------------------------------------------------------------------ events and deadlines

def _window(date_from: Optional[str], date_to: Optional[str]):
    start = _parse_day(date_from, "--from")
    end = _parse_day(date_to, "--to")
    if start and end and end < start:
        _fail(f"--to {end} is before --from {start}", "swap the two dates")
    return start, end


@app.command()
def events(
    date_from: FromOption = None,
    date_to: ToOption = None,
    issuer: Annotated[Optional[str], typer.Option(help="Only plans issued by this agency.")] = None,
    format: CalendarFormatOption = CalendarFormat.table,
    out: OutOption = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Scheduled events (conferences, dialogues, inspections) of every plan, soonest first.

    A coarse date ("quý III/2020") overlaps every day it covers.

    Example: kehoach events --from 2026-01-01 --to 2026-03-31 --format ics -o events.ics
    """
    from kehoach.store.ics import events_calendar
    from kehoach.store.lookups import events as find_events

    start, end = _window(date_from, date_to)
    con = _open_db(db)
    try:
        rows = find_events(con, start, end, issuer=issuer)
    except ValueError as e:
        _fail(str(e), "give words of the issuer's name")
    finally:
        con.close()
    emit_rows(rows, format, out, events_calendar,
              table_columns=[("start", "start"), ("end", "end"), ("name", "event"), ("location", "location"),
                             ("plan_number", "plan")], empty="no events in that range")


@app.command()
def deadlines(
    date_from: FromOption = None,
    date_to: ToOption = None,
    agency: Annotated[Optional[str], typer.Option(help="Only deadlines given to this agency.")] = None,
    issuer: Annotated[Optional[str], typer.Option(help="Only plans issued by this agency.")] = None,
    format: CalendarFormatOption = CalendarFormat.table,
    out: OutOption = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Every deadline phrase ("trước ngày …", "chậm nhất …") of every plan, soonest first.

    Example: kehoach deadlines --from 2026-01-01 --to 2026-06-30 --agency "Sở Công Thương"
    """
    from kehoach.store.ics import deadlines_calendar
    from kehoach.store.lookups import deadlines as find_deadlines

    start, end = _window(date_from, date_to)
    con = _open_db(db)
    try:
        rows = find_deadlines(con, start, end, agency=agency, issuer=issuer)
    except ValueError as e:
        _fail(str(e), "give words of the agency's name")
    finally:
        con.close()
    emit_rows(rows, format, out, deadlines_calendar,
              table_columns=[("deadline", "due"), ("text", "as written"), ("assignees", "assignees"),
                             ("task", "task"), ("plan_number", "plan")], empty="no deadlines in that range")


# ------------------------------------------------------------------ export

class ExportFormat(str, Enum):
    parquet = "parquet"
    csv = "csv"
    jsonl = "jsonl"


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="Folder to write <table>.<ext> into.")],
    format: Annotated[ExportFormat, typer.Option("--format", "-f", case_sensitive=False,
                                                 help="parquet, csv or jsonl.")] = ExportFormat.parquet,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Export every stored table, one file per table (docs/schema.md describes the columns).

    Example: kehoach export --format parquet --out export/
    """
    from kehoach.store.export import export as run_export

    if out.exists() and not out.is_dir():
        _fail(f"--out {out} is a file", "pass a folder")
    con = _open_db(db)
    try:
        with _store_errors():
            written = run_export(con, out, format.value)
    finally:
        con.close()
    for table, path, rows in written:
        typer.echo(f"{path}\t{rows} rows")


# ------------------------------------------------------------------ show, rendered from the store

def _span(item: dict) -> str:
    if item.get("span_start") is None:
        return ""
    text = f"{item['span_start']}–{item['span_end']}"
    return f"p.{item['page']} {text}" if item.get("page") is not None else text


def render_stored(found: dict[str, Any]) -> None:
    """Print a stored plan: header, sections, then each kind of fact with its span and page."""
    from kehoach.cli import _kv_table

    console = _console()
    doc = found["document"]
    signer = ", ".join(filter(None, (doc.get("signer_authority"), doc.get("signer_position"), doc.get("signer_name"))))
    console.print(_kv_table(doc.get("number") or "(no number)", [
        ("id", doc["id"]), ("file", doc.get("path")), ("type", doc.get("doc_type")), ("number", doc.get("number")),
        ("issuer", doc.get("issuer")), ("issuer (registry)", found.get("issuer_agency")),
        ("place", doc.get("place")), ("issued", doc.get("issued_date")), ("title", doc.get("title")),
        ("signer", signer), ("pages", doc.get("pages")),
    ]))

    def with_span(items):
        return [dict(i, span=_span(i)) for i in items]

    if found.get("sections"):
        console.print(_list_table("Sections", with_span(found["sections"]),
                                  (("label", "label"), ("title", "title"), ("span", "span"))))
    cols = (("relation", "relation"), ("doc_type", "type"), ("number", "number"), ("date", "date"),
            ("issuer", "issuer"), ("subject", "subject / name"), ("span", "span"))
    citations = [dict(c, subject=c.get("subject") or c.get("name")) for c in found["legal_bases"]]
    console.print(_list_table("Legal bases", with_span(citations), cols))
    references = [dict(c, subject=c.get("subject") or c.get("name")) for c in found["references"]]
    if references:
        console.print(_list_table("References", with_span(references), cols))
    if found["events"]:
        console.print(_list_table("Events", with_span(found["events"]), (
            ("name", "name"), ("start", "start"), ("end", "end"), ("location", "location"), ("span", "span"))))
    if found.get("participants"):
        console.print(_list_table("Participants", with_span(found["participants"]), (
            ("name", "name"), ("count", "count"), ("role", "role"), ("span", "span"))))
    assignments = []
    for a in found["assignments"]:
        tasks = [f"{t['text']}  [{_span(t)}]" if _span(t) else t["text"] for t in a["tasks"]]
        assignments.append(dict(a, tasks=tasks, span=_span(a)))
    console.print(_list_table("Assignments", assignments, (
        ("assignee", "assignee"), ("agency", "agency (registry)"), ("role", "role"), ("request", "request"),
        ("coordinators", "coordinators"), ("tasks", "tasks"), ("deadline", "deadline"), ("span", "span"))))
    console.print(_list_table("Deadlines", with_span(found["deadlines"]), (
        ("date", "date"), ("text", "text"), ("assignees", "assignees"), ("task", "task"), ("span", "span"))))
