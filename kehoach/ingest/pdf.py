"""PDF with a text layer: pypdfium2 for the text, pdfplumber only for ruled tables.

Both pypdfium2 and pdfplumber give correct NFC Vietnamese, but pdfplumber is
15-70 times slower per page (016, 020, 030). So every page is read with
pypdfium2, and pdfplumber is opened only for pages whose drawing has table
rulings (found cheaply from pdfium's path objects), to split the table into
cells (assignment tables: task | lead | partners | deadline).

pdfium gives text in content-stream order, one visual line per line. The
two-column blocks of a Vietnamese document (header: agency and "Số: ..." left,
national motto and "<place>, ngày ..." right; signature: "Nơi nhận:" left,
signer right) come out either cell by cell or glued on one line
("Số: /UBND-XD Lào Cai, ngày tháng 7 năm 2026", seen in 016 and 020). Each line
is therefore split at wide horizontal gaps (character boxes from pdfium), and a
run of lines that share one column gap is emitted as its left column, then its
right column.

Every page's text layer is checked (``text_layer_problem``): no text (a scan),
characters no Vietnamese text has (fonts whose glyphs map to the wrong letters,
013/014), too few well-formed Vietnamese syllables, or syllables without
diacritics (an OCR layer made without the Vietnamese model, 042). A layer in a
legacy 8-bit encoding (030: TCVN3 bytes) is decoded instead (method "legacy").
A page that fails is OCR'd with Tesseract (ocr.py), in parallel across pages,
and kept as OCR only if that reads better than the layer did. Each page records
how its text was obtained (PageInfo.method) and the OCR confidence.
"""

from __future__ import annotations

import ctypes
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional, Union

from kehoach.ingest import legacy, systools
from kehoach.ingest.base import DocumentLoadError, InputFormat, Reader, SourceText, read_file
from kehoach.ingest.builder import TextBuilder
from kehoach.ingest.vietnamese import TextStats, text_stats

# A gap this wide (points) between two words on one line starts a new
# segment. Word gaps in justified body text stay under 12 pt (016, 020, 030);
# "ngày      tháng" with a blank day is 17-27 pt.
SEGMENT_GAP_PT = 18.0
# A lone line is taken as two columns only with a gap this wide; a blank number
# ("Số:      /UBND-XD", 31 pt in 016) must not split it.
COLUMN_GAP_PT = 45.0
# below this many letters/digits a page has no text layer worth reading
MIN_TEXT_CHARS = 20
# share of characters that no Vietnamese text contains; 013 and 014 (fonts
# with a broken ToUnicode map) score 13-22 %, clean text layers 0 %
GARBLED_SHARE = 0.05
# A text layer with at least this many words must read as Vietnamese. Born-digital
# layers score 99-100 % well-formed syllables (016, 020, 030 decoded), so one
# under MIN_SYLLABLE_SHARE is not Vietnamese text (wrong glyph map).
MIN_WORDS_TO_JUDGE = 15
MIN_SYLLABLE_SHARE = 0.6
# The invisible OCR layer of a scan (a page-sized image under the text) is judged
# harder: 044's OmniPage layer has 58-67 % syllables and 32-45 % of them marked,
# 042's (no Vietnamese model: "CONG Hcok xA HQI CHiJ NGHiA") 57-62 % and 1-2 %;
# clean Vietnamese has 85-99 % and 85-90 %.
SCAN_MIN_SYLLABLE_SHARE = 0.8
SCAN_MIN_DIACRITIC_SHARE = 0.5
# a page without text but with this many path objects may be text drawn as outlines: worth OCR
# (a ruled table skeleton has tens; one line of outlined text has one path per glyph)
OUTLINED_TEXT_MIN_PATHS = 150
# an image covering this share of the page makes it a scan
SCAN_IMAGE_COVERAGE = 0.6

# "2", "- 2 -", "– 12 –": a page number alone on the first or last line
_PAGE_NUMBER = re.compile(r"^[\s\-–—]*\d{1,4}[\s\-–—]*$")

