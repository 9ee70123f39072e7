"""Word 2007+ documents (.docx) with python-docx's XML layer.

The body is walked in document order: paragraphs and tables interleaved, nested
tables and text boxes included where they occur. python-docx drops what Word
draws but does not store as text, so two things are restored here:

* automatic numbering ("I.", "1.", "a)", "1.2.", bullets) from numbering.xml;
  Vietnamese plans number their sections and tasks this way, and the extractor
  finds sections, tasks and assignees by those labels;
* line breaks (w:br) and tabs inside a paragraph.

Tables become one block per cell (kind="cell" with table/row/col), cells row by
row, left to right. The header of a Vietnamese administrative document is
usually a borderless two-column table (agency and "Số: ..." left; national motto
and "<place>, ngày ... tháng ... năm ..." right), and so is the signature block
("Nơi nhận:" left; "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC / name" right), so keeping cells
apart keeps the number away from the motto and the recipients away from the
signer.

Only the parts the text needs are parsed: the main document, its styles and (when a
paragraph is numbered) its numbering, found through the package relationships, with
python-docx's XML parser (``docx.oxml.parser``). ``docx.Document`` would parse every part
of the package.

Untrusted input: the package is checked before it is parsed (zip, part sizes
against zip bombs, no DOCTYPE/ENTITY declarations in each part read). python-docx's
parser runs with ``resolve_entities=False``, so the check is a second line of
defence, not the only one.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Callable, Iterator, Optional

from kehoach.ingest import legacy
from kehoach.ingest.base import DocumentLoadError, InputFormat, Reader, SourceText, read_file
from kehoach.ingest.builder import TextBuilder

# Limits against hostile packages. Each part parsed is read into memory whole, and
# zipfile stops at the size an entry declares (a lie ends in a CRC error), so the
# declared sizes bound what is read.
MAX_DOCUMENT_XML_BYTES = 200 * 1024 * 1024
MAX_PART_XML_BYTES = 200 * 1024 * 1024
MAX_TOTAL_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
MAX_ZIP_ENTRIES = 10_000
# DOCTYPE may only sit in the prolog, before the root element; this much of
# each XML part is scanned for it.
_PROLOG_SCAN_BYTES = 64 * 1024

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# an encrypted .docx is an OLE2 file holding a stream of this name
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")

_NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "m": "http://schemas.openxmlformats.org/officeDocument/2006/math",
}


@lru_cache(maxsize=None)  # called for every run and property looked up
def _q(tag: str) -> str:
    prefix, local = tag.split(":")
    return "{%s}%s" % (_NS[prefix], local)


W_P, W_TBL, W_TR, W_TC, W_R, W_T = _q("w:p"), _q("w:tbl"), _q("w:tr"), _q("w:tc"), _q("w:r"), _q("w:t")
W_PPR, W_RPR, W_TCPR, W_TRPR = _q("w:pPr"), _q("w:rPr"), _q("w:tcPr"), _q("w:trPr")
W_SDT, W_SDTCONTENT, W_CUSTOMXML = _q("w:sdt"), _q("w:sdtContent"), _q("w:customXml")
W_TXBX = _q("w:txbxContent")
W_VAL = _q("w:val")
# looked up for every run and paragraph
W_RFONTS = _q("w:rFonts")
W_HANSI = _q("w:hAnsi")
W_ASCII = _q("w:ascii")
W_VANISH = _q("w:vanish")
W_RSTYLE = _q("w:rStyle")
W_NOBREAKHYPHEN = _q("w:noBreakHyphen")
W_SOFTHYPHEN = _q("w:softHyphen")
W_SYM = _q("w:sym")
W_CHAR = _q("w:char")
W_PSTYLE = _q("w:pStyle")
W_STYLE, W_STYLEID, W_TYPE, W_DEFAULT = _q("w:style"), _q("w:styleId"), _q("w:type"), _q("w:default")
W_NUMPR = _q("w:numPr")
W_GRIDBEFORE, W_GRIDSPAN, W_VMERGE = _q("w:gridBefore"), _q("w:gridSpan"), _q("w:vMerge")
W_NUMID = _q("w:numId")
W_ILVL = _q("w:ilvl")
MC_ALT, MC_CHOICE, MC_FALLBACK = _q("mc:AlternateContent"), _q("mc:Choice"), _q("mc:Fallback")
M_T, M_OMATH, M_OMATHPARA = _q("m:t"), _q("m:oMath"), _q("m:oMathPara")

# paragraph children whose runs are part of the visible text
_INLINE_CONTAINERS = {_q(t) for t in ("w:hyperlink", "w:smartTag", "w:ins", "w:moveTo", "w:fldSimple",
                                      "w:customXml", "w:dir", "w:bdo")}
_RUN_BREAKS = {_q("w:br"), _q("w:cr")}
_RUN_SPACES = {_q("w:tab"), _q("w:ptab")}
_RUN_DRAWINGS = {_q("w:drawing"), _q("w:pict"), _q("w:object")}
# what can stand first in a paragraph, run, row or cell that has no properties child
_CONTENT = {W_P, W_TBL, W_TC, W_R, W_T, *_INLINE_CONTAINERS, *_RUN_BREAKS, *_RUN_SPACES, *_RUN_DRAWINGS}
# elements under a paragraph that only the run-by-run walk reads right (``_Walker.plain_text``):
# a w:rStyle only when its style is a note reference or names a legacy font
_WALKED = tuple(sorted({W_VANISH, W_RSTYLE, W_NOBREAKHYPHEN, W_SOFTHYPHEN, W_SYM, MC_ALT, M_OMATH, M_OMATHPARA,
                        W_SDT, *_RUN_BREAKS, *_RUN_SPACES, *_RUN_DRAWINGS,
                        *(_q(t) for t in ("w:del", "w:moveFrom", "w:ruby", "w:altChunk"))}))
# Properties the walk reads, found in the same pass over the body and looked up by their parent
# (``_Walker.prop``): an element object for each one present, not one for every child of every
# w:pPr, w:rPr and w:tcPr the walk meets (with python-docx's element classes an object costs ~5 k
# instructions; a plan has ~5 property children per paragraph and reads one or none of them).
# For these the first value set counts, for the others the first element.
_VALUE_PROPS = frozenset({W_PSTYLE, W_RSTYLE, W_NUMID, W_ILVL})
_WALKED_SET = frozenset(_WALKED)
_READ_PROPS = frozenset({*_VALUE_PROPS, W_NUMPR, W_VANISH, W_TRPR, W_GRIDBEFORE, W_GRIDSPAN, W_VMERGE})
_NO_PROPS: dict = {}

# Bullet glyphs of symbol fonts (Symbol, Wingdings) sit in the private use area
# F0xx; downstream rules look for "-" and "+" bullets.
_PUA_BULLET = re.compile(r"^[\uf000-\uf0ff]\s*")


def _val(el) -> Optional[str]:
    return None if el is None else el.get(W_VAL)


def _on(el) -> bool:
    """A w:b / w:vanish style toggle: present and not switched off."""
    return el is not None and (el.get(W_VAL) or "true").lower() not in ("0", "false", "off")


# Children are looked up by a loop over them, not with ``find`` (lxml's ElementPath: ~4 us a call,
# against ~1 us for a loop over the few children of a properties element).
def _child(el, tag: str):
    """The first child of ``el`` with ``tag``, or None; for elements with few children."""
    if el is not None:
        for c in el:
            if c.tag == tag:
                return c
    return None


def _props(el, tag: str):
    """The properties child (w:pPr, w:rPr, w:tcPr, w:trPr) of a paragraph, run, cell or row.

    The schema puts it first, so a paragraph's runs are not looked through when it has none; a
    writer that put something else first (a bookmark) is searched in full.
    """
    for c in el:
        t = c.tag
        if t == tag:
            return c
        return None if t in _CONTENT else el.find(tag)
    return None


# ---------------------------------------------------------------------------
# numbering
# ---------------------------------------------------------------------------

_ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def _roman(n: int) -> str:
    out = []
    for value, sym in _ROMAN:
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)


def _letters(n: int) -> str:
    # Word: a..z, then aa..zz, aaa.. (the letter repeated, not base 26)
    n = max(n, 1)
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def format_number(n: int, fmt: str) -> str:
    """Render counter ``n`` in a Word numFmt (decimal, upperRoman, lowerLetter, ...).

    Unknown formats fall back to decimal: a wrong style beats a lost number.

    Examples:
        >>> format_number(4, "upperRoman"), format_number(2, "lowerLetter"), format_number(3, "decimalZero")
        ('IV', 'b', '03')
    """
    if fmt in ("upperRoman", "lowerRoman"):
        r = _roman(n) if n > 0 else str(n)
        return r if fmt == "upperRoman" else r.lower()
    if fmt in ("upperLetter", "lowerLetter"):
        s = _letters(n)
        return s.upper() if fmt == "upperLetter" else s
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt == "none":
        return ""
    return str(n)


def bullet_label(lvl_text: str) -> str:
    """A bullet level's label as the extractor expects it: "+" stays, any other glyph is "-"."""
    return "+" if lvl_text.strip() == "+" else "-"


