"""Bulk ingest on one machine: a process pool extracts, one writer stores in batches.

The flow, all streamed so that memory stays bounded whatever the folder holds:

1. ``discover`` walks the paths lazily; found files are taken in chunks and
   checked against ``ingest_files`` (path + size + mtime): an unchanged stored
   file is skipped without being read or hashed.
2. The other files go to a pool of worker processes (``forkserver`` on Linux,
   ``spawn`` elsewhere; each loads the spaCy pipeline once). At most
   ``max_in_flight`` files are queued or being read at any moment.
3. Results come back as rows; the main process writes them in batches
   (``kehoach.batch.store.write_batch``: whole documents per transaction,
   Arrow inserts), every ``batch_docs`` documents or ``batch_seconds`` seconds.

The database file is opened only for a lookup chunk or a batch write and closed
after, so ``kehoach list``/``show``/``sql`` work while an ingest runs (they wait
at most a batch's write). A second ingest into the same database is refused
(or waits, ``wait=True``) by ``kehoach.batch.lock``.

A worker that dies (a crash inside a PDF library, the OOM killer) breaks the
pool; the files it held are then retried one at a time in a fresh pool, so the
culprit is found and recorded as failed and the rest are stored.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional, Protocol

from kehoach.batch.lock import IngestLock
from kehoach.batch.store import Outcome, abs_path, file_states, record_found_errors, unchanged, write_batch
from kehoach.batch.work import GROUPED_SUFFIXES, FileJob, FileResult, process_job, process_jobs, warm_up
from kehoach.ingest.discover import Found, discover

# lookups of file state are made for this many found files at once
LOOKUP_CHUNK = 512
# .doc files a worker converts together (one LibreOffice call; kehoach.ingest.doc.READ_AHEAD is the most)
READ_AHEAD_GROUP = 8
# seconds between looks for a lookup's request for the database (Store.wanted)
RELEASE_POLL = 0.2
# failures kept in memory for the summary table; the database keeps them all
MAX_FAILURES_SHOWN = 200


# small files of the quick formats a worker gets this many at a time: each pool task costs the writer's
# process ~1 ms (submit, pickling, the pool's bookkeeping), as much as a tenth of a .txt plan's whole work
# (measured on 1,000 synthetic .txt plans, 2 workers: 3.4 ms/doc of main-process CPU one file a task,
# 2.4 ms/doc four a task; 113 -> 130 docs/s)
QUICK_GROUP = 4
QUICK_SUFFIXES = (".txt", ".text", ".md", ".htm", ".html", ".docx")
# ...when each is at most this big: a big file goes alone, so that no slow group holds others back
QUICK_MAX_BYTES = 256 * 1024


def grouped(jobs: Iterable[FileJob], size: int = READ_AHEAD_GROUP, quick: int = QUICK_GROUP) -> Iterator[list[FileJob]]:
    """Jobs as the pool sends them. Files that need a conversion program (``GROUPED_SUFFIXES``) go
    ``size`` at a time, so a worker converts them in one call; small files of the quick formats
    (``QUICK_SUFFIXES``, size known and at most ``QUICK_MAX_BYTES``) go ``quick`` at a time; any other
    file goes alone (a PDF may need OCR: minutes)."""
    convert: list[FileJob] = []
    small: list[FileJob] = []
    for job in jobs:
        name = os.fspath(job.path).lower()
        if name.endswith(GROUPED_SUFFIXES):
            convert.append(job)
            if len(convert) >= size:
                yield convert
                convert = []
        elif (quick > 1 and name.endswith(QUICK_SUFFIXES) and job.size is not None
              and job.size <= QUICK_MAX_BYTES):
            small.append(job)
            if len(small) >= quick:
                yield small
                small = []
        else:
            yield [job]
    if small:
        yield small
    if convert:
        yield convert


def default_workers() -> int:
    """All the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class IngestOptions:
    """How to run: see ``kehoach ingest --help`` for the user-facing side.

    Attributes:
        workers: extraction processes; 0 runs everything in this process.
        batch_docs, batch_seconds: a batch is written when it holds this many
            documents or is this old, whichever comes first. Each table's insert
            costs ~15 ms whatever the batch holds, so big batches are cheap per
            document (measured on .txt plans: 2 ms/doc in batches of 200, 6 ms/doc
            in batches of 50, 9 ms/doc in batches of 20).
        max_in_flight: files queued or being processed at once (default 8 per worker).
        wait: wait for another ingest of the same database instead of failing.
        hold_db: keep the database open for the whole run (faster for huge
            runs, but lookups are locked out until it ends).
    """

    workers: int = field(default_factory=default_workers)
    batch_docs: int = 200
    batch_seconds: float = 3.0
    max_in_flight: Optional[int] = None
    wait: bool = False
    hold_db: bool = False
    lock_timeout: float = 600.0
    limits: Optional[Any] = None  # kehoach.limits.Limits for every file; None: from the environment