# characters no Vietnamese text layer contains: controls, private use, U+FFFD,
# spacing modifiers, Greek/Cyrillic (what broken VN fonts map to) and Latin
# Extended-A/B letters other than the Vietnamese ones
_SUSPICIOUS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ue000-\uf8ff\ufffd\u02b0-\u02ff\u0370-\u052f"
                         "\u0100-\u0101\u0104-\u010f\u0112-\u0127\u012a-\u0167\u016a-\u019f\u01a2-\u01ae"
                         "\u01b1-\u024f]")
_ALNUM = re.compile(r"[^\W_]")


def text_layer_garbled(text: str) -> bool:
    """True when the text layer decodes to the wrong letters (e.g. "6Ӣ C‘NG 7+ѬѪ1*" in 013).

    Args:
        text: the page text as the PDF library returns it.
    """
    text = unicodedata.normalize("NFC", text)
    letters = len(_ALNUM.findall(text))
    if not letters:
        return False
    return len(_SUSPICIOUS.findall(text)) / letters > GARBLED_SHARE


def text_layer_problem(text: str, stats: Optional[TextStats] = None, scanned: bool = False) -> Optional[str]:
    """Why a page's text layer cannot be used, or None when it can.

    Args:
        text: the page text (after any legacy decoding).
        stats: its syllable statistics, if already computed.
        scanned: the page is a scan (a page-sized image): its text layer is
            someone's OCR and must also carry Vietnamese diacritics.

    Examples:
        >>> text_layer_problem("KẾ HOẠCH triển khai thực hiện Chỉ thị số 11-CT/TU") is None
        True
        >>> text_layer_problem("")
        'no text layer'
    """
    if len(_ALNUM.findall(text)) < MIN_TEXT_CHARS:
        return "no text layer"
    if text_layer_garbled(text):
        return "garbled text layer (fonts map to wrong letters)"
    stats = stats or text_stats(text)
    if stats.words >= MIN_WORDS_TO_JUDGE:
        if stats.valid_share < (SCAN_MIN_SYLLABLE_SHARE if scanned else MIN_SYLLABLE_SHARE):
            what = "OCR layer of a scan" if scanned else "text layer"
            return f"{what} is not readable Vietnamese ({stats.valid_share:.0%} well-formed syllables)"
        if scanned and stats.marked_share < SCAN_MIN_DIACRITIC_SHARE:
            return f"OCR layer of a scan lacks Vietnamese diacritics ({stats.marked_share:.0%} of syllables marked)"
    return None


def page_needs_ocr(text: str) -> bool:
    """True when a page's text layer cannot be used and the page must be OCRed.

    A layer in a legacy encoding is judged after decoding (030 is readable);
    see ``text_layer_problem`` for the reasons.

    Args:
        text: the page text as the PDF library returns it.

    Examples:
        >>> page_needs_ocr(""), page_needs_ocr("KẾ HOẠCH triển khai thực hiện Chỉ thị số 11-CT/TU")
        (True, False)
    """
    enc = legacy.choose_encoding(text, pdf=True)
    return text_layer_problem(legacy.decode(text, enc, pdf=True) if enc else text) is not None


# ---------------------------------------------------------------------------
# lines and segments from pdfium
# ---------------------------------------------------------------------------

@dataclass
class _Seg:
    x0: float
    x1: float
    chars: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.chars).strip()


@dataclass
class _Line:
    segs: list[_Seg] = field(default_factory=list)
    top: float = float("-inf")     # PDF space: y grows upwards
    bottom: float = float("inf")
    masked: bool = False           # some characters fell inside a table

    @property
    def blank(self) -> bool:
        return not any(s.text for s in self.segs)

    @property
    def x0(self) -> float:
        return min(s.x0 for s in self.segs)

    @property
    def x1(self) -> float:
        return max(s.x1 for s in self.segs)

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segs if s.text)


@dataclass
class _Table:
    index: int
    bbox: tuple[float, float, float, float]  # PDF space: left, bottom, right, top
    cells: list[tuple[int, int, str]]        # row, col, text


