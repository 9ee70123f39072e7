"""Per-file limits (kehoach.limits): defaults, env vars, `kehoach ingest` options, and
external tools run without a shell under a time limit (kehoach.ingest.external)."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import badfiles as B
from kehoach.cli import app
from kehoach.ingest import DocumentLoadError, read_document
from kehoach.ingest.external import path_arg, run_tool
from kehoach.limits import ENV_VARS, LimitExceeded, Limits, TimeBudget, current, parse_size, using


def invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, list(args), env=env)


def errors(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT regexp_extract(path, '[^/]*$'), stage, reason, hint FROM ingest_errors "
                           "ORDER BY path").fetchall()
    finally:
        con.close()


def _documents(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT filename FROM documents ORDER BY filename").fetchall()]
    finally:
        con.close()


# ---------------------------------------------------------------------------
# the Limits object
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("4096", 4096), ("1k", 1024), ("1KB", 1024), ("50MB", 50 * 2**20), ("50 mib", 50 * 2**20),
    ("1.5G", int(1.5 * 2**30)), (7, 7),
])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "lots", "-5MB", "0", "5 parsecs", "MB"])
def test_parse_size_refuses(text):
    with pytest.raises(ValueError):
        parse_size(text)


def test_defaults_and_documented_names():
    limits = Limits()
    assert (limits.max_size, limits.max_pages, limits.max_chars) == (200 * 2**20, 1000, 1_000_000)
    assert (limits.ocr_seconds, limits.convert_seconds) == (900.0, 120.0)
    # every limit has an env var, and the docstring documents each
    import kehoach.limits as module

    for name in ("max_size", "max_pages", "max_chars", "ocr_seconds", "convert_seconds"):
        assert name in ENV_VARS and ENV_VARS[name] in module.__doc__ and f"``{name}``" in module.__doc__


def test_max_chars_default_is_within_spacy_max_length():
    from kehoach.extract.pipeline import get_nlp

    assert Limits().max_chars <= get_nlp().max_length


def test_from_env_and_override():
    limits = Limits.from_env({"KEHOACH_MAX_SIZE": "5MB", "KEHOACH_MAX_PAGES": "30", "KEHOACH_OCR_SECONDS": "2.5",
                              "KEHOACH_CONVERT_SECONDS": " "})
    assert (limits.max_size, limits.max_pages, limits.ocr_seconds, limits.convert_seconds) == (5 * 2**20, 30, 2.5, 120)
    assert limits.override(max_pages="3", max_size=None).max_pages == 3
    assert limits.override(max_pages="3").max_size == 5 * 2**20


@pytest.mark.parametrize("environ, message", [
    ({"KEHOACH_MAX_PAGES": "many"}, "KEHOACH_MAX_PAGES: 'many' is not a whole number"),
    ({"KEHOACH_MAX_PAGES": "0"}, "KEHOACH_MAX_PAGES: '0' is not positive"),
    ({"KEHOACH_MAX_SIZE": "huge"}, "KEHOACH_MAX_SIZE: 'huge' is not a size"),
])
def test_from_env_refuses_bad_values(environ, message):
    with pytest.raises(ValueError) as err:
        Limits.from_env(environ)
    assert str(err.value).startswith(message)


def test_override_unknown_limit_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown limit 'max_pagez'; valid limits: convert_seconds, max_chars"):
        Limits().override(max_pagez=3)


def test_current_follows_using_and_env(monkeypatch):
    monkeypatch.setenv("KEHOACH_MAX_PAGES", "7")
    assert current().max_pages == 7
    with using(Limits(max_pages=2)):
        assert current().max_pages == 2
    assert current().max_pages == 7


# ---------------------------------------------------------------------------
# each limit, hit in a reader
# ---------------------------------------------------------------------------

def test_size_limit_before_reading(tmp_path):
    path = shutil.copyfile(B.real("016"), tmp_path / "big.pdf")
    with pytest.raises(LimitExceeded) as err:
        read_document(path, Limits(max_size=1024 * 1024))
    e = err.value
    assert isinstance(e, DocumentLoadError)
    assert (e.stage, e.limit, e.reason) == ("limit", "max_size", "file too large: 2.8 MB (limit 1.0 MB)")
    assert e.hint == "raise the limit with --max-size or KEHOACH_MAX_SIZE"


def test_page_limit_before_pages_are_read(tmp_path, monkeypatch):
    import kehoach.ingest.pdf as pdf_module

    monkeypatch.setattr(pdf_module, "_page_lines", lambda *a: pytest.fail("a page was read"))
    path = B.write(tmp_path / "three.pdf", B.pdf([B.PLAN_LINES] * 3))
    with pytest.raises(LimitExceeded) as err:
        read_document(path, Limits(max_pages=2))
    assert (err.value.stage, err.value.reason) == ("limit", "too many pages: 3 (limit 2)")


def test_char_limit_on_any_format():
    with pytest.raises(LimitExceeded) as err:
        read_document(B.real("035"), Limits(max_chars=1000))  # .docx: checked on the normalized text
    assert err.value.reason.startswith("text too long: ") and err.value.reason.endswith(" characters "
                                                                                          "(limit 1,000 characters)")
    assert err.value.hint == "raise the limit with KEHOACH_MAX_CHARS"


def test_text_file_too_large_is_not_read(tmp_path, monkeypatch):
    path = B.write(tmp_path / "big.txt", b"a" * 5000)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("the file was read"))
    with pytest.raises(LimitExceeded) as err:
        read_document(path, Limits(max_chars=1000))
    assert err.value.reason == "text too long: a 4.9 KB text file (limit 1,000 characters)"


def test_under_the_limits_nothing_changes():
    limits = Limits(max_size=3 * 2**20, max_pages=2, max_chars=20_000)
    assert read_document(B.real("016"), limits).text == read_document(B.real("016")).text


def test_time_budget():
    budget = TimeBudget(0.05, "ocr_seconds", "scan.pdf", "OCR")
    budget.check()
    assert 0 < budget.remaining() <= 0.05
    time.sleep(0.06)
    assert budget.remaining() == 0
    with pytest.raises(LimitExceeded) as err:
        budget.check()
    assert (err.value.stage, err.value.limit) == ("limit", "ocr_seconds")
    assert err.value.reason == "OCR took longer than 0.05 s (limit ocr_seconds)"
    assert err.value.hint == "raise the limit with KEHOACH_OCR_SECONDS"


# ---------------------------------------------------------------------------
# `kehoach ingest` options and env vars
# ---------------------------------------------------------------------------

@pytest.fixture
def folder(tmp_path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    shutil.copyfile(B.real("016"), d / "two pages.pdf")     # 2.8 MB, 2 pages
    shutil.copyfile(B.seed("004"), d / "small.txt")          # 6 KB
    B.write(d / "one page.pdf", B.pdf([B.PLAN_LINES]))      # 1 page
    return d


def test_ingest_max_size_and_max_pages(folder, tmp_path):
    db = tmp_path / "k.duckdb"
    result = invoke("ingest", str(folder), "--db", str(db), "-q", "--max-size", "1MB", "--max-pages", "1")
    assert result.exit_code == 2, result.output
    assert _documents(db) == ["one page.pdf", "small.txt"]
    assert errors(db) == [("two pages.pdf", "limit", "file too large: 2.8 MB (limit 1.0 MB)",
                           "raise the limit with --max-size or KEHOACH_MAX_SIZE")]
    db2 = tmp_path / "k2.duckdb"
    result = invoke("ingest", str(folder), "--db", str(db2), "-q", "--max-pages", "1")
    assert result.exit_code == 2, result.output
    assert errors(db2) == [("two pages.pdf", "limit", "too many pages: 2 (limit 1)",
                            "raise the limit with --max-pages or KEHOACH_MAX_PAGES")]


def test_ingest_limits_from_env_and_option_wins(folder, tmp_path):
    db = tmp_path / "k.duckdb"
    result = invoke("ingest", str(folder), "--db", str(db), "-q", "--max-size", "10MB",
                    env={"KEHOACH_MAX_SIZE": "1KB", "KEHOACH_MAX_CHARS": "4500"})
    assert result.exit_code == 2, result.output
    # the option overrides KEHOACH_MAX_SIZE; KEHOACH_MAX_CHARS still applies: seed 004 has 4,754
    # characters once normalized, 016 has 4,046
    assert errors(db) == [("small.txt", "limit", "text too long: 4,754 characters (limit 4,500 characters)",
                           "raise the limit with KEHOACH_MAX_CHARS")]


@pytest.mark.parametrize("args, env, message", [
    (["--max-pages", "0"], None, "Error: bad limit: --max-pages: 0 is not positive"),
    (["--max-size", "lots"], None, "Error: bad limit: --max-size: 'lots' is not a size"),
    ([], {"KEHOACH_MAX_CHARS": "x"}, "Error: bad limit: KEHOACH_MAX_CHARS: 'x' is not a whole number"),
])
def test_ingest_bad_limit_is_a_usage_error(folder, tmp_path, args, env, message):
    result = invoke("ingest", str(folder), "--db", str(tmp_path / "k.duckdb"), *args, env=env)
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert not (tmp_path / "k.duckdb").exists()


# ---------------------------------------------------------------------------
# external tools: no shell, hostile names, time limit
# ---------------------------------------------------------------------------

HOSTILE_NAMES = ["a b.doc", "it's \"x\".doc", "-rf.doc", "--help.doc", "$(touch pwned).doc", "a;touch pwned.doc",
                 "`touch pwned`.doc", "new\nline.doc", "*.doc", "Kế hoạch.doc"]

ECHO_ARGS = "import sys, json; print(json.dumps(sys.argv[1:]))"


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_run_tool_passes_hostile_names_untouched(tmp_path, name, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / name
    path.write_bytes(b"x")
    done = run_tool([sys.executable, "-c", ECHO_ARGS, "--in", path_arg(path)], path=path, timeout=60)
    import json

    assert json.loads(done.stdout) == ["--in", str(path)]
    assert path_arg(name) == str(path) and not path_arg(name).startswith("-")
    assert not (tmp_path / "pwned").exists()


def test_run_tool_refuses_a_command_string(tmp_path):
    with pytest.raises(TypeError):
        run_tool("echo hi", path=tmp_path)


def test_run_tool_time_limit_kills_the_process_group(tmp_path):
    """A tool that hangs (and its child) is killed at the limit: LimitExceeded, stage "limit"."""
    marker = tmp_path / "child-alive"
    child = tmp_path / "child.py"
    child.write_text(f"import time\ntime.sleep(1.5)\nopen({str(marker)!r}, 'w').close()\n")
    parent = tmp_path / "tool.py"
    parent.write_text(f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, {str(child)!r}])\n"
                      "time.sleep(30)\n")
    start = time.monotonic()
    with pytest.raises(LimitExceeded) as err:
        run_tool([sys.executable, parent], path=tmp_path / "x.doc", timeout=0.5, what="conversion to .docx")
    assert time.monotonic() - start < 10
    assert (err.value.stage, err.value.limit) == ("limit", "convert_seconds")
    assert err.value.reason == "conversion to .docx took longer than 0.5 s (limit convert_seconds)"
    time.sleep(2)
    assert not marker.exists(), "the tool's child survived the kill"


def test_run_tool_default_timeout_is_the_limit(tmp_path):
    with using(Limits(convert_seconds=0.3)):
        with pytest.raises(LimitExceeded):
            run_tool([sys.executable, "-c", "import time; time.sleep(20)"], path=tmp_path / "x.doc")


def test_run_tool_missing_program(tmp_path):
    with pytest.raises(DocumentLoadError) as err:
        run_tool(["kehoach-no-such-tool", "x"], path=tmp_path / "x.doc", hint="apt-get install no-such-tool")
    assert (err.value.stage, err.value.reason, err.value.hint) == (
        "convert", "kehoach-no-such-tool is not installed", "apt-get install no-such-tool")


def test_extract_honours_limits_and_refuses_bad_ones(tmp_path):
    over = invoke("extract", str(B.seed("004")), env={"KEHOACH_MAX_CHARS": "4000"})
    assert over.exit_code == 1
    assert over.stderr.startswith(f"Error: {B.seed('004')}: text too long: 4,754 characters (limit 4,000 characters)"
                                  " — raise the limit with KEHOACH_MAX_CHARS")
    bad = invoke("extract", str(B.seed("004")), env={"KEHOACH_MAX_CHARS": "many"})
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: bad limit: KEHOACH_MAX_CHARS: 'many' is not")
