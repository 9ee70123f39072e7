"""Running external tools (LibreOffice, Tesseract, antiword) on untrusted files.

Archive file names hold spaces, quotes, ``$(...)``, newlines and leading dashes.
So a tool is always run from an argument list, never through a shell
(``shell=True``, ``os.system`` and ``os.popen`` are refused by a test that reads
the source), and a file name is passed as an absolute path, which a tool cannot
mistake for an option ("-rf.doc" would be one). A tool that runs past its time
limit is killed with its whole process group (soffice starts soffice.bin) and
reported as ``LimitExceeded``.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Mapping, Optional, Sequence

from kehoach.ingest.base import DocumentLoadError
from kehoach.limits import LimitExceeded, current


def path_arg(path: str | Path) -> str:
    """A file name as a tool argument: absolute, so it never starts with "-".

    Examples:
        >>> path_arg("/tmp/-rf.doc")
        '/tmp/-rf.doc'
        >>> path_arg("-rf.doc").startswith("/")
        True
    """
    return os.path.abspath(os.fspath(path))


def run_tool(argv: Sequence[str | Path], *, path: str | Path, timeout: Optional[float] = None,
             limit: str = "convert_seconds", what: Optional[str] = None, cwd: Optional[str | Path] = None,
             env: Optional[Mapping[str, str]] = None, stdin: Optional[bytes] = None,
             hint: Optional[str] = None) -> subprocess.CompletedProcess:
    """Run ``argv`` without a shell and return the finished process (stdout/stderr as bytes).

    Args:
        argv: the program and its arguments; file names through ``path_arg``.
        path: the document being read (named in errors).
        timeout: seconds; default the ``limit`` field of ``kehoach.limits.current()``.
        limit: which limit the timeout is ("convert_seconds" or "ocr_seconds").
        what: the tool's task for messages ("conversion to .docx"); default the program name.
        hint: how to install the tool, for the error when it is missing.

    Raises:
        LimitExceeded: the tool ran past ``timeout`` (it and its children are killed).
        DocumentLoadError: the tool is not installed (stage "convert").
    """
    args = [os.fspath(a) for a in argv]
    if not args or isinstance(argv, (str, bytes)):
        raise TypeError("run_tool takes a list of arguments, not a command string")
    seconds = timeout if timeout is not None else getattr(current(), limit)
    what = what or Path(args[0]).name
    try:
        proc = subprocess.Popen(args, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
                                env=dict(env) if env is not None else None,
                                start_new_session=True)  # its own process group, killed as one
    except FileNotFoundError:
        raise DocumentLoadError(path, f"{args[0]} is not installed", "convert",
                                hint=hint or f"install {Path(args[0]).name} (see `make setup`)") from None
    try:
        out, err = proc.communicate(stdin, timeout=seconds)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        raise LimitExceeded(path, limit, f"{what} took longer than {seconds:g} s (limit {limit})",
                            current()) from None
    except BaseException:
        _kill_group(proc)
        proc.communicate()
        raise
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