_Item = Union[str, None, _Table]  # a line, a blank line, a table


_WORD = re.compile(r"\S+")


def _page_lines(textpage, exclude: list[tuple[float, float, float, float]]) -> list[_Line]:
    """The page's lines in pdfium order, each split into segments at wide gaps.

    Words inside ``exclude`` boxes (tables read as cells) are dropped. Only the
    first and last character of each word are measured: pdfium puts a
    (generated) space into every visible gap, so a gap lies between words.
    """
    import pypdfium2.raw as pdfium_c

    text = textpage.get_text_range()
    if len(text) != textpage.count_chars():  # no index-to-character mapping: keep lines, skip geometry
        return [_Line([_Seg(0.0, 0.0, list(t))]) for t in text.replace("\r\n", "\n").split("\n")]
    rect = pdfium_c.FS_RECTF()
    raw = textpage.raw
    box = pdfium_c.FPDFText_GetLooseCharBox
    lines: list[_Line] = []
    pos = 0
    for raw_line in re.split(r"(\r\n|\r|\n)", text):
        if raw_line in ("\r\n", "\r", "\n"):
            pos += len(raw_line)
            continue
        line = _Line()
        seg: Optional[_Seg] = None
        for m in _WORD.finditer(raw_line):
            i, j = pos + m.start(), pos + m.end() - 1
            box(raw, i, rect)
            left, bottom, top = rect.left, rect.bottom, rect.top
            box(raw, j, rect)
            right = rect.right
            bottom, top = min(bottom, rect.bottom), max(top, rect.top)
            if exclude:
                cy = (bottom + top) / 2
                if any(x0 <= (left + right) / 2 <= x1 and y0 <= cy <= y1 for x0, y0, x1, y1 in exclude):
                    line.masked = True
                    continue
            if seg is None or left - seg.x1 > SEGMENT_GAP_PT:
                seg = _Seg(left, right)
                line.segs.append(seg)
            else:
                seg.chars.append(" ")
            seg.chars.append(m.group())
            seg.x1 = max(seg.x1, right)
            line.top = max(line.top, top)
            line.bottom = min(line.bottom, bottom)
        lines.append(line)
        pos += len(raw_line)
    # lines emptied by the table mask disappear; real blank lines stay
    return [ln for ln in lines if not (ln.masked and ln.blank)]


def _strip_page_numbers(lines: list[_Line]) -> list[_Line]:
    """Drop a page number standing alone as the first or last line of a page."""
    idx = [i for i, ln in enumerate(lines) if not ln.blank]
    drop = {i for i in (idx[:1] + idx[-1:]) if _PAGE_NUMBER.match(lines[i].text)}
    return [ln for i, ln in enumerate(lines) if i not in drop]


# ---------------------------------------------------------------------------
# two-column regions
# ---------------------------------------------------------------------------

def _gaps(line: _Line) -> list[tuple[float, float]]:
    segs = sorted((s for s in line.segs if s.text), key=lambda s: s.x0)
    return [(a.x1, b.x0) for a, b in zip(segs, segs[1:]) if b.x0 - a.x1 > SEGMENT_GAP_PT]


def _side(line: _Line, gap: tuple[float, float]) -> Optional[str]:
    """"L" or "R" when the whole line lies on one side of the column gap, else None."""
    mid = (gap[0] + gap[1]) / 2
    if line.x1 <= mid:
        return "L"
    if line.x0 >= mid:
        return "R"
    return None


def _matching_gap(line: _Line, gap: tuple[float, float]) -> Optional[tuple[float, float]]:
    """The gap of ``line`` that overlaps the region's column gap, narrowed to the overlap."""
    best = None
    for a, b in _gaps(line):
        lo, hi = max(a, gap[0]), min(b, gap[1])
        if hi > lo and (best is None or hi - lo > best[1] - best[0]):
            best = (lo, hi)
    return best


