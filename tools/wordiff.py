"""Word-level difference between a text and its transcript (used by formats_report.py and the tests)."""

from __future__ import annotations

import difflib
import re
import unicodedata

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Words compared: NFC, case-folded, punctuation and layout ignored."""
    return _WORD.findall(unicodedata.normalize("NFC", text).casefold())


def word_diff(hyp: str, ref: str) -> tuple[int, int]:
    """(word errors, transcript words): substitutions + deletions + insertions, by difflib alignment."""
    a, b = words(hyp), words(ref)
    errors = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "replace":
            errors += max(i2 - i1, j2 - j1)
        elif op == "delete":
            errors += i2 - i1
        elif op == "insert":
            errors += j2 - j1
    return errors, len(b)
