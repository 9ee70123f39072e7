"""Word-level difference between a text and its transcript (used by formats_report.py and the tests)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter

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


# passages at least this long, deleted in one place and inserted in another, were moved
MOVED_MIN_WORDS = 6
_LABEL = re.compile(r"^(\d{1,3}|[a-zđ]|[ivxl]{1,5})$")
# Word field codes some transcripts carry as text ("PAGE 1", "EMBED Excel.Sheet.8", "SUM(ABOVE)")
_FIELD_WORDS = {"page", "embed", "excel", "sheet", "word", "picture", "sum", "above", "msgraph", "chart"}


def word_diff_detail(hyp: str, ref: str) -> dict:
    """Word errors, and how many of them are not reading errors.

    spacing: words that differ only by spaces ("l ý" in 030's transcript for "lý");
    labels: list numbers Word draws (restored by the .docx reader) that a transcript left out;
    fields: Word field codes (and page numbers) a transcript kept as text;
    moved: words of passages read in another place than the transcript has them.
    ``adjusted`` = errors - spacing - labels - fields - moved.
    """
    a, b = words(hyp), words(ref)
    out = {"errors": 0, "words": len(b), "spacing": 0, "labels": 0, "fields": 0, "moved": 0}
    long_del: Counter = Counter()
    long_ins: Counter = Counter()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        n = max(i2 - i1, j2 - j1)
        out["errors"] += n
        if op == "replace" and "".join(a[i1:i2]) == "".join(b[j1:j2]):
            out["spacing"] += n
        elif op == "delete" and all(_LABEL.match(w) for w in a[i1:i2]):
            out["labels"] += n
        elif op == "insert" and all(w in _FIELD_WORDS or w.isdigit() for w in b[j1:j2]):
            out["fields"] += n
        elif op == "delete" and i2 - i1 >= MOVED_MIN_WORDS:
            long_del.update(a[i1:i2])
        elif op == "insert" and j2 - j1 >= MOVED_MIN_WORDS:
            long_ins.update(w for w in b[j1:j2] if w not in _FIELD_WORDS and not w.isdigit())
    # a passage read in another place (026: diagram labels inline, its transcript has them
    # at the end) is a deletion here and an insertion there: both sides counted
    out["moved"] = 2 * sum((long_del & long_ins).values())
    out["adjusted"] = out["errors"] - out["spacing"] - out["labels"] - out["fields"] - out["moved"]
    return out
