"""No way in: `kehoach sql` is read-only and reads no files; every other command binds
its values as parameters; external tools run without a shell.

``SQL_CASES`` is rendered into docs/reliability.md (test_reliability_doc.py). Each
statement runs as `kehoach sql` runs it: on a read-only connection to a database
file, through ``read_only_sql``. ``{secret}`` is a CSV file holding a canary, ``{dir}``
a folder beside it; a case passes only if it is refused with its message, the canary
never appears, no file is written and the store is unchanged.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest
from typer.testing import CliRunner

from conftest import SEED_IDS, gold_record, gold_source
from kehoach.cli import app
from kehoach.store import QueryLimits, StoreError, UnsafeSQLError, connect, read_only_sql, store_record

KEHOACH = Path(__file__).resolve().parent.parent / "kehoach"
CANARY = "CANARY-SQL-0451"
READ_ONLY = "statements are not allowed: the database is read-only here"
READS_FILES = "reads files or other databases, which `kehoach sql` does not allow"


@dataclass(frozen=True)
class SqlCase:
    """A statement and the start of the message refusing it (None: allowed, a read-only query)."""

    kind: str
    sql: str
    refused: Optional[str]


def _stmt(word: str) -> str:
    return f"{word} {READ_ONLY}"


SQL_CASES = [
    # writes (DML, DDL)
    SqlCase("DML", "DELETE FROM documents", _stmt("DELETE")),
    SqlCase("DML", "UPDATE documents SET title = 'x'", _stmt("UPDATE")),
    SqlCase("DML", "INSERT INTO ingest_errors (path) VALUES ('x')", _stmt("INSERT")),
    SqlCase("DDL", "DROP TABLE documents", _stmt("DROP")),
    SqlCase("DDL", "CREATE TABLE t AS SELECT 1", _stmt("CREATE")),
    SqlCase("DDL", "CREATE TEMP TABLE t AS SELECT 1", _stmt("CREATE")),
    SqlCase("DDL", "CREATE MACRO m(x) AS x", _stmt("CREATE")),
    SqlCase("DDL", "ALTER TABLE documents ADD COLUMN z INT", _stmt("ALTER")),
    SqlCase("DDL", "CREATE SECRET s (TYPE s3, KEY_ID 'k', SECRET 'v')", _stmt("CREATE")),
    # files and other databases
    SqlCase("COPY", "COPY documents TO '{dir}/out.csv'", _stmt("COPY")),
    SqlCase("COPY", "COPY (SELECT * FROM documents) TO '{dir}/out.parquet'", _stmt("COPY")),
    SqlCase("COPY", "COPY documents FROM '{secret}'", _stmt("COPY")),
    SqlCase("EXPORT", "EXPORT DATABASE '{dir}/export'", _stmt("EXPORT")),
    SqlCase("IMPORT", "IMPORT DATABASE '{dir}'", _stmt("IMPORT")),
    SqlCase("ATTACH", "ATTACH '{dir}/other.duckdb' AS o", _stmt("ATTACH")),
    SqlCase("ATTACH", "DETACH k", _stmt("DETACH")),
    SqlCase("ATTACH", "USE memory", _stmt("USE")),
    # extensions and settings
    SqlCase("INSTALL", "INSTALL fts", _stmt("INSTALL")),
    SqlCase("INSTALL", "FORCE INSTALL httpfs", _stmt("FORCE")),
    SqlCase("LOAD", "LOAD fts", _stmt("LOAD")),
    SqlCase("PRAGMA", "PRAGMA version", _stmt("PRAGMA")),
    SqlCase("PRAGMA", "CALL pragma_version()", _stmt("CALL")),
    SqlCase("SET", "SET enable_external_access = true", _stmt("SET")),
    SqlCase("SET", "SET VARIABLE x = 1", _stmt("SET")),
    SqlCase("SET", "RESET threads", _stmt("RESET")),
    SqlCase("transaction", "BEGIN TRANSACTION", _stmt("BEGIN")),
    SqlCase("maintenance", "CHECKPOINT", _stmt("CHECKPOINT")),
    SqlCase("maintenance", "VACUUM", _stmt("VACUUM")),
    SqlCase("EXPLAIN", "EXPLAIN ANALYZE DELETE FROM documents", _stmt("EXPLAIN")),
    # table functions and replacement scans that read files
    SqlCase("file read", "SELECT * FROM read_csv('{secret}')", f"read_csv() {READS_FILES}"),
    SqlCase("file read", "SELECT * FROM read_csv_auto('{secret}')", f"read_csv_auto() {READS_FILES}"),
    SqlCase("file read", "SELECT * FROM READ_PARQUET('{secret}')", f"read_parquet() {READS_FILES}"),
    SqlCase("file read", "SELECT * FROM read_json('{secret}')", f"read_json() {READS_FILES}"),
    SqlCase("file read", "SELECT * FROM read_text('{secret}')", f"read_text() {READS_FILES}"),
    SqlCase("file read", "SELECT * FROM \"read_blob\" ('{secret}')", f"read_blob() {READS_FILES}"),
    SqlCase("file read", "SELECT * FROM read_csv /* comment */ ('{secret}')", f"read_csv() {READS_FILES}"),
    SqlCase("file read", "SELECT * FROM read_csv(['{secret}'])", f"read_csv() {READS_FILES}"),
    SqlCase("file read", "SELECT * FROM sniff_csv('{secret}')", f"sniff_csv() {READS_FILES}"),
    SqlCase("file read", "SELECT * FROM parquet_metadata('{secret}')", f"parquet_metadata() {READS_FILES}"),
    SqlCase("file read", "SELECT * FROM glob('{dir}/*')", f"glob() {READS_FILES}"),
    SqlCase("file read", "SELECT * FROM sqlite_scan('{dir}/x.db', 't')", f"sqlite_scan() {READS_FILES}"),
    SqlCase("file read", "SELECT * FROM query('DELETE FROM documents')", f"query() {READS_FILES}"),
    SqlCase("file read", "SELECT getenv('HOME')", f"getenv() {READS_FILES}"),
    SqlCase("file read", "SELECT * FROM '{secret}'", "FROM '{secret}' reads a file"),
    SqlCase("file read", "SELECT * FROM \"{secret}\"", "FROM '{secret}' reads a file"),
    SqlCase("file read", "FROM '{secret}'", "FROM '{secret}' reads a file"),
    SqlCase("file read", "SELECT * FROM documents UNION ALL SELECT * FROM '{secret}'", "FROM '{secret}' reads a file"),
    SqlCase("file read", "SELECT (SELECT b FROM '{secret}')", "FROM '{secret}' reads a file"),
    SqlCase("file read", "WITH x AS (SELECT * FROM '{secret}') SELECT * FROM x", "FROM '{secret}' reads a file"),
    SqlCase("file read", "PIVOT '{secret}' ON a", _stmt("PIVOT")),
    # several statements, comment tricks, CTEs with DML
    SqlCase("multiple", "SELECT 1; DROP TABLE documents", "2 statements given"),
    SqlCase("multiple", "SELECT 1; SELECT 2", "2 statements given"),
    SqlCase("comment", "/* SELECT */ DROP TABLE documents", _stmt("DROP")),
    SqlCase("comment", "-- SELECT\nDELETE FROM documents", _stmt("DELETE")),
    SqlCase("CTE + DML", "WITH x AS (SELECT 1) DELETE FROM documents", _stmt("DELETE")),
    SqlCase("CTE + DML", "WITH x AS (SELECT 1) INSERT INTO documents (id) SELECT 'x'", _stmt("INSERT")),
    SqlCase("CTE + DML", "WITH x AS (SELECT 1) UPDATE documents SET title = 'x'", _stmt("UPDATE")),
    SqlCase("empty", "", "empty SQL"),
    SqlCase("empty", "  -- nothing", "empty SQL"),
    # allowed: read-only queries, including ones that look dangerous but are not
    SqlCase("allowed", "SELECT count(*) FROM documents", None),
    SqlCase("allowed", "SELECT 1 -- ; DROP TABLE documents", None),
    SqlCase("allowed", "SELECT '; DROP TABLE documents' AS s", None),
    SqlCase("allowed", "SELECT 'read_csv(' AS s", None),
    SqlCase("allowed", "SELECT 1;", None),
    SqlCase("allowed", "FROM obligations SELECT count(*)", None),
    SqlCase("allowed", "WITH o AS (SELECT * FROM obligations) SELECT count(DISTINCT doc_id) FROM o", None),
    SqlCase("allowed", "DESCRIBE documents", None),
    SqlCase("allowed", "SHOW TABLES", None),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A database file with the four seed records, a canary CSV and a folder beside it.

    The folder holds a ``schema.sql`` with the canary, so that IMPORT DATABASE would read it.
    """
    base = tmp_path_factory.mktemp("nowayin")
    db = base / "k.duckdb"
    con = connect(db)
    for seed in SEED_IDS:
        store_record(con, gold_record(seed), gold_source(seed))
    con.close()
    secret = base / "secret.csv"
    secret.write_text(f"a,b\n1,{CANARY}\n", encoding="utf-8")
    (base / "schema.sql").write_text(f"{CANARY} is not SQL;", encoding="utf-8")
    return db, {"secret": str(secret), "dir": str(base)}


