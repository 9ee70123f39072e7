"""The `kehoach` command: a thin layer that parses options, calls the library, formats output.

Heavy modules (duckdb, the extractor, Rich tables) are imported inside the
commands so that `kehoach --help` stays quick.

Errors are printed as ``Error: <what> — <how to fix>`` on stderr with exit
status 1; `kehoach ingest` exits 2 when some files failed.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import sys
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Iterator, NoReturn, Optional, Sequence

import typer

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class CalendarFormat(str, Enum):
    """Row output, or an iCalendar file of the dated rows (obligations, events, deadlines)."""

    table = "table"
    json = "json"
    csv = "csv"
    ics = "ics"


class ReportFormat(str, Enum):
    """For output that is one document or one report, not rows (extract, eval)."""

    json = "json"
    table = "table"


# ------------------------------------------------------------------ shared options

DbOption = Annotated[Path, typer.Option(
    "--db", envvar="KEHOACH_DB", metavar="PATH",
    help="DuckDB database file (env KEHOACH_DB).",
)]
FormatOption = Annotated[OutputFormat, typer.Option(
    "--format", "-f", case_sensitive=False,
    help="Output: table for people, json (array of objects) or csv (with header) for programs.",
)]
# same as kehoach.store.DEFAULT_DB; not imported from there so that --help needs no duckdb
DEFAULT_DB = Path("kehoach.duckdb")


def _fail(what: str, hint: Optional[str] = None, code: int = 1) -> NoReturn:
    """Print ``Error: what — hint`` on stderr and exit with ``code``."""
    typer.echo(f"Error: {what}" + (f" — {hint}" if hint else ""), err=True)
    raise typer.Exit(code)


@contextlib.contextmanager
def _store_errors() -> Iterator[None]:
    """Turn the store's user-facing errors into ``Error: …`` and exit 1."""
    from kehoach.store import StoreError

    try:
        yield
    except StoreError as e:
        _fail(e.message, e.hint)


def _open_db(db: Path, read_only: bool = True):
    from kehoach.store import connect

    with _store_errors():
        return connect(db, read_only=read_only)


def _parse_day(value: Optional[str], option: str) -> Optional[date]:
    if value is None:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    _fail(f"{option}: {value!r} is not a date", "write it as YYYY-MM-DD, e.g. 2024-07-31")


# ------------------------------------------------------------------ output

def _json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, default=_json_default)