def _order_columns(lines: list[_Line]) -> list[Optional[str]]:
    """Lines as text, two-column runs rewritten as left column then right column.

    A run starts at a line with a wide gap; it takes in the lines before and
    after it that lie wholly on one side of that gap or share it, and stops at a
    blank line or a line that crosses the gap; left-only lines at its end are
    left out (the right column has ended there). A run needs two lines sharing
    the gap, or one gap of at least COLUMN_GAP_PT. Blank lines come back as None.
    """
    out: list[Optional[str]] = []
    n = len(lines)
    done = 0  # lines before this index are already in ``out``
    k = 0
    while k < n:
        line = lines[k]
        gaps = _gaps(line) if not line.blank else []
        if not gaps:
            k += 1
            continue
        gap = max(gaps, key=lambda g: g[1] - g[0])
        splits = 1
        j = k + 1
        while j < n and not lines[j].blank:
            g = _matching_gap(lines[j], gap)
            if g is not None:
                gap, splits = g, splits + 1
            elif _side(lines[j], gap) is None:
                break
            j += 1
        if splits < 2 and gap[1] - gap[0] < COLUMN_GAP_PT:
            k += 1
            continue
        # Left-only lines after the right column has ended belong after the
        # region: in 016 the "V/v ..." subject lines under "Số:" come after the
        # date, and in 042 "Kính gửi:" must stay next to its recipients.
        while j - 1 > k and _side(lines[j - 1], gap) == "L":
            j -= 1
        s = k
        while s - 1 >= done and not lines[s - 1].blank and _side(lines[s - 1], gap) is not None:
            s -= 1
        for ln in lines[done:s]:
            out.append(None if ln.blank else ln.text)
        mid = (gap[0] + gap[1]) / 2
        left: list[str] = []
        right: list[str] = []
        for ln in lines[s:j]:
            lt = " ".join(sg.text for sg in ln.segs if sg.text and (sg.x0 + sg.x1) / 2 < mid)
            rt = " ".join(sg.text for sg in ln.segs if sg.text and (sg.x0 + sg.x1) / 2 >= mid)
            if lt:
                left.append(lt)
            if rt:
                right.append(rt)
        out.extend(left + right)
        done = k = j
    for ln in lines[done:]:
        out.append(None if ln.blank else ln.text)
    return out


# ---------------------------------------------------------------------------
# tables with pdfplumber
# ---------------------------------------------------------------------------

def _has_rulings(page) -> bool:
    """Cheap test from pdfium path objects: does the page draw a grid?

    The header's two underline strokes are not a table; a table has at least
    two horizontal and two vertical rules, or boxes. The raw API is used
    because pypdfium2's object wrappers cost ~10 ms on a page of text objects.
    """
    import pypdfium2.raw as pdfium_c

    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    get_bounds, path_kind = pdfium_c.FPDFPageObj_GetBounds, pdfium_c.FPDF_PAGEOBJ_PATH
    h = v = boxes = 0
    for obj, kind in _page_objects(page):
        if kind != path_kind or not get_bounds(obj, left, bottom, right, top):
            continue
        w, ht = right.value - left.value, top.value - bottom.value
        if ht <= 3 and w >= 10:
            h += 1
        elif w <= 3 and ht >= 5:
            v += 1
        elif w > 3 and ht > 3:
            boxes += 1
        if (h >= 2 and v >= 2) or boxes >= 2:
            return True
    return False


def _page_objects(page, max_depth: int = 3) -> Iterator[tuple[object, int]]:
    """(object, type) of every object drawn on a page, inside form XObjects too (nested at most
    ``max_depth`` deep); the forms themselves are not yielded. Raw pdfium API: pypdfium2's
    object wrappers cost ~10 ms on a page of text objects."""
    import pypdfium2.raw as pdfium_c

    get_type, form_kind = pdfium_c.FPDFPageObj_GetType, pdfium_c.FPDF_PAGEOBJ_FORM
    # (form object or None for the page, object count, depth)
    stack = [(None, pdfium_c.FPDFPage_CountObjects(page.raw), 0)]
    while stack:
        form, n, depth = stack.pop()
        for k in range(n):
            obj = pdfium_c.FPDFPage_GetObject(page.raw, k) if form is None else pdfium_c.FPDFFormObj_GetObject(form, k)
            kind = get_type(obj)
            if kind == form_kind and depth < max_depth:
                stack.append((obj, pdfium_c.FPDFFormObj_CountObjects(obj), depth + 1))
            else:
                yield obj, kind


