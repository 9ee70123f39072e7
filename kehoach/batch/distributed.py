"""Extraction on a Dask distributed cluster, through Parquet shards.

The driver (``kehoach ingest --dask ADDRESS``) walks the paths and checks the
resume state exactly as a local run does, then sends files in shards of
``files_per_shard`` to the cluster. Each task reads and extracts its files and
writes one Parquet file per store table (``documents.parquet``,
``citations.parquet``, … , ``ingest_files.parquet``, ``ingest_errors.parquet``:
the tables and columns of the store's migrations, as ``kehoach export`` writes
them) into its own shard folder, which appears complete or not at all (written
under a temporary name, then renamed). The driver loads each finished shard into
the DuckDB store in one transaction; loading a shard twice adds nothing.

Workers never open the database, so they need only the input files and the
shard folder: on a real cluster both must lie on storage every worker and the
driver see under the same paths (see docs/scale.md).
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

from kehoach.batch.lock import IngestLock
from kehoach.batch.run import IngestOptions, IngestSummary, ProgressSink, Store, _NoProgress, _Run, default_workers
from kehoach.batch.store import _ident, abs_path, delete_document, doc_tables
from kehoach.batch.work import FileJob, process_job
from kehoach.store.params import json_list

DONE_MARK = "_SUCCESS"
LOADED_MARK = "_LOADED"


def extract_shard(jobs: Sequence[FileJob], shard_dir: str) -> dict:
    """A Dask task: process ``jobs`` and write their rows as one Parquet file per table in ``shard_dir``.

    Returns a small report (files, stage seconds) for the driver.
    """
    import duckdb

    from kehoach.batch.store import write_batch
    from kehoach.store.migrations import migrate

    results = [process_job(j) for j in jobs]
    timings: dict[str, float] = {}
    for r in results:
        for k, v in r.timings.items():
            timings[k] = timings.get(k, 0.0) + v
    final = Path(shard_dir)
    tmp = final.with_name(final.name + f".tmp-{uuid.uuid4().hex[:8]}")
    tmp.mkdir(parents=True)
    con = duckdb.connect(":memory:")
    try:
        migrate(con)
        write_batch(con, results)
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_schema = current_schema() AND table_name <> 'schema_migrations' ORDER BY 1").fetchall()]
        for table in tables:
            target = str(tmp / f"{table}.parquet").replace("'", "''")
            con.execute(f"COPY {_ident(table)} TO '{target}' (FORMAT parquet)")
    finally:
        con.close()
    (tmp / DONE_MARK).write_text(datetime.now().isoformat(), encoding="utf-8")
    if final.exists():  # a retried task: the first copy wins, both hold the same rows
        shutil.rmtree(tmp)
    else:
        os.replace(tmp, final)
    return {"shard": str(final), "files": len(jobs), "timings": timings}


def load_shard(con, shard_dir: str | Path) -> list[tuple[str, str, Optional[str], Optional[str], Optional[str]]]:
    """Load one complete shard into the store, in one transaction; idempotent.

    Returns one ``(path, status, reason, stage, hint)`` per file of the shard;
    status is "stored", "replaced", "present" or "failed".

    Raises:
        ValueError: the shard folder is not complete (no ``_SUCCESS``).
    """
    d = Path(shard_dir)
    if not (d / DONE_MARK).is_file():
        raise ValueError(f"{d} is not a complete shard (no {DONE_MARK})")

    def pq(table: str) -> Optional[str]:
        f = d / f"{table}.parquet"
        return "read_parquet('" + str(f).replace("'", "''") + "')" if f.is_file() else None

    files = pq("ingest_files")
    if files is None:
        raise ValueError(f"{d} has no ingest_files.parquet")
    con.begin()
    try:
        shard_files = con.execute(f"SELECT path, status, doc_id, reason, stage FROM {files}").fetchall()
        before = dict(con.execute(
            f"SELECT f.path, f.doc_id FROM ingest_files f WHERE f.path IN (SELECT path FROM {files})").fetchall())
        docs = pq("documents")
        new_ids: set[str] = set()
        if docs:
            con.execute("CREATE OR REPLACE TEMP TABLE _kehoach_new_ids AS "
                        f"SELECT id FROM {docs} WHERE id NOT IN (SELECT id FROM documents)")
            new_ids = {r[0] for r in con.execute("SELECT id FROM _kehoach_new_ids").fetchall()}
            con.execute(f"INSERT INTO documents BY NAME SELECT * FROM {docs} WHERE id IN (SELECT id FROM _kehoach_new_ids)")
            for table in doc_tables(con):
                src = pq(table)
                if src:
                    con.execute(f"INSERT INTO {_ident(table)} BY NAME SELECT * FROM {src} "
                                "WHERE doc_id IN (SELECT id FROM _kehoach_new_ids)")
            con.execute("DROP TABLE _kehoach_new_ids")
        con.execute(f"INSERT OR REPLACE INTO ingest_files BY NAME SELECT * FROM {files}")
        errors = pq("ingest_errors")
        hints: dict[str, Optional[str]] = {}
        if errors:
            con.execute(f"INSERT INTO ingest_errors BY NAME SELECT * FROM {errors} e WHERE NOT EXISTS "
                        "(SELECT 1 FROM ingest_errors x WHERE x.path = e.path AND x.\"at\" = e.\"at\")")
            hints = dict(con.execute(f"SELECT path, any_value(hint) FROM {errors} GROUP BY path").fetchall())
        now_doc = {p: doc for p, _, doc, _, _ in shard_files}
        stale = {old for p, old in before.items() if old and old != now_doc.get(p)}
        if stale:
            held = {r[0] for r in con.execute(
                "SELECT DISTINCT doc_id FROM ingest_files "
                """WHERE doc_id IN (SELECT unnest(from_json(?, '["VARCHAR"]')))""",
                [json_list(sorted(stale))]).fetchall()}
            for doc_id in sorted(stale - held):
                delete_document(con, doc_id)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    (d / LOADED_MARK).write_text(datetime.now().isoformat(), encoding="utf-8")
    out = []
    first: set[str] = set()
    for path, status, doc_id, reason, stage in shard_files:
        if status == "failed":
            out.append((path, "failed", reason, stage, hints.get(path)))
        elif doc_id in new_ids and doc_id not in first:
            first.add(doc_id)
            old = before.get(path)
            out.append((path, "replaced" if old and old != doc_id else "stored", None, None, None))
        else:
            out.append((path, "present", None, None, None))
    return out


def _client(address: str, workers: Optional[int]):
    from dask.distributed import Client, LocalCluster

    if address == "local":
        cluster = LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        return Client(cluster), cluster
    return Client(address), None


def ingest_dask(paths: Iterable[str | Path], db: str | Path, address: str, shards: Optional[str | Path] = None,
                *, workers: Optional[int] = None, wait: bool = False, files_per_shard: int = 64,
                progress: Optional[ProgressSink] = None,
                on_wait: Optional[Callable[[dict], None]] = None) -> IngestSummary:
    """Ingest with extraction on a Dask cluster; the store is written here, shard by shard.

    Args:
        address: a scheduler address ("tcp://host:8786") or "local" for a LocalCluster here.
        shards: folder for the shard folders, shared with the workers (default ``<db>.shards``).
        workers: for "local", the number of worker processes (default: all cores).
    """
    from dask.distributed import as_completed

    progress = progress or _NoProgress()
    root = Path(shards) if shards is not None else Path(str(db) + ".shards")
    run_dir = root / f"run-{datetime.now():%Y%m%dT%H%M%S}-{os.getpid()}"
    paths = [os.fspath(p) for p in paths]
    with IngestLock(db, wait=wait, on_wait=on_wait):
        run = _Run(paths, db, IngestOptions(workers=0), progress)
        summary = run.summary
        t0 = time.perf_counter()
        client, cluster = _client(address, workers)
        try:
            with run.store.use():
                pass  # create and migrate before any work
            n_workers = max(1, len(client.scheduler_info().get("workers", {})) or 1)
            limit = 2 * n_workers
            jobs = run._jobs()
            shown: dict[str, dict[str, str]] = {}
            futures = as_completed()
            in_flight = 0
            n = 0

            def submit(chunk: list[FileJob]) -> None:
                nonlocal n, in_flight
                n += 1
                shard = str((run_dir / f"shard-{n:06d}").absolute())
                shown[shard] = {abs_path(j.path): j.shown for j in chunk}
                futures.add(client.submit(extract_shard, chunk, shard, pure=False))
                in_flight += 1

            def collect_one() -> None:
                nonlocal in_flight
                fut = next(futures)
                in_flight -= 1
                report = fut.result()
                for k, v in report["timings"].items():
                    summary.add_time(k, v)
                t = time.perf_counter()
                with run.store.use() as con:
                    outcomes = load_shard(con, report["shard"])
                summary.add_time("store", time.perf_counter() - t)
                names = shown.pop(report["shard"])
                for path, status, reason, stage, hint in outcomes:
                    name = names.get(path, path)
                    if status == "failed":
                        summary.add_failure(name, stage or "extract", reason or "", hint)
                    elif status == "present":
                        summary.present += 1
                    else:
                        summary.stored += 1
                        summary.replaced += int(status == "replaced")
                    progress.done(name, status)

            while True:
                chunk = list(islice(jobs, files_per_shard))
                if not chunk:
                    break
                while in_flight >= limit:
                    collect_one()
                submit(chunk)
            while in_flight:
                collect_one()
        finally:
            run.store.close()
            client.close()
            if cluster is not None:
                cluster.close()
        summary.seconds = time.perf_counter() - t0
    return summary


def load_shards(db: str | Path, shards_root: str | Path) -> int:
    """Load every complete, not yet loaded shard under ``shards_root`` into ``db``; returns how many.

    For shards written by a run that was stopped before the driver loaded them.
    """
    store = Store(db, hold=True, lock_timeout=IngestOptions().lock_timeout)
    count = 0
    with IngestLock(db):
        try:
            for done in sorted(Path(shards_root).rglob(DONE_MARK)):
                d = done.parent
                if (d / LOADED_MARK).exists() or ".tmp-" in d.name:
                    continue
                with store.use() as con:
                    load_shard(con, d)
                count += 1
        finally:
            store.close()
    return count


__all__ = ["extract_shard", "ingest_dask", "load_shard", "load_shards"]
