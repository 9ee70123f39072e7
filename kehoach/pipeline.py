"""One record flows ingest -> extract (-> store): the library entry points."""

from __future__ import annotations

import errno
import hashlib
import time
from pathlib import Path
from typing import Optional

from kehoach.ingest import SourceText, not_regular, read_document
from kehoach.limits import Limits
from kehoach.schema import PlanRecord


def file_sha256(path: str | Path) -> str:
    """The hex sha256 of a file's bytes.

    Raises:
        OSError: cannot be read; EINVAL "not a regular file (FIFO)" for a FIFO or device,
            which would block or never end.
    """
    kind = not_regular(path)
    if kind:
        raise OSError(errno.EINVAL, f"not a regular file ({kind})", str(path))
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def process_file(path: str | Path, limits: Optional[Limits] = None,
                 timings: dict[str, float] | None = None) -> tuple[PlanRecord, SourceText]:
    """Read and extract one file.

    Args:
        limits: per-file limits; default ``Limits.from_env()`` (see ``kehoach.limits``).
        timings: when given, receives the seconds spent per stage ("read", "extract", "hash").

    Raises:
        DocumentLoadError: unreadable input; ``LimitExceeded`` (stage "limit") over a limit.
    """
    from kehoach.extract import extract_record

    p = Path(path)
    t0 = time.perf_counter()
    source = read_document(p, limits)
    t1 = time.perf_counter()
    record = extract_record(source)
    t2 = time.perf_counter()
    record.source.path = str(p)
    record.source.sha256 = file_sha256(p)
    if timings is not None:
        timings.update(read=t1 - t0, extract=t2 - t1, hash=time.perf_counter() - t2)
    return record, source
