"""Bulk ingest: worker pool, batched writer, resume, crash safety, concurrent use, Dask.

Documents here are real plans (seed 004 and the real fixtures); the corpus
helper gives each copy its own number so that every file is a distinct document.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import kehoach.batch.run as run_mod
from batch_helpers import SLOW_INGEST, crash_on_boom, make_corpus
from conftest import FIXTURES, SEED_TEXTS
from kehoach.batch import IngestLock, IngestLockedError, IngestOptions, ingest_paths
from kehoach.batch.store import ArrowInserter
from kehoach.cli import app
from kehoach.store.db import release_request_path

# every table that holds a document's rows, with the columns that make a row unique
ROW_KEYS = {
    "documents": "id", "document_texts": "doc_id", "citations": "doc_id, kind, ordinal",
    "events": "doc_id, ordinal", "participants": "doc_id, ordinal", "assignments": "id",
    "assignment_coordinators": "assignment_id, ordinal", "tasks": "assignment_id, ordinal",
    "deadlines": "doc_id, ordinal", "recipients": "doc_id, ordinal", "dates": "doc_id, ordinal",
}
VOLATILE = {"ingested_at", "at", "updated_at"}
MIXED = [SEED_TEXTS / "001_68235d63eb85ea36.txt", SEED_TEXTS / "004_1de52a3aaf0af248.txt",
         FIXTURES / "real" / "012_KH_3898-KH-SCT_LaoCai_30-6-2026_huan_luyen.docx",
         FIXTURES / "real" / "016_CV_7432-UBND-XD_LaoCai_21-7-2026_trien_khai_QD1074.pdf"]


def q(db: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def table_rows(db: Path, table: str) -> list[tuple]:
    cols = [c for (c,) in q(db, "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                "ORDER BY ordinal_position", [table]) if c not in VOLATILE]
    return q(db, f"SELECT {', '.join(chr(34) + c + chr(34) for c in cols)} FROM {table} ORDER BY ALL")


def cli():
    script = Path(sys.executable).parent / "kehoach"
    return [str(script)] if script.exists() else [sys.executable, "-m", "kehoach.cli"]


def slow_ingest(*args: str, pause: float) -> list[str]:
    """The `kehoach ingest` command line with ``pause`` seconds added per file (batch_helpers.slow_job)."""
    return [sys.executable, "-c", SLOW_INGEST, "ingest", *args]


def slow_env(pause: float) -> dict:
    tests = str(Path(__file__).parent)
    return {**os.environ, "KEHOACH_TEST_SLOW": str(pause),
            "PYTHONPATH": os.pathsep.join([tests, os.environ.get("PYTHONPATH", "")])}


def copy_mixed(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for f in MIXED:
        shutil.copy2(f, folder / f.name)  # same mtime: documents.file_mtime compares equal
    (folder / "empty.txt").write_bytes(b"")
    return folder


# ------------------------------------------------------------------ same rows as the one-by-one writer

@pytest.fixture(scope="module")
def reference_db(tmp_path_factory) -> Path:
    """The mixed files stored one by one with store_record (the writer the batches must agree with)."""
    from kehoach.pipeline import process_file
    from kehoach.store import connect, store_record

    db = tmp_path_factory.mktemp("ref") / "ref.duckdb"
    con = connect(db)
    for f in MIXED:
        record, source = process_file(f)
        # the batch ingest stores absolute paths as walked; store_record stores what it is given
        record.source.path = str(f)
        store_record(con, record, source)
    con.close()
    return db


@pytest.fixture(scope="module")
def pool_db(tmp_path_factory) -> tuple[Path, Path, object]:
    tmp = tmp_path_factory.mktemp("pool")
    corpus = copy_mixed(tmp / "mixed")
    db = tmp / "pool.duckdb"
    summary = ingest_paths([corpus], db, IngestOptions(workers=2))
    return db, corpus, summary


def test_pool_summary(pool_db):
    _, _, s = pool_db
    assert (s.stored, s.present, s.failed, s.skipped) == (4, 0, 1, 0)
    assert s.failures[0][0] == "mixed/empty.txt" and s.failures[0][1] == "read"
    assert len(s.worker_pids) >= 1 and os.getpid() not in s.worker_pids  # extraction ran in workers


@pytest.mark.parametrize("table", sorted(set(ROW_KEYS) - {"documents"}))
def test_pool_stores_the_rows_store_record_stores(pool_db, reference_db, table):
    db, _, _ = pool_db
    assert table_rows(db, table) == table_rows(reference_db, table)


def test_pool_documents_match_apart_from_path(pool_db, reference_db):
    db, corpus, _ = pool_db
    strip = "SELECT * EXCLUDE (path, ingested_at, record_json), record_json FROM documents ORDER BY id"

    def without_path(rows):  # record_json holds the path too
        out = []
        for *cols, record in rows:
            record = json.loads(record)
            record["source"].pop("path")
            out.append((*cols, record))
        return out

    assert without_path(q(db, strip)) == without_path(q(reference_db, strip))
    paths = {Path(p).name: p for (p,) in q(db, "SELECT path FROM documents")}
    assert all(os.path.isabs(p) and Path(p).parent == corpus for p in paths.values())


def test_failed_file_is_logged_and_remembered(pool_db):
    db, corpus, _ = pool_db
    assert q(db, "SELECT path, stage FROM ingest_errors") == [(str(corpus / "empty.txt"), "read")]
    states = dict(q(db, "SELECT path, status FROM ingest_files"))
    assert states[str(corpus / "empty.txt")] == "failed"
    assert sorted(states.values()) == ["failed"] + ["stored"] * 4


# ------------------------------------------------------------------ batching

def test_rows_go_in_as_one_arrow_insert_per_table_per_batch(tmp_path, monkeypatch):
    make_corpus(tmp_path / "c", 30)
    calls: list[tuple[str, int]] = []
    real = ArrowInserter.insert

    def spy(self, table, columns, rows, **kw):
        calls.append((table, len(rows)))
        return real(self, table, columns, rows, **kw)

    monkeypatch.setattr(ArrowInserter, "insert", spy)
    s = ingest_paths([tmp_path / "c"], tmp_path / "k.duckdb", IngestOptions(workers=0, batch_docs=100,
                                                                           batch_seconds=3600))
    assert s.stored == 30
    per_table = {}
    for table, n in calls:
        per_table.setdefault(table, []).append(n)
    assert per_table["documents"] == [30]
    assert per_table["ingest_files"] == [30]
    assert all(len(v) == 1 for v in per_table.values())


def test_batches_hold_whole_documents(tmp_path):
    make_corpus(tmp_path / "c", 25)
    db = tmp_path / "k.duckdb"
    s = ingest_paths([tmp_path / "c"], db, IngestOptions(workers=0, batch_docs=7))
    assert s.stored == 25
    assert_each_document_whole(db, 25)


def assert_each_document_whole(db: Path, n: int) -> None:
    """n documents, none twice, none partial: every copy of the seed has the same rows per table."""
    assert q(db, "SELECT count(*), count(DISTINCT id) FROM documents") == [(n, n)]
    for table, key in ROW_KEYS.items():
        assert q(db, f"SELECT count(*) - count(DISTINCT ({key})) FROM {table}") == [(0,)], table
        if table in ("documents", "assignment_coordinators", "tasks", "events", "participants"):
            continue
        per_doc = q(db, f"SELECT DISTINCT c FROM (SELECT d.id, count(t.doc_id) AS c FROM documents d "
                        f"LEFT JOIN {table} t ON t.doc_id = d.id GROUP BY d.id)")
        assert len(per_doc) == 1, (table, per_doc)
    for table in ("tasks", "assignment_coordinators"):
        assert q(db, f"SELECT count(*) FROM {table} WHERE assignment_id NOT IN (SELECT id FROM assignments)") == [(0,)]


def _duplicate_assignment(tables):
    cols, rows = tables["assignments"]
    tables["assignments"] = (cols, rows + rows[:1])  # a duplicate primary key


def _text_not_utf8(tables):
    # the writer builds the text columns it gets as bytes as binary and checks them once as UTF-8
    # (kehoach.batch.store._utf8_array); DuckDB itself stores long strings given through Arrow unchecked
    cols, rows = tables["document_texts"]
    at = cols.index("text")
    tables["document_texts"] = (cols, [row[:at] + (row[at] + b"\xff\xfe",) + row[at + 1:] for row in rows])


@pytest.mark.parametrize("spoil, reason", [(_duplicate_assignment, "Constraint"), (_text_not_utf8, "UTF8")])
def test_a_document_that_cannot_be_stored_fails_alone(tmp_path, monkeypatch, spoil, reason):
    make_corpus(tmp_path / "c", 5)
    real = run_mod.process_job

    def broken_rows(job):
        r = real(job)
        if job.path.endswith("plan-0002.txt"):
            spoil(r.tables)
        return r

    monkeypatch.setattr(run_mod, "process_job", broken_rows)
    db = tmp_path / "k.duckdb"
    s = ingest_paths([tmp_path / "c"], db, IngestOptions(workers=0, batch_docs=50))
    assert (s.stored, s.failed) == (4, 1)
    assert s.failures[0][0].endswith("plan-0002.txt") and s.failures[0][1] == "store"
    assert reason in s.failures[0][2]
    assert_each_document_whole(db, 4)  # nothing of the failed one was kept
    assert q(db, "SELECT count(*) FROM document_texts WHERE text LIKE '%KẾ HOẠCH%'") == [(4,)]


def test_a_worker_that_dies_costs_only_its_file(tmp_path, monkeypatch):
    make_corpus(tmp_path / "c", 6)
    shutil.copy(tmp_path / "c" / "plan-0000.txt", tmp_path / "c" / "boom.txt")
    monkeypatch.setattr(run_mod, "process_job", crash_on_boom)
    db = tmp_path / "k.duckdb"
    s = ingest_paths([tmp_path / "c"], db, IngestOptions(workers=2))
    assert (s.stored, s.failed) == (6, 1)
    assert s.failures == [("c/boom.txt", "read", "the worker process died while reading this file",
                           s.failures[0][3])]
    assert_each_document_whole(db, 6)


# ------------------------------------------------------------------ resume

@pytest.fixture
def resumed(tmp_path):
    files = make_corpus(tmp_path / "c", 8)
    db = tmp_path / "k.duckdb"
    s = ingest_paths([tmp_path / "c"], db, IngestOptions(workers=0))
    assert s.stored == 8
    return tmp_path / "c", files, db


def test_unchanged_files_are_not_read_again(resumed, monkeypatch):
    folder, _, db = resumed

    def must_not_run(job):
        raise AssertionError(f"{job.path} was read again")

    monkeypatch.setattr(run_mod, "process_job", must_not_run)
    s = ingest_paths([folder], db, IngestOptions(workers=0))
    assert (s.unchanged, s.present, s.stored, s.failed) == (8, 8, 0, 0)


def test_changed_file_replaces_its_old_rows(resumed):
    folder, files, db = resumed
    old_id = q(db, "SELECT doc_id FROM ingest_files WHERE path = ?", [str(files[3])])[0][0]
    files[3].write_text(files[3].read_text(encoding="utf-8").replace("Số: 3/", "Số: 333/"), encoding="utf-8")
    s = ingest_paths([folder], db, IngestOptions(workers=0))
    assert (s.unchanged, s.stored, s.replaced) == (7, 1, 1)
    for table in ROW_KEYS:
        col = "id" if table == "documents" else "doc_id"
        assert q(db, f"SELECT count(*) FROM {table} WHERE {col} = ?", [old_id]) == [(0,)], table
    assert q(db, "SELECT number FROM documents WHERE path = ?", [str(files[3])]) == [("333/KH-UBND",)]
    assert_each_document_whole(db, 8)


def test_touched_file_is_read_but_adds_nothing(resumed):
    folder, files, db = resumed
    before = {t: table_rows(db, t) for t in ROW_KEYS}
    os.utime(files[0], ns=(time.time_ns(), time.time_ns()))
    s = ingest_paths([folder], db, IngestOptions(workers=0))
    assert (s.unchanged, s.present, s.stored) == (7, 8, 0)
    assert {t: table_rows(db, t) for t in ROW_KEYS} == before


def test_failed_file_is_retried(tmp_path):
    folder = tmp_path / "c"
    make_corpus(folder, 2)
    late = folder / "late.txt"
    late.write_bytes(b"")
    db = tmp_path / "k.duckdb"
    assert ingest_paths([folder], db, IngestOptions(workers=0)).failed == 1
    shutil.copy(SEED_TEXTS / "001_68235d63eb85ea36.txt", late)
    s = ingest_paths([folder], db, IngestOptions(workers=0))
    assert (s.unchanged, s.stored, s.failed) == (2, 1, 0)
    assert q(db, "SELECT status FROM ingest_files WHERE path = ?", [str(late)]) == [("stored",)]
    assert q(db, "SELECT count(*) FROM ingest_errors") == [(1,)]  # the log keeps the first attempt


def test_database_from_before_ingest_files_is_resumed(tmp_path):
    """Documents stored before 0006_ingest_files count as stored files (no re-read after upgrading)."""
    from kehoach.pipeline import process_file
    from kehoach.store import connect, store_record
    from kehoach.store.migrations import MIGRATIONS, _ensure_table

    files = make_corpus(tmp_path / "c", 3)
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    _ensure_table(con)
    before = [m.name for m in MIGRATIONS].index("0006_ingest_files")
    for m in MIGRATIONS[:before]:  # the schema as it was
        for st in m.statements:
            con.execute(st)
        con.execute("INSERT INTO schema_migrations VALUES (?, now())", [m.name])
    for f in files:
        record, source = process_file(f)
        record.source.path = os.path.abspath(f)
        store_record(con, record, source)
    con.close()
    connect(db).close()  # migrates
    s = ingest_paths([tmp_path / "c"], db, IngestOptions(workers=0))
    assert (s.unchanged, s.stored) == (3, 0)


# ------------------------------------------------------------------ one ingest at a time

def test_second_ingest_is_refused_with_a_clear_message(tmp_path):
    make_corpus(tmp_path / "c", 1)
    db = tmp_path / "k.duckdb"
    runner = CliRunner()
    with IngestLock(db):
        result = runner.invoke(app, ["ingest", str(tmp_path / "c"), "--db", str(db), "-q"])
        with pytest.raises(IngestLockedError):
            ingest_paths([tmp_path / "c"], db, IngestOptions(workers=0))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: another kehoach ingest (PID {os.getpid()}, started ")
    assert f"is writing {db} — wait for it to finish, or pass --wait" in result.stderr
    assert not db.exists()


def test_second_ingest_waits_with_wait(tmp_path, monkeypatch):
    make_corpus(tmp_path / "c", 2)
    db = tmp_path / "k.duckdb"
    lock = IngestLock(db).__enter__()
    # the lock is let go 1 s after the second ingest says it waits (a fixed timer raced its start-up
    # on a loaded machine: the lock could be free before the ingest asked for it)
    waiting = threading.Event()
    init = IngestLock.__init__

    def noting_init(self, db, wait=False, on_wait=None):
        def told(who):
            if on_wait:
                on_wait(who)
            waiting.set()
        init(self, db, wait, told)

    monkeypatch.setattr(IngestLock, "__init__", noting_init)

    def release():
        waiting.wait(60)
        time.sleep(1.0)
        lock.__exit__(None, None, None)

    threading.Thread(target=release, daemon=True).start()
    t = time.monotonic()
    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "c"), "--db", str(db), "-q", "--wait", "-w", "0"])
    assert result.exit_code == 0, result.output
    assert time.monotonic() - t >= 0.9
    assert f"waiting for the ingest running as PID {os.getpid()} to finish" in result.stderr
    assert "stored 2 new" in result.stdout


# ------------------------------------------------------------------ lookups while an ingest runs

def test_lookups_work_while_an_ingest_runs(tmp_path):
    from kehoach.store import connect

    make_corpus(tmp_path / "c", 80)
    db = tmp_path / "k.duckdb"
    # 0.25 s per file: the run lasts 10 s or more however fast the machine, long enough for the
    # writer to free the file several times (when a lookup asks, after holding it 2 s)
    proc = subprocess.Popen(slow_ingest(str(tmp_path / "c"), "--db", str(db), "-q", "-w", "2", "--batch-size", "10",
                                        pause=0.25),
                            env=slow_env(0.25), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    counts = []
    try:
        while proc.poll() is None:
            if db.exists():
                con = connect(db, read_only=True, lock_timeout=30)
                counts.append(con.execute("SELECT count(*) FROM documents").fetchone()[0])
                con.close()
            time.sleep(0.2)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "stored 80 new" in out
    during = [c for c in counts if 0 < c < 80]
    assert len(set(during)) >= 2, counts  # readers saw the store grow, batch by batch
    assert counts == sorted(counts)
    assert not release_request_path(str(db)).exists()  # the last request was served


def test_the_writer_keeps_the_database_open_until_a_lookup_asks(tmp_path):
    from kehoach.batch.run import Store
    from kehoach.store import connect

    db = tmp_path / "k.duckdb"
    store = Store(db, hold=False, lock_timeout=5, release_every=0.0, grace=0.0)
    with store.use():
        pass
    with store.use():
        pass
    assert store.con is not None  # nobody asked: no checkpoint, no reopening
    release_request_path(str(db)).touch()  # what a lookup that finds the file locked does
    with store.use() as con:
        con.execute("SELECT 1")
    assert store.con is None and not release_request_path(str(db)).exists()
    connect(db, read_only=True).close()
    held = Store(db, hold=True, lock_timeout=5, release_every=0.0)
    with held.use():
        pass
    release_request_path(str(db)).touch()
    with held.use():
        pass
    assert held.con is not None  # --hold-db: kept whoever asks
    held.close()


HOLD_WRITER = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])
print("ready", flush=True)
time.sleep(60)
"""


