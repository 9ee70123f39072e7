"""Access to the genre vocabulary in extract/data/ as compiled patterns.

Code holds only pattern shapes; the words are data (STYLE.md habit 3).
"""

from __future__ import annotations

import re
from functools import lru_cache

from kehoach.vocab import load


@lru_cache(maxsize=None)
def genre() -> dict:
    return load("genre")


@lru_cache(maxsize=None)
def doc_types() -> dict:
    return load("doc_types")


@lru_cache(maxsize=None)
def deadline_vocab() -> dict:
    return load("deadlines")


@lru_cache(maxsize=None)
def signature_vocab() -> dict:
    return load("signature")


# The capital letters of Vietnamese for a regex character class: A-Z, Đ and the accented capitals one by one.
# A range "À-Ỹ" is no such class: from U+00C0 to U+1EF8 capitals and small letters alternate ("đ", "ị", "ơ"
# lie inside it; 020 split "các cơ quan, đơn vị, địa phương" at each comma).
CAPITALS = "A-Z" + "".join(c for c in map(chr, range(0xC0, 0x1EFA)) if c.isupper() and c.lower() != c)


def phrases(group: str) -> list[str]:
    return list(genre()[group]["phrases"])


def _alt(words: list[str]) -> str:
    # longest first so "phòng nội vụ" wins over "phòng"
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


def word_start_alt(words: list[str]) -> str:
    r"""The words (``_alt``'s order) where a word starts, for a case-insensitive pattern that is searched.

    The same matches as ``(?<!\w)(?:`` + ``_alt(words)`` + ``)``, cheaper: a search tries the pattern at
    every position of the text, and there a look-ahead for the words' first letters is the first step, then
    one group per first letter is tried instead of every word. Words keep their longest-first order inside
    their group; words in different groups never match at the same place.
    """
    ordered = sorted(set(words), key=len, reverse=True)
    if not ordered or not all(ordered):
        return r"(?<!\w)(?:" + _alt(words) + ")"
    groups: dict[str, list[str]] = {}
    for w in ordered:
        groups.setdefault(w[0].upper().lower(), []).append(w)
    firsts = "".join(sorted({re.escape(w[0]) for w in ordered}))
    alt = "|".join(re.escape(ws[0][0]) + "(?:" + "|".join(re.escape(w[1:]) for w in ws) + ")" for ws in groups.values())
    return r"(?=[" + firsts + r"])(?<!\w)(?:" + alt + ")"


@lru_cache(maxsize=None)
def phrase_alt(group: str) -> str:
    """The phrases of a genre group as a regex alternation, escaped, longest first; for patterns of
    another shape than ``phrase_regex``'s."""
    return _alt(phrases(group))


@lru_cache(maxsize=None)
def phrase_regex(group: str, anchored: bool = False) -> re.Pattern:
    """Case-insensitive regex matching any phrase of a genre group at word boundaries."""
    if anchored:
        return re.compile(r"^\s*(?<!\w)(?:" + phrase_alt(group) + r")(?!\w)", re.IGNORECASE)
    return re.compile(word_start_alt(phrases(group)) + r"(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=None)
def phrase_full(group: str) -> re.Pattern:
    """Case-insensitive regex matching a whole string that is one phrase of a genre group (a label)."""
    return re.compile(r"^(?:" + phrase_alt(group) + r")$", re.IGNORECASE)


@lru_cache(maxsize=None)
def doc_type_headings() -> dict[str, str]:
    return {k: v for k, v in doc_types()["heading_codes"].items() if not k.startswith("_")}


@lru_cache(maxsize=None)
def number_codes() -> dict[str, str]:
    return {k: v for k, v in doc_types()["number_codes"].items() if not k.startswith("_")}


@lru_cache(maxsize=None)
def type_names() -> list[str]:
    """Names of document types as cited in running text, longest first."""
    return sorted({t["name"] for t in doc_types()["types"]}, key=len, reverse=True)


@lru_cache(maxsize=None)
def type_name_regex() -> re.Pattern:
    return re.compile(r"(?<!\w)(?P<type>" + _alt(type_names()) + r")(?!\w)")
