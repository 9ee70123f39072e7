"""Agency and person names: display casing, abbreviation expansion, cleanup."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from kehoach.extract.vocabulary import phrase_alt
from kehoach.vocab import compare_key, expand_abbreviations, expand_abbreviations_display, load, unify_tones


@lru_cache(maxsize=None)
def _casing() -> dict:
    return load("casing")


@lru_cache(maxsize=None)
def _proper_rx() -> list[tuple[re.Pattern, str]]:
    phrases = sorted(_casing()["proper"], key=len, reverse=True)
    return [(re.compile(r"(?<!\w)" + re.escape(p.lower()) + r"(?!\w)"), p) for p in phrases]


@lru_cache(maxsize=None)
def _level_rx() -> re.Pattern:
    # the one list of level words is genre.json's (citations reads it too)
    return re.compile(r"(?<!\w)(" + phrase_alt("locality_levels") + r")\s+", re.IGNORECASE)


def _level_at(low: str) -> Optional[re.Match]:
    """The first locality level word in a lower-cased name, skipping one that a proper phrase capitalised
    ("Quận ủy - Ủy ban nhân dân - Ủy ban MTTQ Việt Nam quận 12": the level is the second "quận") and
    one that opens a common word (casing.json ``not_levels``: "xã hội")."""
    for m in _level_rx().finditer(low):
        w = m.group(1)
        if not (w.islower() or w.isupper()):  # "TP" kept as an abbreviation is a level too
            continue
        if _not_level_rx().match(low, m.start()):
            continue
        return m
    return None


@lru_cache(maxsize=None)
def _not_level_rx() -> re.Pattern:
    return re.compile(r"(?:" + "|".join(re.escape(w) for w in _casing()["not_levels"]) + r")(?!\w)")


@lru_cache(maxsize=None)
def _field_head_rx() -> re.Pattern:
    heads = sorted(_casing()["field_heads"], key=len, reverse=True)
    not_before = "|".join(re.escape(w) for w in _casing()["field_head_not_before"])
    return re.compile(r"(?:" + "|".join(re.escape(h) for h in heads) + r")\s+(?!(?:" + not_before + r")(?!\w))(?=\w)")


# where a new field of activity, or a new unit, starts inside a name: "Nông nghiệp và Môi trường",
# "Lao động - Thương binh và Xã hội", "Văn hóa, Thể thao và Du lịch"
_FIELD_SEP = re.compile(r"(?:\s+(?:và|-|–)\s+|,\s+)(?=\w)")


def _field_case(low: str) -> str:
    """Capitalise the fields of activity after a unit's type word (casing.json ``field_heads``):
    "sở nông nghiệp và môi trường" -> "Sở Nông nghiệp và Môi trường" (Nghị định 30/2020/NĐ-CP,
    Phụ lục II: the type and the field of a body's name open with a capital). The name ends at its
    locality level word."""
    lvl = _level_at(low)
    end = lvl.start() if lvl else len(low)
    chars, in_name = None, False
    for i in [0] + [x.end() for x in _FIELD_SEP.finditer(low, 0, end)]:
        m = _field_head_rx().match(low, i, end)
        if m is None and in_name and low.startswith(tuple(_casing()["field_not_start"]), i):
            in_name = False  # "Sở Nội vụ và các cơ quan": other units, named in common words
        if m is None and not in_name:
            continue
        chars = chars or list(low)
        chars[i] = chars[i].upper()
        if m is not None:
            chars[m.end()] = chars[m.end()].upper()
            in_name = True
    return "".join(chars) if chars else low


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
    low = _field_case(low)
    m = _level_at(low)
    if m:
        level, rest = m.group(1), low[m.end():]
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
    # every run of white space is one " " from here on, so str.strip does what the patterns would.
    # Most texts are one already: every white space character but " " is unprintable, so a printable
    # text without "  " needs only its end spaces cut (4x fewer instructions than split+join on a line)
    s = s.strip(" ") if s.isprintable() and "  " not in s else " ".join(s.split())
    s = s.strip("\"“”'‘’ ")
    s = s.rstrip(" ;.,:/")
    s = s.lstrip(" ;,:-–")
    return s.strip()


@lru_cache(maxsize=8192)
def normalized(name: Optional[str]) -> Optional[str]:
    """Display name with abbreviations written out (UBND -> Ủy ban nhân dân) and tone marks placed the
    one way (Uỷ -> Ủy, hoà -> hòa), as spec/EXTRACTION.md asks of the ``*_normalized`` fields."""
    if not name:
        return None
    return unify_tones(expand_abbreviations_display(display_case(name)))


def same_agency(a: Optional[str], b: Optional[str]) -> bool:
    """Whether two names denote the same unit, as written in one document.

    Equal comparison keys, or the words of the shorter name (abbreviations written
    out, tones unified) all appear in the longer one and make up at least half of it:
    "Ban Công tác mặt trận thôn" and "Ban công tác Mặt trận các thôn trên địa bàn xã".
    """
    if not a or not b:
        return False
    ka, wa = _agency_key(a)
    kb, wb = _agency_key(b)
    if ka == kb:
        return True
    short, long_ = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    if len(short) < 2:
        return False
    return all(w in long_ for w in short) and len(short) >= 0.5 * len(long_)


@lru_cache(maxsize=4096)  # participants compare every pair of names; names recur within and across plans
def _agency_key(name: str) -> tuple[str, tuple[str, ...]]:
    """``same_agency``'s comparison key of a name (abbreviations written out, tones unified) and its words."""
    key = compare_key(expand_abbreviations(name))
    return key, tuple(key.split())
