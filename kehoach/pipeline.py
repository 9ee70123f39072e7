"""One record flows ingest -> extract (-> store): the library entry points."""

from __future__ import annotations

import errno
import hashlib
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


def process_file(path: str | Path, limits: Optional[Limits] = None) -> tuple[PlanRecord, SourceText]:
    """Read and extract one file.

    Args:
        limits: per-file limits; default ``Limits.from_env()`` (see ``kehoach.limits``).

    Raises:
        DocumentLoadError: unreadable input; ``LimitExceeded`` (stage "limit") over a limit.
    """
    from kehoach.extract import extract_record

    p = Path(path)
    source = read_document(p, limits)
    record = extract_record(source)
    record.source.path = str(p)
    record.source.sha256 = file_sha256(p)
    return record, source