@dataclass
class IngestSummary:
    stored: int = 0
    replaced: int = 0
    present: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0
    files: int = 0
    pages: int = 0
    chars: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    failures: list[tuple[str, str, str, Optional[str]]] = field(default_factory=list)
    worker_pids: set[int] = field(default_factory=set)

    def add_failure(self, shown: str, stage: str, reason: str, hint: Optional[str]) -> None:
        self.failed += 1
        if len(self.failures) < MAX_FAILURES_SHOWN:
            self.failures.append((shown, stage, reason, hint))

    def add_time(self, stage: str, seconds: float) -> None:
        self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + seconds


class ProgressSink(Protocol):
    def total(self, n: int) -> None: ...
    def done(self, shown: str, status: str) -> None: ...


class _NoProgress:
    def total(self, n: int) -> None:
        pass

    def done(self, shown: str, status: str) -> None:
        pass


class Store:
    """The database for the writer: kept open until a lookup asks for it.

    DuckDB lets no other process open the file while a writer has it open, and
    closing it checkpoints (0.1-0.5 s on these machines). So the writer keeps it
    open across batches and lookups until another process asks for it (a lookup
    that finds the file locked creates ``release_request_path``): then, once it
    has held the file ``release_every`` seconds, it closes it, removes the
    request and leaves the file closed for at least ``grace`` seconds, so the
    waiting lookup (it retries every 0.1 s) gets in. ``hold`` keeps it open for
    the whole run whoever asks.
    """

    def __init__(self, db: str | Path, hold: bool, lock_timeout: float, release_every: float = 2.0,
                 grace: float = 0.25):
        from kehoach.store.db import release_request_path

        self.db = db
        self.hold = hold
        self.lock_timeout = lock_timeout
        self.release_every = release_every
        self.grace = grace
        self.request = release_request_path(str(db))
        self.con = None
        self.opened = 0.0
        self.closed = 0.0

    @contextlib.contextmanager
    def use(self):
        from kehoach.store import connect

        if self.con is None:
            rest = self.closed + self.grace - time.monotonic()
            if rest > 0:
                time.sleep(rest)
            self.con = connect(self.db, read_only=False, lock_timeout=self.lock_timeout)
            # the writer inserts small batches: one thread is faster than many fighting the workers for cores
            self.con.execute("SET threads = 1")
            # DuckDB checkpoints whenever its WAL reaches 16 MB, and batches that checkpoint cost
            # 10-30 ms/doc, more as the store grows (8.8 ms/doc on average over 4,000 .txt plans).
            # With 256 MB: 3.9 ms/doc, ~45 MB more memory.
            self.con.execute("SET checkpoint_threshold = '256MB'")
            self.opened = time.monotonic()
        try:
            yield self.con
        finally:
            self.release_if_due()

    def wanted(self) -> bool:
        """Whether another process waits for the file (and may have it)."""
        return self.con is not None and not self.hold and self.request.exists()

    def release_if_due(self) -> None:
        if self.wanted() and time.monotonic() - self.opened >= self.release_every:
            self.close()

    def close(self) -> None:
        if self.con is not None:
            con, self.con = self.con, None
            con.close()
            self.closed = time.monotonic()
            try:
                self.request.unlink()
            except OSError:
                pass


def _pool_context():
    if sys.platform.startswith("linux"):
        ctx = multiprocessing.get_context("forkserver")
        # the fork server imports these once; each worker forks from it warm
        ctx.set_forkserver_preload(["kehoach.batch.preload"])
        return ctx
    return multiprocessing.get_context("spawn")