@dataclass
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = "%1."
    is_lgl: bool = False
    restart: Optional[int] = None  # w:lvlRestart (1-based level), None = after any higher level
    pstyle: Optional[str] = None


@dataclass
class _Num:
    abstract: str
    start_overrides: dict[int, int] = field(default_factory=dict)
    level_overrides: dict[int, _Level] = field(default_factory=dict)


def _parse_level(lvl) -> _Level:
    out = _Level()
    start = _val(lvl.find(_q("w:start")))
    if start is not None and start.lstrip("-").isdigit():
        out.start = int(start)
    out.fmt = _val(lvl.find(_q("w:numFmt"))) or "decimal"
    text_el = lvl.find(_q("w:lvlText"))
    out.text = "" if text_el is None else (text_el.get(W_VAL) or "")
    out.is_lgl = _on(lvl.find(_q("w:isLgl")))
    restart = _val(lvl.find(_q("w:lvlRestart")))
    if restart is not None and restart.isdigit():
        out.restart = int(restart)
    out.pstyle = _val(lvl.find(_q("w:pStyle")))
    return out


class Numbering:
    """Word list numbering: numbering.xml definitions plus running counters.

    Counters belong to the abstract definition: Word continues a list across
    w:num instances that share an abstractNum unless an instance restarts a
    level with w:startOverride (that is what "Restart at 1" writes).
    """

    def __init__(self, numbering_el, styles: "_Styles") -> None:
        self._styles = styles
        self._abstract: dict[str, dict[int, _Level]] = {}  # parsed levels, filled by _levels
        self._abstract_el: dict[str, object] = {}          # abstractNumId -> its w:abstractNum
        self._style_link: dict[str, str] = {}  # abstractNumId -> numbering style id (numStyleLink)
        self._nums: dict[str, _Num] = {}
        self._counters: dict[str, list[Optional[int]]] = {}
        self._seen_nums: set[str] = set()
        self._pending_start: dict[tuple[str, int], int] = {}
        if numbering_el is None:
            return
        # a numbering part defines tens of lists with nine levels each and a document uses a few:
        # levels are parsed when first used (_levels)
        for a in numbering_el.iter(_q("w:abstractNum")):
            aid = a.get(_q("w:abstractNumId"))
            self._abstract_el[aid] = a
            link = _val(a.find(_q("w:numStyleLink")))
            if link:
                self._style_link[aid] = link
        for n in numbering_el.iter(_q("w:num")):
            nid = n.get(_q("w:numId"))
            aid = _val(n.find(_q("w:abstractNumId")))
            if nid is None or aid is None:
                continue
            num = _Num(aid)
            for ov in n.iter(_q("w:lvlOverride")):
                il = ov.get(_q("w:ilvl"))
                if il is None or not il.isdigit():
                    continue
                so = _val(ov.find(_q("w:startOverride")))
                if so is not None and so.lstrip("-").isdigit():
                    num.start_overrides[int(il)] = int(so)
                lvl = ov.find(_q("w:lvl"))
                if lvl is not None:
                    num.level_overrides[int(il)] = _parse_level(lvl)
            self._nums[nid] = num

    def _levels(self, aid: str) -> dict[int, _Level]:
        levels = self._abstract.get(aid)
        if levels is None:
            levels = {}
            a = self._abstract_el.get(aid)
            if a is not None:
                for lvl in a.iter(_q("w:lvl")):
                    il = lvl.get(_q("w:ilvl"))
                    if il is not None and il.isdigit():
                        levels[int(il)] = _parse_level(lvl)
            self._abstract[aid] = levels
        return levels

    def _resolve_abstract(self, aid: str, depth: int = 0) -> str:
        # numStyleLink: the levels live in the abstractNum of the numbering style's num
        link = self._style_link.get(aid)
        if link and depth < 5:
            num_id, _ = self._styles.numbering_of(link)
            num = self._nums.get(num_id or "")
            if num is not None and num.abstract != aid:
                return self._resolve_abstract(num.abstract, depth + 1)
        return aid

    def level_for_style(self, num_id: str, style_id: Optional[str]) -> int:
        """The level linked to paragraph style ``style_id`` (w:lvl/w:pStyle), else 0."""
        num = self._nums.get(num_id)
        if num is None or style_id is None:
            return 0
        for il, lvl in self._levels(self._resolve_abstract(num.abstract)).items():
            if lvl.pstyle == style_id:
                return il
        return 0

    def _level(self, num: _Num, aid: str, ilvl: int) -> Optional[_Level]:
        return num.level_overrides.get(ilvl) or self._levels(aid).get(ilvl)

    def next_label(self, num_id: str, ilvl: int) -> Optional[str]:
        """Advance the list ``num_id`` at level ``ilvl`` and return the rendered label.

        Returns None where the paragraph shows no label (numId 0, unknown list,
        empty lvlText). Bullets come back as "-" or "+".
        """
        num = self._nums.get(num_id)
        if num is None or num_id == "0":
            return None
        aid = self._resolve_abstract(num.abstract)
        ilvl = max(0, min(ilvl, 8))
        lvl = self._level(num, aid, ilvl)
        if lvl is None:
            return None
        counters = self._counters.setdefault(aid, [None] * 9)
        if num_id not in self._seen_nums:
            self._seen_nums.add(num_id)
            for il, start in num.start_overrides.items():
                if 0 <= il <= 8:
                    self._pending_start[(aid, il)] = start
                    counters[il] = None
        pending = self._pending_start.pop((aid, ilvl), None)
        if counters[ilvl] is None or pending is not None:
            counters[ilvl] = pending if pending is not None else lvl.start
        else:
            counters[ilvl] += 1
        for deeper in range(ilvl + 1, 9):
            d = self._level(num, aid, deeper)
            restart = d.restart if d is not None else None
            if restart is None or (restart > 0 and ilvl < restart):
                counters[deeper] = None
        if lvl.fmt == "bullet":
            return bullet_label(lvl.text)

        def render(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            ref = self._level(num, aid, k)
            if ref is None:
                return ""
            value = counters[k] if counters[k] is not None else ref.start
            return format_number(value, "decimal" if lvl.is_lgl else ref.fmt)

        label = re.sub(r"%([1-9])", render, lvl.text).strip()
        return label or None


class _Styles:
    """Paragraph and character styles: names, fonts, numbering (numPr) and basedOn chains.

    A styles part defines a few hundred styles (Word's latent ones included) and a document uses a
    handful: each style is read the first time it is asked for.
    """

    def __init__(self, styles_el) -> None:
        self._el: dict[str, object] = {}  # styleId -> its w:style
        self._info: dict[str, tuple[str, Optional[str], Optional[str], Optional[tuple]]] = {}
        self._num_cache: dict[Optional[str], tuple[Optional[str], Optional[int]]] = {}  # asked per paragraph
        self.default_paragraph: Optional[str] = None
        self.default_font: Optional[str] = None
        self._styles_el = styles_el
        if styles_el is None:
            return
        dflt = styles_el.find(f"{_q('w:docDefaults')}/{_q('w:rPrDefault')}/{W_RPR}")
        self.default_font = _font_name(dflt)
        for s in styles_el.iter(W_STYLE):
            sid = s.get(W_STYLEID)
            if sid is None:
                continue
            self._el[sid] = s  # a repeated id: the last definition counts
            if _on_attr(s.get(W_DEFAULT)) and s.get(W_TYPE) == "paragraph":  # most have no w:default
                self.default_paragraph = sid

    def _style(self, sid: str) -> Optional[tuple[str, Optional[str], Optional[str], Optional[tuple]]]:
        """(name, basedOn, font, (numId, ilvl) or None) of style ``sid``; None when undefined."""
        info = self._info.get(sid)
        if info is None:
            s = self._el.get(sid)
            if s is None:
                return None
            ppr = s.find(W_PPR)
            numpr = ppr.find(W_NUMPR) if ppr is not None else None
            num = None
            if numpr is not None:
                il = _val(numpr.find(W_ILVL))
                num = (_val(numpr.find(W_NUMID)), int(il) if il and il.isdigit() else None)
            info = self._info[sid] = (_val(s.find(_q("w:name"))) or sid, _val(s.find(_q("w:basedOn"))) or None,
                                      _font_name(s.find(W_RPR)), num)
        return info

    def name_of(self, sid: Optional[str]) -> Optional[str]:
        info = self._style(sid) if sid else None
        return info[0] if info else None

    def is_note_ref(self, sid: Optional[str]) -> bool:
        """A footnote/endnote reference character style (its runs hold the note's mark, not text)."""
        if sid in ("FootnoteReference", "EndnoteReference"):
            return True
        name = self.name_of(sid)
        return name is not None and name.lower() in ("footnote reference", "endnote reference")

    def name_legacy_font(self) -> bool:
        """Whether a font the styles name (the document default included) is legacy TCVN3/VNI."""
        return self._styles_el is not None and _names_legacy_font(self._styles_el)

    def paragraph_font(self, style_id: Optional[str]) -> Optional[str]:
        """The font of a paragraph of style ``style_id`` (None: the default style) that sets none itself."""
        return self.font_of(style_id or self.default_paragraph) or self.default_font

    def font_of(self, style_id: Optional[str]) -> Optional[str]:
        """The font a (paragraph or character) style sets, following basedOn; None if none does."""
        seen: set[str] = set()
        sid = style_id
        while sid and sid not in seen:
            seen.add(sid)
            info = self._style(sid)
            if info is None:
                return None
            if info[2]:
                return info[2]
            sid = info[1]
        return None

    def numbering_of(self, style_id: Optional[str]) -> tuple[Optional[str], Optional[int]]:
        """(numId, ilvl) a style gives its paragraphs, following basedOn; each may be None."""
        found = self._num_cache.get(style_id)
        if found is None:
            found = self._num_cache[style_id] = self._numbering_of(style_id)
        return found

    def _numbering_of(self, style_id: Optional[str]) -> tuple[Optional[str], Optional[int]]:
        num_id: Optional[str] = None
        ilvl: Optional[int] = None
        seen: set[str] = set()
        sid = style_id
        while sid and sid not in seen:
            seen.add(sid)
            info = self._style(sid)
            if info is None:
                break
            nid, il = info[3] or (None, None)
            if num_id is None and nid is not None:
                num_id = nid
            if ilvl is None and il is not None:
                ilvl = il
            sid = info[1]
        return num_id, ilvl


def _font_name(rpr) -> Optional[str]:
    """The font of a w:rPr for Latin text: w:hAnsi (bytes 0x80-0xFF, where legacy fonts put
    Vietnamese letters), else w:ascii. Theme fonts are modern Office: no legacy there."""
    return _rfonts_name(_child(rpr, W_RFONTS))


def _rfonts_name(rf) -> Optional[str]:
    return None if rf is None else rf.get(W_HANSI) or rf.get(W_ASCII)


def _font_names(el) -> list[str]:
    """The Latin font names (w:hAnsi, w:ascii) of every w:rFonts under ``el``."""
    return [f for rf in el.iter(W_RFONTS) for f in (rf.get(W_HANSI), rf.get(W_ASCII)) if f]


def _names_legacy_font(el) -> bool:
    """Whether a w:rFonts under ``el`` names a legacy TCVN3/VNI font as its Latin font (``_font_names``).

    A body has a w:rFonts in nearly every run (~1200 in a synthetic plan) naming one or two fonts:
    the values of all their attributes are gathered first, each distinct value once, by libxml2
    (EXSLT set:distinct; ~3 k instructions per element less than a Python object and two ``get``
    calls each). They hold the Latin names, so when none is legacy no Latin name is; otherwise
    the Latin names are read one by one.
    """
    if not any(legacy.font_encoding(v) for v in _xpaths().rfonts_values(el)):
        return False
    return any(legacy.font_encoding(n) for n in set(_font_names(el)))


def _legacy_fonts(body, styles: "_Styles") -> tuple[bool, bool]:
    """(any font the styles name is legacy TCVN3/VNI, any font the body names is). Most documents
    have neither, and then no run needs its font looked up; many carry an old template whose styles
    name .VnTime while the body's text is Unicode."""
    return styles.name_legacy_font(), _names_legacy_font(body)


def _on_attr(v: Optional[str]) -> bool:
    return v is not None and v.lower() in ("1", "true", "on")


# ---------------------------------------------------------------------------
# the body walker
# ---------------------------------------------------------------------------

@dataclass
class _Cell:
    table: int
    row: int
    col: int
    lines: list[str] = field(default_factory=list)


def _choose_branch(alt):
    """mc:AlternateContent holds the same content twice; read one branch only."""
    choice = alt.find(MC_CHOICE)
    return choice if choice is not None else alt.find(MC_FALLBACK)


def _find_textboxes(el) -> Iterator:
    """Outermost w:txbxContent under ``el`` (inner ones are read with their box)."""
    if next(el.iter(W_TXBX), None) is None:  # a picture: no lxml object for each element under it
        return
    for child in el:
        if child.tag == W_TXBX:
            yield child
        elif child.tag == MC_ALT:
            branch = _choose_branch(child)
            if branch is not None:
                yield from _find_textboxes(branch)
        else:
            yield from _find_textboxes(child)


class _Walker:
    def __init__(self, builder: TextBuilder, styles: _Styles, numbering: Callable[[], Numbering],
                 legacy_fonts: bool = True, legacy_in_body: bool = True) -> None:
        self.b = builder
        self.legacy_fonts = legacy_fonts  # False: no run's font is legacy, so fonts are not looked up
        self.legacy_in_body = legacy_in_body  # the body itself names a legacy font (w:rFonts)
        self.styles = styles
        self._load_numbering = numbering
        self.cells: list[_Cell] = []
        self.tables = 0
        self.warnings: list[str] = []
        self._blank_pending = False  # the blank line after a table waits for what follows it
        self._para_font: Optional[str] = None
        self.legacy: set[str] = set()  # legacy encodings decoded (tcvn3, vni)
        self.legacy_context = legacy.LegacyContext()
        self.walked: set = set()  # paragraphs the run-by-run walk reads (``walk``)
        self.props: dict = {}  # properties element -> {tag: first child element or value} (``walk``)
        # paragraph -> the dict of its w:pPr when that is its first child (what ``_props`` finds), and
        # the paragraphs whose w:pPr with properties read is not their first child (``_scan``)
        self.paragraph_props: dict = {}
        self.odd_paragraphs: set = set()

    @cached_property
    def numbering(self) -> Numbering:
        """The list definitions, read when a paragraph first asks for a number."""
        return self._load_numbering()

    # -- containers: body, cell, text box, sdt content -------------------------
    def container(self, el) -> None:
        for child in el:
            tag = child.tag
            if tag == W_P:
                self.paragraph(child)
            elif tag == W_TBL:
                self.table(child)
            elif tag == W_SDT:
                content = child.find(W_SDTCONTENT)
                if content is not None:
                    self.container(content)
            elif tag == W_CUSTOMXML:
                self.container(child)
            elif tag == MC_ALT:
                branch = _choose_branch(child)
                if branch is not None:
                    self.container(branch)
            elif tag == _q("w:altChunk"):
                self.warnings.append("embedded altChunk content (HTML/RTF inside the .docx) was not read")

    def add(self, text: str, **attrs) -> None:
        if self._blank_pending:
            self.b.blank()
            self._blank_pending = False
        self.b.add(text, **attrs)

    def emit(self, text: str, style: Optional[str] = None) -> None:
        if self.cells:
            self.cells[-1].lines.append(text)
        else:
            self.add(text, style=style)

    def flush_cell(self) -> None:
        cell = self.cells[-1]
        if cell.lines:
            self.add("\n".join(cell.lines), kind="cell", table=cell.table, row=cell.row, col=cell.col)
            cell.lines = []

    # -- tables -----------------------------------------------------------------
    def table(self, tbl) -> None:
        index = self.tables
        self.tables += 1
        if self.cells:  # nested table: what the outer cell has so far comes first
            self.flush_cell()
        self._blank_pending = False
        self.b.blank()
        props = self.props
        for r, tr in enumerate(_rows(tbl)):
            col = _int_val(self.prop(self.prop(tr, W_TRPR), W_GRIDBEFORE))
            for tc in _cells(tr):
                cell_props = props.get(_props(tc, W_TCPR), _NO_PROPS)
                span = max(1, _int_val(cell_props.get(W_GRIDSPAN)) or 1)
                vmerge = cell_props.get(W_VMERGE)
                # a vertically merged cell repeats as empty "continue" cells below
                if vmerge is None or vmerge.get(W_VAL) == "restart":
                    self.cells.append(_Cell(index, r, col))
                    self.container(tc)
                    self.flush_cell()
                    self.cells.pop()
                col += span
        self._blank_pending = True

    # -- paragraphs -------------------------------------------------------------
    def walk(self, body) -> None:
        """Read the body into the builder."""
        self._scan(body)
        self.container(body)

    def _scan(self, body) -> None:
        """One pass over the body: the paragraphs that need the run-by-run walk (``plain_text``) and
        the properties the walk reads (``prop``; w:rFonts too where a legacy font may be named).

        What the walk treats otherwise than plain text: hidden text, a note mark, breaks, tabs,
        symbols, drawings and text boxes, alternate content, math, content controls, tracked
        deletions and moves, ruby; a run style only when it is a note reference or names a legacy font.
        The set and the dict keep the elements' lxml proxies alive, so the walk meets the same objects.
        """
        styles = self.styles
        read = _READ_PROPS | {W_RFONTS} if self.legacy_fonts else _READ_PROPS
        for el in body.iter(*sorted(read.union(_WALKED))):
            tag = el.tag
            if tag in read:
                parent = el.getparent()
                found = self.props.get(parent)
                if found is None:
                    found = self.props[parent] = {}
                    if parent.tag == W_PPR:
                        self._paragraph_of(parent, found)
                if tag in _VALUE_PROPS:
                    found[tag] = found.get(tag) or el.get(W_VAL)
                elif tag not in found:
                    found[tag] = el
            if tag not in _WALKED_SET:
                continue
            if tag == W_RSTYLE:
                sid = el.get(W_VAL)
                if not (styles.is_note_ref(sid) or (self.legacy_fonts and legacy.font_encoding(styles.font_of(sid)))):
                    continue
            self.walked.update(el.iterancestors(W_P))

    def _paragraph_of(self, ppr, found: dict) -> None:
        """Record ``found`` (the properties of ``ppr``) for its paragraph, which then needs no ``_props``
        (and no lxml object for a w:pPr without properties the walk reads): the schema puts w:pPr first."""
        p = ppr.getparent()
        if p is not None and p.tag == W_P:
            if ppr.getprevious() is None:
                self.paragraph_props[p] = found
            else:
                self.odd_paragraphs.add(p)

    def prop(self, parent, tag: str):
        """The first ``tag`` child of properties element ``parent`` (None: none), or for
        w:pStyle, w:rStyle, w:numId and w:ilvl the first w:val set among them."""
        return self.props.get(parent, _NO_PROPS).get(tag)

    def plain_text(self, p, style_id: Optional[str]) -> Optional[str]:
        """The text of a paragraph that needs no run-by-run walk (as ``legacy.fix_runs`` leaves it), else None.

        Most paragraphs are runs of w:t in Unicode fonts: their text is the w:t texts joined, gathered
        by lxml without a Python object per run (the walk over ~500 runs per plan cost more than
        parsing the XML). The walk reads the paragraphs ``_scan`` found, those with a
        legacy font (named in the body or by the paragraph's style), and text with characters a
        legacy table would change but no Unicode Vietnamese letter (``legacy.fix_runs`` judges
        that run by run).
        """
        styles = self.styles
        if self.legacy_in_body or p in self.walked:
            return None
        if self.legacy_fonts and legacy.font_encoding(styles.paragraph_font(style_id)):
            return None
        return legacy.plain_unicode("".join(_xpaths().w_texts(p)), self.legacy_context)

    def paragraph(self, p) -> None:
        found = self.paragraph_props.get(p)  # ``prop`` for both, on ``_props(p, W_PPR)``
        if found is None:
            found = self.props.get(_props(p, W_PPR), _NO_PROPS) if p in self.odd_paragraphs else _NO_PROPS
        style_id, numpr = found.get(W_PSTYLE), found.get(W_NUMPR)
        boxes: list = []
        text = self.plain_text(p, style_id)
        if text is None:
            out: list[str] = []
            outer_font = self._para_font
            if self.legacy_fonts:
                self._para_font = (_font_name(_child(_props(p, W_PPR), W_RPR))
                                   or self.styles.paragraph_font(style_id))
            self.inline(p, out, boxes)
            self._para_font = outer_font
            text, encs = legacy.fix_runs(out, self.legacy_context)
            self.legacy |= encs
        label = self.label(numpr, style_id)
        lead = text.lstrip(" \t")
        if lead and "\uf000" <= lead[0] <= "\uf0ff":  # _PUA_BULLET.match(lead)
            text = _PUA_BULLET.sub("- ", lead, count=1)
        if label:
            body = text.strip(" \t")
            if body:
                text = f"{label} {body}"
            elif label not in ("-", "+"):
                # an empty numbered paragraph still shows its number (the STT
                # column of an assignment table in 012); an empty bullet shows nothing
                text = label
        if text.strip():
            self.emit(text, self.styles.name_of(style_id))
        for box in boxes:
            self.container(box)

    def label(self, numpr, style_id: Optional[str]) -> Optional[str]:
        """The list label of a paragraph with numbering properties ``numpr`` (or its style's)."""
        style_id = style_id or self.styles.default_paragraph
        found = self.props.get(numpr, _NO_PROPS) if numpr is not None else _NO_PROPS  # ``prop`` for both
        num_id, il = found.get(W_NUMID), found.get(W_ILVL)
        ilvl = int(il) if il and il.isdigit() else None
        s_num, s_ilvl = self.styles.numbering_of(style_id)
        if num_id is None:
            num_id = s_num
        if num_id is None or num_id == "0":
            return None
        if ilvl is None:
            ilvl = s_ilvl if s_ilvl is not None else self.numbering.level_for_style(num_id, style_id)
        return self.numbering.next_label(num_id, ilvl)

    def inline(self, el, out: list[str], boxes: list) -> None:
        for child in el:
            tag = child.tag
            if tag == W_R:
                self.run(child, out, boxes)
            elif tag in _INLINE_CONTAINERS:
                self.inline(child, out, boxes)
            elif tag == W_SDT:
                content = child.find(W_SDTCONTENT)
                if content is not None:
                    self.inline(content, out, boxes)
            elif tag == MC_ALT:
                branch = _choose_branch(child)
                if branch is not None:
                    self.inline(branch, out, boxes)
            elif tag in (M_OMATH, M_OMATHPARA):
                out.append("".join(t.text or "" for t in child.iter(M_T)))
            # w:del, w:moveFrom (deleted text), w:pPr, bookmarks, proofing marks: not text

    def run(self, r, runs: list[str], boxes: list) -> None:
        rpr = _props(r, W_RPR)
        skip_text = False
        font = None
        if rpr is not None:
            found = self.props.get(rpr, _NO_PROPS)  # ``prop`` for both
            vanish, rstyle = found.get(W_VANISH), found.get(W_RSTYLE)
            if _on(vanish):
                return  # hidden text is not part of what the reader sees
            # Footnote marks: w:footnoteReference has no digits, but a custom mark
            # typed in a FootnoteReference-styled run would glue "1" to the word
            # before it ("khoáng sản1", seen in 010 and 041 as plain refs).
            skip_text = rstyle is not None and self.styles.is_note_ref(rstyle)
            if self.legacy_fonts:
                font = _rfonts_name(found.get(W_RFONTS)) or self.styles.font_of(rstyle)
        if self.legacy_fonts:
            font = font or self._para_font
            enc, upper = legacy.font_encoding(font), legacy.font_is_upper(font)
        else:
            enc, upper = None, False
        out: list[str] = []
        for c in r:
            tag = c.tag
            if tag == W_T:
                if not skip_text:
                    out.append(c.text or "")
            elif tag in _RUN_SPACES:
                out.append(" ")
            elif tag in _RUN_BREAKS:
                out.append("\n")
            elif tag == W_NOBREAKHYPHEN:
                out.append("-")
            elif tag == W_SOFTHYPHEN and enc != "vni":
                # TCVN3 puts ư on byte 0xAD, the soft hyphen; LibreOffice writes it as
                # w:softHyphen (024: "Ch¬ng" for Chương). fix_runs drops it where no
                # TCVN3 decoding claims it.
                out.append("\xad")
            elif tag == W_SYM:
                out.append(_sym_char(c.get(W_CHAR) or ""))
            elif tag in _RUN_DRAWINGS:
                boxes.extend(_find_textboxes(c))
            elif tag == MC_ALT:
                branch = _choose_branch(c)
                if branch is not None:
                    self.run(branch, out, boxes)
            # w:instrText (field codes), w:delText, note references: not text
        if out:
            text = "".join(out)
            runs.append(legacy.Run(text, enc, upper) if enc or upper else text)


@dataclass(frozen=True)
class _XPaths:
    w_texts: Callable  # the texts of the w:t under an element
    rfonts_values: Callable  # the distinct values of the attributes of the w:rFonts under an element


@lru_cache(maxsize=1)
def _xpaths() -> _XPaths:
    """Compiled XPath expressions, results as plain strings. ``regexp=False``: lxml would otherwise
    register its EXSLT regular-expression functions (unused here) at every call."""
    from lxml import etree

    def xpath(expr: str, **namespaces: str):
        # each prefix is registered at every call (an EXSLT one with its functions: ~3 k instructions)
        return etree.XPath(expr, namespaces={"w": _NS["w"], **namespaces}, smart_strings=False, regexp=False)

    return _XPaths(w_texts=xpath(".//w:t/text()"),
                   rfonts_values=xpath("set:distinct(.//w:rFonts/@*)", set="http://exslt.org/sets"))


def _sym_char(code: str) -> str:
    """w:sym: a glyph of a symbol font. ASCII positions read as themselves, other glyphs as a bullet."""
    try:
        c = int(code, 16)
    except ValueError:
        return ""
    if c >= 0xF000:
        c -= 0xF000
    return chr(c) if 0x20 < c < 0x7F else "-"


def _int_val(el) -> int:
    v = _val(el)
    return int(v) if v is not None and v.isdigit() else 0


def _unwrap(el, tag: str) -> Iterator:
    """Children of ``el`` with ``tag``, looking through w:sdt and w:customXml wrappers."""
    for child in el:
        if child.tag == tag:
            yield child
        elif child.tag == W_SDT:
            content = child.find(W_SDTCONTENT)
            if content is not None:
                yield from _unwrap(content, tag)
        elif child.tag == W_CUSTOMXML:
            yield from _unwrap(child, tag)


def _rows(tbl) -> Iterator:
    return _unwrap(tbl, W_TR)


def _cells(tr) -> Iterator:
    return _unwrap(tr, W_TC)


# ---------------------------------------------------------------------------
# package checks and loading
# ---------------------------------------------------------------------------

def _check_package(data: bytes, path: Path) -> zipfile.ZipFile:
    """The open package; refuses what is not a .docx zip, or is built to exhaust memory or the XML parser."""
    if data.startswith(_OLE2_MAGIC):
        if _ENCRYPTED_PACKAGE in data[:1 << 20] or _ENCRYPTED_PACKAGE in data[-(1 << 20):]:
            raise DocumentLoadError(path, "password required (encrypted .docx)", "parse",
                                    hint="remove the password in Word and save again")
        raise DocumentLoadError(path, "not a .docx (zip) file: this is a legacy Word .doc (OLE2) file", "parse",
                                hint="rename it to .doc, or save it as .docx in Word/LibreOffice")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    # NotImplementedError: a damaged header that claims a zip version zipfile lacks (seen fuzzing 035)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, NotImplementedError) as e:
        if data.startswith(b"PK\x03\x04"):
            raise DocumentLoadError(path, f"corrupt zip archive (truncated or damaged: {e})", "parse") from None
        raise DocumentLoadError(path, "not a .docx (zip) file", "parse") from None
    try:
        _check_parts(zf, path)
    except BaseException:
        zf.close()
        raise
    return zf


def _check_parts(zf: zipfile.ZipFile, path: Path) -> None:
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise DocumentLoadError(path, f"refused: {len(infos)} zip entries (limit {MAX_ZIP_ENTRIES})", "parse")
    total = sum(i.file_size for i in infos)
    if total > MAX_TOTAL_UNCOMPRESSED_BYTES:
        raise DocumentLoadError(path, f"refused: {_size(total)} uncompressed "
                                      f"(limit {_size(MAX_TOTAL_UNCOMPRESSED_BYTES)}; zip bomb?)", "parse")
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names:
        raise DocumentLoadError(path, "not a Word document: zip without [Content_Types].xml", "parse")
    for info in infos:
        name = info.filename
        if not (name.endswith(".xml") or name.endswith(".rels")):
            continue
        limit = MAX_DOCUMENT_XML_BYTES if name == "word/document.xml" else MAX_PART_XML_BYTES
        if info.file_size > limit:
            raise DocumentLoadError(path, f"refused: {name} is {_size(info.file_size)} uncompressed "
                                          f"(limit {_size(limit)}; zip bomb?)", "parse")


def _check_prolog(head: bytes, name: str, path: Path) -> None:
    """Refuse an XML part with a DTD in its prolog (checked on each part before it is parsed)."""
    head = head[:_PROLOG_SCAN_BYTES]
    if _has_dtd(head):
        raise DocumentLoadError(path, f"refused: DOCTYPE/ENTITY declaration in {name} "
                                      "(not valid in Office XML; possible entity attack)", "parse")
    if len(head) == _PROLOG_SCAN_BYTES and not _root_started(head):
        # a DOCTYPE pushed past the scanned head by comments would go unseen
        raise DocumentLoadError(path, f"refused: {name} has no root element in its first "
                                      f"{_PROLOG_SCAN_BYTES // 1024} KB (padded XML prolog)", "parse")


def _size(n: int) -> str:
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n} bytes"


