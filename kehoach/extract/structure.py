"""Lines, list labels and the anatomy of a plan: header, title, preamble, sections, closing.

Every Line keeps its offsets into the normalized text so that whatever is built
from it can carry a span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

from kehoach.extract.vocabulary import doc_type_headings, phrase_regex

# list labels, most specific first: "I." roman, "1.2." / "1.", "a)" / "a.", bullets
_LABEL = re.compile(
    r"""^(?:
        (?P<roman>(?:X{0,3})(?:IX|IV|V?I{0,3}))[.)/]\s+(?=\S)        # I. II. ... (validated below)
      | (?P<num>\d{1,2}(?:\.\d{1,2}){0,3})(?:[.)](?!\d)|\s*[-–]\s|(?=\s*[A-ZĐÀ-Ỹ]))\s*   # 1. 1) 1.2. 2.1 1- ; "1.Chủ đề" glued
      | (?P<letter>[a-zđ])[)]\s*                                      # a)
      | (?P<letterdot>[a-zđ])[.]\s+                                   # a.
      | (?P<bullet>[-–—+•*·●○▪■◦➢⁃])\s*                                # - + •
    )""",
    re.VERBOSE,
)


@dataclass
class Line:
    idx: int
    start: int
    end: int
    text: str
    kind: str = "none"  # roman | num | letter | bullet | none
    label: str = ""
    depth: int = 0  # for num: 1 for "1.", 2 for "1.2."
    body_start: int = 0  # offset where the text after the label begins
    block: Optional[int] = None  # index of the cell block this line lies in, if any

    def __post_init__(self) -> None:
        # the text after the label: read many times per line, so kept (``_label`` sets it anew with body_start)
        self.body = self.text[self.body_start - self.start:]

    @property
    def is_upper(self) -> bool:
        letters = "".join(filter(str.isalpha, self.body))
        return bool(letters) and sum(map(str.isupper, letters)) / len(letters) > 0.85


@dataclass
class Section:
    """A top-level section (I., II., ...): heading line and the lines under it."""

    heading: Line
    lines: list[Line] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.heading.body


@dataclass
class Anatomy:
    text: str
    lines: list[Line]
    heading: Optional[Line] = None  # "KẾ HOẠCH"
    heading_code: Optional[str] = None  # its document-type code ("KH")
    title_lines: list[Line] = field(default_factory=list)
    header_lines: list[Line] = field(default_factory=list)
    preamble: list[Line] = field(default_factory=list)
    body: list[Line] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    closing: list[Line] = field(default_factory=list)  # from "Trên đây"/"Nơi nhận" to the end


def split_lines(text: str, cells: Optional[list[tuple[int, int]]] = None, reflow: bool = False) -> list[Line]:
    """Logical lines: a physical line that continues a wrapped paragraph is joined to it.

    Joining replaces the newline by a space in the line's text only, so offsets
    into the normalized text stay exact. A line continues the previous one when it
    has no list label, the previous one ends without . ; : ! ? and no blank line or
    cell border lies between, and either it opens in lower case or with a digit
    ("… Văn bản số\n2265/BCT-ATMT"), or (``reflow``, for page layouts) the previous
    line is as long as a full line of the page.
    """
    raw_lines: list[tuple[int, int]] = []  # (start, end) of the non-blank physical lines
    raws: list[str] = []  # their text
    numbers: list[int] = []  # their number among all physical lines: adjacent ones differ by 1
    pos = 0
    for n, raw in enumerate(text.split("\n")):
        end = pos + len(raw)
        if raw and not raw.isspace():
            raw_lines.append((pos, end))
            raws.append(raw)
            numbers.append(n)
        pos = end + 1
    cell_of = _cell_index(raw_lines, cells or [])
    full = _full_width(text, raw_lines) if reflow else None
    merged: list[list[int]] = []
    for k, (s, e) in enumerate(raw_lines):
        # raw line k-1 is the last one of merged[-1], and every line of a merged group lies in one cell
        if merged and numbers[k] == numbers[k - 1] + 1 and cell_of[k] == cell_of[k - 1] \
                and _continues_wrapped(raws[k - 1].rstrip(), raws[k].lstrip(), full):
            merged[-1][1] = e
            continue
        merged.append([s, e, k])
    out: list[Line] = []
    for s, e, k in merged:
        line_text = raws[k] if e == raw_lines[k][1] else text[s:e].replace("\n", " ")
        # positional: a dataclass call with keywords costs ~60 % more (~7,300 against ~4,600 instructions)
        ln = Line(len(out), s, e, line_text, "none", "", 0, s, cell_of[k])
        _label(ln)
        out.append(ln)
    return out


def _cell_index(raw_lines: list[tuple[int, int]], cells: list[tuple[int, int]]) -> list[Optional[int]]:
    if not cells:
        return [None] * len(raw_lines)
    out: list[Optional[int]] = []
    for s, _ in raw_lines:
        out.append(next((k for k, (cs, ce) in enumerate(cells) if cs <= s < ce), None))
    return out


def _full_width(text: str, raw_lines: list[tuple[int, int]]) -> Optional[int]:
    lengths = sorted(e - s for s, e in raw_lines)
    if len(lengths) < 10:
        return None
    return int(lengths[int(len(lengths) * 0.8)] * 0.85)


_LABEL_START = re.compile(r"^\s*(?:[IVX]+\.|\d+(?:\.\d+)*[.)]|[a-zđ]\)|[-–+•*]\s)")


# a line that opens with these is never the rest of the line before it
_STARTS_OWN_LINE = re.compile(r"(?i)n[ơo]i\s+nh[ậa]n|kính gửi|căn cứ\b")
_DIGIT_START = re.compile(r"\d")
_NUMBER_GOES_ON = re.compile(r"[A-ZĐ0-9]")
_SPACES = re.compile(r"\s+")


def _continues_wrapped(prev_text: str, cur_text: str, full: Optional[int]) -> bool:
    """Whether a physical line continues the one just above it (``split_lines``): ``prev_text`` is that
    line without its trailing white space, ``cur_text`` this one without its leading white space."""
    if prev_text[-1] in ".;:!?" or _LABEL_START.match(cur_text):
        return False
    if prev_text[-1] in "-/" and prev_text[-2:-1].isalnum() and _NUMBER_GOES_ON.match(cur_text):
        return True  # a document number broken at its dash: "Nghị định số 217/2025/NĐ-\nCP ngày …"
    if _STARTS_OWN_LINE.match(cur_text):
        return False
    first = cur_text[:1]
    if first.islower() or first.isdigit():
        return True
    return full is not None and len(prev_text) >= full and not prev_text.isupper()


def _label(ln: Line) -> None:
    m = _LABEL.match(ln.text)
    if not m or m.end() == 0:
        return
    kind = m.lastgroup  # the named groups are the only groups, one per alternative
    lab = m.group(kind)
    if kind == "roman":
        if not lab:
            return
        # "I. " must be followed by an upper-case heading, else it may be a letter list
    if kind == "letterdot":
        kind = "letter"
    rest = ln.text[m.end():]
    if not rest or rest.isspace():  # not rest.strip(), without a copy of the line
        return
    if kind == "num" and _DIGIT_START.match(rest):
        return
    ln.kind = kind
    ln.label = lab
    ln.depth = lab.count(".") + 1 if kind == "num" else 0
    ln.body_start = ln.start + m.end()
    ln.body = ln.text[m.end():]


def _is_heading_line(ln: Line, headings: list[tuple[str, str, str]]) -> Optional[str]:
    t = _SPACES.sub(" ", ln.text.strip()).rstrip(":").upper()
    t_compact = t.replace(" ", "")
    for h, h_compact, code in headings:
        if t == h or t_compact == h_compact:
            return code
    return None


@lru_cache(maxsize=None)
def _headings() -> list[tuple[str, str, str]]:
    """(heading, heading without spaces, code) of every document type, in the data's order."""
    return [(h, h.replace(" ", ""), code) for h, code in doc_type_headings().items()]