def test_lookup_on_a_locked_database_says_who_holds_it(tmp_path):
    from kehoach.store import connect

    db = tmp_path / "k.duckdb"
    connect(db).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_WRITER, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        t = time.monotonic()
        result = subprocess.run([*cli(), "list", "--db", str(db)], capture_output=True, text=True,
                                env={**os.environ, "KEHOACH_LOCK_TIMEOUT": "0.5"}, timeout=60)
        waited = time.monotonic() - t
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: database {db} is locked by process {holder.pid}; "
                                    "gave up after waiting 0.5 s — DuckDB allows one writing process")
    assert "KEHOACH_LOCK_TIMEOUT" in result.stderr
    assert waited >= 0.5
    assert release_request_path(str(db)).exists()  # it asked the holder for the file
    # once the holder is gone the same lookup works, and its request is withdrawn
    assert subprocess.run([*cli(), "list", "--db", str(db)], capture_output=True, text=True).returncode == 0
    assert not release_request_path(str(db)).exists()


# ------------------------------------------------------------------ crash safety

def test_sigkill_at_a_random_moment_then_rerun_stores_every_file_once(tmp_path):
    n = 150
    make_corpus(tmp_path / "c", n)
    db = tmp_path / "k.duckdb"
    seed = int(os.environ.get("KEHOACH_CRASH_SEED", time.time_ns() % 10_000))
    rng = random.Random(seed)
    # files are slowed by 0.08 s each, so the run lasts 6 s or more however fast the
    # machine; once the first batch is visible the kill comes at a random moment of
    # the next 1.5 s, between or during batch writes (batches of 15 documents)
    delay = rng.uniform(0.0, 1.5)
    cmd = ["--db", str(db), "-q", "-w", "2", "--batch-size", "15"]
    proc = subprocess.Popen(slow_ingest(str(tmp_path / "c"), *cmd, pause=0.08), env=slow_env(0.08),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    from kehoach.store import connect

    try:
        deadline = time.monotonic() + 120
        stored = 0
        while proc.poll() is None and not stored and time.monotonic() < deadline:
            if db.exists():
                try:
                    con = connect(db, read_only=True, lock_timeout=30)
                    stored = con.execute("SELECT count(*) FROM documents").fetchone()[0]
                    con.close()
                except Exception:
                    pass  # the schema may still be being created
            time.sleep(0.05)
        time.sleep(delay)
        assert proc.poll() is None, f"ingest finished before the kill (seed {seed})"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        rerun = subprocess.run([*cli(), "ingest", str(tmp_path / "c"), *cmd], capture_output=True, text=True,
                               timeout=300)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # workers the kill left behind
        except ProcessLookupError:
            pass
    assert rerun.returncode == 0, (seed, rerun.stderr)
    first, again = [int(x) for x in
                    rerun.stdout.split("stored ")[1].split(" failed")[0].replace(" new,", "").split()[:2]]
    assert first + again == n and 0 < again < n, (seed, rerun.stdout)
    assert_each_document_whole(db, n)
    assert q(db, "SELECT status, count(*) FROM ingest_files GROUP BY 1") == [("stored", n)]
    con = duckdb.connect(str(db))  # opens for writing cleanly and checkpoints
    con.execute("CHECKPOINT")
    con.close()


# ------------------------------------------------------------------ Dask

def test_shards_option_needs_dask(tmp_path):
    result = CliRunner().invoke(app, ["ingest", str(tmp_path), "--shards", str(tmp_path / "s"), "--db",
                                      str(tmp_path / "k.duckdb")])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: --shards only applies with --dask")


@pytest.fixture(scope="module")
def dask_address():
    """A LocalCluster of one worker process, reached by its scheduler address as a real cluster is."""
    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None)
    yield cluster.scheduler_address
    cluster.close()