def _ascii_head(head: bytes) -> bytes:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore").encode("ascii", errors="ignore")
    return head


def _has_dtd(head: bytes) -> bool:
    head = _ascii_head(head)
    if b"<!" not in head:  # most parts: no declaration, comment or CDATA at all (lower() copies 64 KB)
        return False
    low = head.lower()
    return b"<!doctype" in low or b"<!entity" in low


_COMMENT_OR_PI = re.compile(rb"<!--.*?-->|<\?.*?\?>", re.S)
_START_TAG = re.compile(rb"<[A-Za-z_]")


def _root_started(head: bytes) -> bool:
    """Whether the root element's start tag lies in ``head`` (comments and PIs skipped).

    The text between the comments and PIs is searched piece by piece, so the scan stops at the
    root element (near the top) instead of going over the whole head; a "<" before a comment and a
    letter after it meet once the comment is gone, as they would in the text with comments removed.
    The comments and PIs are those ``_COMMENT_OR_PI.finditer`` finds (leftmost first), looked for
    only before the next start tag: one that begins after it cannot hide it (searching the rest of
    a 64 KB head for another one after the XML declaration cost ~0.6 M instructions).
    """
    head = _ascii_head(head)
    last = b""  # the last byte of the text kept so far
    start = 0  # where the text kept after the last comment or PI begins
    pos = 0  # where the next comment or PI may begin
    while True:
        if last == b"<" and _START_TAG.match(last + head[start:start + 1]):
            return True  # "<", a comment, a letter
        tag = _START_TAG.search(head, start)
        end = tag.start() if tag else len(head)
        comment, pi = head.find(b"<!--", pos, end), head.find(b"<?", pos, end)
        opening = min(comment, pi) if comment >= 0 and pi >= 0 else max(comment, pi)
        if opening < 0:
            return tag is not None
        m = _COMMENT_OR_PI.match(head, opening)
        if m is None:  # not closed: kept as text, and a comment or PI may begin after its "<"
            pos = opening + 1
            continue
        last = (last + head[start:opening])[-1:]
        start = pos = m.end()


_RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_WML_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def _load(zf: zipfile.ZipFile, path: Path):
    """(w:body, styles root or None, numbering part's XML or None) of the package's main document.

    Only these three parts are read, the numbering part parsed when a paragraph first asks for a
    list number (``_numbering``; most plans number nothing automatically), with python-docx's XML
    parser (its element classes, ``resolve_entities=False``); ``docx.Document`` parses every part
    of the package (settings, fonts, theme, headers, properties), which costs more than the walk
    over the body (measured: 12.8 ms per synthetic plan for docx.Document, 6.3 ms for the three parts).
    """
    from lxml import etree

    try:
        main = _relationships(zf, "", path).get("officeDocument")
        if main is None:
            raise DocumentLoadError(path, "not a .docx (zip) file: no main document in the package", "parse")
        ctype = _content_type(zf, main, path)
        if ctype != _WML_MAIN:
            raise DocumentLoadError(path, f"not a Word document (main part is {ctype or 'of no known type'})", "parse")
        document = _parse_part(zf, main, path)
        related = _relationships(zf, main, path)
        styles_name, numbering_name = related.get("styles"), related.get("numbering")
        styles = _parse_part(zf, styles_name, path) if styles_name else None
        numbering = _read_part(zf, numbering_name, path) if numbering_name else None
    except etree.XMLSyntaxError as e:
        raise DocumentLoadError(path, f"corrupt document XML: {e}", "parse") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as e:
        raise DocumentLoadError(path, f"corrupt zip archive: {e}", "parse") from None
    except KeyError as e:
        raise DocumentLoadError(path, f"corrupt package: missing part ({e.args[0] if e.args else e})",
                                "parse") from None
    body = document.find(_q("w:body"))
    if body is None:
        raise DocumentLoadError(path, "corrupt document XML: the main document has no w:body", "parse")
    return body, styles, numbering