def find_type_heading(lines: list[Line]) -> tuple[Optional[Line], Optional[str]]:
    """The document-type heading line ("KẾ HOẠCH") and its code, in the first part."""
    headings = _headings()
    limit = max(25, len(lines) // 3)
    for ln in lines[:limit]:
        code = _is_heading_line(ln, headings)
        if code:
            return ln, code
    return None, None


_PREAMBLE_START = None
_CLOSING = None
_KINH_GUI = re.compile(r"^\s*Kính\s+gửi\b", re.IGNORECASE)
# the "Nơi nhận:" label with the space after it (closing.py cuts it off the line's first recipient)
NOI_NHAN = re.compile(r"^\s*N[ơo]i\s+nh[ậa]n\s*:?\s*", re.IGNORECASE)


def _preamble_rx() -> re.Pattern:
    global _PREAMBLE_START
    if _PREAMBLE_START is None:
        from kehoach.extract.vocabulary import genre

        rel = genre()["preamble_relations"]
        words = rel["can_cu"] + rel["thuc_hien"] + rel["xet"]
        _PREAMBLE_START = re.compile(r"^(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
                                     + r")\b", re.IGNORECASE)
    return _PREAMBLE_START


def _closing_rx() -> re.Pattern:
    global _CLOSING
    if _CLOSING is None:
        _CLOSING = phrase_regex("closing", anchored=True)
    return _CLOSING


def is_noi_nhan(ln: Line) -> bool:
    return bool(NOI_NHAN.match(ln.text))


def is_roman_heading(ln: Line) -> bool:
    return ln.kind == "roman" and (ln.is_upper or len(ln.body) < 80)


def analyse(text: str, cells: Optional[list[tuple[int, int]]] = None, reflow: bool = False) -> Anatomy:
    """Split the document into its parts; ``cells`` are (start, end) of table cells."""
    lines = split_lines(text, cells, reflow)
    a = Anatomy(text=text, lines=lines)
    heading, a.heading_code = find_type_heading(lines)
    a.heading = heading
    pre_rx = _preamble_rx()

    # title: lines after the heading up to the first preamble / section / blank-separated body
    body_from = 0
    if heading is not None:
        a.header_lines = lines[:heading.idx]
        i = heading.idx + 1
        while i < len(lines) and len(a.title_lines) < 5:
            ln = lines[i]
            # the first line under the heading is the title even when it opens with
            # "Thực hiện"/"Triển khai" (seen in real plans: "Triển khai thực hiện Chỉ thị …")
            opens_basis = pre_rx.match(ln.text) and (a.title_lines or re.match(r"(?i)căn cứ|xét", ln.text))
            if opens_basis or ln.kind != "none" or is_noi_nhan(ln):
                break
            # a blank line ends the title once we have one (text has "\n\n" between paragraphs)
            if a.title_lines and text[a.title_lines[-1].end:ln.start].count("\n") > 1 and not _continues(a.title_lines[-1], ln):
                break
            if ln.text.startswith("(") and a.title_lines:
                break
            a.title_lines.append(ln)
            i += 1
        body_from = i
    else:
        # no heading (công văn): the header runs to the first preamble line or numbered
        # section, or ends after "Kính gửi" and its addressees, or at the first
        # running-text line once the date line has been seen
        seen_date = False
        in_kg = False
        for ln in lines[:40]:
            if pre_rx.match(ln.text) or ln.kind in ("roman", "num"):
                break
            if _KINH_GUI.match(ln.text):
                in_kg = True
                a.header_lines.append(ln)
                continue
            if in_kg:
                if ln.kind == "bullet" and len(ln.text) < 150:
                    a.header_lines.append(ln)
                    continue
                break
            if seen_date and not ln.is_upper and not ln.text.startswith(("V/v", "Về việc")) and len(ln.text) > 60:
                break
            if re.search(r",\s*ngày\b.*năm", ln.text):
                seen_date = True
            a.header_lines.append(ln)
        body_from = len(a.header_lines)

    # closing: from the first "Nơi nhận" (or the last "Trên đây là") to the end
    close_at = len(lines)
    for ln in lines[body_from:]:
        if is_noi_nhan(ln):
            close_at = ln.idx
            break
    a.closing = lines[close_at:]
    rest = lines[body_from:close_at]

    # preamble: lines before the first section heading that cite (Căn cứ/Thực hiện ...)
    first_sec = next((k for k, ln in enumerate(rest) if is_roman_heading(ln)), None)
    if first_sec is None:
        first_sec = next((k for k, ln in enumerate(rest) if ln.kind == "num" and ln.depth == 1), len(rest))
    pre = rest[:first_sec]
    # "Thực hiện chức năng, nhiệm vụ được giao, Sở … yêu cầu …" gives an order: no basis (genre.json own_mandate, 023)
    own = phrase_regex("own_mandate", anchored=True)
    a.preamble = [ln for ln in pre if pre_rx.match(ln.text) and not own.match(ln.text)]
    a.body = rest
    # sections
    cur: Optional[Section] = None
    for ln in rest[first_sec:]:
        if is_roman_heading(ln):
            cur = Section(heading=ln)
            a.sections.append(cur)
            continue
        if cur is not None:
            cur.lines.append(ln)
    if not a.sections:
        # documents numbered "1. UPPER HEADING" without roman numerals
        for ln in rest[first_sec:]:
            if ln.kind == "num" and ln.depth == 1 and ln.is_upper:
                cur = Section(heading=ln)
                a.sections.append(cur)
                continue
            if cur is not None:
                cur.lines.append(ln)
    return a


def _continues(prev: Line, ln: Line) -> bool:
    """A title line broken mid-phrase: previous line ends without punctuation and next starts lower-case."""
    return bool(ln.text[:1].islower()) and not prev.text.rstrip().endswith((".", ":", ";"))


def items(lines: list[Line], kinds: tuple[str, ...]) -> list[tuple[Line, list[Line]]]:
    """Group lines into items that start at a line of one of ``kinds`` at the shallowest depth present."""
    heads = [ln for ln in lines if ln.kind in kinds]
    if not heads:
        return []
    depth = min(ln.depth for ln in heads)
    out: list[tuple[Line, list[Line]]] = []
    for ln in lines:
        if ln.kind in kinds and ln.depth == depth:
            out.append((ln, []))
        elif out:
            out[-1][1].append(ln)
    return out


def looks_hard_wrapped(text: str) -> bool:
    """Whether plain text was wrapped at a fixed width (a page layout saved as text), so that
    long lines continue on the next one: the longest lines are a printed line's width, not a
    paragraph's, and most lines are about that long, or (a short letter whose header, recipients
    and signature make many short lines: 049) fewer are, but most of them stop mid-sentence."""
    stripped = list(map(str.strip, text.split("\n")))
    lengths = sorted(map(len, filter(None, stripped)))
    if len(lengths) < 20:
        return False
    p80 = lengths[int(len(lengths) * 0.8)]
    if not 50 <= p80 <= 130:
        return False
    at_least = 0.8 * p80
    full = [x for x in stripped if len(x) >= at_least]
    share = len(full) / len(lengths)
    if share >= 0.4:
        return True
    # a paragraph saved as one line ends its sentence; a wrapped line mostly does not (seeds: 0 %, 049: 87 %)
    return share >= 0.3 and sum(x[-1] not in ".;:!?," for x in full) >= 0.6 * len(full)


def rank(ln: Line) -> int:
    """Nesting rank of a list label: smaller is shallower."""
    if ln.kind == "roman":
        return 0
    if ln.kind == "num":
        return ln.depth
    if ln.kind == "letter":
        return 5
    if ln.kind == "bullet":
        return 7 if ln.label == "+" else 6
    return 99