def _shutdown(executor: ProcessPoolExecutor) -> None:
    """Shut a pool down, also one that broke (a worker died), without hanging.

    When a worker dies, the pool (CPython 3.11) terminates its workers and waits for them. A worker
    that a ``submit`` started while that happened is not terminated and waits for work, and the pool
    waits for it for ever (seen in test_a_worker_that_dies_costs_only_its_file, on a loaded machine).
    A broken pool's workers have nothing left to do, so they are terminated here first.
    """
    if getattr(executor, "_broken", False):
        for proc in list((getattr(executor, "_processes", None) or {}).values()):
            if proc.is_alive():
                proc.terminate()
    executor.shutdown(wait=True, cancel_futures=True)


def ingest_paths(paths: Iterable[str | Path], db: str | Path, options: Optional[IngestOptions] = None,
                 progress: Optional[ProgressSink] = None,
                 on_wait: Optional[Callable[[dict], None]] = None) -> IngestSummary:
    """Ingest files and folders into ``db``; return what happened.

    Raises:
        IngestLockedError: another ingest holds ``db`` (and not ``options.wait``).
        StoreError: the database cannot be opened.
    """
    opts = options or IngestOptions()
    paths = [os.fspath(p) for p in paths]
    with IngestLock(db, wait=opts.wait, on_wait=on_wait):
        return _Run(paths, db, opts, progress or _NoProgress()).run()


