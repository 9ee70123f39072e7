"""Assemble normalized text from paragraphs and cells while recording blocks."""

from __future__ import annotations

from typing import Optional

from kehoach.ingest.base import Block, PageInfo, SourceText
from kehoach.ingest.normalize import normalize_line


class TextBuilder:
    """Append paragraphs one per line; offsets of blocks refer to the final text.

    Each call normalizes its piece (NFC, artefacts removed, spaces collapsed), so
    the text is normalized by construction and spans stay valid.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._len = 0
        self.blocks: list[Block] = []
        self.pages: list[PageInfo] = []
        self._page_start: Optional[int] = None
        self._page_no: Optional[int] = None
        self._page_method = "text"
        self._page_conf: Optional[float] = None

    def _append(self, s: str) -> int:
        if self._parts:
            self._parts.append("\n")
            self._len += 1
        start = self._len
        self._parts.append(s)
        self._len += len(s)
        return start

    def blank(self) -> None:
        """A blank line (paragraph break that readers of the text can see)."""
        if self._parts and self._parts[-1] != "\n" and not self._parts[-1] == "":
            self._append("")

    def add(self, text: str, kind: str = "paragraph", *, normalize: bool = True, **attrs) -> Optional[Block]:
        """Add one paragraph or cell; several lines inside ``text`` are kept."""
        lines = [normalize_line(x) if normalize else x for x in text.split("\n")]
        lines = [x for x in lines if x]
        if not lines:
            return None
        s = "\n".join(lines)
        start = self._append(s)
        b = Block(kind=kind, start=start, end=start + len(s), page=self._page_no, **attrs)
        self.blocks.append(b)
        return b

    def start_page(self, number: int, method: str = "text", confidence: Optional[float] = None) -> None:
        self.end_page()
        self._page_no = number
        self._page_start = self._len + (1 if self._parts else 0)
        self._page_method = method
        self._page_conf = confidence

    def end_page(self) -> None:
        if self._page_no is not None and self._page_start is not None:
            self.pages.append(PageInfo(self._page_no, self._page_start, max(self._page_start, self._len),
                                       self._page_method, self._page_conf))
            self.blocks.append(Block("page", self._page_start, max(self._page_start, self._len), page=self._page_no))
        self._page_no = None
        self._page_start = None

    def build(self, fmt: str, path: Optional[str] = None, warnings: Optional[list[str]] = None) -> SourceText:
        # a blank line asked for at the very end (file ending in empty lines) is not text
        while len(self._parts) >= 2 and self._parts[-1] == "" and self._parts[-2] == "\n":
            del self._parts[-2:]
            self._len -= 1
        self.end_page()
        # a page with no text after the last text (a blank or scanned last page), or a blank
        # line trimmed above, would leave page offsets past the end of the text
        for item in (*self.pages, *(b for b in self.blocks if b.kind == "page")):
            item.start, item.end = min(item.start, self._len), min(item.end, self._len)
        return SourceText(text="".join(self._parts), blocks=self.blocks, format=fmt, pages=self.pages,
                          warnings=list(warnings or []), path=path)
