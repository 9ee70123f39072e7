"""Word 97-2003 documents (.doc) through LibreOffice, antiword as the fallback.

LibreOffice (headless) converts the .doc to .docx and the .docx reader does the
rest: tables as cells, list numbers, and the font of every run, which is what
tells TCVN3 and VNI text apart (024-029 were typed in .VnTime / VNI-Times;
026 mixes both). Starting LibreOffice costs ~1.7 s, so conversions are batched:
``read_ahead(paths)`` tells the reader which files come next, and the first
read converts up to READ_AHEAD files in one LibreOffice call.

Without LibreOffice, antiword reads the text in milliseconds: no tables as
cells, no font names, so legacy encodings are found by statistics alone, per
paragraph. Without either, the file fails with the install command.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import threading
from pathlib import Path
from typing import Iterable, Optional

from kehoach.ingest import legacy, libreoffice, systools
from kehoach.ingest.base import DocumentLoadError, InputFormat, Reader, SourceText, read_file
from kehoach.ingest.text import source_from_text

# files converted per LibreOffice call when more .doc files are known to follow
READ_AHEAD = 16
ANTIWORD_TIMEOUT_S = 60.0

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_WHAT = "a Word 97-2003 .doc file"

_state_lock = threading.Lock()
_upcoming: list[Path] = []                      # .doc files announced by read_ahead, in order
_converted: dict[Path, tuple[Path, libreoffice.ConversionResult]] = {}
_failed: dict[Path, str] = {}


def _cleanup_all() -> None:
    """Remove conversions announced but never read (at exit)."""
    with _state_lock:
        for _, res in list(_converted.values()):
            res.cleanup()
        _converted.clear()


atexit.register(_cleanup_all)


def read_ahead(paths: Iterable[str | Path]) -> None:
    """Announce the files a batch will read next, so .doc conversions can share LibreOffice calls.

    Only .doc files are kept; announcing is optional and costs nothing when
    LibreOffice is absent.
    """
    docs = [Path(p).resolve() for p in paths if str(p).lower().endswith(".doc")]
    with _state_lock:
        known = set(_upcoming)
        _upcoming.extend(p for p in docs if p not in known)


def _take_converted(path: Path, soffice: str) -> Path:
    """The .docx LibreOffice made from ``path``; converts it (and the files announced after it)."""
    key = path.resolve()
    with _state_lock:
        if key in _converted or key in _failed:
            batch = []
        else:
            later = [p for p in _upcoming if p != key and p not in _converted and p not in _failed]
            batch = [key] + later[: READ_AHEAD - 1]
            done = set(batch)
            _upcoming[:] = [p for p in _upcoming if p not in done]
    if batch:
        res = libreoffice.convert(soffice, batch, "docx")
        if res.timed_out and len(batch) > 1:
            # one file can hang LibreOffice for the whole batch: each file gets its own call
            res.cleanup()
            res = libreoffice.convert(soffice, [key], "docx")
            batch = [key]
        with _state_lock:
            for p in batch:
                if p in res.outputs:
                    _converted[p] = (res.outputs[p], res)
                else:
                    _failed[p] = res.errors.get(p, "LibreOffice could not convert it")
            if not res.outputs:
                res.cleanup()
    with _state_lock:
        if key in _failed:
            raise DocumentLoadError(path, _failed.pop(key), "convert",
                                    hint="check that the file opens in Word or LibreOffice; it may be damaged "
                                         "or password-protected")
        return _converted[key][0]


def _release(path: Path) -> None:
    """Forget ``path``'s conversion; remove the batch's folder once all its files are read."""
    key = path.resolve()
    with _state_lock:
        entry = _converted.pop(key, None)
        if entry is None:
            return
        res = entry[1]
        if not any(r is res for _, r in _converted.values()):
            res.cleanup()


def _sniff(path: Path) -> str:
    """"ole2", "zip", "rtf", "html" or "other" from the first bytes."""
    head = read_file(path, 2048)
    if head.startswith(_OLE2_MAGIC):
        return "ole2"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    low = head.lower()
    if b"<html" in low or b"<!doctype html" in low:
        return "html"
    return "other"


class DocReader(Reader):
    """Reader for .doc (and .rtf, which LibreOffice converts the same way)."""

    @classmethod
    def supported_formats(cls) -> dict[str, InputFormat]:
        return {".doc": InputFormat.DOC, ".rtf": InputFormat.DOC}

    def read(self, path: Path) -> SourceText:
        """Read a .doc into normalized text (via LibreOffice and the .docx reader, or antiword).

        Raises:
            DocumentLoadError: not a Word file (stage "parse"), LibreOffice could
                not convert it (stage "convert"), neither LibreOffice nor antiword
                installed (stage "tool"), no text (stage "read").
        """
        path = Path(path)
        kind = _sniff(path)
        if kind == "zip":  # a .docx saved under a .doc name
            from kehoach.ingest.docx import DocxReader

            st = DocxReader().read(path)
            st.warnings.append("a .docx file named .doc")
            return st
        if kind == "html":  # Word "Save as Web Page" under a .doc name
            from kehoach.ingest.html import HtmlReader

            st = HtmlReader().read(path)
            st.warnings.append("a Word HTML file named .doc")
            return st
        if kind == "other":
            raise DocumentLoadError(path, "not a Word .doc file (no OLE2 or RTF header)", "parse",
                                    hint="check the file type; rename it if it is another format")
        soffice = systools.find("libreoffice")
        if soffice:
            return self._via_libreoffice(path, soffice)
        antiword = systools.find("antiword")
        if antiword and kind == "ole2":
            return self._via_antiword(path, antiword)
        tool = systools.TOOLS["libreoffice"]
        raise DocumentLoadError(path, f"{_WHAT} needs LibreOffice (or antiword), neither is installed", "tool",
                                hint=f"install it: {systools.install_command(tool.apt)}  "
                                     f"(fast text-only fallback: {systools.install_command(('antiword',))})")

    def _via_libreoffice(self, path: Path, soffice: str) -> SourceText:
        from kehoach.ingest.docx import DocxReader

        converted = _take_converted(path, soffice)
        try:
            st = DocxReader().read(converted)
        except DocumentLoadError as e:
            raise DocumentLoadError(path, e.reason, e.stage, e.hint) from None
        finally:
            _release(path)
        st.path = str(path)
        st.format = InputFormat.DOC.value
        st.route = "libreoffice+docx"
        return st

    def _via_antiword(self, path: Path, antiword: str) -> SourceText:
        # antiword reads the file itself; "--" ends options so a name starting with "-" stays a name
        try:
            proc = subprocess.run([antiword, "-w", "0", "-m", "UTF-8.txt", "--", os.fspath(path)],
                                  capture_output=True, timeout=ANTIWORD_TIMEOUT_S, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise DocumentLoadError(path, f"antiword did not finish within {ANTIWORD_TIMEOUT_S:.0f} s",
                                    "convert") from None
        err = proc.stderr.decode("utf-8", "replace").strip()
        if proc.returncode != 0 or not proc.stdout.strip():
            reason = err.splitlines()[-1] if err else "antiword could not read it"
            if "encrypt" in err.lower():
                raise DocumentLoadError(path, "password required (encrypted .doc)", "parse",
                                        hint="remove the password in Word and save again")
            raise DocumentLoadError(path, f"antiword: {reason}", "convert",
                                    hint=f"LibreOffice reads more .doc files: "
                                         f"{systools.install_command(systools.TOOLS['libreoffice'].apt)}")
        raw = proc.stdout.decode("utf-8", "replace")
        # no fonts: decide legacy encodings per paragraph by statistics
        used: set[str] = set()
        lines = []
        for line in raw.split("\n"):
            fixed, enc = legacy.fix_text(line)
            if enc:
                used.add(enc)
            else:
                fixed = fixed.replace("\xad", "")
            lines.append(fixed)
        st = source_from_text("\n".join(lines), InputFormat.DOC.value, str(path))
        st.route = "antiword"
        st.encodings = sorted(used)
        st.warnings.append("read with antiword (LibreOffice not installed): tables as plain text")
        if not st.text.strip():
            raise DocumentLoadError(path, "no text", "read")
        return st


def pending() -> Optional[int]:
    """Conversions done but not yet read (for tests and diagnostics)."""
    with _state_lock:
        return len(_converted)