def _image_coverage(page) -> float:
    """Share of the page covered by its largest image (a scan: ~1.0)."""
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    area = max(1.0, float(width) * float(height))
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    best = 0.0
    n = pdfium_c.FPDFPage_CountObjects(page.raw)
    for k in range(n):
        obj = pdfium_c.FPDFPage_GetObject(page.raw, k)
        if pdfium_c.FPDFPageObj_GetType(obj) != pdfium_c.FPDF_PAGEOBJ_IMAGE:
            continue
        if not pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
            continue
        w = min(right.value, width) - max(left.value, 0.0)
        h = min(top.value, height) - max(bottom.value, 0.0)
        if w > 0 and h > 0:
            best = max(best, w * h / area)
    return best


def _has_marks_to_ocr(page) -> bool:
    """Whether a page without a text layer draws anything OCR could read.

    An image (a scan, a stamp, a signature) or many paths (text drawn as outlines);
    a page with a rule or a frame and nothing else is blank, and OCR of it costs
    seconds to find nothing (LibreOffice ends some documents with such a page).
    """
    import pypdfium2.raw as pdfium_c

    paths = 0
    for _, kind in _page_objects(page):
        if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            return True
        if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            paths += 1
            if paths >= OUTLINED_TEXT_MIN_PATHS:
                return True
    return False


def _renumber_tables(blocks) -> None:
    """Number tables 0, 1, ... in the order their cells come (text-layer and OCR'd tables mixed)."""
    order: dict[int, int] = {}
    for b in blocks:
        if b.kind == "cell" and b.table is not None:
            b.table = order.setdefault(b.table, len(order))


def _plumber_tables(plumber_page, first_index: int) -> list[_Table]:
    """Ruled tables of a page (two rows and two columns at least) with their cells."""
    height = float(plumber_page.height)
    out: list[_Table] = []
    for t in plumber_page.find_tables():
        rows = t.extract()
        if len(rows) < 2 or max((len(r) for r in rows), default=0) < 2:
            continue  # a framed paragraph, not a table
        cells = [(r, c, text) for r, row in enumerate(rows) for c, text in enumerate(row) if text and text.strip()]
        x0, top, x1, bottom = t.bbox
        out.append(_Table(first_index + len(out), (float(x0), height - float(bottom), float(x1), height - float(top)),
                          cells))
    return out


# ---------------------------------------------------------------------------
# the reader
# ---------------------------------------------------------------------------

_SIGNING_TIME = re.compile(r"D:(\d{4})(\d{2})(\d{2})")


def signing_dates(pdf) -> list[str]:
    """Dates ("2026-07-21") of the PDF's digital signatures, in the order they were applied.

    Read from each signature's /M entry ("D:20260721072904+07'00'"); the local date as written,
    no time-zone shift. A signature without a readable time is left out; a pdfium without the
    signature API gives none.
    """
    import pypdfium2.raw as raw

    out: list[str] = []
    try:
        n = raw.FPDF_GetSignatureCount(pdf.raw)
        for i in range(max(n, 0)):
            sig = raw.FPDF_GetSignatureObject(pdf.raw, i)
            size = raw.FPDFSignatureObj_GetTime(sig, None, 0) if sig else 0
            if size <= 0:
                continue
            buf = ctypes.create_string_buffer(size)
            raw.FPDFSignatureObj_GetTime(sig, buf, size)
            m = _SIGNING_TIME.match(buf.value.decode("ascii", "replace"))
            if m:
                out.append(f"{m.group(1)}-{m.group(2)}-{m.group(3)}")
    except (AttributeError, OSError):
        return []
    return out