def test_dask_local_cluster_writes_shards_and_loads_them(tmp_path, pool_db, dask_address):
    from kehoach.batch.distributed import ingest_dask, load_shard

    corpus = copy_mixed(tmp_path / "mixed")
    db = tmp_path / "dask.duckdb"
    s = ingest_dask([corpus], db, dask_address, files_per_shard=2)
    assert (s.stored, s.failed) == (4, 1)
    shards = sorted(p.parent for p in (tmp_path / "dask.duckdb.shards").rglob("_SUCCESS"))
    assert len(shards) == 3
    names = {p.name for p in shards[0].iterdir()}
    assert {f"{t}.parquet" for t in ROW_KEYS} | {"ingest_files.parquet", "ingest_errors.parquet"} <= names
    # the same rows as the local pool
    ref, _, _ = pool_db
    for table in ROW_KEYS:
        if table != "documents":
            assert table_rows(db, table) == table_rows(ref, table), table
    # a shard has the store's columns
    con = duckdb.connect()
    cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{shards[0] / 'documents.parquet'}')").fetchall()]
    assert cols == [c for (c,) in q(db, "SELECT column_name FROM information_schema.columns "
                                        "WHERE table_name = 'documents' ORDER BY ordinal_position")]
    # loading again adds nothing
    before = {t: table_rows(db, t) for t in [*ROW_KEYS, "ingest_files", "ingest_errors"]}
    from kehoach.store import connect

    c = connect(db)
    for shard in shards:
        load_shard(c, shard)
    c.close()
    assert {t: table_rows(db, t) for t in before} == before
    # and a re-run resumes: only the failed file is sent to the cluster again
    s2 = ingest_dask([corpus], db, dask_address, files_per_shard=2)
    assert (s2.unchanged, s2.stored, s2.failed) == (4, 0, 1)