def _parse_part(zf: zipfile.ZipFile, name: str, path: Path):
    from docx.oxml.parser import parse_xml

    return parse_xml(_read_part(zf, name, path))


def _read_part(zf: zipfile.ZipFile, name: str, path: Path) -> bytes:
    """The XML of part ``name``, its prolog checked."""
    try:
        data = zf.read(name)
    # ValueError: "negative seek value" from a damaged entry offset (seen fuzzing 035); RuntimeError: a flipped
    # bit set an entry's "encrypted" flag, "password required for extraction" (seen fuzzing 010)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError, RuntimeError) as e:
        raise DocumentLoadError(path, f"corrupt zip archive: {name}: {e}", "parse") from None
    _check_prolog(data, name, path)
    return data


def _numbering(xml: Optional[bytes], styles: _Styles, path: Path) -> Numbering:
    """The list definitions of numbering part ``xml`` (None: the package has none)."""
    from docx.oxml.parser import parse_xml
    from lxml import etree

    try:
        return Numbering(None if xml is None else parse_xml(xml), styles)
    except etree.XMLSyntaxError as e:
        raise DocumentLoadError(path, f"corrupt document XML: {e}", "parse") from None


def _relationships(zf: zipfile.ZipFile, source: str, path: Path) -> dict[str, str]:
    """{relationship kind ("officeDocument", "styles", …): zip member name} of part ``source`` ("" for
    the package), the first internal target of each kind. Targets are relative to the source's folder."""
    folder, _, base = source.rpartition("/")
    rels_name = f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels"
    if rels_name not in zf.NameToInfo:
        if not source:
            raise KeyError(rels_name)  # a package must have its relationships
        return {}
    out: dict[str, str] = {}
    for rel in _parse_part(zf, rels_name, path).iter(f"{_RELS_NS}Relationship"):
        kind = (rel.get("Type") or "").rsplit("/", 1)[-1]
        if kind in out or rel.get("TargetMode") == "External":
            continue
        target = (rel.get("Target") or "").replace("\\", "/")
        out[kind] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
    return out


