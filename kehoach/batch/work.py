"""What a worker does with one file: read, extract, build the rows to store.

Runs in a worker process (``kehoach.batch.pool``), in a Dask task
(``kehoach.batch.distributed``) or in-process; it never opens the database, so
any number of workers can run while one writer owns the store. The result is
plain picklable data: the rows per table, or the error with its stage.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional


@dataclass
class FileJob:
    """A file to process, with the stat the resume check used."""

    path: str
    shown: str
    size: Optional[int] = None
    mtime_ns: Optional[int] = None
    limits: Optional[Any] = None  # kehoach.limits.Limits; None: from the environment


@dataclass
class FileResult:
    """The outcome of one file.

    Attributes:
        status: "ok" (``tables`` holds the rows) or "error" (``reason``/``stage``/``hint``).
        doc_id: the sha256 of the file's bytes, when it could be read.
        tables: table -> (columns, rows), as ``store_record`` would insert them.
        timings: seconds per stage: read, extract, hash, rows.
    """

    job: FileJob
    status: str
    doc_id: Optional[str] = None
    tables: dict[str, tuple[tuple[str, ...], list[tuple]]] = field(default_factory=dict)
    reason: Optional[str] = None
    stage: Optional[str] = None
    hint: Optional[str] = None
    format: Optional[str] = None
    pages: Optional[int] = None
    chars: Optional[int] = None
    timings: dict[str, float] = field(default_factory=dict)
    worker: int = 0

    @property
    def nrows(self) -> int:
        return sum(len(rows) for _, rows in self.tables.values())


def load_hint() -> str:
    from kehoach.ingest import supported_suffixes

    return f"check that it is a readable document of a supported type ({', '.join(supported_suffixes())})"


def warm_up() -> None:
    """Load what every file needs once per process: the spaCy pipeline and the readers."""
    from kehoach.extract.pipeline import get_nlp
    from kehoach.ingest import supported_suffixes
    from kehoach.ingest import reader_for
    from pathlib import Path

    get_nlp()
    for suffix in supported_suffixes():
        try:
            reader_for(Path("x" + suffix))
        except Exception:  # a reader whose optional library is missing fails on its own files only
            pass


# formats converted by starting a program (LibreOffice): a worker gets several at once, announced with
# kehoach.ingest.read_ahead, so that one program call converts them all (~1.7 s per call saved)
GROUPED_SUFFIXES = (".doc", ".rtf")


def process_jobs(jobs: list[FileJob], process: Optional[Callable[[FileJob], "FileResult"]] = None) -> list[FileResult]:
    """Process files in a row (with ``process``, default ``process_job``); the ones that need a
    conversion are announced first, to share one call."""
    if len(jobs) > 1:
        from kehoach.ingest import read_ahead

        read_ahead([j.path for j in jobs])
    return [(process or process_job)(j) for j in jobs]


def process_job(job: FileJob) -> FileResult:
    """Read, extract and turn one file into rows; never raises for bad input or extractor bugs."""
    from kehoach.ingest import DocumentLoadError
    from kehoach.pipeline import file_sha256, process_file
    from kehoach.store.writer import document_rows

    timings: dict[str, float] = {}
    pid = os.getpid()
    try:
        record, source = process_file(job.path, job.limits, timings=timings)
    except DocumentLoadError as e:
        return FileResult(job, "error", _sha_or_none(job.path, file_sha256), reason=e.reason, stage=e.stage,
                          hint=e.hint or load_hint(), timings=timings, worker=pid)
    except MemoryError:
        return FileResult(job, "error", None, reason="out of memory while extracting", stage="extract",
                          hint="the file is too large for this machine; split it or raise the memory limit",
                          timings=timings, worker=pid)
    except Exception as e:  # a bug on one file must not stop the batch
        return FileResult(job, "error", _sha_or_none(job.path, file_sha256), reason=f"{type(e).__name__}: {e}",
                          stage="extract",
                          hint=f"a bug in kehoach; `KEHOACH_DEBUG=1 kehoach extract {job.path}` shows the traceback",
                          timings=timings, worker=pid)
    t = time.perf_counter()
    try:
        tables = as_sent(document_rows(record, source).tables)
    except Exception as e:
        return FileResult(job, "error", record.source.sha256, reason=f"{type(e).__name__}: {e}", stage="store",
                          hint="a bug in kehoach's store; please report it", timings=timings, worker=pid)
    timings["rows"] = time.perf_counter() - t
    return FileResult(job, "ok", record.source.sha256, tables=tables, format=source.format,
                      pages=len(source.pages) or None, chars=len(source.text), timings=timings, worker=pid)


# a document's long texts (its normalized text and its record as JSON: ~27 kB a .txt plan) go to the
# writer as UTF-8 bytes: pickling a str encodes it to UTF-8 anyway, and the writer, which decoded it to
# insert it as Arrow (UTF-8 again), gets the bytes as they are (pyarrow checks them as UTF-8): the writer's
# process did 4.53 -> 4.01 M instructions per .txt plan (valgrind, 2-worker ingest, 400 vs 100 files)
SENT_AS_UTF8 = {"documents": ("record_json",), "document_texts": ("text",)}


def as_sent(tables: dict[str, tuple[tuple[str, ...], list[tuple]]]) -> dict[str, tuple[tuple[str, ...], list[tuple]]]:
    """``tables`` with the long text columns (``SENT_AS_UTF8``) as UTF-8 bytes, for the writer."""
    for table, names in SENT_AS_UTF8.items():
        if table not in tables:
            continue
        cols, rows = tables[table]
        at = [cols.index(n) for n in names if n in cols]
        if at:
            tables[table] = (cols, [tuple(v.encode("utf-8") if i in at and isinstance(v, str) else v
                                          for i, v in enumerate(row)) for row in rows])
    return tables


def _sha_or_none(path: str, file_sha256) -> Optional[str]:
    try:
        return file_sha256(path)
    except OSError:
        return None
