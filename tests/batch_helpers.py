"""Helpers the bulk-ingest tests send to worker processes (importable there by name)."""

from __future__ import annotations

import os
from pathlib import Path

from kehoach.batch.work import FileJob, FileResult, process_job

SEED_004 = Path(__file__).parent / "fixtures" / "seeds" / "004_1de52a3aaf0af248.txt"


def make_corpus(folder: Path, n: int, start: int = 0, base: Path = SEED_004) -> list[Path]:
    """``n`` distinct plans: the seed text with its own number ("Số: 17/KH-UBND")."""
    folder.mkdir(parents=True, exist_ok=True)
    text = base.read_text(encoding="utf-8")
    assert "Số: /KH-UBND" in text
    out = []
    for i in range(start, start + n):
        p = folder / f"plan-{i:04d}.txt"
        p.write_text(text.replace("Số: /KH-UBND", f"Số: {i}/KH-UBND", 1), encoding="utf-8")
        out.append(p)
    return out


def crash_on_boom(job: FileJob) -> FileResult:
    """process_job, except that a file named *boom* kills the worker process (as a segfault would)."""
    if "boom" in os.path.basename(job.path):
        os._exit(11)
    return process_job(job)


def slow_job(job: FileJob) -> FileResult:
    """process_job plus a pause, so that a test's ingest lasts long enough on any machine."""
    import time

    time.sleep(float(os.environ.get("KEHOACH_TEST_SLOW", "0.05")))
    return process_job(job)


# `python -c SLOW_INGEST ingest ...`: the kehoach command with every file slowed by slow_job
SLOW_INGEST = ("import sys, kehoach.batch.run as r, batch_helpers as h; r.process_job = h.slow_job; "
               "sys.argv[0] = 'kehoach'; from kehoach.cli import main; main()")
