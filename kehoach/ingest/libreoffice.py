"""LibreOffice headless conversion, many files per call, one profile per process.

Starting LibreOffice costs ~1.7 s; converting a .doc once started costs tens of
milliseconds, so ``convert`` takes a list of files and converts them in one
call. Each process uses its own profile directory (-env:UserInstallation): two
LibreOffice instances sharing a profile block each other or fail, and worker
processes of a batch ingest run side by side.

Hostile file names never reach LibreOffice: every input is linked into a fresh
temporary folder under a plain name (d00000.doc), so a name beginning with "-"
or holding a newline, a quote or a URL scheme is neither an option nor a path
LibreOffice could misread. No shell is involved; a call that runs past its
timeout is killed with its whole process group.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

# seconds: start-up, plus each file
TIMEOUT_BASE_S = 60.0
TIMEOUT_PER_FILE_S = 20.0

_lock = threading.Lock()  # one LibreOffice at a time per process (one profile)
_profile: dict[int, str] = {}


def _profile_dir() -> str:
    """This process's LibreOffice profile (created on first use, removed at exit)."""
    pid = os.getpid()
    d = _profile.get(pid)
    if d is None or not os.path.isdir(d):
        d = tempfile.mkdtemp(prefix=f"kehoach-lo-{pid}-")
        _profile[pid] = d
        atexit.register(shutil.rmtree, d, True)
    return d


@dataclass
class ConversionResult:
    outputs: dict[Path, Path] = field(default_factory=dict)   # input -> converted file
    errors: dict[Path, str] = field(default_factory=dict)     # input -> reason
    workdir: Optional[str] = None                             # holds the outputs; caller removes it
    timed_out: bool = False

    def cleanup(self) -> None:
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


def convert(soffice: str, paths: list[Path], fmt: str = "docx", timeout: Optional[float] = None) -> ConversionResult:
    """Convert ``paths`` to ``fmt`` with one LibreOffice call.

    Args:
        soffice: the soffice executable.
        paths: input files (any names).
        fmt: target format for --convert-to ("docx", "html", ...).
        timeout: seconds for the whole call (default: TIMEOUT_BASE_S + TIMEOUT_PER_FILE_S per file).

    Returns:
        outputs for the files converted, errors (with a reason) for the others;
        call ``cleanup()`` when the outputs have been read.
    """
    res = ConversionResult()
    if not paths:
        return res
    work = tempfile.mkdtemp(prefix="kehoach-conv-")
    res.workdir = work
    indir, outdir = os.path.join(work, "in"), os.path.join(work, "out")
    os.mkdir(indir)
    os.mkdir(outdir)
    names: dict[str, Path] = {}
    for i, p in enumerate(paths):
        suffix = p.suffix.lower() if p.suffix.isascii() and p.suffix[1:].isalnum() else ".doc"
        safe = f"d{i:05d}{suffix}"
        target = os.path.join(indir, safe)
        try:
            os.symlink(os.path.abspath(p), target)
        except OSError:
            try:
                shutil.copyfile(p, target)
            except OSError as e:
                res.errors[p] = f"cannot open: {e.strerror or e}"
                continue
        names[safe] = p
    if not names:
        return res
    if timeout is None:
        timeout = TIMEOUT_BASE_S + TIMEOUT_PER_FILE_S * len(names)
    args = [soffice, f"-env:UserInstallation=file://{_profile_dir()}", "--headless", "--norestore",
            "--nolockcheck", "--nodefault", "--nofirststartwizard", "--convert-to", fmt, "--outdir", outdir]
    args += [os.path.join(indir, n) for n in sorted(names)]
    env = dict(os.environ, HOME=work, SAL_USE_VCLPLUGIN="svp")
    with _lock:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                cwd=work, env=env, start_new_session=True)
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            proc.communicate()
            res.timed_out = True
            for p in names.values():
                res.errors.setdefault(p, f"LibreOffice did not finish within {timeout:.0f} s")
            err = b""
    ext = "." + fmt.split(":")[0]
    for safe, p in names.items():
        if p in res.errors:
            continue
        out = os.path.join(outdir, Path(safe).stem + ext)
        if os.path.isfile(out) and os.path.getsize(out) > 0:
            res.outputs[p] = Path(out)
        else:
            tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] if err else []
            res.errors[p] = "LibreOffice could not convert it" + (f" ({tail[0][:200]})" if tail else "")
    return res


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
