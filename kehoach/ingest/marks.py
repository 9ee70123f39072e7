"""Restore the tone marks OCR loses, from syllable-pair counts of Unicode Vietnamese text.

Tesseract's Vietnamese model drops or confuses a tone mark stacked on a
circumflex or breve more than any other error on small or faint print (045:
"khân trương triên khai" for "khẩn trương triển khai", 002: "Truyên thông",
"tô chức"). The letters are right; only the mark is wrong. For each OCR'd
word that is a Vietnamese syllable, the other tones of the same letters are
weighed in context: how often the pair (word before, candidate) and
(candidate, word after) occur in Unicode text (data/vi_bigrams.json, built by
tools/gen_vi_bigrams.py from documents of the corpus that are Unicode at
source; never from transcripts or OCR). A word is changed only when a
candidate is far more likely than it (RESTORE_MARGIN). Only OCR output goes
through here: text from a text layer or a document is never touched.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from kehoach.ingest.vietnamese import is_syllable

_DATA = Path(__file__).with_name("data") / "vi_bigrams.json"
_TONE_MARKS = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
_TOKEN = re.compile(r"[^\W\d_]+")
# a candidate must be this many times likelier than the word as read (log scale)
RESTORE_MARGIN = math.log(50.0)
# only words seen at most this often in the Unicode text are weighed at all: OCR's lost marks
# make rare forms ("khân", "triên", "tô"); a common word read right ("thức", "tài") has a
# common twin ("thực", "tại") that a small table of pairs cannot tell from it
RARE = 3
# smoothing: weight of the single-word probability in a pair's probability
_ALPHA = 2.0


@lru_cache(maxsize=1)
def _model() -> tuple[dict[str, int], dict[str, int], int]:
    data = json.loads(_DATA.read_text(encoding="utf-8"))
    uni = data["unigrams"]
    return uni, data["bigrams"], sum(uni.values())


def _variants(word: str) -> set[str]:
    """The same letters with each tone (none, huyền, sắc, ngã, hỏi, nặng): lower case, NFC."""
    d = unicodedata.normalize("NFD", word.lower())
    base = "".join(c for c in d if c not in _TONE_MARKS[1:])
    # the tone goes on the vowel that carries it in the word as read, else on every vowel in turn
    out = set()
    vowels = [i for i, c in enumerate(base) if c in "aeiouy"]
    for i in vowels:
        for t in _TONE_MARKS:
            # the mark follows the vowel and its quality marks (circumflex, breve, horn)
            j = i + 1
            while j < len(base) and unicodedata.combining(base[j]):
                j += 1
            out.add(unicodedata.normalize("NFC", base[:j] + t + base[j:]))
    return {w for w in out if is_syllable(w)}


def _score(prev: str | None, w: str, nxt: str | None) -> float:
    uni, bi, total = _model()
    pw = (uni.get(w, 0) + 0.1) / total
    s = math.log(pw)
    if prev is not None:
        pp = (bi.get(f"{prev} {w}", 0) + _ALPHA * pw) / (uni.get(prev, 0) + _ALPHA)
        s = math.log(pp)
    if nxt is not None:
        pn = (uni.get(nxt, 0) + 0.1) / total
        s += math.log((bi.get(f"{w} {nxt}", 0) + _ALPHA * pn) / (uni.get(w, 0) + _ALPHA))
    return s


def _support(prev: str | None, w: str, nxt: str | None) -> int:
    """How often ``w`` was seen after ``prev`` and before ``nxt``."""
    _, bi, _ = _model()
    return (bi.get(f"{prev} {w}", 0) if prev else 0) + (bi.get(f"{w} {nxt}", 0) if nxt else 0)


def _recase(model: str, word: str) -> str:
    if model.isupper() and len(model) > 1:
        return word.upper()
    if model[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def restore_marks(text: str) -> str:
    """``text`` (NFC, one OCR'd line) with unlikely tone marks replaced by likely ones.

    Examples:
        >>> restore_marks("khân trương triên khai")
        'khẩn trương triển khai'
        >>> restore_marks("đề nghị các đơn vị")
        'đề nghị các đơn vị'
    """
    return restore_marks_counted(text)[0]


def restore_marks_counted(text: str) -> tuple[str, int]:
    """``restore_marks`` and the number of words it changed."""
    matches = list(_TOKEN.finditer(text))
    if not matches:
        return text, 0
    words = [m.group().lower() for m in matches]
    syl = [is_syllable(w) for w in words]
    uni, _, _ = _model()
    out = list(words)
    changed = 0
    for k, w in enumerate(words):
        m = matches[k]
        if not syl[k] or len(w) < 2:
            continue
        if text[max(0, m.start() - 1):m.start()].isdigit() or text[m.end():m.end() + 1].isdigit():
            continue  # part of a number or code ("201í")
        # neighbours only when adjacent (no punctuation or digits between)
        prev = out[k - 1] if k > 0 and syl[k - 1] and text[matches[k - 1].end():m.start()].isspace() else None
        nxt = words[k + 1] if k + 1 < len(words) and syl[k + 1] \
            and text[m.end():matches[k + 1].start()].isspace() else None
        if uni.get(w, 0) > RARE or _support(prev, w, nxt):
            continue  # a common word, or seen next to these neighbours: leave it
        here = _score(prev, w, nxt)
        best, best_s = w, here
        for c in _variants(w):
            if c == w or uni.get(c, 0) <= uni.get(w, 0) or not _support(prev, c, nxt):
                continue
            s = _score(prev, c, nxt)
            if s > best_s:
                best, best_s = c, s
        if best != w and best_s - here >= RESTORE_MARGIN:
            out[k] = best
            changed += 1
    if not changed:
        return text, 0
    parts = []
    pos = 0
    for m, w, new in zip(matches, words, out):
        parts.append(text[pos:m.start()])
        parts.append(m.group() if new == w else _recase(m.group(), new))
        pos = m.end()
    parts.append(text[pos:])
    return "".join(parts), changed
