"""How Vietnamese does a piece of text look? Syllable statistics for readers.

Two readers need to judge text without knowing what it should say: the PDF
reader (is this text layer usable, or must the page be OCR'd?) and the legacy
decoder (does this run read as Vietnamese as it is, as TCVN3, or as VNI?). Both
use the same measure: the share of words that are well-formed Vietnamese
syllables (onset + rhyme + at most one tone, from data/vi_syllables.json), and
the share of those that carry a diacritic (Vietnamese prose has one on most
syllables; an OCR layer made without the Vietnamese model has almost none, as
in 042: "CONG Hcok xA HQI CHiJ NGHiA").
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_DATA = Path(__file__).with_name("data") / "vi_syllables.json"
# tone marks (combining): grave, acute, tilde, hook above, dot below
_TONES = {"\u0300": "huyen", "\u0301": "sac", "\u0303": "nga", "\u0309": "hoi", "\u0323": "nang"}
# a word: letters only (digits, "UBND-KT" pieces split at the hyphen)
_WORD = re.compile(r"[^\W\d_]+")
_VI_MARKED = re.compile(r"[ăâđêôơưĂÂĐÊÔƠƯ\u0300-\u0323]")


@lru_cache(maxsize=1)
def _tables() -> tuple[tuple[str, ...], frozenset[str], frozenset[str]]:
    data = json.loads(_DATA.read_text(encoding="utf-8"))
    # longest onset first so "ngh" wins over "ng" and "n"
    onsets = tuple(sorted(data["onsets"], key=len, reverse=True))
    return onsets, frozenset(data["rhymes"]), frozenset(data["stop_codas"])


def _split_tone(word: str) -> tuple[str, str | None, bool]:
    """(base word without tone, tone name, True when more than one tone mark)."""
    d = unicodedata.normalize("NFD", word)
    tones = [c for c in d if c in _TONES]
    base = unicodedata.normalize("NFC", "".join(c for c in d if c not in _TONES))
    return base, (_TONES[tones[0]] if tones else None), len(tones) > 1


@lru_cache(maxsize=1 << 16)  # Vietnamese has ~7,000 syllables in use: pages repeat them
def is_syllable(word: str) -> bool:
    """True when ``word`` is a well-formed Vietnamese syllable (any case).

    Examples:
        >>> is_syllable("Nghĩa"), is_syllable("quyết"), is_syllable("nghÜa"), is_syllable("hoc")
        (True, True, False, False)
    """
    base, tone, multi = _split_tone(word)
    if multi or not base:
        return False
    base = base.lower()
    onsets, rhymes, stops = _tables()
    for onset in onsets + ("",):
        if not base.startswith(onset):
            continue
        rest = base[len(onset):]
        cands = [rest]
        if onset == "gi":
            cands.append("i" + rest)
            if not rest:
                return True  # "gì", "gi"
        if onset == "qu":
            cands.append("u" + rest)
        for rhyme in cands:
            if rhyme in rhymes:
                coda_stop = any(rhyme.endswith(s) for s in stops)
                # a rhyme ending in p/t/c/ch only takes the sắc or nặng tone
                return not coda_stop or tone in ("sac", "nang")
    return False


@dataclass
class TextStats:
    words: int            # letter-only words
    valid: int            # of which are Vietnamese syllables
    marked: int           # valid syllables that carry a Vietnamese diacritic

    @property
    def valid_share(self) -> float:
        return self.valid / self.words if self.words else 0.0

    @property
    def marked_share(self) -> float:
        return self.marked / self.valid if self.valid else 0.0


def text_stats(text: str) -> TextStats:
    """Syllable statistics of ``text``.

    Words of one letter and all-capital words of 2+ letters that are not
    syllables (UBND, CNTT) are not counted: abbreviations say nothing about
    the encoding.
    """
    text = unicodedata.normalize("NFC", text)
    words = valid = marked = 0
    for m in _WORD.finditer(text):
        w = m.group()
        if len(w) < 2:
            continue
        kind = _word_kind(w)
        if kind is None:
            continue  # abbreviation
        words += 1
        if kind:
            valid += 1
            if kind == 2:
                marked += 1
    return TextStats(words, valid, marked)


@lru_cache(maxsize=1 << 16)
def _word_kind(w: str) -> int | None:
    """None: an abbreviation (not counted); 0: not a syllable; 1: a syllable; 2: one with a diacritic."""
    ok = is_syllable(w)
    if not ok and w.isupper() and w.isascii():
        return None
    if not ok:
        return 0
    base, tone, _ = _split_tone(w)
    return 2 if tone or _VI_MARKED.search(base) else 1


def vietnamese_score(text: str) -> float:
    """Share of words that are Vietnamese syllables (0..1); 0 for text without words."""
    return text_stats(text).valid_share
