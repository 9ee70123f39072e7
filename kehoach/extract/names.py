"""Agency and person names: display casing, abbreviation expansion, cleanup."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from kehoach.vocab import compare_key, expand_abbreviations, expand_abbreviations_display, load


@lru_cache(maxsize=None)
def _casing() -> dict:
    return load("casing")


@lru_cache(maxsize=None)
def _proper_rx() -> list[tuple[re.Pattern, str]]:
    phrases = sorted(_casing()["proper"], key=len, reverse=True)
    return [(re.compile(r"(?<!\w)" + re.escape(p.lower()) + r"(?!\w)"), p) for p in phrases]


@lru_cache(maxsize=None)
def _level_rx() -> re.Pattern:
    levels = sorted(_casing()["locality_levels"], key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(x) for x in levels) + r")\s+(.+)$", re.IGNORECASE)


def is_mostly_upper(s: str) -> bool:
    letters = "".join(filter(str.isalpha, s))
    return bool(letters) and sum(map(str.isupper, letters)) / len(letters) > 0.8


@lru_cache(maxsize=8192)  # agencies and titles repeat within and across documents
def display_case(s: str) -> str:
    """Put a name written in capitals back in usual case; other text is returned as is.

    "ỦY BAN NHÂN DÂN TỈNH LÀO CAI" -> "Ủy ban nhân dân tỉnh Lào Cai".
    """
    s = clean(s)
    if not is_mostly_upper(s):
        return s
    words = s.split()
    # keep abbreviations (UBND, HĐND, MTTQ) in capitals: short all-caps tokens without vowels-with-tone
    low = " ".join(w if (len(w) <= 5 and re.fullmatch(r"[A-ZĐ]+", w) and not _is_word(w)) else w.lower()
                   for w in words)
    for rx, p in _proper_rx():
        low = rx.sub(p, low)
    m = _level_rx().search(low)
    if m:
        level, rest = m.group(1), m.group(2)
        rest_c = " ".join(w[:1].upper() + w[1:] for w in rest.split())
        lvl = level[:1].upper() + level[1:] if re.match(r"\d", rest) else level
        low = low[:m.start()] + lvl + " " + rest_c
    return low[:1].upper() + low[1:]


_VI_SHORT_WORDS = {"BAN", "SỞ", "BỘ", "CỤC", "TỔ", "HỘI", "ĐÀI", "BÁO", "ĐOÀN", "XÃ", "TỈNH", "QUẬN", "HUYỆN", "DÂN",
                   "NHÂN", "VIỆT", "NAM", "ỦY", "UỶ", "TRỰC", "CÔNG", "AN", "PHÒNG", "VỤ", "NỘI", "THỊ", "TRẤN", "THÀNH",
                   "PHỐ", "MINH", "HÀ", "CAI", "LÀO", "ĐẢNG", "CHI", "TRƯỜNG", "VỀ", "CÁC", "VÀ", "CỦA"}


def _is_word(w: str) -> bool:
    # a short all-caps token is an ordinary word if it has Vietnamese vowels in a syllable shape
    return w in _VI_SHORT_WORDS or bool(re.fullmatch(r"[^AEIOUYĂÂÊÔƠƯ]*[AEIOUYĂÂÊÔƠƯ]+[^AEIOUYĂÂÊÔƠƯ]*", w)) and len(w) <= 4 and w not in ("UBND", "HĐND")


def clean(s: Optional[str]) -> str:
    """Collapse spaces, drop trailing ; . , : and surrounding quotes."""
    if not s:
        return ""
    # every run of white space is one " " from here on, so str.strip does what the patterns would
    s = " ".join(s.split())
    s = s.strip("\"“”'‘’ ")
    s = s.rstrip(" ;.,:/")
    s = s.lstrip(" ;,:-–")
    return s.strip()


@lru_cache(maxsize=8192)
def normalized(name: Optional[str]) -> Optional[str]:
    """Display name with abbreviations written out (UBND -> Ủy ban nhân dân)."""
    if not name:
        return None
    return expand_abbreviations_display(display_case(name))


def same_agency(a: Optional[str], b: Optional[str]) -> bool:
    """Whether two names denote the same unit, as written in one document.

    Equal comparison keys, or the words of the shorter name (abbreviations written
    out, tones unified) all appear in the longer one and make up at least half of it:
    "Ban Công tác mặt trận thôn" and "Ban công tác Mặt trận các thôn trên địa bàn xã".
    """
    if not a or not b:
        return False
    ka, kb = compare_key(expand_abbreviations(a)), compare_key(expand_abbreviations(b))
    if ka == kb:
        return True
    wa, wb = ka.split(), kb.split()
    short, long_ = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    if len(short) < 2:
        return False
    return all(w in long_ for w in short) and len(short) >= 0.5 * len(long_)