def _content_type(zf: zipfile.ZipFile, name: str, path: Path) -> Optional[str]:
    root = _parse_part(zf, "[Content_Types].xml", path)
    want = "/" + name.lower()
    for o in root.iter(f"{_CT_NS}Override"):
        if (o.get("PartName") or "").lower() == want:
            return o.get("ContentType")
    ext = name.rsplit(".", 1)[-1].lower()
    for d in root.iter(f"{_CT_NS}Default"):
        if (d.get("Extension") or "").lower() == ext:
            return d.get("ContentType")
    return None


class DocxReader(Reader):
    """Reader for .docx: body order, restored list numbering, one block per table cell."""

    @classmethod
    def supported_formats(cls) -> dict[str, InputFormat]:
        return {".docx": InputFormat.DOCX}

    def read(self, path: Path) -> SourceText:
        """Read a .docx file into normalized text with paragraph and cell blocks.

        Raises:
            DocumentLoadError: unreadable file (stage "open"), empty file or no
                text (stage "read"), not a .docx, corrupt or refused package
                (stage "parse").
        """
        path = Path(path)
        data = read_file(path)
        with _check_package(data, path) as zf:
            body, styles_el, numbering_xml = _load(zf, path)
        styles = _Styles(styles_el)
        builder = TextBuilder()
        in_styles, in_body = _legacy_fonts(body, styles)
        walker = _Walker(builder, styles, lambda: _numbering(numbering_xml, styles, path), in_styles or in_body,
                         in_body)
        walker.walk(body)
        st = builder.build(InputFormat.DOCX.value, str(path), walker.warnings)
        st.route = "docx"
        st.encodings = sorted(walker.legacy)
        if not st.text.strip():
            raise DocumentLoadError(path, "no text", "read", hint="the document body is empty (images only?)")
        return st
