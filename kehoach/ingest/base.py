"""One interface for every input format: a reader turns a file into SourceText.

SourceText holds the normalized text the extractor sees (spans point into it)
and blocks that say where each paragraph, table cell and page lies in it.
"""

from __future__ import annotations

import abc
import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional


class InputFormat(str, enum.Enum):
    TXT = "txt"
    DOCX = "docx"
    PDF = "pdf"
    DOC = "doc"
    HTML = "html"
    IMAGE = "image"


class DocumentLoadError(Exception):
    """Bad input (not a bug): the file cannot be read. Carries file, reason, stage."""

    def __init__(self, path: str | Path, reason: str, stage: str = "read", hint: str | None = None):
        self.path = str(path)
        self.reason = reason
        self.stage = stage
        self.hint = hint
        super().__init__(f"{self.path}: {reason}")

    @classmethod
    def cannot_open(cls, path: str | Path, e: OSError, hint: str | None = None) -> "DocumentLoadError":
        """The error for a file the system will not let us read (stage "open")."""
        return cls(path, f"cannot open: {e.strerror or e}", "open", hint)


def read_file(path: Path, head: Optional[int] = None) -> bytes:
    """The file's bytes, or its first ``head`` bytes.

    Raises:
        DocumentLoadError: "cannot open: …" (stage "open") or "empty file" (stage "read").
    """
    try:
        if head is None:
            data = path.read_bytes()
        else:
            with path.open("rb") as fh:
                data = fh.read(head)
    except OSError as e:
        raise DocumentLoadError.cannot_open(path, e) from None
    if not data:
        raise DocumentLoadError(path, "empty file", "read")
    return data


@dataclass
class Block:
    """A region of the normalized text: [start, end) offsets.

    kind: "paragraph", "cell" or "page". Cells carry their table/row/col.
    level: list level from Word numbering, when known.
    """

    kind: str
    start: int
    end: int
    page: Optional[int] = None
    table: Optional[int] = None
    row: Optional[int] = None
    col: Optional[int] = None
    style: Optional[str] = None


# how a page's text was obtained
PAGE_METHODS = ("text", "ocr", "legacy")


@dataclass
class PageInfo:
    """A page of the normalized text and how its text was obtained.

    method: "text" (the PDF's text layer as it is), "legacy" (text layer in a
    legacy 8-bit encoding, decoded: see ``SourceText.encodings``) or "ocr"
    (Tesseract). confidence: Tesseract's mean word confidence (0-100) for OCR'd pages.
    """

    number: int
    start: int
    end: int
    method: str = "text"
    confidence: Optional[float] = None
    note: Optional[str] = None  # why the text layer was not used ("no text layer", "garbled", ...)


@dataclass
class SourceText:
    text: str
    blocks: list[Block] = field(default_factory=list)
    format: str = "txt"
    pages: list[PageInfo] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    path: Optional[str] = None
    # how the text was obtained: reader steps joined by "+", e.g. "libreoffice+docx",
    # "pdf-text+ocr", "ocr"; legacy decodings applied ("tcvn3", "vni") in ``encodings``
    route: Optional[str] = None
    encodings: list[str] = field(default_factory=list)
    # dates (YYYY-MM-DD) of the file's digital signatures in signing order (PDF signature fields):
    # an e-signed document leaves the day and number blank for the issuing office's stamp
    signed: list[str] = field(default_factory=list)

    def page_at(self, offset: int) -> Optional[int]:
        """1-based page holding ``offset``, or None where the source has no pages."""
        for p in self.pages:
            if p.start <= offset < p.end:
                return p.number
        if self.pages and offset >= self.pages[-1].start:
            return self.pages[-1].number
        return None


class Reader(abc.ABC):
    """A reader for one family of formats."""

    @classmethod
    @abc.abstractmethod
    def supported_formats(cls) -> dict[str, InputFormat]:
        """Map of lowercase file suffix (".docx") to InputFormat."""

    @abc.abstractmethod
    def read(self, path: Path) -> SourceText:
        """Read ``path``; raise DocumentLoadError for input that cannot be read."""
