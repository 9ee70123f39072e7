"""Bulk loading: file discovery -> worker pool (or Dask) -> batched writer, resumable.

Example:
    >>> from kehoach.batch import IngestOptions, ingest_paths
    >>> summary = ingest_paths(["archive/"], "plans.duckdb", IngestOptions(workers=2))  # doctest: +SKIP
    >>> summary.stored, summary.failed                                                 # doctest: +SKIP
    (9812, 14)
"""

from kehoach.batch.lock import IngestLock, IngestLockedError
from kehoach.batch.run import IngestOptions, IngestSummary, default_workers, ingest_paths

__all__ = ["IngestLock", "IngestLockedError", "IngestOptions", "IngestSummary", "default_workers", "ingest_paths"]