class _Run:
    def __init__(self, paths: list[str], db: str | Path, opts: IngestOptions, progress: ProgressSink):
        self.paths = paths
        self.opts = opts
        self.progress = progress
        self.summary = IngestSummary()
        self.store = Store(db, opts.hold_db, opts.lock_timeout)
        self.batch: list[FileResult] = []
        self.batch_started = 0.0
        self.shown: dict[str, str] = {}

    # ------------------------------------------------------------- main loop

    def run(self) -> IngestSummary:
        t0 = time.perf_counter()
        counter = threading.Thread(target=self._count, daemon=True)
        counter.start()
        try:
            with self.store.use():
                pass  # create and migrate the database before any work
            if self.opts.workers <= 0:
                for group in grouped(self._jobs()):
                    for result in process_jobs(group, process_job):
                        self._add(result)
            else:
                self._run_pool()
            self._flush()
        finally:
            self.store.close()
        self.summary.seconds = time.perf_counter() - t0
        return self.summary

    def _count(self) -> None:
        # a second, metadata-only walk gives the progress bar its total (and ETA)
        n = sum(1 for f in discover(self.paths) if f.kind == "file")
        self.progress.total(n)

    def _run_pool(self) -> None:
        n = self.opts.workers
        limit = self.opts.max_in_flight or max(8, 8 * n)
        executor = ProcessPoolExecutor(max_workers=n, mp_context=_pool_context(), initializer=warm_up)
        pending: dict[Future, list[FileJob]] = {}
        try:
            for group in grouped(self._jobs()):
                while sum(len(g) for g in pending.values()) >= limit:
                    executor = self._drain(executor, pending, n)
                try:
                    pending[executor.submit(process_jobs, group, process_job)] = group
                except BrokenProcessPool:  # a worker died since the last look: this group is suspect too
                    executor = self._replace_broken(executor, pending, list(group), n)
            while pending:
                executor = self._drain(executor, pending, n)
        finally:
            _shutdown(executor)

    def _drain(self, executor: ProcessPoolExecutor, pending: dict[Future, list[FileJob]],
               n: int) -> ProcessPoolExecutor:
        """Wait for at least one result (or the batch deadline); returns the executor to go on with."""
        now = time.monotonic()
        deadlines = []
        if self.batch:
            deadlines.append(self.batch_started + self.opts.batch_seconds)
        if self.store.con is not None and not self.store.hold:
            # look for a lookup's request for the file now and then, also while workers are busy on slow files
            deadlines.append(max(now + RELEASE_POLL, self.store.opened + self.store.release_every)
                             if self.store.wanted() else now + RELEASE_POLL)
        timeout = max(0.0, min(deadlines) - now) if deadlines else None
        done, _ = wait(list(pending), timeout=timeout, return_when=FIRST_COMPLETED)
        broken: list[FileJob] = []
        for fut in done:
            group = pending.pop(fut)
            try:
                results = fut.result()
            except BrokenProcessPool:
                broken.extend(group)
                continue
            for result in results:
                self._add(result)
        if not done:
            if self.batch and (time.monotonic() - self.batch_started >= self.opts.batch_seconds
                               or self.store.wanted()):
                self._flush()  # the batch is old enough, or a lookup waits: let it see the batch
            self.store.release_if_due()  # slow files must not keep lookups out
        if broken:
            executor = self._replace_broken(executor, pending, broken, n)
        return executor

    def _replace_broken(self, executor: ProcessPoolExecutor, pending: dict[Future, list[FileJob]],
                        broken: list[FileJob], n: int) -> ProcessPoolExecutor:
        """A worker died: every file still in the pool is suspect; retry them one at a time, then go on
        with a new pool."""
        broken.extend(job for group in pending.values() for job in group)
        pending.clear()
        _shutdown(executor)
        self._isolate(broken)
        return ProcessPoolExecutor(max_workers=n, mp_context=_pool_context(), initializer=warm_up)

    def _isolate(self, jobs: list[FileJob]) -> None:
        """Run ``jobs`` one at a time in a one-worker pool: a file that kills its worker is named."""
        ex = None
        try:
            for job in jobs:
                if ex is None:
                    ex = ProcessPoolExecutor(max_workers=1, mp_context=_pool_context(), initializer=warm_up)
                try:
                    result = ex.submit(process_job, job).result()
                except BrokenProcessPool:
                    _shutdown(ex)
                    ex = None
                    result = FileResult(job, "error", None, reason="the worker process died while reading this file",
                                        stage="read", hint="the file crashes a reader library (or ran out of "
                                        "memory); check it with `kehoach extract FILE`")
                self._add(result)
        finally:
            if ex is not None:
                _shutdown(ex)

    # ------------------------------------------------------------- discovery and resume

    def _jobs(self) -> Iterator[FileJob]:
        found = discover(self.paths)
        while True:
            chunk = list(islice(found, LOOKUP_CHUNK))
            if not chunk:
                return
            yield from self._filter(chunk)

    def _filter(self, chunk: list[Found]) -> Iterator[FileJob]:
        files = [f for f in chunk if f.kind == "file"]
        t = time.perf_counter()
        states = {}
        if files:
            with self.store.use() as con:
                states = file_states(con, [abs_path(f.path) for f in files])
        self.summary.add_time("lookup", time.perf_counter() - t)
        errors = []
        for f in chunk:
            if f.kind == "skipped":
                self.summary.skipped += 1
            elif f.kind == "error":
                errors.append((f.path, f.reason, f.stage, f.hint))
                self.summary.add_failure(f.shown, f.stage or "open", f.reason or "", f.hint)
                self.progress.done(f.shown, "failed")
        if errors:
            with self.store.use() as con:
                record_found_errors(con, errors)
        for f in files:
            self.summary.files += 1
            if unchanged(states.get(abs_path(f.path)), f.size, f.mtime_ns):
                self.summary.unchanged += 1
                self.summary.present += 1
                self.progress.done(f.shown, "unchanged")
                continue
            yield FileJob(f.path, f.shown, f.size, f.mtime_ns, self.opts.limits)

    # ------------------------------------------------------------- writing

    def _add(self, result: FileResult) -> None:
        if not self.batch:
            self.batch_started = time.monotonic()
        self.batch.append(result)
        s = self.summary
        for stage, secs in result.timings.items():
            s.add_time(stage, secs)
        if result.worker:
            s.worker_pids.add(result.worker)
        if len(self.batch) >= self.opts.batch_docs or time.monotonic() - self.batch_started >= self.opts.batch_seconds:
            self._flush()

    def _flush(self) -> None:
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        t = time.perf_counter()
        with self.store.use() as con:
            outcomes = write_batch(con, batch)
        self.summary.add_time("store", time.perf_counter() - t)
        for o in outcomes:
            self._count_outcome(o)

    def _count_outcome(self, o: Outcome) -> None:
        s = self.summary
        r = o.result
        if o.status == "failed":
            s.add_failure(r.job.shown, o.stage or "extract", o.reason or "", o.hint)
        else:
            if o.status == "present":
                s.present += 1
            else:
                s.stored += 1
                if o.status == "replaced":
                    s.replaced += 1
            s.pages += r.pages or 0
            s.chars += r.chars or 0
        self.progress.done(r.job.shown, o.status)
