"""Cheap pre-checks in extraction find everything that the regex behind them would find.

The deadline markers are looked for with a case-insensitive regex that tries every position of a
line; ``body._lines_with_marker`` first picks the lines whose lower-cased text holds a piece of a
marker. That is only safe where the regex folds case as ``str.lower`` does, so the letters of the
marker vocabulary are checked against all of Unicode.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kehoach.extract import body, citations
from kehoach.extract.names import clean
from kehoach.extract.structure import split_lines
from kehoach.extract.vocabulary import deadline_vocab
from kehoach.ingest import read_document

REAL = Path(__file__).resolve().parent / "fixtures" / "real"
MARKERS = [m["phrase"] for m in deadline_vocab()["markers"]]
PRECHECKED = MARKERS


def test_prechecked_letters_fold_as_str_lower_does():
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    letters = sorted(set("".join(PRECHECKED).lower()) - set(body.FOLDS_APART))
    for letter in letters:
        for m in re.finditer(re.escape(letter), every, re.IGNORECASE):
            assert m.group().lower() == letter, f"{letter!r} matches U+{ord(m.group()):04X}: add it to FOLDS_APART"


def test_folds_apart_letters_do_fold_apart():
    # "İ" matches "i" under IGNORECASE, but lower-cases to "i" + a combining dot: such letters are kept out of keys
    for letter in body.FOLDS_APART:
        every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
        assert any(m.group().lower() != letter for m in re.finditer(re.escape(letter), every, re.IGNORECASE))


def test_every_key_is_a_piece_of_a_marker():
    keys = body._marker_keys()
    assert keys and all(any(k in m.lower() for m in MARKERS) for k in keys)
    assert all(any(k in m.lower() for k in keys) for m in MARKERS)


CRAFTED = [
    "THỜI HẠN HOÀN THÀNH: trước ngày 30/6/2026",
    "Hoàn Thành Trước Ngày 15/8/2026",
    "- Báo cáo kết quả về Sở Nội vụ chậm nhất ngày 20/12/2025.",
    "\u212aHÔNG QUÁ 30 ngày kể từ ngày nhận hồ sơ",  # KELVIN SIGN, which lower-cases to "k"
    "Các đơn vị tổ chức hội nghị tại hội trường",  # no marker
    "Tổ chức thực hiện nghiêm túc",  # no marker
]


def test_lines_with_marker_keeps_every_line_the_regex_matches():
    lines = list(CRAFTED)
    for p in sorted(REAL.iterdir()):
        if p.suffix in (".txt", ".docx"):
            lines += [ln.text for ln in split_lines(read_document(p).text)]
    rx = body._marker_rx()
    want = {i for i, t in enumerate(lines) if rx.search(t)}
    got = set(body._lines_with_marker(lines))
    assert want and want <= got
    assert len(got) < len(lines) // 2, "the pre-check should leave most lines out"
    assert 4 not in got and 5 not in got


def test_a_letter_that_lowers_to_two_characters_checks_every_line():
    lines = ["THỜİ HẠN: ngày 05/5/2026", "Không có gì", "Tổ chức thực hiện"]
    assert body._marker_rx().search(lines[0])
    assert list(body._lines_with_marker(lines)) == [0, 1, 2]


@pytest.mark.parametrize("path", [p for p in sorted(REAL.iterdir()) if p.suffix in (".txt", ".docx")],
                         ids=lambda p: p.name[:3])
def test_deadlines_same_with_and_without_precheck(path, monkeypatch):
    lines = split_lines(read_document(path).text)
    with_check = body.deadlines(lines, 2026)
    monkeypatch.setattr(body, "_lines_with_marker", lambda texts: range(len(texts)))
    assert body.deadlines(lines, 2026) == with_check


def test_prechecked_regexes_take_a_space_as_one_space():
    # the keys hold the phrases' spaces as written; were any run of white space to match one, keys would
    # have to be cut at the spaces (``body._keys``)
    assert body._marker_rx().search("hoàn thành") and not body._marker_rx().search("hoàn  thành")
    assert not body._marker_rx().search("hoàn\nthành")


# names.clean: a printable text without "  " has its end spaces cut instead of a split and join


def test_every_white_space_but_the_space_is_unprintable():
    """The fast path of ``names.clean`` is safe only if so: a printable text holds no white space but " "."""
    odd = [c for c in map(chr, range(0x110000)) if c.isspace() and c != " " and c.isprintable()]
    assert odd == []


@given(st.text(alphabet=list("aĐệ  ;.,:/-–\"“”'‘’\n\t\u00a0\u3000\u200b"), max_size=40))
def test_clean_equals_its_split_and_join_form(text):
    def slow(s: str) -> str:
        if not s:
            return ""
        s = " ".join(s.split()).strip("\"“”'‘’ ").rstrip(" ;.,:/").lstrip(" ;,:-–")
        return s.strip()

    assert clean(text) == slow(text)


# citations: relation words are read from the lower-cased start of a line, not the whole line lower-cased


def _relation_of_whole(text: str):
    low = text.lower().lstrip()
    for key, words in citations._relation_words():
        if low.startswith(words):
            return key
    return None


def _leading_relation_word_whole(text: str) -> str:
    low = text.lower()
    return next((text[:len(w)] for w in citations._all_relation_words() if low.startswith(w)), "")


def test_relation_words_read_from_the_start_as_from_the_whole_line():
    lines = [ln for p in sorted(REAL.iterdir()) if p.suffix in (".txt", ".docx")
             for ln in read_document(p).text.splitlines()]
    words = list(citations._all_relation_words())
    crafted = [w.upper() for w in words] + [" \t" + w.title() + " số 12" for w in words] \
        + ["İ" + words[0], words[0][:-1] + "Σ", "ΣΣ" + words[0], "  "]
    assert sum(_relation_of_whole(t) is not None for t in lines) > 50
    for t in lines + crafted:
        assert citations._relation_of(t) == _relation_of_whole(t), t
        assert citations._leading_relation_word(t) == _leading_relation_word_whole(t), t