# ------------------------------------------------------------------ .doc files share LibreOffice calls

def test_doc_files_go_to_a_worker_in_groups():
    from kehoach.batch.run import grouped
    from kehoach.batch.work import FileJob

    names = ["a.txt", "b.doc", "c.DOC", "d.pdf", "e.rtf", "f.doc"]
    groups = [[j.path for j in g] for g in grouped((FileJob(n, n) for n in names), size=2)]
    assert groups == [["a.txt"], ["b.doc", "c.DOC"], ["d.pdf"], ["e.rtf", "f.doc"]]
    assert [[j.path for j in g] for g in grouped([FileJob("x.doc", "x.doc")], size=8)] == [["x.doc"]]


def test_small_quick_files_go_to_a_worker_several_at_a_time():
    from kehoach.batch.run import QUICK_MAX_BYTES, grouped
    from kehoach.batch.work import FileJob

    jobs = [FileJob("a.txt", "a.txt", 10), FileJob("b.md", "b.md", 10), FileJob("big.txt", "big.txt", QUICK_MAX_BYTES + 1),
            FileJob("c.DOCX", "c.DOCX", 10), FileJob("d.pdf", "d.pdf", 10), FileJob("e.txt", "e.txt", None),
            FileJob("f.html", "f.html", 10), FileJob("g.doc", "g.doc", 10), FileJob("h.txt", "h.txt", 10)]
    groups = [[j.path for j in g] for g in grouped(jobs, size=8, quick=3)]
    # a big file, a file of unknown size and a PDF (it may need OCR) go alone; nothing is lost or doubled
    assert groups == [["big.txt"], ["a.txt", "b.md", "c.DOCX"], ["d.pdf"], ["e.txt"], ["f.html", "h.txt"], ["g.doc"]]
    assert [[j.path for j in g] for g in grouped(jobs[:2], quick=1)] == [["a.txt"], ["b.md"]]


def test_a_group_of_doc_files_is_converted_in_one_libreoffice_call(tmp_path, monkeypatch):
    from kehoach.batch.work import FileJob, process_jobs
    from kehoach.ingest import libreoffice, systools

    if not systools.find("libreoffice"):
        pytest.skip("LibreOffice not installed (make sysdeps)")
    docs = sorted((FIXTURES / "formats").glob("*.doc"))
    assert len(docs) >= 2
    calls = []
    convert = libreoffice.convert

    def counting(soffice, paths, fmt):
        calls.append(len(paths))
        return convert(soffice, paths, fmt)

    monkeypatch.setattr(libreoffice, "convert", counting)
    copies = []
    for d in docs:
        copies.append(tmp_path / d.name)
        shutil.copy2(d, copies[-1])
    results = process_jobs([FileJob(str(p), p.name) for p in copies])
    assert [r.status for r in results] == ["ok"] * len(copies), [r.reason for r in results]
    assert calls == [len(copies)]