def _run(db: Path, sql: str):
    con = connect(db, read_only=True)  # as `kehoach sql` opens it
    try:
        return read_only_sql(con, sql)
    finally:
        con.close()


def _count(db: Path) -> int:
    con = connect(db, read_only=True)
    try:
        return con.execute("SELECT count(*) FROM documents").fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize("case", SQL_CASES, ids=[f"{c.kind}: {c.sql[:50]}" for c in SQL_CASES])
def test_sql_case(store, case):
    db, paths = store
    sql = case.sql.format(**paths)
    files_before = sorted(Path(paths["dir"]).rglob("*"))
    if case.refused is None:
        result = read_only = _run(db, sql)
        assert CANARY not in json.dumps(read_only.rows, default=str)
        assert result.columns
    else:
        with pytest.raises(UnsafeSQLError) as err:
            _run(db, sql)
        assert err.value.message.startswith(case.refused.format(**paths)), err.value.message
        assert CANARY not in str(err.value)
        assert err.value.hint
    assert sorted(Path(paths["dir"]).rglob("*")) == files_before  # nothing written
    assert _count(db) == 4


@pytest.mark.parametrize("sql", ["DELETE FROM documents", "COPY documents TO '{dir}/x.csv'", "ATTACH '{dir}/o.db'",
                                 "SELECT * FROM read_text('{secret}')", "SELECT 1; DROP TABLE documents",
                                 "IMPORT DATABASE '{dir}'"])
