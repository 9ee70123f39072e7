"""Folded forms used for matching: never stored in place of the text itself.

STYLE habit 2: stored text keeps its diacritics (năm ≠ nam); search goes
through a separate folded column. Both functions here are the single source of
truth for folding, used when writing the folded columns and when folding the
user's query, so the two always agree.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Dashes seen in số ký hiệu typed in Word ("453–KL/TU"); they mean "-".
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def _strip_marks(text: str) -> str:
    # NFD splits "ủ" into "u" + hook + grave; dropping the marks also unifies
    # tone placement (Uỷ/Ủy, hoà/hòa), which differ only in where marks sit.
    # "đ" is a letter of its own, not d + mark, so NFD leaves it: map it by hand.
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d").replace("Đ", "D")


@lru_cache(maxsize=65536)  # agency and assignee names repeat across a batch's documents
def fold(text: str | None) -> str | None:
    """Fold a name for accent- and case-insensitive word matching.

    Diacritics are removed, đ becomes d, case is folded and every run of
    non-alphanumeric characters becomes one space.

    Example:
        >>> fold("Sở Nội vụ")
        'so noi vu'
        >>> fold("UBND các huyện, TX")
        'ubnd cac huyen tx'
    """
    if text is None:
        return None
    return _NON_WORD.sub(" ", _strip_marks(text).casefold()).strip()


def number_key(number: str | None) -> str | None:
    """Canonical key of a số ký hiệu: casefolded, spaces removed, đ -> d.

    This is the key the spec says links plans to each other ("compared case-
    and space-insensitively"); đ -> d as well because the same number is typed
    both ways ("1105/KH-ĐKT", "1105/KH-DKT").

    Example:
        >>> number_key("4639 /KH-UBND-NV")
        '4639/kh-ubnd-nv'
        >>> number_key("1105/KH-ĐKT")
        '1105/kh-dkt'
    """
    if number is None:
        return None
    text = unicodedata.normalize("NFC", number).translate(_DASHES)
    key = "".join(text.split()).casefold().replace("đ", "d")
    return key or None
