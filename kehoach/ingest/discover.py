"""Finding the files to ingest: a streaming walk, safe on hostile folders.

``discover`` yields one ``Found`` per file as it walks, so a folder of 100,000
files is never listed into memory as records (only one folder's entries at a
time, sorted so that runs are deterministic). It never raises for what it finds:

- files of supported types are ``kind="file"``;
- hidden files, files of other types and symlink loops are ``kind="skipped"``
  with the reason (counted, not errors) -- except a file the user named
  explicitly, which is always tried, so an unsupported type gets the reader's
  error naming the supported ones;
- a folder that cannot be listed (permissions) or a broken symbolic link to a
  file of a supported type is ``kind="error"`` with reason, stage and hint, so
  the batch records it and goes on.

File names are used exactly as the file system gives them: names with spaces,
quotes, a leading dash or non-NFC Unicode open as they are (no shell is ever
involved). ``storable`` turns a name that is not valid UTF-8 into text the
database can hold.
"""

from __future__ import annotations

import errno
import os
import stat as stat_mod
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Optional

from kehoach.ingest import supported_suffixes


@dataclass(frozen=True)
class Found:
    """One thing the walk met.

    Attributes:
        path: the path to open (as the file system spells it).
        shown: a short name for tables: ``<folder name>/<relative path>``.
        kind: "file", "skipped" or "error".
        explicit: the user named this path on the command line.
        reason, stage, hint: why it was skipped or failed.
        size, mtime_ns: from the walk's stat, for the cheap resume check.
    """

    path: str
    shown: str
    kind: str
    explicit: bool = False
    reason: Optional[str] = None
    stage: Optional[str] = None
    hint: Optional[str] = None
    size: Optional[int] = None
    mtime_ns: Optional[int] = None


def is_hidden(name: str) -> bool:
    # "~$name.docx" is the lock file Word leaves beside an open document
    return name.startswith(".") or name.startswith("~$")


def storable(path: str) -> str:
    """``path`` as valid UTF-8 text: bytes that are not UTF-8 become ``\\xNN`` escapes.

    Python decodes such names with lone surrogates (PEP 383), which a database
    cannot store. A valid name is returned unchanged (not normalized: the
    stored path must still name the file).
    """
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _os_reason(e: OSError) -> str:
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if e.errno == errno.ELOOP:
        return "symbolic link loop"
    if e.errno == errno.ENOENT:
        return "no such file (broken symbolic link?)"
    return e.strerror or str(e)


def discover(paths: Iterable[str | Path], suffixes: Optional[Iterable[str]] = None) -> Iterator[Found]:
    """Walk ``paths`` (files and folders) and yield what is found, lazily.

    Folders are walked depth first; within a folder, files come in name order,
    then sub-folders in name order. Hidden folders are not entered. Each file
    and folder is visited once even when reached twice (overlapping arguments,
    symbolic links, hard links); a symbolic link back to a folder already
    entered is skipped, so loops end.

    Args:
        paths: files and folders, as the user gave them.
        suffixes: lowercase suffixes to take (default: every registered reader's).

    Example:
        >>> [f.shown for f in discover(["tests/fixtures/seeds"]) if f.kind == "file"][:1]  # doctest: +SKIP
        ['seeds/001_68235d63eb85ea36.txt']
    """
    wanted = set(suffixes if suffixes is not None else supported_suffixes())
    seen_files: set[tuple[int, int]] = set()
    seen_dirs: set[tuple[int, int]] = set()
    for arg in paths:
        p = os.fspath(arg)
        try:
            st = os.stat(p)
        except OSError as e:
            yield Found(p, p, "error", True, _os_reason(e), "open", "check the path")
            continue
        if stat_mod.S_ISDIR(st.st_mode):
            top = os.path.basename(os.path.normpath(os.path.abspath(p))) or p
            yield from _walk(p, top, st, wanted, seen_files, seen_dirs)
        elif (st.st_dev, st.st_ino) not in seen_files:
            seen_files.add((st.st_dev, st.st_ino))
            yield Found(p, p, "file", True, size=st.st_size, mtime_ns=st.st_mtime_ns)


def _walk(root: str, top: str, root_stat: os.stat_result, wanted: set[str],
          seen_files: set[tuple[int, int]], seen_dirs: set[tuple[int, int]]) -> Iterator[Found]:
    # an explicit stack, not recursion: depth is not limited by Python's stack
    stack: list[tuple[str, str, os.stat_result]] = [(root, top, root_stat)]
    while stack:
        folder, shown, st = stack.pop()
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            continue
        seen_dirs.add(key)
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            yield Found(folder, shown, "error", False, f"cannot list folder: {_os_reason(e)}", "open",
                        "check the folder's permissions (it needs r and x)")
            continue
        subdirs: list[tuple[str, str, os.stat_result]] = []
        for entry in entries:
            name = entry.name
            path = entry.path
            shown_child = f"{shown}/{name}"
            try:
                is_dir = entry.is_dir()  # follows symbolic links
            except OSError:
                is_dir = False
            if is_dir:
                if is_hidden(name):
                    continue
                try:
                    dst = entry.stat()
                except OSError as e:
                    yield Found(path, shown_child, "error", False, f"cannot enter folder: {_os_reason(e)}", "open",
                                "check the folder's permissions")
                    continue
                if (dst.st_dev, dst.st_ino) in seen_dirs:
                    yield Found(path, shown_child, "skipped", reason="folder already walked (symbolic link loop "
                                "or second path to it)")
                    continue
                subdirs.append((path, shown_child, dst))
                continue
            suffix = os.path.splitext(name)[1].lower()
            if is_hidden(name):
                yield Found(path, shown_child, "skipped", reason="hidden file")
                continue
            if suffix not in wanted:
                yield Found(path, shown_child, "skipped", reason=f"unsupported type {suffix or '(none)'}")
                continue
            try:
                fst = entry.stat()  # follows symbolic links
            except OSError as e:
                yield Found(path, shown_child, "error", False, _os_reason(e), "open",
                            "the name is a symbolic link to nothing readable; fix or remove it")
                continue
            if not stat_mod.S_ISREG(fst.st_mode):
                yield Found(path, shown_child, "skipped", reason="not a regular file")
                continue
            fkey = (fst.st_dev, fst.st_ino)
            if fkey in seen_files:
                yield Found(path, shown_child, "skipped", reason="same file already found under another name")
                continue
            seen_files.add(fkey)
            yield Found(path, shown_child, "file", size=fst.st_size, mtime_ns=fst.st_mtime_ns)
        # pushed in reverse so that they are popped in name order
        stack.extend(reversed(subdirs))