def test_sql_command_refuses(store, sql):
    """The same through the command: `Error: …` on stderr, exit 1, nothing on stdout."""
    db, paths = store
    result = CliRunner().invoke(app, ["sql", sql.format(**paths), "--db", str(db)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and " — " in result.stderr
    assert result.stdout == "" and CANARY not in result.stderr
    assert _count(db) == 4


def test_sql_syntax_errors_and_bad_tables_are_store_errors(store):
    db, _ = store
    with pytest.raises(StoreError, match="does not parse"):
        _run(db, "SELEC 1")
    with pytest.raises(StoreError, match="query failed"):
        _run(db, "SELECT nope FROM documents")


def test_sql_query_limits(store):
    """A query too slow or too hungry is stopped with a message naming the limit; extra rows are cut off."""
    import time

    db, _ = store
    con = connect(db, read_only=True)
    try:
        t = time.monotonic()
        with pytest.raises(StoreError) as err:
            read_only_sql(con, "SELECT count(*) FROM range(1000000000000)", QueryLimits(seconds=0.3))
        assert time.monotonic() - t < 10
        assert err.value.message == "query stopped after 0.3 s (the time limit)"
        assert "--timeout" in err.value.hint and "KEHOACH_SQL_SECONDS" in err.value.hint
    finally:
        con.close()
    con = connect(db, read_only=True)
    try:
        with pytest.raises(StoreError) as err:
            read_only_sql(con, "SELECT string_agg(range::VARCHAR, ',') FROM range(100000000)",
                          QueryLimits(memory=50 * 1024 * 1024))
        assert err.value.message == "query needs more than 50.0 MB of memory (the memory limit)"
        assert "--memory" in err.value.hint
    finally:
        con.close()
    con = connect(db, read_only=True)
    try:
        rows = read_only_sql(con, "SELECT id FROM documents ORDER BY id", QueryLimits(max_rows=3))
        assert len(rows) == 3 and rows.truncated
        rows = read_only_sql(con, "SELECT id FROM documents", QueryLimits(max_rows=4))
        assert len(rows) == 4 and not rows.truncated
    finally:
        con.close()
    assert _count(db) == 4


def test_sql_command_limits(store, monkeypatch):
    db, _ = store
    result = CliRunner().invoke(app, ["sql", "SELECT id FROM documents", "--db", str(db), "--max-rows", "2",
                                      "--format", "json"])
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)) == 2
    assert result.stderr.startswith("Note: only the first 2 rows are shown; more rows matched")
    monkeypatch.setenv("KEHOACH_SQL_SECONDS", "0.2")
    result = CliRunner().invoke(app, ["sql", "SELECT count(*) FROM range(1000000000000)", "--db", str(db)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: query stopped after 0.2 s (the time limit) — narrow the query")
    result = CliRunner().invoke(app, ["sql", "SELECT 1", "--db", str(db), "--memory", "lots"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: bad limit: --memory: 'lots' is not a size")
    monkeypatch.setenv("KEHOACH_SQL_ROWS", "0")
    result = CliRunner().invoke(app, ["sql", "SELECT 1", "--db", str(db)])
    assert result.exit_code == 1 and "KEHOACH_SQL_ROWS: '0' is not positive" in result.stderr


def test_external_access_is_off_even_for_an_unlisted_reader(store, monkeypatch):
    """Second line of defence: with the guard's name list emptied, DuckDB itself refuses the file."""
    import re

    import kehoach.store.queries as queries

    db, paths = store
    monkeypatch.setattr(queries, "_FILE_FUNCTION", re.compile(r"^$"))
    with pytest.raises(UnsafeSQLError) as err:
        _run(db, f"SELECT * FROM read_csv('{paths['secret']}')")
    assert err.value.message.startswith("the query tried to reach outside the database")
    assert CANARY not in str(err.value)


# ---------------------------------------------------------------------------
# every other command: values are bound parameters
# ---------------------------------------------------------------------------

INJECTIONS = ["' OR 1=1 --", "'; DROP TABLE documents; --", "4639' OR '1'='1", "%", "_", "\\", "\" OR \"\"=\"",
              "04/2012/TT-BNV' UNION SELECT * FROM documents --"]


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize("command", [["obligations", "--agency"], ["cites"], ["show"]])
def test_lookup_values_are_never_sql(store, command, value):
    """SQL in a lookup's argument matches nothing (or is refused as a value); the store is intact."""
    db, _ = store
    result = CliRunner().invoke(app, [*command, value, "--db", str(db), "--format", "json"])
    if result.exit_code == 0:
        assert json.loads(result.stdout) == []
    else:
        assert result.exit_code == 1 and result.stderr.startswith("Error: ")
        assert "Parser Error" not in result.stderr and "syntax" not in result.stderr.lower()
    assert _count(db) == 4


# Places where SQL text is not a literal, each reviewed: what is formatted in, and why it is safe.
# A new call site with built SQL fails test_sql_is_literal_or_reviewed until it is added here.
REVIEWED_SQL = {
    ("store/migrations.py", "migrate"): "statements are the MIGRATIONS constants",
    ("store/queries.py", "_fetch"): "runs the SQL its callers pass; each caller is checked here",
    ("store/queries.py", "obligations"): "column list and WHERE fragments are constants; values are ? parameters",
    ("store/queries.py", "check_read_only_sql"): "the user's SQL, only parsed (extract_statements) by the guard",
    ("store/queries.py", "read_only_sql"): "the user's SQL after check_read_only_sql, external access off; "
                                            "memory_limit is an int formatted in",
    ("store/writer.py", "_insert"): "table and column names are module constants; values are ? parameters",
    # reviewed at the merge of the store, scale and formats work (2026-11-22)
    ("batch/distributed.py", "extract_shard"): "table names are the store's own; the shard path has ' doubled",
    ("batch/distributed.py", "load_shard"): "read_parquet('path') with ' doubled; table names are the store's own",
    ("batch/store.py", "delete_document"): "table names from information_schema, quoted by _ident; doc_id is ?",
    ("batch/store.py", "insert"): "table/column names from the store's schema, quoted by _ident; rows via Arrow",
    ("store/agencies.py", "_update"): "table/column names and types are literals of the callers; values are ? lists",
    ("store/export.py", "export"): "table names from the store's catalogue, quoted; the target path is ?",
    ("store/lookups.py", "agencies"): "WHERE fragments are literals with ? parameters",
    ("store/lookups.py", "cited_by"): "the column list is a module constant",
    ("store/lookups.py", "deadlines"): "WHERE fragments are literals with ? parameters",
    ("store/lookups.py", "events"): "WHERE fragments are literals (column names chosen in code) with ? parameters",
    ("store/search.py", "build_index"): "the index table name and BM25 constants are module constants",
    ("store/search.py", "load_fts"): "the extension path is quoted as a SQL literal with ' doubled",
    ("store/search.py", "search"): "one literal sub-query per term and ? lists; the terms and ids are ? parameters",
    # reviewed with the lookup tables (issue 5, session 3)
    ("store/optimize.py", "optimize"): "table names and sort orders are module constants",
    ("store/queries.py", "cites"): "the source table and ORDER BY are module constants; the key and limit are ?",
}
_SQL_METHODS = {"execute", "executemany", "sql", "query", "extract_statements", "from_query", "_fetch"}


def sql_call_sites():
    """(file, function, source of the SQL argument) for every DuckDB call whose SQL is not a literal."""
    for path in sorted(KEHOACH.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        owner = {}  # node -> name of the innermost function holding it
        for func in ast.walk(tree):
            if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(func):
                    owner[node] = func.name  # inner functions are walked later and win
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name not in _SQL_METHODS:
                continue
            args = node.args[1:] if name == "_fetch" else node.args
            if not args or (isinstance(args[0], ast.Constant) and isinstance(args[0].value, str)):
                continue
            yield str(path.relative_to(KEHOACH)), owner.get(node, "<module>"), ast.unparse(args[0])


def test_sql_is_literal_or_reviewed():
    unreviewed = sorted({(f, fn, src) for f, fn, src in sql_call_sites() if (f, fn) not in REVIEWED_SQL})
    assert not unreviewed, ("SQL built from non-literal text; bind values with ? and, once reviewed, add the "
                            "site to REVIEWED_SQL:\n" + "\n".join(f"{f}:{fn}: {src}" for f, fn, src in unreviewed))
    # the reviewed list is not stale either
    assert {(f, fn) for f, fn, _ in sql_call_sites()} >= set(REVIEWED_SQL)


def test_no_values_formatted_into_sql_strings():
    """No f-string, % or .format() whose text starts like SQL takes a value other than a constant's."""
    sql_start = ("SELECT ", "INSERT ", "UPDATE ", "DELETE ", "WITH ", " WHERE ", "WHERE ")
    bad = []
    for path in sorted(KEHOACH.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        reviewed = set()  # f-strings inside functions whose SQL sites were reviewed (REVIEWED_SQL)
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                    (str(path.relative_to(KEHOACH)), fn.name) in REVIEWED_SQL:
                reviewed.update(id(n) for n in ast.walk(fn))
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr) and id(node) not in reviewed:
                head = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                if head.upper().lstrip().startswith(sql_start) or " FROM " in head.upper():
                    names = [ast.unparse(v.value) for v in node.values if isinstance(v, ast.FormattedValue)]
                    if any(not _constant_expr(n) for n in names):
                        bad.append(f"{path.relative_to(KEHOACH)}:{node.lineno}: {ast.unparse(node)[:100]}")
    assert not bad, "\n".join(bad)


def _constant_expr(src: str) -> bool:
    """An expression over module constants (UPPER_CASE names) only, e.g. ``', '.join(OBLIGATION_COLUMNS)``."""
    names = [n.id for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Name)]
    return all(n.isupper() or n in ("table", "columns", "row_sql") for n in names)


# ---------------------------------------------------------------------------
# external tools: no shell
# ---------------------------------------------------------------------------

def shell_uses():
    """Calls that hand a command line to a shell, anywhere in kehoach/."""
    for path in sorted(KEHOACH.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            fn = ast.unparse(node.func)
            where = f"{path.relative_to(KEHOACH)}:{node.lineno}: {fn}"
            if fn in ("os.system", "os.popen", "asyncio.create_subprocess_shell", "commands.getoutput") \
                    or fn.startswith("os.spawn") or fn.startswith("os.exec"):
                yield where
            for kw in node.keywords:
                if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                    yield where + " (shell=...)"
            if fn.startswith("subprocess.") and node.args and isinstance(node.args[0], (ast.Constant, ast.JoinedStr,
                                                                                          ast.BinOp)):
                yield where + " (a command string, not an argument list)"


def test_no_shell_anywhere():
    assert list(shell_uses()) == []


def test_the_shell_audit_catches_what_it_should(tmp_path, monkeypatch):
    """The audit above is only worth something if it flags these."""
    (tmp_path / "bad.py").write_text(
        "import os, subprocess\n"
        "os.system('soffice ' + name)\n"
        "subprocess.run(f'tesseract {name}', shell=True)\n"
        "subprocess.check_output('antiword x')\n", encoding="utf-8")
    monkeypatch.setattr(__import__(__name__), "KEHOACH", tmp_path)
    found = list(shell_uses())
    assert len(found) == 4, found
