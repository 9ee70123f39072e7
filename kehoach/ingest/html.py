"""HTML, in particular Word's "Save as Web Page" (.htm/.html).

Word HTML declares its code page in a meta tag (032: charset=windows-1252) and
writes every Vietnamese letter outside it as a numeric entity ("L&#432;&#417;ng
Minh"), so the bytes are decoded with the declared charset and lxml resolves the
entities. Paragraphs and table cells come out in document order, cells as cell
blocks like the .docx reader's. Word's list numbers sit in the text inside
``<![if !supportLists]>`` blocks and are kept. A span's font-family feeds the
legacy-encoding check (.VnTime text saved as HTML).
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Optional

from kehoach.ingest import legacy
from kehoach.ingest.base import DocumentLoadError, InputFormat, Reader, SourceText
from kehoach.ingest.builder import TextBuilder

MAX_HTML_BYTES = 100 * 1024 * 1024

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""")
_FONT_FAMILY = re.compile(r"font-family\s*:\s*([^;]+)", re.IGNORECASE)
_HIDDEN = re.compile(r"display\s*:\s*none|mso-hide\s*:\s*all", re.IGNORECASE)

_SKIP = {"head", "style", "script", "noscript", "template", "xml", "title", "meta", "link", "object", "iframe"}
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "pre", "blockquote", "center",
           "address", "caption", "section", "article", "header", "footer", "ul", "ol", "dl", "body", "form",
           "hr", "nav", "main", "aside", "figure", "figcaption", "fieldset", "legend"}


def decode_html(data: bytes) -> tuple[str, str]:
    """(text, encoding): BOM, then the declared charset, then UTF-8, then Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "utf-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    head = data[:8192]
    m = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    if m:
        name = m.group(1).decode("ascii").lower()
        try:
            codecs.lookup(name)
        except LookupError:
            name = ""
        if name:
            if name in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"):
                name = "cp1252"  # what browsers do: the C1 range holds “ ” – —
            return data.decode(name, errors="replace"), name
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _font_of(el, inherited: Optional[str]) -> Optional[str]:
    style = el.get("style")
    if style:
        m = _FONT_FAMILY.search(style)
        if m:
            first = m.group(1).split(",")[0].strip().strip("'\"")
            return first or inherited
    face = el.get("face")
    if face:
        return face.split(",")[0].strip()
    return inherited


class _Walker:
    def __init__(self, builder: TextBuilder) -> None:
        self.b = builder
        self.buf: list[str] = []
        self.tables = 0
        self.encodings: set[str] = set()
        self.context = legacy.LegacyContext()

    def text(self, s: Optional[str], font: Optional[str]) -> None:
        if s:
            # source line breaks inside HTML text are spaces
            self.buf.append(legacy.Run(s.replace("\r", " ").replace("\n", " "), legacy.font_encoding(font),
                                       legacy.font_is_upper(font)))

    def paragraph_text(self) -> str:
        text, encs = legacy.fix_runs(self.buf, self.context)
        self.encodings |= encs
        self.buf = []
        return text

    def flush(self) -> None:
        if self.buf:
            text = self.paragraph_text()
            if text.strip():
                self.b.add(text)

    def walk(self, el, font: Optional[str]) -> None:
        for child in el:
            tag = child.tag if isinstance(child.tag, str) else None
            if tag is None:  # comment, processing instruction: only its tail is text
                self.text(child.tail, font)
                continue
            tag = tag.lower().split("}")[-1]
            if tag in _SKIP or _HIDDEN.search(child.get("style") or ""):
                self.text(child.tail, font)
                continue
            cfont = _font_of(child, font)
            if tag == "br":
                self.buf.append("\n")
            elif tag == "table":
                self.flush()
                self.table(child, cfont)
            elif tag in _BLOCKS:
                self.flush()
                self.text(child.text, cfont)
                self.walk(child, cfont)
                self.flush()
            else:
                if tag in ("td", "th", "tr"):  # stray cell outside a table
                    self.flush()
                self.text(child.text, cfont)
                self.walk(child, cfont)
            self.text(child.tail, font)

    def table(self, tbl, font: Optional[str]) -> None:
        index = self.tables
        self.tables += 1
        self.b.blank()
        rows = [tr for tr in tbl.iter("tr") if _nearest_table(tr) is tbl]
        for r, tr in enumerate(rows):
            col = 0
            for td in tr:
                if not isinstance(td.tag, str) or td.tag.lower() not in ("td", "th"):
                    continue
                lines = self.cell_lines(td, _font_of(td, font))
                if lines:
                    self.b.add("\n".join(lines), kind="cell", table=index, row=r, col=col)
                try:
                    col += max(1, int(td.get("colspan") or 1))
                except ValueError:
                    col += 1
        self.b.blank()

    def cell_lines(self, td, font: Optional[str]) -> list[str]:
        """A cell's paragraphs as lines (a nested table's cells are lines too)."""
        sub = TextBuilder()
        inner = _Walker(sub)
        inner.context = self.context
        inner.text(td.text, font)
        inner.walk(td, font)
        inner.flush()
        self.encodings |= inner.encodings
        st = sub.build("html")
        return [ln for ln in st.text.split("\n") if ln.strip()]


def _nearest_table(el):
    p = el.getparent()
    while p is not None and not (isinstance(p.tag, str) and p.tag.lower() == "table"):
        p = p.getparent()
    return p


class HtmlReader(Reader):
    """Reader for .htm/.html files (Word HTML included)."""

    @classmethod
    def supported_formats(cls) -> dict[str, InputFormat]:
        return {".htm": InputFormat.HTML, ".html": InputFormat.HTML}

    def read(self, path: Path) -> SourceText:
        """Read an HTML file into normalized text with paragraph and cell blocks.

        Raises:
            DocumentLoadError: unreadable or empty file, too large, not HTML, no text.
        """
        import lxml.html
        from lxml import etree

        path = Path(path)
        try:
            size = path.stat().st_size
            if size > MAX_HTML_BYTES:
                raise DocumentLoadError(path, f"refused: {size // 2**20} MB of HTML "
                                              f"(limit {MAX_HTML_BYTES // 2**20} MB)", "read")
            data = path.read_bytes()
        except OSError as e:
            raise DocumentLoadError.cannot_open(path, e) from None
        if not data.strip():
            raise DocumentLoadError(path, "empty file", "read")
        if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise DocumentLoadError(path, "binary content: not an HTML file", "parse")
        text, enc = decode_html(data)
        try:
            # a str, not bytes: the charset is already applied; entities are resolved by lxml
            root = lxml.html.document_fromstring(text)
        except (etree.ParserError, ValueError) as e:
            raise DocumentLoadError(path, f"not readable as HTML: {e}", "parse") from None
        builder = TextBuilder()
        walker = _Walker(builder)
        body = root.find("body")
        walker.walk(body if body is not None else root, None)
        walker.flush()
        warnings = [] if enc in ("utf-8", "cp1252", "windows-1252") else [f"decoded as {enc}"]
        st = builder.build(InputFormat.HTML.value, str(path), warnings)
        st.route = "html"
        st.encodings = sorted(walker.encodings)
        if not st.text.strip():
            raise DocumentLoadError(path, "no text", "read", hint="the page has no visible text")
        return st
