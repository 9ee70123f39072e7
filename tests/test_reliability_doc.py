"""docs/reliability.md is generated from the tests' own case tables, and checked here.

The tables of docs/reliability.md between the ``<!-- generated -->`` markers are
rendered from ``CASES`` (test_reliability.py), ``SQL_CASES`` (test_no_way_in.py),
the property tests of test_robustness.py and ``FAULTS`` below; those tests assert
each row's result, so the document says what the suite checks. Edit the cases, not
the document, then regenerate::

    KEHOACH_REGEN_DOCS=1 .venv/bin/python -m pytest tests/test_reliability_doc.py

While the flag is set, test_regen_flag_is_off fails: a run that rewrites the document proves nothing.
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
from pathlib import Path

import pytest

import test_no_way_in
import test_reliability
import test_robustness
from kehoach.limits import ENV_VARS, OPTIONS, Limits, format_size

DOC = Path(__file__).resolve().parent.parent / "docs" / "reliability.md"
REGEN_FLAG = "KEHOACH_REGEN_DOCS"
REGEN = os.environ.get(REGEN_FLAG, "") not in ("", "0")
BEGIN = "<!-- generated from the tests: edit the cases in tests/, then KEHOACH_REGEN_DOCS=1 pytest " \
        "tests/test_reliability_doc.py -->"
END = "<!-- end of generated tables -->"

# Faults checked by single tests rather than case tables: (area, fault, what happens, test).
FAULTS = [
    ("limits", "file over `--max-size` / `KEHOACH_MAX_SIZE`", "error row, stage `limit`: “file too large: 2.8 MB "
     "(limit 1.0 MB)”, hint names the option", "test_limits.py::test_ingest_max_size_and_max_pages"),
    ("limits", "PDF over `--max-pages` / `KEHOACH_MAX_PAGES`", "error row, stage `limit`: “too many pages: 2 (limit "
     "1)”, no page is read", "test_limits.py::test_page_limit_before_pages_are_read"),
    ("limits", "text over `KEHOACH_MAX_CHARS` (any format)", "error row, stage `limit`: “text too long: 4,754 "
     "characters (limit 4,500 characters)”", "test_limits.py::test_ingest_limits_from_env_and_option_wins"),
    ("limits", "text file that cannot fit `max_chars`", "refused from its size, the file is not read",
     "test_limits.py::test_text_file_too_large_is_not_read"),
    ("limits", "OCR running past `ocr_seconds`", "`LimitExceeded`, stage `limit`: “OCR took longer than … s (limit "
     "ocr_seconds)”", "test_limits.py::test_time_budget"),
    ("limits", "external tool running past `convert_seconds`", "tool and its children killed; stage `limit`: "
     "“conversion to .docx took longer than 0.5 s (limit convert_seconds)”",
     "test_limits.py::test_run_tool_time_limit_kills_the_process_group"),
    ("limits", "`kehoach extract` of a file over a limit; a bad limit variable", "`Error: FILE: text too long: "
     "… — raise the limit with KEHOACH_MAX_CHARS`; `Error: bad limit: …`; exit 1",
     "test_limits.py::test_extract_honours_limits_and_refuses_bad_ones"),
    ("limits", "bad limit value (`--max-size lots`, `KEHOACH_MAX_CHARS=x`)", "`Error: bad limit: …`, exit 1, "
     "nothing ingested", "test_limits.py::test_ingest_bad_limit_is_a_usage_error"),
    ("files", "unreadable file (chmod 000; as root, with root's override dropped)", "error row, stage `open`: "
     "“Permission denied”; the rest of the batch is stored", "test_reliability.py::test_unreadable_file_is_an_open_error"),
    ("files", "unreadable file, simulated (`open` refused)", "same row as above, in-process",
     "test_reliability.py::test_unreadable_file_simulated"),
    ("files", "a FIFO and `/dev/zero` named on the command line", "error rows, stage `open`: “not a regular file "
     "(FIFO)”, “not a regular file (character device)”; never opened, so nothing blocks",
     "test_reliability.py::test_fifo_and_device_named_explicitly"),
    ("files", "same folder ingested twice", "stored files are “already present”; bad files fail again "
     "(one error row per attempt)", "test_reliability.py::test_rerun_logs_errors_again_and_stores_nothing_twice"),
    ("files", "`kehoach ingest -- -v.txt` (leading dash after `--`)", "stored as `-v.txt`",
     "test_reliability.py::test_explicit_file_with_leading_dash"),
    ("files", "hostile names (NFD, newline, `$(…)`)", "stored under the exact bytes of their path; nothing runs",
     "test_reliability.py::test_hostile_names_keep_their_exact_bytes"),
    ("XML", "external entity with kehoach's DOCTYPE check switched off", "python-docx does not resolve it: the "
     "canary file's text never appears", "test_reliability.py::test_xxe_not_resolved_even_without_the_package_check"),
    ("tools", "file names with spaces, quotes, `$(…)`, `;`, backquotes, newline, `*`, leading dash",
     "passed to the tool as one absolute-path argument each, no shell", "test_limits.py::"
     "test_run_tool_passes_hostile_names_untouched"),
    ("tools", "a command string instead of an argument list", "`TypeError`", "test_limits.py::"
     "test_run_tool_refuses_a_command_string"),
    ("tools", "tool not installed", "error row, stage `convert`: “X is not installed”, hint how to install",
     "test_limits.py::test_run_tool_missing_program"),
    ("audit", "`shell=True`, `os.system`, `os.popen`, command strings anywhere in kehoach/", "none (the audit is "
     "itself tested on a file that has all four)", "test_no_way_in.py::test_no_shell_anywhere"),
    ("audit", "SQL built from non-literal text", "only at reviewed sites (constants formatted in, values bound "
     "with `?`)", "test_no_way_in.py::test_sql_is_literal_or_reviewed"),
    ("audit", "SQL f-strings taking a value that is not a constant", "none",
     "test_no_way_in.py::test_no_values_formatted_into_sql_strings"),
    ("lookups", "SQL in `obligations --agency`, `cites`, `show` arguments (`' OR 1=1 --`, `'; DROP …`, `%`, `_`)",
     "matches nothing or `Error: …`; store unchanged", "test_no_way_in.py::test_lookup_values_are_never_sql"),
    ("crash", "SIGKILL of an ingest of 150 files at a random moment (between or during batch writes), then a "
     "re-run", "the database opens cleanly; every file stored exactly once, none lost, no half document",
     "test_batch.py::test_sigkill_at_a_random_moment_then_rerun_stores_every_file_once"),
    ("crash", "a worker process dies on one file (segfault, OOM kill)", "that file gets an error row (“the worker "
     "process died while reading this file”); the others are stored",
     "test_batch.py::test_a_worker_that_dies_costs_only_its_file"),
    ("crash", "one document's rows break the store (constraint, bug)", "that file fails alone, stage `store`; the "
     "rest of its batch is committed", "test_batch.py::test_a_document_that_cannot_be_stored_fails_alone"),
    ("concurrency", "a second `kehoach ingest` into the same database", "refused at once: “another kehoach ingest "
     "(PID …, started …) is writing …”, hint `--wait`", "test_batch.py::test_second_ingest_is_refused_with_a_clear_message"),
    ("concurrency", "a second ingest with `--wait`", "waits, says for whom, then runs",
     "test_batch.py::test_second_ingest_waits_with_wait"),
    ("concurrency", "lookups while an ingest runs", "they work: a lookup asks the ingest for the file, which frees it "
     "within ~2 s; readers see the store grow batch by batch",
     "test_batch.py::test_lookups_work_while_an_ingest_runs"),
    ("concurrency", "a lookup while another program holds the file", "`Error: database … is locked by process …; "
     "gave up after waiting … s`, hint `KEHOACH_LOCK_TIMEOUT`",
     "test_batch.py::test_lookup_on_a_locked_database_says_who_holds_it"),
    ("folders", "a symlink loop in a folder", "the walk ends; each file once",
     "test_discover.py::test_symlink_loop_ends"),
    ("folders", "a broken link; an unlistable folder", "an error row naming it; the walk goes on",
     "test_discover.py::test_unlistable_folder_is_an_error_not_a_crash"),
    ("sql", "a query running past `--timeout` / `KEHOACH_SQL_SECONDS` (default 30 s)", "interrupted: `Error: query "
     "stopped after … s (the time limit) — narrow the query …, or raise the limit with --timeout …`",
     "test_no_way_in.py::test_sql_query_limits"),
    ("sql", "a query needing more than `--memory` / `KEHOACH_SQL_MEMORY` (default 1 GB)", "stopped: `Error: query "
     "needs more than … of memory (the memory limit)`", "test_no_way_in.py::test_sql_query_limits"),
    ("sql", "more rows than `--max-rows` / `KEHOACH_SQL_ROWS` (default 100,000)", "the first N printed, then "
     "`Note: only the first N rows are shown; more rows matched …` on stderr",
     "test_no_way_in.py::test_sql_command_limits"),
    ("sql", "file-reading function missing from the guard's list", "DuckDB refuses it (external access is off "
     "before the guard runs)", "test_no_way_in.py::test_external_access_is_off_even_for_an_unlisted_reader"),
]


def _code(s: str) -> str:
    """Inline code for a table cell: pipes escaped, newlines shown as ⏎."""
    s = s.replace("|", "\\|").replace("\n", "⏎")
    tick = "``" if "`" in s else "`"
    pad = " " if tick == "``" else ""
    return f"{tick}{pad}{s}{pad}{tick}" if s else "(empty)"


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    out = [BEGIN, ""]
    out += ["### Bad input in a batch", "",
            "One folder holds all of these beside good documents; `kehoach ingest FOLDER` stores the good ones and "
            "writes one `ingest_errors` row (path, stage, reason, hint, sha256) for each bad one "
            "(`tests/test_reliability.py::test_bad_input[<case>]`). A reason ending in … continues with the "
            "library's own message.", "",
            "| case | input | result | stage | reason / warning |", "|---|---|---|---|---|"]
    for c in test_reliability.CASES:
        result = "stored" if c.stage is None else "error row"
        out.append(f"| `{c.id}` | {_cell(c.input)} | {result} | {c.stage or ''} | {_cell(c.reason or '')} |")
    out += ["", "### Per-file limits", "",
            "`kehoach/limits.py`; a file over a limit gets an error row with stage `limit` and a hint naming the "
            "option or variable that raises it.", "",
            "| limit | default | env var | `kehoach ingest` option |", "|---|---|---|---|"]
    defaults = Limits()
    for name, var in ENV_VARS.items():
        value = getattr(defaults, name)
        shown = format_size(value) if name == "max_size" else (f"{value:,}" if isinstance(value, int)
                                                                else f"{value:g} s")
        out.append(f"| `{name}` | {shown} | `{var}` | {'`' + OPTIONS[name] + '`' if name in OPTIONS else ''} |")
    out += ["", "### Other faults", "", "| area | fault | what happens | test |", "|---|---|---|---|"]
    for area, fault, result, test in FAULTS:
        out.append(f"| {area} | {_cell(fault)} | {_cell(result)} | `{test}` |")
    out += ["", "### `kehoach sql` is read-only", "",
            "Each statement runs as `kehoach sql` runs it (read-only connection, `read_only_sql`); `{secret}` is a "
            "CSV holding a canary, `{dir}` a folder with a `schema.sql`. A refused statement must give this "
            "message, leak no canary, write no file and leave the store unchanged "
            "(`tests/test_no_way_in.py::test_sql_case`).", "",
            "| kind | statement | result |", "|---|---|---|"]
    for c in test_no_way_in.SQL_CASES:
        out.append(f"| {c.kind} | {_code(c.sql)} | {'allowed' if c.refused is None else 'refused: ' + _cell(c.refused)} |")
    out += ["", "### Properties (hypothesis)", "",
            "`tests/test_robustness.py`; example counts from the hypothesis profile (`kehoach`: 25 per test, "
            "`HYPOTHESIS_PROFILE=ci`: 300).", "", "| test | property |", "|---|---|"]
    for name, fn in inspect.getmembers(test_robustness, inspect.isfunction):
        if name.startswith("test_") and fn.__module__ == test_robustness.__name__:
            summary = " ".join(inspect.getdoc(fn).split("\n\n")[0].split())  # the first paragraph
            out.append(f"| `{name}` | {_cell(summary)} |")
    out += ["", END]
    return "\n".join(out)


def _current() -> str:
    text = DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, f"{DOC} lost its generated-section markers"
    return text[text.index(BEGIN): text.index(END) + len(END)]


def test_doc_matches_the_tests():
    expected = render()
    if REGEN:
        text = DOC.read_text(encoding="utf-8")
        DOC.write_text(text.replace(_current(), expected), encoding="utf-8")
    assert _current() == expected, f"docs/reliability.md is out of date: run {REGEN_FLAG}=1 pytest {__file__}"


@pytest.mark.parametrize("test", [f[3] for f in FAULTS])
def test_every_fault_row_names_an_existing_test(test):
    module, name = test.split("::")
    assert callable(getattr(importlib.import_module(module.removesuffix(".py")), name, None)), test


def test_every_case_is_a_test_id():
    """Each bad-input row is its own test: ``test_bad_input[<case>]``."""
    ids = [c.id for c in test_reliability.CASES]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[a-z0-9-]+", i) for i in ids)


def test_regen_flag_is_off():
    """Fails while KEHOACH_REGEN_DOCS is set: a run that rewrites the document proves nothing."""
    assert not REGEN, f"unset {REGEN_FLAG} and run the tests again"