def _cell(value: Any) -> str:
    """A value as text for CSV and tables: lists joined by '; ', None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "; ".join(_cell(v) for v in value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=_json_default)
    return str(value)


# Short values that read badly when folded ("2024-07-1 0"): never wrapped in tables.
_NO_WRAP = {"id", "date", "deadline", "issued_date", "plan_issued_date", "due_start", "due_end", "start",
            "end", "value", "role", "relation", "kind", "doc_type", "request", "count", "stage"}


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _emit(rows, fmt: OutputFormat, *, columns: Optional[Sequence[str]] = None,
          table_columns: Optional[Sequence[tuple[str, str]]] = None, title: Optional[str] = None,
          empty: str = "no rows") -> None:
    """Print ``Rows`` as a Rich table, a JSON array or CSV.

    Args:
        columns: the columns for json/csv, in order (default: all).
        table_columns: ``(column, header)`` pairs for the table (default: all).
        empty: what the table format says when there are no rows (on stderr).
    """
    dicts = rows.dicts()
    if fmt is OutputFormat.json:
        keep = list(columns or rows.columns)
        typer.echo(_dumps([{k: d[k] for k in keep} for d in dicts]))
        return
    if fmt is OutputFormat.csv:
        keep = list(columns or rows.columns)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(keep)
        for d in dicts:
            writer.writerow([_cell(d[k]) for k in keep])
        typer.echo(buf.getvalue(), nl=False)
        return
    if not dicts:
        typer.echo(empty, err=True)
        return
    from rich.table import Table

    pairs = list(table_columns or [(c, c) for c in rows.columns])
    table = Table(title=title, caption=f"{len(dicts)} row{'s' if len(dicts) != 1 else ''}",
                  show_lines=True)
    for column, header in pairs:
        table.add_column(header, overflow="fold", no_wrap=column in _NO_WRAP)
    for d in dicts:
        table.add_row(*(_cell(d[c]) for c, _ in pairs))
    _console().print(table)


def _kv_table(title: str, items: Sequence[tuple[str, Any]]):
    from rich.table import Table

    table = Table(title=title, show_header=False, show_lines=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in items:
        if value not in (None, "", []):
            table.add_row(key, _cell(value))
    return table


def _list_table(title: str, items: list[dict], columns: Sequence[tuple[str, str]]):
    from rich.table import Table

    table = Table(title=f"{title} ({len(items)})", show_lines=True)
    table.add_column("#", justify="right")
    for key, header in columns:
        table.add_column(header, overflow="fold", no_wrap=key in _NO_WRAP)
    for i, item in enumerate(items, 1):
        cells = []
        for key, _ in columns:
            value = item.get(key)
            if key == "tasks" and isinstance(value, list):
                cells.append("\n".join(f"• {t}" for t in value))
            else:
                cells.append(_cell(value))
        table.add_row(str(i), *cells)
    return table


_CITATION_COLUMNS = (("relation", "relation"), ("doc_type", "type"), ("number", "number"),
                     ("date", "date"), ("issuer", "issuer"), ("subject", "subject / name"))


def _render_record(record: dict, header_extra: Sequence[tuple[str, Any]] = (), full: bool = False) -> None:
    """Print a record (the spec's JSON shape) as Rich tables: header first, then its parts."""
    console = _console()
    signer = record.get("signer") or {}
    signer_text = ", ".join(v for v in (
        signer.get("authority") and f"{signer['authority']}. {signer.get('on_behalf_of') or ''}".strip(),
        signer.get("position"), signer.get("name")) if v)
    console.print(_kv_table(record.get("number") or "(no number)", [
        *header_extra,
        ("type", record.get("doc_type")),
        ("number", record.get("number")),
        ("issuer", record.get("issuer")),
        ("place", record.get("place")),
        ("issued", record.get("issued_date")),
        ("title", record.get("title")),
        ("signer", signer_text),
    ]))
    citations = [dict(c, subject=c.get("subject") or c.get("name")) for c in record.get("legal_bases") or []]
    console.print(_list_table("Legal bases", citations, _CITATION_COLUMNS))
    references = [dict(c, subject=c.get("subject") or c.get("name")) for c in record.get("references") or []]
    if references or full:
        console.print(_list_table("References", references, _CITATION_COLUMNS))
    if record.get("events") or full:
        console.print(_list_table("Events", record.get("events") or [], (
            ("name", "name"), ("start", "start"), ("end", "end"), ("location", "location"),
            ("expected_attendees", "attendees"))))
    if full:
        console.print(_list_table("Participants", record.get("participants") or [], (
            ("name", "name"), ("count", "count"), ("role", "role"))))
    console.print(_list_table("Assignments", record.get("assignments") or [], (
        ("assignee", "assignee"), ("role", "role"), ("request", "request"),
        ("coordinators", "coordinators"), ("tasks", "tasks"), ("deadline", "deadline"))))
    console.print(_list_table("Deadlines", record.get("deadlines") or [], (
        ("date", "date"), ("text", "text"), ("assignees", "assignees"), ("task", "task"))))
    if full:
        recipients = [r if isinstance(r, dict) else {"name": r} for r in record.get("recipients") or []]
        console.print(_list_table("Recipients", recipients, (("name", "name"),)))
        console.print(_list_table("Dates", record.get("dates") or [], (
            ("text", "text"), ("value", "value"), ("role", "role"))))


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send anything the extractor's libraries print to stderr.

    `kehoach extract FILE --format json` must print exactly one JSON object on
    stdout; a stray print or C-level message from a reader must not corrupt it.
    """
    sys.stdout.flush()
    saved_fd = None
    try:
        fd = sys.stdout.fileno()
        err_fd = sys.stderr.fileno()
        saved_fd = os.dup(fd)
        os.dup2(err_fd, fd)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        saved_fd = None  # not a real file (e.g. under a test runner): Python-level redirect only
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        if saved_fd is not None:
            sys.stderr.flush()
            os.dup2(saved_fd, sys.stdout.fileno())
            os.close(saved_fd)


# ------------------------------------------------------------------ commands

def _version_callback(value: bool) -> None:
    if value:
        from kehoach import __version__

        typer.echo(f"kehoach {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[Optional[bool], typer.Option(
        "--version", callback=_version_callback, is_eager=True, help="Print the version and exit.")] = None,
) -> None:
    """Vietnamese government plan documents (Kế hoạch, Quyết định, Công văn, …) to records in DuckDB.

    Example: kehoach ingest corpus/ && kehoach obligations --agency "Sở Nội vụ"
    """


class _IngestProgress:
    """Rich progress for `kehoach ingest`: files done of the total, files/s, ETA, last file."""

    def __init__(self, quiet: bool):
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task) -> Text:
                speed = task.finished_speed or task.speed
                return Text(f"{speed:,.1f} files/s" if speed else "– files/s")

        self.bar = Progress(TextColumn("{task.description}", style="bold"), BarColumn(), MofNCompleteColumn(),
                            Rate(), TextColumn("ETA"), TimeRemainingColumn(), TimeElapsedColumn(),
                            TextColumn("{task.fields[file]}"),
                            console=_console(stderr=True), disable=quiet, transient=True)
        self.task = self.bar.add_task("ingest", total=None, file="")

    def total(self, n: int) -> None:
        self.bar.update(self.task, total=n)

    def done(self, shown: str, status: str) -> None:
        self.bar.update(self.task, advance=1, file=shown)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH...", help="Files and folders (searched recursively).",
                                                show_default=False)],
    db: DbOption = DEFAULT_DB,
    workers: Annotated[Optional[int], typer.Option(
        "--workers", "-w", min=0, show_default="all cores",
        help="Extraction processes (0: all in this process).")] = None,
    wait: Annotated[bool, typer.Option(
        "--wait", help="If another ingest is writing the database, wait for it instead of failing.")] = False,
    dask: Annotated[Optional[str], typer.Option(
        "--dask", metavar="ADDRESS",
        help="Extract on a Dask cluster (scheduler address, or 'local' for a cluster on this machine); "
             "results go through Parquet shards (see docs/scale.md).")] = None,
    shards: Annotated[Optional[Path], typer.Option(
        "--shards", metavar="DIR",
        help="With --dask: folder for the Parquet shards, on storage the workers share "
             "[default: DB.shards/ beside the database].")] = None,
    batch_size: Annotated[int, typer.Option(
        "--batch-size", min=1, help="Documents written per transaction (each document is whole in one).")] = 200,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    max_size: Annotated[Optional[str], typer.Option(
        metavar="SIZE", help="Skip (and log) files larger than this, e.g. 50MB (env KEHOACH_MAX_SIZE; "
                             "default 200MB).")] = None,
    max_pages: Annotated[Optional[int], typer.Option(
        metavar="N", help="Skip (and log) documents with more pages (env KEHOACH_MAX_PAGES; default 1000).")] = None,
    optimize: Annotated[Optional[bool], typer.Option(
        "--optimize/--no-optimize",
        help="Rebuild the lookup tables of `obligations` and `cites` at the end (~35 s at 100,000 plans). "
             "Default: when the store has under 20,000 plans, or 5% or more of them are new; otherwise "
             "it says so and lookups read the plain views (same rows, slower) until `kehoach optimize`. "
             "When loading in many runs, pass --no-optimize and run `kehoach optimize` after the last.")] = None,
) -> None:
    """Read, extract and store documents in the database.

    Folders are searched recursively; hidden files and files of unsupported types
    are skipped. Files are extracted by a pool of worker processes and stored in
    batches, each document atomically. A re-run skips files whose path, size and
    modification time are unchanged without reading them, re-extracts changed
    files (their old rows are replaced) and retries files that failed. A file
    whose content is already stored (same sha256) adds nothing. A file that cannot
    be read is logged in the `ingest_errors` table and the batch goes on.

    Lookups (`list`, `show`, `sql`, …) work while an ingest runs: the database is
    opened only while a batch is written. A second ingest into the same database
    is refused, or waits with --wait.

    A file over a per-file limit (size, pages, text length, OCR or conversion time;
    see docs/reliability.md) is logged with stage "limit".

    Exit status: 0 when every file was stored or already present, 2 when some files
    failed, 1 on a usage error.

    Example: kehoach ingest corpus/ extra/plan.docx --db plans.duckdb --workers 4
    """
    from kehoach.batch import IngestOptions, default_workers, ingest_paths
    from kehoach.store import StoreError

    from kehoach.limits import ENV_VARS, Limits

    try:
        limits = Limits.from_env().override(max_size=max_size, max_pages=max_pages)
    except ValueError as e:
        _fail(f"bad limit: {e}", "e.g. --max-size 50MB --max-pages 300")
    # the Dask workers (other machines) read their limits from the environment: set it for this run only
    saved_env = {var: os.environ.get(var) for var in ENV_VARS.values()}
    for name, var in ENV_VARS.items():
        os.environ[var] = str(getattr(limits, name))
    missing = [str(p) for p in paths if not os.path.lexists(p)]
    if missing:
        _fail(f"no such file or folder: {', '.join(missing)}", "check the path")
    if shards is not None and dask is None:
        _fail("--shards only applies with --dask", "add --dask ADDRESS (or --dask local), or drop --shards")
    n = default_workers() if workers is None else workers

    def waiting(who: dict) -> None:
        typer.echo(f"waiting for the ingest running as PID {who.get('pid', '?')} to finish…", err=True)

    progress = _IngestProgress(quiet)
    try:
        with progress.bar:
            if dask is not None:
                from kehoach.batch.distributed import ingest_dask

                summary = ingest_dask(paths, db, dask, shards, workers=workers, wait=wait, progress=progress,
                                      on_wait=waiting)
            else:
                summary = ingest_paths(paths, db, IngestOptions(workers=n, wait=wait, batch_docs=batch_size, limits=limits), progress, on_wait=waiting)
    except StoreError as e:
        _fail(e.message, e.hint)
    finally:
        for var, value in saved_env.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value

    if optimize is not False and (summary.stored or summary.replaced):
        from kehoach.cli_crossplan import refresh_lookups

        def announce() -> None:
            if not quiet:
                typer.echo("updating the lookup tables (kehoach optimize) …", err=True)

        # the sorted lookup tables of `obligations` and `cites` (kehoach optimize)
        said = refresh_lookups(db, always=optimize is True, on_rebuild=announce)
        if said and not quiet:
            typer.echo(said, err=True)
    typer.echo(f"stored {summary.stored} new, {summary.present} already present, {summary.failed} failed, "
               f"{summary.skipped} skipped (db: {db})")
    if summary.replaced or summary.unchanged:
        typer.echo(f"{summary.unchanged} unchanged since the last run (not read again), "
                   f"{summary.replaced} changed and re-extracted")
    if summary.failures:
        from rich.table import Table

        more = summary.failed - len(summary.failures)
        caption = "full paths: kehoach sql \"SELECT * FROM ingest_errors\""
        if more > 0:
            caption = f"{more} more not shown; " + caption
        table = Table(title="Failed files", caption=caption, show_lines=True)
        for header in ("file", "stage", "reason", "hint"):
            table.add_column(header, overflow="fold")
        for path, stage, reason, hint in summary.failures:
            table.add_row(path, stage, reason, hint or "")
        _console().print(table)
        raise typer.Exit(2)


def _load_hint() -> str:
    from kehoach.ingest import supported_suffixes

    return f"check that it is a readable document of a supported type ({', '.join(supported_suffixes())})"


@app.command()
def extract(
    file: Annotated[Path, typer.Argument(help="The document (.txt, .docx, .pdf, …).", show_default=False)],
    format: Annotated[ReportFormat, typer.Option(
        "--format", "-f", case_sensitive=False,
        help="json: the record as one JSON object (spec/EXTRACTION.md); table: for people.")] = ReportFormat.json,
) -> None:
    """Print the record of one file; no database is touched.

    Example: kehoach extract plan.docx --format json > plan.json
    """
    from kehoach.ingest import DocumentLoadError
    from kehoach.limits import Limits
    from kehoach.pipeline import process_file

    try:
        Limits.from_env()  # process_file applies them; a bad variable is a usage error, not a bug
    except ValueError as e:
        _fail(f"bad limit: {e}", "unset the variable or give a positive number")
    try:
        with _stdout_to_stderr():
            record, _source = process_file(file)
    except DocumentLoadError as e:
        _fail(f"{e.path}: {e.reason}", e.hint or _load_hint())
    except Exception as e:
        if os.environ.get("KEHOACH_DEBUG"):
            raise
        _fail(f"{file}: extraction failed ({type(e).__name__}: {e})",
              "this is a bug in kehoach; rerun with KEHOACH_DEBUG=1 for the traceback and report it")
    if format is ReportFormat.json:
        sys.stdout.write(json.dumps(record.to_json_dict(), ensure_ascii=False, indent=1) + "\n")
        sys.stdout.flush()
    else:
        _render_record(record.to_json_dict(), header_extra=[("file", str(file))], full=True)


@app.command()
def show(
    id_or_number: Annotated[str, typer.Argument(metavar="ID|NUMBER", show_default=False,
                                                help="An id prefix (4+ hex digits) or a number.")],
    format: FormatOption = OutputFormat.table,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Show one stored plan: header, sections, legal bases, events, assignments with tasks, deadlines.

    The table gives each fact's span (character offsets into the stored text) and
    page; json prints the stored record; csv prints one row per task.

    Example: kehoach show 4639/KH-UBND-NV
    """
    from kehoach.store import Rows, show as show_plan

    con = _open_db(db)
    with _store_errors():
        found = show_plan(con, id_or_number)
    con.close()
    doc = found["document"]
    if format is OutputFormat.json:
        typer.echo(_dumps(found["record"]))
    elif format is OutputFormat.csv:
        columns = ["plan_number", "assignee", "role", "request", "coordinators", "task", "deadline",
                   "span_start", "span_end", "page"]
        rows = []
        for a in found["assignments"]:
            for t in a["tasks"] or [None]:
                rows.append((doc["number"], a["assignee"], a["role"], a["request"], a["coordinators"],
                             t and t["text"], t["deadline"] if t else a["deadline"],
                             (t or a)["span_start"], (t or a)["span_end"], (t or a)["page"]))
        _emit(Rows(columns, rows), format)
    else:
        from kehoach.cli_crossplan import render_stored

        render_stored(found)


@app.command("list")
def list_documents(
    format: FormatOption = OutputFormat.table,
    db: DbOption = DEFAULT_DB,
) -> None:
    """List the stored documents, oldest first.

    Example: kehoach list --format csv > documents.csv
    """
    from kehoach.store import documents

    con = _open_db(db)
    rows = documents(con)
    con.close()
    if format is OutputFormat.table:
        rows.rows = [(r[0][:12], *r[1:]) for r in rows.rows]
    _emit(rows, format, table_columns=[("id", "id"), ("number", "number"), ("doc_type", "type"),
                                       ("issued_date", "issued"), ("issuer", "issuer"), ("title", "title"),
                                       ("assignments", "assignments")],
          empty="no documents stored yet")


_OBLIGATION_OUTPUT = ("plan_number", "plan_issued_date", "issuer", "assignee", "assignee_normalized", "role",
                      "request", "coordinators", "task", "deadline", "due_start", "due_end", "plan_title",
                      "doc_id", "span_start", "span_end", "page", "agency", "agency_level", "agency_locality",
                      "lead_assignee", "issuer_agency", "deadline_precision", "deadline_inferred",
                      "deadline_recurrence", "agency_id", "issuer_agency_id")


@app.command()
def obligations(
    agency: Annotated[Optional[str], typer.Option(
        help="Assignee name words, case and diacritics ignored (\"so noi vu\" = \"Sở Nội vụ\").")] = None,
    due_before: Annotated[Optional[str], typer.Option(
        metavar="YYYY-MM-DD", help="Due on or before this day.")] = None,
    due_after: Annotated[Optional[str], typer.Option(
        metavar="YYYY-MM-DD", help="Due on or after this day.")] = None,
    overdue: Annotated[bool, typer.Option(
        "--overdue", help="Only deadlines wholly past on --as-of (default today).")] = False,
    as_of: Annotated[Optional[str], typer.Option(
        metavar="YYYY-MM-DD", help="The day --overdue is judged on.")] = None,
    issuer: Annotated[Optional[str], typer.Option(
        help="Only plans issued by this agency (same matching as --agency).")] = None,
    year: Annotated[Optional[int], typer.Option(help="Only deadlines that may fall in this year.")] = None,
    role: Annotated[Optional[list[str]], typer.Option(
        "--role", help="lead, responsible, coordinate (one row per coordinator), assignee (lead or "
                       "responsible) or any; repeatable. Default: the assignee's row of each task.")] = None,
    format: Annotated[CalendarFormat, typer.Option(
        "--format", "-f", case_sensitive=False,
        help="table, json, csv, or ics (an iCalendar file of the deadlines, RFC 5545).")] = CalendarFormat.table,
    out: Annotated[Optional[Path], typer.Option(
        "--out", "-o", metavar="FILE", help="With --format ics: write the calendar here (default: stdout).")] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Who must do what by when: one row per task of every stored plan.

    Rows are sorted by due date, then plan number; tasks without a deadline come last.
    A deadline as coarse as a month or quarter counts for every day it covers.
    --agency and --issuer match the agency registry (abbreviations, case, diacritics
    and tone placement ignored) as well as the names as written.

    Example: kehoach obligations --agency "Sở Nội vụ" --overdue --as-of 2020-08-01
    """
    from kehoach.cli_crossplan import emit_rows
    from kehoach.store import obligations as find_obligations
    from kehoach.store.ics import obligations_calendar

    before = _parse_day(due_before, "--due-before")
    after = _parse_day(due_after, "--due-after")
    as_of_day = _parse_day(as_of, "--as-of")
    if as_of_day is not None and not overdue:
        _fail("--as-of only applies with --overdue", "add --overdue, or drop --as-of")
    if agency is not None and not agency.strip():
        _fail("--agency is empty", "give part of the assignee's name, e.g. --agency \"Sở Nội vụ\"")
    if issuer is not None and not issuer.strip():
        _fail("--issuer is empty", "give part of the issuer's name, e.g. --issuer \"UBND tỉnh Lào Cai\"")
    con = _open_db(db)
    try:
        rows = find_obligations(con, agency=agency, due_before=before, due_after=after,
                                overdue_as_of=(as_of_day or date.today()) if overdue else None,
                                issuer=issuer, year=year, roles=role)
    except ValueError as e:
        _fail(str(e), "give part of the agency's name, e.g. --agency \"Sở Nội vụ\"; roles: lead, responsible, "
                      "coordinate, assignee, any")
    finally:
        con.close()
    emit_rows(rows, format, out, obligations_calendar, columns=_OBLIGATION_OUTPUT,
              table_columns=[("plan_number", "plan"), ("assignee", "assignee"), ("role", "role"),
                             ("task", "task"), ("deadline", "deadline")],
              empty="no obligations match")


@app.command()
def cites(
    number: Annotated[Optional[str], typer.Argument(
        metavar="KEY", help="The cited document's number (04/2012/TT-BNV), or TYPE|DATE for one cited "
                            "without a number (\"Luật|2022-11-10\").", show_default=False)] = None,
    top: Annotated[Optional[int], typer.Option(
        "--top", min=1, help="Instead: the N most-cited documents.")] = None,
    limit: Annotated[int, typer.Option(
        "--limit", min=0, help="Citing plans shown at most (0: all).")] = 1000,
    format: FormatOption = OutputFormat.table,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Which stored plans cite a document, as a legal basis or a reference; or the most cited.

    Numbers match ignoring case, spaces and đ/d. cited_doc_id names the cited
    document where it is stored too.

    Example: kehoach cites 04/2012/TT-BNV; kehoach cites --top 10
    """
    from kehoach.store import cites as find_cites

    if top is not None:
        if number is not None:
            _fail("give a KEY or --top, not both", "kehoach cites 04/2012/TT-BNV, or kehoach cites --top 10")
        from kehoach.store.lookups import top_cited

        con = _open_db(db)
        rows = top_cited(con, top)
        con.close()
        _emit(rows, format, table_columns=[("cited_number", "number"), ("cited_type", "type"),
                                           ("citing_plans", "citing plans"), ("as_legal_basis", "as basis"),
                                           ("as_reference", "as reference"), ("cited_doc_id", "stored as")],
              empty="no citations stored")
        return
    if number is None or not number.strip():
        _fail("the number is empty", "give the cited document's number, e.g. 04/2012/TT-BNV, or --top N")
    con = _open_db(db)
    try:
        rows = find_cites(con, number, limit=limit or None)
    except ValueError as e:
        _fail(str(e), "give the cited document's number, e.g. 04/2012/TT-BNV")
    finally:
        con.close()
    _emit(rows, format, table_columns=[("plan_number", "plan"), ("plan_title", "title"), ("kind", "kind"),
                                       ("relation", "relation"), ("cited_number", "cited as")],
          empty=f"no stored plan cites {number}")
    if rows.truncated:
        typer.echo(f"Note: the first {limit:,} citing plans are shown; more cite {number} — "
                   f"--limit 0 shows all of them", err=True)


@app.command()
def sql(
    query: Annotated[str, typer.Argument(metavar="SQL", help="One SELECT or WITH … SELECT statement.",
                                         show_default=False)],
    format: FormatOption = OutputFormat.table,
    db: DbOption = DEFAULT_DB,
    timeout: Annotated[Optional[float], typer.Option(
        "--timeout", help="Stop the query after this many seconds (default 30; env KEHOACH_SQL_SECONDS).",
        show_default=False)] = None,
    memory: Annotated[Optional[str], typer.Option(
        "--memory", help="Memory the query may use, e.g. 2GB (default 1GB; env KEHOACH_SQL_MEMORY).",
        show_default=False)] = None,
    max_rows: Annotated[Optional[int], typer.Option(
        "--max-rows", help="Rows printed at most (default 100000; env KEHOACH_SQL_ROWS).",
        show_default=False)] = None,
) -> None:
    """Run one read-only query over the stored tables and views.

    Only a single SELECT (or WITH … SELECT) is accepted; statements that write,
    and functions that read files (read_csv, glob, …), are refused. A query runs
    under a time, memory and row limit.

    Example: kehoach sql "SELECT number, title FROM documents ORDER BY issued_date_start"
    """
    from kehoach.store import QueryLimits, read_only_sql

    try:
        limits = QueryLimits.from_env(seconds=timeout, memory=memory, max_rows=max_rows)
    except ValueError as e:
        _fail(f"bad limit: {e}", "e.g. --timeout 60 --memory 2GB --max-rows 500000")
    con = _open_db(db)
    try:
        with _store_errors():
            rows = read_only_sql(con, query, limits)
    finally:
        con.close()
    _emit(rows, format)
    if rows.truncated:
        typer.echo(f"Note: only the first {limits.max_rows:,} rows are shown; more rows matched — narrow the "
                   f"query (WHERE, LIMIT) or raise --max-rows", err=True)


def _num(value: Any) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return str(int(value)) if isinstance(value, (int, float)) else str(value)


@app.command("eval")
def evaluate_command(
    gold_dir: Annotated[Path, typer.Argument(help="Folder of gold records (NAME.json).", show_default=False)],
    files_dirs: Annotated[list[Path], typer.Argument(help="Folders holding the documents NAME.*.",
                                                     show_default=False)],
    format: Annotated[ReportFormat, typer.Option(
        "--format", "-f", case_sensitive=False, help="table (as the referee prints it) or json.")
    ] = ReportFormat.table,
    notes: Annotated[bool, typer.Option("--notes", help="Also print each document's notes (stderr).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Score extraction against gold records: precision, recall and F1 per field.

    Example: kehoach eval tests/fixtures/gold/seeds tests/fixtures/seeds
    """
    import inspect

    try:
        from kehoach.evaluate import evaluate
    except ImportError as e:
        _fail(f"the evaluator cannot be loaded ({e})", "reinstall kehoach (pip install -e .)")
    for d in (gold_dir, *files_dirs):
        if not d.is_dir():
            _fail(f"not a folder: {d}", "pass GOLD_DIR then one or more folders of documents")

    from rich.progress import Progress

    kwargs = {}
    progress = Progress(console=_console(stderr=True), disable=quiet, transient=True)
    task = progress.add_task("eval", total=len(list(gold_dir.glob("*.json"))))
    if "on_progress" in inspect.signature(evaluate).parameters:
        kwargs["on_progress"] = lambda name: progress.update(task, advance=1, description=name)
    with progress, _stdout_to_stderr():
        result = evaluate(gold_dir, list(files_dirs), **kwargs)

    fields = {name: list(v) for name, v in result["fields"].items()}
    if format is ReportFormat.json:
        typer.echo(_dumps({
            "fields": {name: dict(zip(("p", "r", "f1", "tp", "pred", "gold"), v)) for name, v in fields.items()},
            "macro_f1": result["macro_f1"],
            "notes": result.get("notes", {}),
        }))
    else:
        width = max([len("field"), *map(len, fields)])
        typer.echo(f"{'field':<{width}}  {'P':>6} {'R':>6} {'F1':>6} {'tp':>5} {'pred':>5} {'gold':>5}")
        for name, (p, r, f1, tp, npred, ngold) in fields.items():
            typer.echo(f"{name:<{width}}  {p:6.3f} {r:6.3f} {f1:6.3f} "
                       f"{_num(tp):>5} {_num(npred):>5} {_num(ngold):>5}")
        typer.echo(f"macro_f1 {result['macro_f1']:.3f}")
    if notes:
        for name, lines in (result.get("notes") or {}).items():
            for line in lines:
                typer.echo(f"{name}: {line}", err=True)


class TextFormat(str, Enum):
    text = "text"
    json = "json"


@app.command("text")
def text_command(
    file: Annotated[Path, typer.Argument(help="The document (.doc, .pdf, .jpg, …).", show_default=False)],
    format: Annotated[TextFormat, typer.Option(
        "--format", "-f", case_sensitive=False,
        help="text: the text itself (how it was read goes to stderr); json: text, route and pages.")
    ] = TextFormat.text,
) -> None:
    """Print the normalized text the extractor sees: check a conversion, a legacy font or OCR.

    Each page's method (text layer, legacy decoding, OCR) and OCR confidence go
    to stderr, so `kehoach text scan.pdf > scan.txt` keeps the text clean.

    Example: kehoach text old_decision.doc | less
    """
    from kehoach.ingest import DocumentLoadError, read_document

    try:
        source = read_document(file)
    except DocumentLoadError as e:
        _fail(f"{e.path}: {e.reason}", e.hint or _load_hint())
    pages = [{"page": p.number, "method": p.method,
              "confidence": None if p.confidence is None else round(p.confidence, 1), "note": p.note}
             for p in source.pages]
    if format is TextFormat.json:
        typer.echo(_dumps({"path": str(file), "format": source.format, "route": source.route,
                           "encodings": source.encodings, "chars": len(source.text), "pages": pages,
                           "warnings": source.warnings, "text": source.text}))
        return
    sys.stdout.write(source.text + ("\n" if source.text and not source.text.endswith("\n") else ""))
    sys.stdout.flush()
    info = f"{file}: {source.format}, route {source.route or source.format}"
    if source.encodings:
        info += f", legacy encoding decoded: {', '.join(source.encodings)}"
    typer.echo(info + f", {len(source.text)} characters", err=True)
    for p in pages:
        if p["method"] != "text" or p["note"]:
            conf = f", confidence {p['confidence']:.0f}" if p["confidence"] is not None else ""
            note = f" ({p['note']})" if p["note"] else ""
            typer.echo(f"  page {p['page']}: {p['method']}{conf}{note}", err=True)
    for w in source.warnings:
        typer.echo(f"  warning: {w}", err=True)


@app.command()
def doctor(
    format: Annotated[ReportFormat, typer.Option(
        "--format", "-f", case_sensitive=False, help="table for people, json for programs.")] = ReportFormat.table,
) -> None:
    """Report the optional system tools some formats need, and how to install the missing ones.

    LibreOffice reads .doc (antiword is a text-only fallback); Tesseract with the
    Vietnamese model OCRs scanned PDFs and page images. Exit status 0 either way.

    Example: kehoach doctor
    """
    from kehoach.ingest.systools import check_all

    rows = check_all()
    if format is ReportFormat.json:
        typer.echo(_dumps([{"tool": r.name, "found": r.found, "path": r.path, "version": r.version,
                            "needed_for": r.purpose, "note": r.note or None, "install": r.install} for r in rows]))
        return
    for r in rows:
        status = "ok" if r.found else "MISSING"
        detail = r.version or r.path or ""
        typer.echo(f"{r.name:<12} {status:<8} {detail}" + (f"  [{r.note}]" if r.note else ""))
        typer.echo(f"{'':<12} needed for {r.purpose}")
        if r.install:
            typer.echo(f"{'':<12} install: {r.install}")
    missing = [r for r in rows if not r.found]
    typer.echo("all optional tools present" if not missing else
               f"{len(missing)} missing: files that need them fail with the install command as the hint")


# the cross-plan commands (agencies, cited-by, search, events, deadlines, export)
from kehoach import cli_crossplan  # noqa: E402,F401  (registers its commands on app)


def main() -> None:
    """Console-script entry point (`kehoach`)."""
    from kehoach.store.db import keep_pandas_out

    keep_pandas_out()
    app()


if __name__ == "__main__":
    main()
