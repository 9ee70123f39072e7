"""The bulk writer: many documents' rows per transaction, inserted as Arrow tables.

Workers send each file's rows (``kehoach.batch.work``); the one writer in the
main process collects them and writes a batch in ONE transaction that holds
whole documents only: either every row of a document is committed or none
(a crash mid-batch loses the batch, which the next run redoes, and never
leaves half a document). Per table, the batch's rows go in as one Arrow table
(``INSERT INTO t SELECT … FROM <arrow>``), not row by row.

The same transaction records each file's state in ``ingest_files`` (path, size,
mtime, sha256, stored or failed) so that a re-run can skip unchanged files
cheaply, and removes the rows of a document whose file changed and that no
other file still holds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Optional, Sequence

from kehoach.batch.work import FileResult
from kehoach.ingest.discover import storable
from kehoach.store.params import json_list

ERROR_COLUMNS = ("path", "sha256", "reason", "stage", "hint", "at")
STATE_COLUMNS = ("path", "size", "mtime_ns", "sha256", "doc_id", "status", "reason", "stage", "updated_at")

# documents.file_mtime (and so rows backfilled from it) has microsecond precision
MTIME_TOLERANCE_NS = 2000


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _ident(name: str) -> str:
    return '"' + name.strip('"').replace('"', '""') + '"'


def abs_path(path: str) -> str:
    """The key a file is known by in ``ingest_files``: absolute, valid UTF-8, links not resolved."""
    return storable(os.path.abspath(path))


# table -> column -> Arrow type, read once per process from the store's schema
# (information_schema queries cost ~10 ms each; a batch inserts into a dozen tables)
_TYPES: dict[str, dict[str, Any]] = {}


class ArrowInserter:
    """Inserts rows as Arrow tables typed from the store's own column types."""

    def __init__(self, con):
        self.con = con

    def _schema(self, table: str, names: Sequence[str]) -> dict[str, Any]:
        known = _TYPES.get(table)
        if known is None or any(n not in known for n in names):
            import pyarrow as pa

            simple = {"VARCHAR": pa.string(), "JSON": pa.string(), "INTEGER": pa.int32(), "BIGINT": pa.int64(),
                      "DATE": pa.date32(), "TIMESTAMP": pa.timestamp("us"), "BOOLEAN": pa.bool_(),
                      "DOUBLE": pa.float64(), "VARCHAR[]": pa.list_(pa.string())}
            _TYPES.clear()
            for tname, name, dtype in self.con.execute(
                    "SELECT table_name, column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = current_schema()").fetchall():
                _TYPES.setdefault(tname, {})[name] = simple.get(dtype)
            known = _TYPES.get(table, {})
        return known

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
               replace: bool = False, ignore: bool = False) -> None:
        """``INSERT [OR REPLACE | OR IGNORE] INTO table (columns) SELECT … FROM`` an Arrow table of ``rows``."""
        if not rows:
            return
        import pyarrow as pa

        names = [c.strip('"') for c in columns]
        types = self._schema(table, names)
        arrays = []
        for i, name in enumerate(names):
            values = [r[i] for r in rows]
            kind = types.get(name)
            if kind == pa.string() and isinstance(next((v for v in values if v is not None), None), bytes):
                arrays.append(_utf8_array(pa, values))
            else:
                arrays.append(pa.array(values, type=kind))
        data = pa.Table.from_arrays(arrays, names=names)
        view = "_kehoach_batch_rows"
        cols = ", ".join(_ident(n) for n in names)
        self.con.register(view, data)
        try:
            verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE" if ignore else "INSERT"
            self.con.execute(f"{verb} INTO {_ident(table)} ({cols}) SELECT {cols} FROM {view}")
        finally:
            self.con.unregister(view)


def _utf8_array(pa, values: list):
    """A string array of ``values`` (UTF-8 bytes, str or None), built as binary, then checked as UTF-8.

    pyarrow's string conversion checks bytes by decoding each value to a Python str (~16 instructions
    a byte; a .txt plan sends ~27 kB of text and JSON as bytes, ``kehoach.batch.work.as_sent``); Arrow's
    own check of the finished array costs less than half of that. DuckDB does not check long strings
    it is given through Arrow, so the check stays: bad bytes raise ``ArrowInvalid`` and fail their file.
    """
    arr = pa.array(values, type=pa.binary()).view(pa.string())
    arr.validate(full=True)
    return arr


# tables whose rows are shared between documents -> number of leading primary-key columns
SHARED_TABLES = {"agencies": 1, "agency_aliases": 2}


def doc_tables(con) -> list[str]:
    """Tables whose rows belong to one document (they have a ``doc_id`` column)."""
    return [r[0] for r in con.execute(
        "SELECT DISTINCT c.table_name FROM information_schema.columns c "
        "JOIN information_schema.tables t USING (table_schema, table_name) "
        "WHERE c.column_name = 'doc_id' AND t.table_type = 'BASE TABLE' AND c.table_schema = current_schema() "
        "ORDER BY 1").fetchall()]


def delete_document(con, doc_id: str) -> None:
    """Remove a document and every row that belongs to it (inside the caller's transaction)."""
    for table in doc_tables(con):
        con.execute(f"DELETE FROM {_ident(table)} WHERE doc_id = ?", [doc_id])
    con.execute("DELETE FROM documents WHERE id = ?", [doc_id])


