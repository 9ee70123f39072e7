"""Legacy 8-bit Vietnamese encodings (TCVN3 / .VnTime, VNI) to Unicode.

Before Unicode, Vietnamese documents were typed in fonts whose glyphs sit on
the byte positions of Latin letters: Word keeps the text as Windows-1252
characters, so it reads "Céng hoµ x· héi chñ nghÜa" (TCVN3) or "COÄNG HOAØ XAÕ
HOÄI" (VNI). The conversion tables are data (data/legacy_tcvn3.json,
data/legacy_vni.json), generated once from glibc iconv and GNU recode by
tools/gen_legacy_tables.py.

Which encoding a piece of text is in comes from its font where the format keeps
one (Word runs: data/legacy_fonts.json), checked and otherwise decided by
syllable statistics (vietnamese.py): a decoding is taken only when it reads as
Vietnamese clearly better than the text as it is. Text that already holds
Unicode Vietnamese letters (ơ, ư, đ, ạ, …, or combining marks) is never touched:
no legacy byte decodes to them, so they prove the text is Unicode.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

from kehoach.ingest.vietnamese import text_stats

_DATA = Path(__file__).with_name("data")
ENCODINGS = ("tcvn3", "vni")

# Vietnamese letters and marks outside Windows-1252: their presence means Unicode text
_UNICODE_VI = re.compile("[ăĂđĐơƠưƯĩĨũŨ\u1ea0-\u1ef9\u0300-\u0303\u0309\u0323]")
# characters a legacy run can hold: Windows-1252 (and latin-1 C1 positions)
_LEGACY_CHARS = re.compile("[\u0080-\u00ff\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a"
                           "\u20ac\u2122\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc]")

# a decoding must beat the text as it is by this share of syllables...
MIN_GAIN = 0.25
# ...and read as Vietnamese at least this well
MIN_SCORE = 0.5
# without a font name, this share of the words must hold legacy characters
# (TCVN3/VNI prose: 50-90 %)
MIN_LEGACY_WORD_SHARE = 0.2


@dataclass(frozen=True)
class _Tables:
    tcvn3: dict[str, str]
    tcvn3_pdf: dict[str, str]
    vni_pairs: dict[str, str]
    vni_singles: dict[str, str]
    tcvn3_keys: re.Pattern
    vni_keys: re.Pattern
    fonts: tuple[tuple[re.Pattern, str], ...]
    upper: re.Pattern


@lru_cache(maxsize=1)
def tables() -> _Tables:
    t = json.loads((_DATA / "legacy_tcvn3.json").read_text(encoding="utf-8"))
    v = json.loads((_DATA / "legacy_vni.json").read_text(encoding="utf-8"))
    f = json.loads((_DATA / "legacy_fonts.json").read_text(encoding="utf-8"))
    vni_chars = set("".join(v["pairs"]) + "".join(v["singles"])) - set("aeiouyAEIOUY")
    return _Tables(
        tcvn3=t["map"],
        tcvn3_pdf={**t["map"], **t["pdf_glyph_aliases"]},
        vni_pairs=v["pairs"],
        vni_singles=v["singles"],
        tcvn3_keys=re.compile("[" + re.escape("".join(t["map"]) + "".join(t["pdf_glyph_aliases"])) + "]"),
        vni_keys=re.compile("[" + re.escape("".join(sorted(vni_chars))) + "]"),
        fonts=tuple((re.compile(e["pattern"], re.IGNORECASE), e["encoding"]) for e in f["encodings"]),
        upper=re.compile(f["upper"]["pattern"], re.IGNORECASE),
    )


@lru_cache(maxsize=4096)  # asked for every run of a .docx; a document has a handful of fonts
def font_encoding(font: Optional[str]) -> Optional[str]:
    """"tcvn3", "vni" or None for a font name (None: Unicode or unknown).

    Examples:
        >>> font_encoding(".VnTime"), font_encoding("VNI-Times"), font_encoding("Times New Roman")
        ('tcvn3', 'vni', None)
    """
    if not font:
        return None
    name = font.strip()
    for pattern, enc in tables().fonts:
        if pattern.fullmatch(name):
            return enc
    return None


@lru_cache(maxsize=4096)
def font_is_upper(font: Optional[str]) -> bool:
    """True for capitals-only legacy fonts (.VnTimeH): their lower-case codes print as capitals."""
    return bool(font) and font_encoding(font) == "tcvn3" and bool(tables().upper.fullmatch(font.strip()))


def is_unicode_vietnamese(text: str) -> bool:
    """True when ``text`` holds a Vietnamese letter or mark that no legacy encoding produces."""
    return bool(_UNICODE_VI.search(text))


def has_legacy_chars(text: str) -> bool:
    """True when ``text`` has any character a legacy table would change."""
    t = tables()
    return bool(t.tcvn3_keys.search(text) or t.vni_keys.search(text))


# ---------------------------------------------------------------------------
# decoding
# ---------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+")


def _fix_case(decoded: str, original: str) -> str:
    """Capitalise a decoded letter inside an all-capitals word ("MôC LôC" -> "MỤC LỤC").

    TCVN3 has no upper-case toned letters (they were typed in the capitals font),
    so "PHÇN" decodes to "PHầN". A word whose other letters include two or more
    capitals and no lower-case ASCII letter is a capitals word; "§Ó" (Để) and
    "Lª" (Lê) have one capital and stay as they are.
    """
    if decoded == original:
        return decoded

    def fix(m: re.Match) -> str:
        w = m.group()
        if w.isupper() or w.islower():
            return w
        ascii_lower = sum(1 for c in w if c.isascii() and c.islower())
        caps = sum(1 for c in w if c.isupper())
        if ascii_lower == 0 and caps >= 2:
            return w.upper()
        return w

    return _WORD.sub(fix, decoded)


def decode(text: str, encoding: str, *, upper: bool = False, pdf: bool = False) -> str:
    """Decode legacy-encoded ``text`` (as Word/PDF shows it: cp1252 characters) to Unicode.

    Args:
        text: the mojibake text.
        encoding: "tcvn3" or "vni".
        upper: the font prints capitals only (.VnTimeH): upper-case the result.
        pdf: also map the glyph-name aliases PDF text layers produce (TCVN3 only).

    Examples:
        >>> decode("Céng hßa", "tcvn3"), decode("Ñoäc laäp", "vni")
        ('Cộng hòa', 'Độc lập')
    """
    t = tables()
    if encoding == "tcvn3":
        table = t.tcvn3_pdf if pdf else t.tcvn3
        out = "".join(table.get(c, c) for c in text)
        out = _fix_case(out, text)
    elif encoding == "vni":
        pairs, singles = t.vni_pairs, t.vni_singles
        parts: list[str] = []
        i, n = 0, len(text)
        while i < n:
            two = text[i:i + 2]
            if len(two) == 2 and two in pairs:
                parts.append(pairs[two])
                i += 2
                continue
            parts.append(singles.get(text[i], text[i]))
            i += 1
        out = "".join(parts)
    else:
        raise ValueError(f"unknown legacy encoding {encoding!r}; valid: {', '.join(ENCODINGS)}")
    return out.upper() if upper else out


def _legacy_words(text: str) -> str:
    """The words a decoding can change: English words and numbers say nothing about the encoding."""
    return " ".join(w for w in text.split() if has_legacy_chars(w))


def _decide(text: str, hint: Optional[str], pdf: bool) -> tuple[Optional[str], bool]:
    """(encoding or None, clear): ``clear`` is False when both encodings read equally well."""
    if not text or is_unicode_vietnamese(text) or not has_legacy_chars(text):
        return None, True
    words = _legacy_words(text) or text
    base = text_stats(words)
    scores = {enc: text_stats(decode(words, enc, pdf=pdf)) for enc in ENCODINGS}
    t, v = scores["tcvn3"], scores["vni"]
    tie = t.valid == v.valid
    if hint in ENCODINGS:
        other = "vni" if hint == "tcvn3" else "tcvn3"
        h, o = scores[hint], scores[other]
        # a font name can lie (026: VNI text in runs of the "VNSTCVN3" font)
        if o.valid > h.valid and o.valid_share >= h.valid_share + MIN_GAIN:
            return other, True
        if h.words and base.valid_share > h.valid_share + MIN_GAIN:
            return None, True  # reads as Vietnamese as it is; the font name misleads
        return hint, not tie or not h.words
    # Legacy text has its Vietnamese letters on nearly every word; a few odd
    # characters in otherwise plain text (an OCR layer's "Vi€t", 042) are not it.
    all_words = sum(1 for w in text.split() if any(c.isalpha() for c in w))
    if all_words and len(words.split()) / all_words < MIN_LEGACY_WORD_SHARE:
        return None, True
    best = "tcvn3" if t.valid_share >= v.valid_share else "vni"
    s = scores[best]
    if s.words and s.valid_share >= MIN_SCORE and s.valid_share >= base.valid_share + MIN_GAIN:
        return best, not tie
    return None, True


def choose_encoding(text: str, hint: Optional[str] = None, *, pdf: bool = False) -> Optional[str]:
    """The encoding ``text`` is in: "tcvn3", "vni" or None (leave it as it is).

    Only words holding a character a table would change are judged. A font
    ``hint`` is taken unless the text proves Unicode or the other encoding reads
    clearly better; without a hint a decoding must read as Vietnamese
    (MIN_SCORE) and beat the text as it is by MIN_GAIN.

    Examples:
        >>> choose_encoding("Céng hßa x· héi"), choose_encoding("Coäng hoøa xaõ hoäi"), choose_encoding("Cộng hòa")
        ('tcvn3', 'vni', None)
    """
    return _decide(text, hint, pdf)[0]


def fix_text(text: str, hint: Optional[str] = None, *, upper: bool = False,
             pdf: bool = False) -> tuple[str, Optional[str]]:
    """Decode ``text`` if it is legacy-encoded; returns (text, encoding or None)."""
    enc = choose_encoding(text, hint, pdf=pdf)
    if enc is None:
        return (text.upper() if upper and hint else text), None
    return decode(text, enc, upper=upper, pdf=pdf), enc


class LegacyContext:
    """What a reader decided so far in one document, for runs the statistics cannot settle.

    A cell holding only "Coäng" (VNI "Cộng") reads as a syllable in both
    encodings; text of one encoding comes in stretches (026 has whole VNI
    sections in a TCVN3-named font), so the last clear decision for the same
    font hint settles it.
    """

    def __init__(self) -> None:
        self.last: dict[Optional[str], Optional[str]] = {}


class Run(str):
    """A piece of paragraph text that remembers its font's legacy encoding.

    Readers that know fonts (docx) build paragraphs from Runs; ``fix_runs``
    decodes them with the paragraph as context for the statistics.
    """

    enc: Optional[str]
    upper: bool

    def __new__(cls, text: str, enc: Optional[str] = None, upper: bool = False) -> "Run":
        obj = super().__new__(cls, text)
        obj.enc = enc
        obj.upper = upper
        return obj


def plain_unicode(text: str, context: Optional[LegacyContext] = None) -> Optional[str]:
    """What ``fix_runs([text], context)`` makes of a piece without a font when nothing in it needs
    decoding (Unicode Vietnamese, or no character a legacy table would change); None otherwise.

    The readers' fast path for the common paragraph: no list of pieces, no second search for
    Vietnamese letters.
    """
    if is_unicode_vietnamese(text):
        if context is not None:
            context.last[None] = None  # settles the font-less runs as Unicode, as fix_runs does
        return text.replace("\xad", "")
    return None if has_legacy_chars(text) else text.replace("\xad", "")


def fix_runs(pieces: Iterable[str], context: Optional[LegacyContext] = None) -> tuple[str, set[str]]:
    """Join a paragraph's pieces, decoding legacy runs; returns (text, encodings used).

    Runs with the same font hint are judged together (a run can be one letter),
    and so are the runs without one: Word splits words across runs. Adjacent
    runs of one decision are decoded as one string, so a VNI letter split
    across runs ("sô" + "ûa") still becomes one letter.
    """
    pieces = list(pieces)
    if not any(getattr(p, "enc", None) for p in pieces):
        # no legacy font (nearly every paragraph): Unicode Vietnamese text needs no judging, and
        # settles the font-less runs of this document as Unicode (what the loop below concludes too)
        joined = "".join(pieces)
        if is_unicode_vietnamese(joined):
            if context is not None:
                context.last[None] = None
            return joined.replace("\xad", ""), set()
    groups: dict[Optional[str], list[int]] = {}
    for i, p in enumerate(pieces):
        if p and not p.isspace():
            groups.setdefault(getattr(p, "enc", None), []).append(i)
    out = [str(p) for p in pieces]
    if not groups or (len(groups) == 1 and None in groups and not has_legacy_chars("".join(out))):
        return "".join(out).replace("\xad", ""), set()
    used: set[str] = set()
    decision: dict[int, Optional[str]] = {}
    for hint, idx in groups.items():
        joined = "".join(out[i] for i in idx)
        enc, clear = _decide(joined, hint, False)
        if context is not None:
            if clear:
                if enc is not None or is_unicode_vietnamese(joined):
                    context.last[hint] = enc  # plain ASCII settles nothing
            elif hint in context.last:
                enc = context.last[hint]
        for i in idx:
            decision[i] = enc
        if enc:
            used.add(enc)
    # decode maximal stretches of adjacent pieces that share a decision and case
    i, n = 0, len(pieces)
    while i < n:
        enc = decision.get(i)
        upper = bool(getattr(pieces[i], "upper", False)) and getattr(pieces[i], "enc", None) is not None
        j = i + 1
        while j < n and decision.get(j, enc) == enc and out[j] and \
                (bool(getattr(pieces[j], "upper", False)) and getattr(pieces[j], "enc", None) is not None) == upper:
            j += 1
        chunk = "".join(out[i:j])
        if enc is not None:
            chunk = decode(chunk, enc, upper=upper)
        elif upper:
            chunk = chunk.upper()
        if enc != "tcvn3":
            chunk = chunk.replace("\xad", "")  # a soft hyphen, not TCVN3's ư
        out[i] = chunk
        for k in range(i + 1, j):
            out[k] = ""
        i = j
    return "".join(out), used
