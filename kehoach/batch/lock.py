"""One ingest per database at a time: an advisory lock file beside it.

DuckDB's own file lock is held only while a batch is written (so lookups get in
between batches); two ingests into one database would otherwise interleave
their batches. The second one gets a clear error naming the first, or waits
with ``--wait``. The lock is ``flock`` on ``<db>.lock``: the kernel releases it
when the holder exits, even by SIGKILL, so a crash never leaves it stuck. The
file's content (PID, start time) only serves messages.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Callable, Optional

from kehoach.store.errors import StoreError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory lock, DuckDB's lock still protects the file
    fcntl = None  # type: ignore[assignment]


class IngestLockedError(StoreError):
    """Another ingest is writing the same database."""


class IngestLock:
    """``with IngestLock(db, wait=False): ...`` holds the ingest lock of ``db``."""

    def __init__(self, db: str | Path, wait: bool = False,
                 on_wait: Optional[Callable[[dict], None]] = None):
        self.db = str(db)
        self.path = self.db + ".lock"
        self.wait = wait
        self.on_wait = on_wait
        self.fd: Optional[int] = None

    def holder(self) -> dict:
        try:
            return json.loads(Path(self.path).read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}

    def __enter__(self) -> "IngestLock":
        if self.db == ":memory:" or fcntl is None:
            return self
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = self.holder()
            if not self.wait:
                os.close(fd)
                raise IngestLockedError(
                    f"another kehoach ingest (PID {who.get('pid', '?')}, started {who.get('started', '?')}) "
                    f"is writing {self.db}",
                    "wait for it to finish, or pass --wait to start when it is done") from None
            if self.on_wait:
                self.on_wait(who)
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "started": datetime.now().isoformat(timespec="seconds"),
                                 "command": "kehoach ingest"}).encode())
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            try:
                os.ftruncate(self.fd, 0)
            finally:
                os.close(self.fd)  # closing releases the flock
                self.fd = None