def _looks_truncated(path: Path) -> bool:
    """No %%EOF near the end: pdfium may still recover the pages, but say so."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - 2048))
            return b"%%EOF" not in fh.read()
    except OSError:
        return False


def _open_pdf(path: Path):
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    head = read_file(path, 1024)
    if b"%PDF-" not in head:
        raise DocumentLoadError(path, "not a PDF file (no %PDF header)", "parse")
    try:
        return pdfium.PdfDocument(str(path)), _looks_truncated(path)
    except pdfium.PdfiumError as e:
        code = getattr(e, "err_code", None)
    # pdfium's error code is process-wide state that some failures do not set
    # (an empty page tree leaves the code of the previous failure), so the
    # file itself confirms the diagnosis
    encrypted = b"/Encrypt" in read_file(path)
    if encrypted:
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise DocumentLoadError(path, "unsupported PDF security handler", "parse")
        raise DocumentLoadError(path, "password required (encrypted PDF)", "parse",
                                hint="remove the password (qpdf --decrypt) and try again")
    if _count_pages_pdfminer(path) == 0:
        raise DocumentLoadError(path, "PDF has no pages", "parse")
    why = {pdfium_c.FPDF_ERR_FORMAT: "not a PDF or damaged", pdfium_c.FPDF_ERR_FILE: "file not found or unreadable"}
    raise DocumentLoadError(path, f"corrupt PDF: {why.get(code, 'pdfium cannot load it')}", "parse")


def _count_pages_pdfminer(path: Path) -> Optional[int]:
    """Second opinion from pdfminer when pdfium fails without saying why."""
    try:
        import pdfplumber

        with pdfplumber.open(str(path)) as doc:
            return len(doc.pages)
    except Exception:  # noqa: BLE001 - only a diagnosis; the caller reports the file as corrupt
        return None


@dataclass
class _PageText:
    """What the first pass found on a page."""

    problem: Optional[str] = None          # why the text layer is not used as it is (None: it is)
    encoding: Optional[str] = None         # legacy encoding of the text layer
    stats: Optional[TextStats] = None
    items: Optional[list[_Item]] = None    # the text layer's lines and tables, when worth keeping
    broken: bool = False
    blank: bool = False                    # no text layer and nothing drawn to OCR


def _layer_is_fallback(problem: str) -> bool:
    """A layer that reads poorly but is real text: kept in case OCR is absent or no better."""
    return problem.startswith(("text layer ", "OCR layer "))


def _quality(stats: TextStats) -> float:
    """One number to compare a text layer with its OCR: syllables, weighted by diacritics."""
    return stats.valid_share * (0.5 + 0.5 * min(1.0, stats.marked_share / 0.6))


def _reason_phrase(problem: str) -> str:
    return {"no text layer": "no text layer (scanned PDF)"}.get(problem, problem)


class PdfReader(Reader):
    """Reader for PDFs with a text layer; scanned pages are reported for OCR."""

    @classmethod
    def supported_formats(cls) -> dict[str, InputFormat]:
        return {".pdf": InputFormat.PDF}

    def read(self, path: Path) -> SourceText:
        """Read a PDF into normalized text: page blocks, one paragraph block per line, cell blocks.

        Pages whose text layer fails ``text_layer_problem`` are OCR'd when
        Tesseract is installed; each page's PageInfo says how its text was
        obtained ("text", "legacy", "ocr") and the OCR confidence.

        Raises:
            DocumentLoadError: "password required (encrypted PDF)", "corrupt PDF: ...",
                "PDF has no pages" (stage "parse"); no usable page and Tesseract
                missing (stage "tool"); no usable page and OCR found no text (stage "ocr").
        """
        import pypdfium2 as pdfium

        path = Path(path)
        pdf, truncated = _open_pdf(path)
        plumber = None
        try:
            n_pages = len(pdf)
            if n_pages == 0:
                raise DocumentLoadError(path, "PDF has no pages", "parse")
            from kehoach.limits import current

            current().check_pages(path, n_pages)  # before any page is read
            warnings: list[str] = []
            if truncated:
                warnings.append("file looks truncated (no %EOF at the end); text may be incomplete")
            pages: dict[int, _PageText] = {}
            broken = 0
            tables_seen = 0
            for i in range(n_pages):
                try:
                    page = pdf[i]
                    textpage = page.get_textpage()
                except pdfium.PdfiumError as e:
                    warnings.append(f"page {i + 1}: cannot be read ({e})")
                    pages[i + 1] = _PageText(problem="unreadable page", broken=True)
                    broken += 1
                    continue
                try:
                    raw_text = textpage.get_text_range()
                    enc = legacy.choose_encoding(raw_text, pdf=True)
                    judged = legacy.decode(raw_text, enc, pdf=True) if enc else raw_text
                    stats = text_stats(judged)
                    scanned = bool(stats.words) and _image_coverage(page) >= SCAN_IMAGE_COVERAGE
                    problem = text_layer_problem(judged, stats, scanned)
                    blank = problem == "no text layer" and not _has_marks_to_ocr(page)
                    if blank:
                        problem = None  # its few characters (a page number) are all there is
                    pt = _PageText(problem=problem, encoding=enc, stats=stats, blank=blank)
                    pages[i + 1] = pt
                    if problem is not None and not _layer_is_fallback(problem):
                        continue  # nothing worth keeping: a scan or wrong glyphs
                    tables: list[_Table] = []
                    if _has_rulings(page):
                        try:
                            if plumber is None:
                                import pdfplumber

                                plumber = pdfplumber.open(str(path))
                            tables = _plumber_tables(plumber.pages[i], tables_seen)
                        except Exception as e:  # noqa: BLE001 - pdfminer on odd input; pdfium text still stands
                            warnings.append(f"page {i + 1}: table detection failed ({type(e).__name__}: {e}); "
                                            "read as plain lines")
                            tables = []
                        tables_seen += len(tables)
                    lines = _page_lines(textpage, [t.bbox for t in tables])
                    pt.items = self._page_items(_strip_page_numbers(lines), tables)
                finally:
                    textpage.close()
                    page.close()
            if broken == n_pages:
                raise DocumentLoadError(path, "corrupt PDF: no page can be read", "parse")
            ocr_pages = self._ocr(path, pdf, pages, warnings)
            signed = signing_dates(pdf)
        finally:
            if plumber is not None:
                plumber.close()
            pdf.close()

        builder = TextBuilder()
        methods: set[str] = set()
        encodings: set[str] = set()
        ocr_table = tables_seen  # OCR'd tables are numbered after the text layer's, then all in page order
        for n in range(1, n_pages + 1):
            pt = pages[n]
            page_ocr = ocr_pages.get(n)
            if page_ocr is not None:
                from kehoach.ingest.image import emit_ocr_page

                ocr_table = emit_ocr_page(builder, page_ocr, ocr_table)
                methods.add("ocr")
                continue
            method = "legacy" if pt.encoding else "text"
            builder.start_page(n, method)
            if pt.items is not None:
                fix = (lambda s, e=pt.encoding: legacy.decode(s, e, pdf=True)) if pt.encoding else None
                self._emit_items(builder, pt.items, fix)
                methods.add(method)
                if pt.encoding:
                    encodings.add(pt.encoding)
        st = builder.build(InputFormat.PDF.value, str(path), warnings)
        if ocr_table > tables_seen:
            _renumber_tables(st.blocks)
        for info in st.pages:
            pt = pages[info.number]
            if pt.blank:
                info.note = "blank page: no text layer and nothing drawn to OCR"
            elif pt.problem and info.method != "ocr":
                info.note = pt.problem
            elif pt.problem:
                info.note = f"OCR: {pt.problem}"
                done = ocr_pages[info.number].note if info.number in ocr_pages else None
                if done:
                    info.note += f"; {done}"
        st.route = "+".join(r for m, r in (("text", "pdf-text"), ("legacy", "pdf-legacy"), ("ocr", "ocr"))
                            if m in methods) or "pdf-text"
        st.encodings = sorted(encodings)
        st.signed = signed
        if not st.text.strip():
            self._no_text(path, pages, warnings)
        return st

    def _ocr(self, path: Path, pdf, pages: dict[int, "_PageText"], warnings: list[str]) -> dict:
        """OCR the pages whose text layer failed; returns page number -> OcrPage for pages to take from OCR."""
        need = sorted(n for n, pt in pages.items() if pt.problem is not None)
        if not need:
            return {}
        exe = systools.find("tesseract")
        vie = bool(exe) and systools.tesseract_has("vie", exe)
        if not vie:
            usable = [n for n, pt in pages.items() if pt.items]
            what = "Tesseract's Vietnamese model (vie)" if exe else "tesseract"
            pkgs = ("tesseract-ocr-vie",) if exe else systools.TOOLS["tesseract"].apt
            if not usable:
                problem = pages[need[0]].problem or "no text layer"
                raise DocumentLoadError(path, f"{_reason_phrase(problem)}: OCR needs {what}, which is not installed",
                                        "tool", hint=f"install it: {systools.install_command(pkgs)}")
            warnings.append(f"pages without a usable text layer (OCR needed; {what} not installed): "
                            f"{', '.join(map(str, need))}")
            return {}
        from kehoach.ingest import ocr

        results = ocr.ocr_pdf_pages(pdf, need, exe)
        chosen = {}
        for n in need:
            res = results.get(n)
            pt = pages[n]
            if res is None or res.error:
                why = res.error if res is not None else "not OCR'd"
                warnings.append(f"page {n}: {why}" + ("; text layer kept" if pt.items else ""))
                continue
            if not res.text.strip():
                if not pt.items:
                    warnings.append(f"page {n}: no text layer and OCR found no text")
                continue
            # a real layer is replaced only by OCR that reads clearly better
            if pt.items and pt.stats is not None and _quality(text_stats(res.text)) < _quality(pt.stats) + 0.05:
                warnings.append(f"page {n}: {pt.problem}, but OCR read no better; text layer kept")
                pt.problem = None
                continue
            chosen[n] = res
        return chosen

    @staticmethod
    def _no_text(path: Path, pages: dict[int, "_PageText"], warnings: list[str]) -> None:
        problems = [pt.problem for pt in pages.values() if pt.problem]
        ocr_errors = [w for w in warnings if any(k in w for k in ("did not finish", "failed", "cannot render",
                                                                   "cannot run"))]
        if not problems and pages and all(pt.blank for pt in pages.values()):
            raise DocumentLoadError(path, "no text: every page is blank (no text layer, no image to OCR)", "read",
                                    hint="check that this is the right file")
        if problems and all(p == "no text layer" for p in problems):
            reason = "no text layer (scanned PDF) and OCR found no text"
        elif problems:
            reason = f"{_reason_phrase(problems[0])} and OCR found no text"
        else:
            reason = "no text"
        if ocr_errors:
            reason += f" ({ocr_errors[0]})"
        raise DocumentLoadError(path, reason, "ocr", hint="check that the pages hold printed text")

    @staticmethod
    def _page_items(lines: list[_Line], tables: list[_Table]) -> list[_Item]:
        # each line goes before the first table whose top lies below it
        bands: list[list[_Line]] = [[] for _ in range(len(tables) + 1)]
        tables = sorted(tables, key=lambda t: -t.bbox[3])
        k = 0
        for ln in lines:
            if not ln.blank:  # a blank line stays with the line before it
                k = sum(1 for t in tables if t.bbox[3] > ln.cy)
            bands[k].append(ln)
        items: list[_Item] = []
        for k, band in enumerate(bands):
            items.extend(_order_columns(band))
            if k < len(tables):
                items.append(tables[k])
        while items and items[0] is None:
            items.pop(0)
        while items and items[-1] is None:
            items.pop()
        return items

    @staticmethod
    def _emit_items(builder: TextBuilder, items: list[_Item], fix=None) -> None:
        for item in items:
            if item is None:
                builder.blank()
            elif isinstance(item, str):
                builder.add(fix(item) if fix else item)
            else:
                builder.blank()
                for r, c, text in item.cells:
                    builder.add(fix(text) if fix else text, kind="cell", table=item.index, row=r, col=c)
                builder.blank()
