"""Readers per format behind one interface; ``read_document`` dispatches by suffix.

A file whose suffix is unknown is a DocumentLoadError naming the supported ones.
Readers whose libraries are heavy are imported only when a file needs them.
"""

from __future__ import annotations

import importlib
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from kehoach.ingest.base import Block, DocumentLoadError, InputFormat, PageInfo, Reader, SourceText

if TYPE_CHECKING:
    from kehoach.limits import Limits

# suffix -> "module:Class"; modules import lazily so `kehoach show` stays fast
_READERS: dict[str, str] = {
    ".txt": "kehoach.ingest.text:TextReader",
    ".md": "kehoach.ingest.text:TextReader",
    ".text": "kehoach.ingest.text:TextReader",
    ".docx": "kehoach.ingest.docx:DocxReader",
    ".pdf": "kehoach.ingest.pdf:PdfReader",
    ".doc": "kehoach.ingest.doc:DocReader",
    ".rtf": "kehoach.ingest.doc:DocReader",
    ".htm": "kehoach.ingest.html:HtmlReader",
    ".html": "kehoach.ingest.html:HtmlReader",
    ".jpg": "kehoach.ingest.image:ImageReader",
    ".jpeg": "kehoach.ingest.image:ImageReader",
    ".png": "kehoach.ingest.image:ImageReader",
    ".tif": "kehoach.ingest.image:ImageReader",
    ".tiff": "kehoach.ingest.image:ImageReader",
}


def supported_suffixes() -> list[str]:
    return sorted(_READERS)


def register_reader(suffix: str, target: str) -> None:
    """Register ``module:Class`` as the reader for ``suffix`` (e.g. ".doc")."""
    _READERS[suffix.lower()] = target


def reader_for(path: Path) -> Reader:
    suffix = path.suffix.lower()
    target = _READERS.get(suffix)
    if target is None:
        raise DocumentLoadError(path, f"unsupported file type {suffix or '(none)'!r}", "detect",
                                hint=f"supported: {', '.join(supported_suffixes())}")
    mod, cls = target.split(":")
    return getattr(importlib.import_module(mod), cls)()


def read_ahead(paths) -> None:
    """Tell the readers which files a batch reads next (in order), so that conversions
    that start a program (.doc through LibreOffice) can take many files per call."""
    from kehoach.ingest.doc import read_ahead as _doc_read_ahead

    _doc_read_ahead(paths)


def not_regular(path: str | Path) -> Optional[str]:
    """What ``path`` is when it exists but is no regular file ("FIFO", "character device", ...), else None.

    Reading a FIFO blocks for ever and /dev/zero never ends, so neither may be opened.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    for test, kind in ((stat.S_ISFIFO, "FIFO"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket")):
        if test(mode):
            return kind
    return "special file"


def read_document(path: str | Path, limits: "Limits | None" = None) -> SourceText:
    """Read any supported file into normalized SourceText.

    Args:
        path: the file.
        limits: per-file limits (``kehoach.limits``); default: ``Limits.from_env()``.
            Readers see them through ``kehoach.limits.current()``.

    Raises:
        DocumentLoadError: the file is missing, unreadable, empty or of an unknown type;
            ``LimitExceeded`` (stage "limit") when it is over a limit.
    """
    # imported here: kehoach.limits imports kehoach.ingest.base, which runs this module first
    from kehoach.limits import using

    p = Path(path)
    if not p.exists():
        raise DocumentLoadError(p, "no such file", "open", hint="check the path")
    if p.is_dir():
        raise DocumentLoadError(p, "is a directory", "open", hint="use `kehoach ingest DIR` for folders")
    kind = not_regular(p)
    if kind:
        raise DocumentLoadError(p, f"not a regular file ({kind})", "open", hint="give the path of a document file")
    with using(limits) as lim:
        try:
            size = p.stat().st_size
        except OSError as e:
            raise DocumentLoadError.cannot_open(p, e, hint="check that the file is readable") from None
        lim.check_size(p, size)
        try:
            st = reader_for(p).read(p)
        except DocumentLoadError as e:
            if e.stage == "open" and not e.hint:
                e.hint = "check that the file is readable"
            raise
        # every format, whatever its reader checked: the extractor's input is bounded
        lim.check_pages(p, len(st.pages))
        lim.check_chars(p, len(st.text))
    st.path = str(p)
    return st


__all__ = ["Block", "DocumentLoadError", "InputFormat", "PageInfo", "Reader", "SourceText", "not_regular",
           "read_ahead", "read_document", "reader_for", "register_reader", "supported_suffixes"]