def file_states(con, paths: Sequence[str]) -> dict[str, tuple]:
    """``ingest_files`` rows for ``paths`` (absolute keys): path -> (size, mtime_ns, status, doc_id)."""
    if not paths:
        return {}
    rows = con.execute(
        "SELECT f.path, f.size, f.mtime_ns, f.status, f.doc_id, d.id IS NOT NULL "
        "FROM ingest_files f LEFT JOIN documents d ON d.id = f.doc_id "
        """WHERE f.path IN (SELECT unnest(from_json(?, '["VARCHAR"]')))""", [json_list(paths)]).fetchall()
    return {r[0]: (r[1], r[2], r[3], r[4] if r[5] else None) for r in rows}


def unchanged(state: Optional[tuple], size: Optional[int], mtime_ns: Optional[int]) -> bool:
    """True when a file's stored state says it is stored and its size and mtime have not moved."""
    if state is None or size is None or mtime_ns is None:
        return False
    s_size, s_mtime, status, doc_id = state
    return (status == "stored" and doc_id is not None and s_size == size and s_mtime is not None
            and abs(s_mtime - mtime_ns) <= MTIME_TOLERANCE_NS)


@dataclass
class Outcome:
    result: FileResult
    status: str  # "stored" | "replaced" | "present" | "failed"
    reason: Optional[str] = None
    stage: Optional[str] = None
    hint: Optional[str] = None


def write_batch(con, results: Sequence[FileResult]) -> list[Outcome]:
    """Write a batch in one transaction; if it fails, write each file in its own.

    A file whose own transaction fails (a store bug, a constraint) is recorded
    as failed at stage "store"; the others are kept.
    """
    if not results:
        return []
    inserter = ArrowInserter(con)
    con.begin()
    try:
        outcomes = _write(con, inserter, results)
        con.commit()
        return outcomes
    except Exception:
        con.rollback()
        if len(results) == 1:
            return _store_failure(con, inserter, results[0])
    out: list[Outcome] = []
    for r in results:
        con.begin()
        try:
            out.extend(_write(con, inserter, [r]))
            con.commit()
        except Exception:
            con.rollback()
            out.extend(_store_failure(con, inserter, r))
    return out


def _store_failure(con, inserter: ArrowInserter, r: FileResult) -> list[Outcome]:
    import sys

    e = sys.exc_info()[1]
    failed = FileResult(r.job, "error", r.doc_id, reason=f"{type(e).__name__}: {e}", stage="store",
                        hint="a bug in kehoach's store; please report it", timings=r.timings)
    con.begin()
    try:
        outcomes = _write(con, inserter, [failed])
        con.commit()
    except Exception:
        con.rollback()
        raise
    return outcomes


def _write(con, inserter: ArrowInserter, results: Sequence[FileResult]) -> list[Outcome]:
    now = _utcnow()
    keys = [abs_path(r.job.path) for r in results]
    before = file_states(con, keys)
    ok_ids = sorted({r.doc_id for r in results if r.status == "ok"})
    existing = {row[0] for row in con.execute(
        """SELECT id FROM documents WHERE id IN (SELECT unnest(from_json(?, '["VARCHAR"]')))""",
        [json_list(ok_ids)]).fetchall()} if ok_ids else set()

    tables: dict[str, tuple[tuple[str, ...], list[tuple]]] = {}
    outcomes: list[Outcome] = []
    states: dict[str, tuple] = {}
    errors: list[tuple] = []
    for key, r in zip(keys, results):
        old = before.get(key)
        old_doc = old[3] if old else None
        if r.status == "ok":
            if r.doc_id in existing:
                status = "present"
            else:
                existing.add(r.doc_id)
                for table, (cols, rows) in r.tables.items():
                    have = tables.setdefault(table, (cols, []))
                    if have[0] != cols:
                        raise ValueError(f"{table}: rows with different columns in one batch")
                    have[1].extend(rows)
                status = "replaced" if old_doc and old_doc != r.doc_id else "stored"
            outcomes.append(Outcome(r, status))
            states[key] = (key, r.job.size, r.job.mtime_ns, r.doc_id, r.doc_id, "stored", None, None, now)
        else:
            outcomes.append(Outcome(r, "failed", r.reason, r.stage, r.hint))
            states[key] = (key, r.job.size, r.job.mtime_ns, r.doc_id, None, "failed", r.reason, r.stage, now)
            errors.append((key, r.doc_id, r.reason, r.stage, r.hint, now))

    # documents first: the other tables' rows belong to them
    order = sorted(tables, key=lambda t: (t != "documents", t))
    for table in order:
        cols, rows = tables[table]
        if table in SHARED_TABLES:  # rows many documents share (agencies): each key once, known ones kept
            width = SHARED_TABLES[table]
            rows = list({tuple(r[:width]): r for r in rows}.values())
            inserter.insert(table, cols, rows, ignore=True)
            continue
        inserter.insert(table, cols, rows)
    inserter.insert("ingest_files", STATE_COLUMNS, list(states.values()), replace=True)
    inserter.insert("ingest_errors", ERROR_COLUMNS, errors)

    # a changed file's old document goes when no file holds it any more
    stale = {old[3] for key, old in before.items() if old[3] and old[3] != states[key][4]}
    if stale:
        held = {row[0] for row in con.execute(
            """SELECT DISTINCT doc_id FROM ingest_files WHERE doc_id IN (SELECT unnest(from_json(?, '["VARCHAR"]')))""",
            [json_list(sorted(stale))]).fetchall()}
        for doc_id in sorted(stale - held):
            delete_document(con, doc_id)
    return outcomes


def record_found_errors(con, items: Iterable[tuple[str, str, str, Optional[str]]]) -> None:
    """Log walk errors (unreadable folders, broken links): (path, reason, stage, hint) each."""
    rows = [(abs_path(p), None, reason, stage, hint, _utcnow()) for p, reason, stage, hint in items]
    if rows:
        ArrowInserter(con).insert("ingest_errors", ERROR_COLUMNS, rows)
