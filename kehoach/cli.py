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


def _is_hidden(name: str) -> bool:
    # "~$name.docx" is the lock file Word leaves beside an open document
    return name.startswith(".") or name.startswith("~$")


def _collect(paths: Sequence[Path], suffixes: set[str]) -> tuple[list[tuple[Path, str]], int]:
    """The files to ingest under ``paths`` (each with a short name to report it by) and the number skipped.

    Folders are walked recursively; hidden folders are not entered, hidden
    files and files with unsupported suffixes are skipped (and counted). A file
    named explicitly is always tried: if its type is unsupported the reader says so.
    """
    files: list[tuple[Path, str]] = []
    skipped = 0
    for p in paths:
        if p.is_dir():
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not _is_hidden(d))
                for name in sorted(names):
                    f = Path(root) / name
                    if _is_hidden(name) or f.suffix.lower() not in suffixes or not f.is_file():
                        skipped += 1
                        continue
                    # "corpus/sub/x.pdf" rather than the full path: tables stay readable
                    files.append((f, str(Path(p.resolve().name) / f.relative_to(p))))
        else:
            files.append((p, str(p)))
    seen: set[Path] = set()
    unique = []
    for f, shown in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append((f, shown))
    return unique, skipped


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH...", help="Files and folders (searched recursively).",
                                                show_default=False)],
    db: DbOption = DEFAULT_DB,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    max_size: Annotated[Optional[str], typer.Option(
        metavar="SIZE", help="Skip (and log) files larger than this, e.g. 50MB (env KEHOACH_MAX_SIZE; "
                             "default 200MB).")] = None,
    max_pages: Annotated[Optional[int], typer.Option(
        metavar="N", help="Skip (and log) documents with more pages (env KEHOACH_MAX_PAGES; default 1000).")] = None,
) -> None:
    """Read, extract and store documents in the database.

    Folders are searched recursively; hidden files and files of unsupported types
    are skipped. A file already stored (same content, by sha256) adds nothing. A file
    that cannot be read is logged in the `ingest_errors` table and the batch goes on.

    A file over a per-file limit (size, pages, text length, OCR or conversion time;
    see docs/reliability.md) is logged with stage "limit".

    Exit status: 0 when every file was stored or already present, 2 when some files
    failed, 1 on a usage error.

    Example: kehoach ingest corpus/ extra/plan.docx --db plans.duckdb
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from kehoach.ingest import DocumentLoadError, supported_suffixes
    from kehoach.pipeline import file_sha256, process_file
    from kehoach.store import has_document, record_ingest_error, store_record

    from kehoach.limits import Limits

    try:
        limits = Limits.from_env().override(max_size=max_size, max_pages=max_pages)
    except ValueError as e:
        _fail(f"bad limit: {e}", "e.g. --max-size 50MB --max-pages 300")
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        _fail(f"no such file or folder: {', '.join(missing)}", "check the path")
    files, skipped = _collect(paths, set(supported_suffixes()))
    con = _open_db(db, read_only=False)

    stored = present = 0
    failures: list[tuple[str, str, str, Optional[str]]] = []

    def fail(path: Path, reason: str, stage: str, hint: Optional[str], sha: Optional[str]) -> None:
        failures.append((shown, stage, reason, hint))
        record_ingest_error(con, path, reason, stage, hint, sha)

    progress = Progress(TextColumn("{task.description}", style="bold"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TextColumn("{task.fields[file]}"),
                        console=_console(stderr=True), disable=quiet, transient=True)
    try:
        with progress:
            task = progress.add_task("ingest", total=len(files), file="")
            for f, shown in files:
                progress.update(task, file=shown)
                try:
                    sha = file_sha256(f)
                except OSError as e:
                    fail(f, e.strerror or str(e), "open", "check that the file is readable", None)
                    progress.advance(task)
                    continue
                if has_document(con, sha):  # skip the extraction too, not just the insert
                    present += 1
                    progress.advance(task)
                    continue
                try:
                    record, source = process_file(f, limits)
                except DocumentLoadError as e:
                    fail(f, e.reason, e.stage, e.hint or _load_hint(), sha)
                except Exception as e:  # a bug in one file's extraction must not stop the batch
                    fail(f, f"{type(e).__name__}: {e}", "extract",
                         f"a bug in kehoach; `KEHOACH_DEBUG=1 kehoach extract {f}` shows the traceback", sha)
                else:
                    try:
                        if store_record(con, record, source):
                            stored += 1
                        else:
                            present += 1
                    except Exception as e:
                        fail(f, f"{type(e).__name__}: {e}", "store", "a bug in kehoach's store; please report it", sha)
                progress.advance(task)
    finally:
        con.close()

    typer.echo(f"stored {stored} new, {present} already present, {len(failures)} failed, "
               f"{skipped} skipped (db: {db})")
    if failures:
        from rich.table import Table

        table = Table(title="Failed files", caption="full paths: kehoach sql \"SELECT * FROM ingest_errors\"",
                      show_lines=True)
        for header in ("file", "stage", "reason", "hint"):
            table.add_column(header, overflow="fold")
        for path, stage, reason, hint in failures:
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
    """Show one stored plan: its header, legal bases, assignments with tasks, and deadlines.

    json prints the stored record; csv prints one row per task.

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
        _render_record(found["record"], header_extra=[("id", doc["id"]), ("file", doc["path"])])


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
                      "doc_id", "span_start", "span_end", "page")


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
    format: FormatOption = OutputFormat.table,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Who must do what by when: one row per task of every stored plan.

    Rows are sorted by due date, then plan number; tasks without a deadline come last.
    A deadline as coarse as a month or quarter counts for every day it covers.

    Example: kehoach obligations --agency "Sở Nội vụ" --overdue --as-of 2020-08-01
    """
    from kehoach.store import obligations as find_obligations

    before = _parse_day(due_before, "--due-before")
    after = _parse_day(due_after, "--due-after")
    as_of_day = _parse_day(as_of, "--as-of")
    if as_of_day is not None and not overdue:
        _fail("--as-of only applies with --overdue", "add --overdue, or drop --as-of")
    if agency is not None and not agency.strip():
        _fail("--agency is empty", "give part of the assignee's name, e.g. --agency \"Sở Nội vụ\"")
    con = _open_db(db)
    try:
        rows = find_obligations(con, agency=agency, due_before=before, due_after=after,
                                overdue_as_of=(as_of_day or date.today()) if overdue else None)
    except ValueError as e:
        _fail(str(e), "give part of the assignee's name, e.g. --agency \"Sở Nội vụ\"")
    finally:
        con.close()
    _emit(rows, format, columns=_OBLIGATION_OUTPUT,
          table_columns=[("plan_number", "plan"), ("assignee", "assignee"), ("role", "role"),
                         ("task", "task"), ("deadline", "deadline")],
          empty="no obligations match")


@app.command()
def cites(
    number: Annotated[str, typer.Argument(help="The cited document's number, e.g. 04/2012/TT-BNV.",
                                          show_default=False)],
    format: FormatOption = OutputFormat.table,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Which stored plans cite a document, as a legal basis or a reference.

    Numbers match ignoring case, spaces and đ/d.

    Example: kehoach cites 04/2012/TT-BNV
    """
    from kehoach.store import cites as find_cites

    if not number.strip():
        _fail("the number is empty", "give the cited document's number, e.g. 04/2012/TT-BNV")
    con = _open_db(db)
    rows = find_cites(con, number)
    con.close()
    _emit(rows, format, table_columns=[("plan_number", "plan"), ("plan_title", "title"), ("kind", "kind"),
                                       ("relation", "relation"), ("cited_number", "cited as")],
          empty=f"no stored plan cites {number}")


@app.command()
def sql(
    query: Annotated[str, typer.Argument(metavar="SQL", help="One SELECT or WITH … SELECT statement.",
                                         show_default=False)],
    format: FormatOption = OutputFormat.table,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Run one read-only query over the stored tables and views.

    Only a single SELECT (or WITH … SELECT) is accepted; statements that write,
    and functions that read files (read_csv, glob, …), are refused.

    Example: kehoach sql "SELECT number, title FROM documents ORDER BY issued_date_start"
    """
    from kehoach.store import read_only_sql

    con = _open_db(db)
    try:
        with _store_errors():
            rows = read_only_sql(con, query)
    finally:
        con.close()
    _emit(rows, format)


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


def main() -> None:
    """Console-script entry point (`kehoach`)."""
    app()


if __name__ == "__main__":
    main()
