"""The vocabulary in ``kehoach/extract/data/`` against its own examples.

Each table carries ``examples`` (STYLE.md habit 3, after reporters-db): text that the
patterns built from the table must handle. These tests run every example through
the code that uses the table, so a word added without a working example, or a
pattern change that stops matching one, fails here. An example that the code does
not handle is a data bug (or a code bug) and is marked ``xfail(strict=True)`` with
the reason.

The examples of ``abbreviations.json`` and ``tone_placement.json`` are run by
tests/test_evaluate.py (they belong to ``kehoach.vocab``, shared with the scorer).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

import kehoach
from kehoach import vocab
from kehoach.extract import body, citations, closing, header, names, structure
from kehoach.extract.dates import find_dates
from kehoach.extract.vocabulary import deadline_vocab, phrase_regex, type_names, word_start_alt
from kehoach.ingest import read_document
from kehoach.ingest.text import source_from_text

DATA_DIR = Path(kehoach.__file__).parent / "extract" / "data"
DATA_FILES = sorted(DATA_DIR.glob("*.json"))

GENRE = vocab.load("genre")
DEADLINES = vocab.load("deadlines")
DOC_TYPES = vocab.load("doc_types")
SIGNATURE = vocab.load("signature")
CASING = vocab.load("casing")


def lines_of(raw: str) -> list[structure.Line]:
    return structure.split_lines(source_from_text(raw).text)


def bug(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=reason)


# --- every file ------------------------------------------------------------------------------


def test_data_dir_has_the_tables():
    assert {p.stem for p in DATA_FILES} >= {
        "abbreviations", "casing", "deadlines", "doc_types", "genre", "signature", "tone_placement"}
    assert vocab.data_names() == [p.stem for p in DATA_FILES]


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_data_file_parses(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data, f"{path.name} is empty"
    assert vocab.load(path.stem) == data


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_data_file_is_nfc(path):
    # the extractor matches NFC text; a decomposed phrase in a table would never match
    text = path.read_text(encoding="utf-8")
    assert text == unicodedata.normalize("NFC", text)


# --- genre.json ------------------------------------------------------------------------------

PHRASE_GROUPS = {k: v for k, v in GENRE.items() if isinstance(v, dict) and "phrases" in v}


def test_every_phrase_group_has_examples():
    assert PHRASE_GROUPS
    assert [g for g, v in PHRASE_GROUPS.items() if not v.get("examples")] == []


# Phrase groups whose lists repeat a phrase (harmless to the regex, which takes a set, but a
# sign of a list edited without looking): known duplicates are marked, new ones fail.
DUPLICATE_PHRASES: dict[str, str] = {}  # group -> reason, for a known duplicate


@pytest.mark.parametrize(
    "group",
    [pytest.param(g, marks=bug(DUPLICATE_PHRASES[g])) if g in DUPLICATE_PHRASES else g for g in PHRASE_GROUPS],
)
def test_phrases_are_unique(group):
    counts = Counter(p.casefold() for p in PHRASE_GROUPS[group]["phrases"])
    assert [p for p, n in counts.items() if n > 1] == []


# (group, example) pairs the phrase regex does not match: none known today; add here with the reason
GENRE_MISSES: dict[tuple[str, str], str] = {}

GENRE_EXAMPLES = [
    pytest.param(group, example, marks=bug(GENRE_MISSES[(group, example)]))
    if (group, example) in GENRE_MISSES else pytest.param(group, example)
    for group, entry in PHRASE_GROUPS.items()
    for example in entry.get("examples", [])
]


@pytest.mark.parametrize("group, example", GENRE_EXAMPLES)
def test_genre_example_is_matched(group, example):
    assert phrase_regex(group).search(example), f"no phrase of {group} in {example!r}"


RELATIONS = GENRE["preamble_relations"]


@pytest.mark.parametrize("example", RELATIONS["examples"])
def test_preamble_relation_example(example):
    """Each example opens with a relation word and cites one numbered document with that relation."""
    words = {w: key for key in ("can_cu", "thuc_hien", "xet") for w in RELATIONS[key]}
    opening = next((w for w in sorted(words, key=len, reverse=True) if example.lower().startswith(w)), None)
    assert opening, f"{example!r} opens with none of {sorted(words)}"
    (cited,) = citations.legal_bases(lines_of(example))
    assert cited.relation == words[opening]
    assert cited.number and cited.number in example


# --- deadlines.json --------------------------------------------------------------------------

RECURRING = re.compile(r"^\s*(?:ngày\s*)?\d{1,2}\s+(?:hằng|hàng)\s+(?:tháng|quý|năm|tuần)", re.IGNORECASE)
YEAR_ONLY = re.compile(r"^\s*(?:năm\s+)?(?:19|20)\d\d\b")
# markers whose deadline may be a bare year: the spec's values allow year precision
# ("2020"), and "Trong năm 2026" (010) is such a deadline, though ``dates`` leaves years out
YEAR_MARKERS = {"trong năm"}

DEADLINE_EXAMPLES = [(m["phrase"], ex) for m in DEADLINES["markers"] for ex in m["examples"]]


def test_every_marker_has_examples():
    assert [m["phrase"] for m in DEADLINES["markers"] if not m.get("examples")] == []
    assert int(DEADLINES["max_gap_chars"]) > 0


@pytest.mark.parametrize("marker, example", DEADLINE_EXAMPLES)
def test_deadline_example_has_a_date_after_its_marker(marker, example):
    at = example.casefold().find(marker.casefold())
    assert at >= 0, f"marker {marker!r} not in its example {example!r}"
    after = example[at + len(marker):]
    hits = find_dates(after)
    if hits:
        assert hits[0].start <= int(DEADLINES["max_gap_chars"]), "the date is too far from its marker"
    elif RECURRING.match(after):
        pass
    else:
        assert marker in YEAR_MARKERS and YEAR_ONLY.match(after), f"no date after {marker!r} in {example!r}"


@pytest.mark.parametrize("marker, example", DEADLINE_EXAMPLES)
def test_deadline_example_gives_a_deadline(marker, example):
    """The example, as a line of a plan, yields one deadline covering the whole example."""
    got = body.deadlines(lines_of(example), 2026)
    assert len(got) == 1, got
    assert got[0].date or got[0].recurrence
    assert got[0].text == example


# --- doc_types.json --------------------------------------------------------------------------

TYPES = DOC_TYPES["types"]
NUMBER = re.compile(r"\d[\dA-Za-zĐđ.]*(?:\s*[/-]\s*[\dA-Za-zĐđ.&]+)+")


def _public(table: dict) -> dict:
    return {k: v for k, v in table.items() if not k.startswith("_")}


def test_type_codes_and_names_are_unique():
    codes = Counter(t["code"] for t in TYPES)
    names_ = Counter(t["name"].casefold() for t in TYPES)
    assert [c for c, n in codes.items() if n > 1] == []
    assert [c for c, n in names_.items() if n > 1] == []


def test_heading_and_number_codes_are_known_types():
    known = {t["code"] for t in TYPES}
    assert set(_public(DOC_TYPES["heading_codes"]).values()) - known == set()
    assert set(_public(DOC_TYPES["number_codes"]).values()) - known == set()


DOC_TYPE_EXAMPLES = [(t["code"], t["name"], ex) for t in TYPES for ex in t.get("examples", [])]


def test_every_type_has_examples():
    assert [t["code"] for t in TYPES if not t.get("examples")] == []


@pytest.mark.parametrize("code, name, example", DOC_TYPE_EXAMPLES)
def test_doc_type_example_names_its_type(code, name, example):
    assert name.casefold() in example.casefold() or re.search(rf"(?<![A-Za-z]){re.escape(code)}(?![a-z])", example)


@pytest.mark.parametrize("code, name, example", DOC_TYPE_EXAMPLES)
def test_doc_type_example_is_parsed(code, name, example):
    """A citation example gives that type and its number; a header example ("Số: …") its number code."""
    m = NUMBER.search(example)
    written = re.sub(r"\s+", "", m.group(0)) if m else None
    if example.startswith("Số"):
        assert written and header.number_code(written) == code
        return
    assert example.casefold().startswith(name.casefold()), example
    (cited,) = citations.legal_bases(lines_of("Căn cứ " + example))
    assert cited.doc_type.casefold() == name.casefold()
    assert cited.number == written
    if written is None:
        # a law cited by name (spec: number null, name set)
        assert cited.name and cited.name.casefold().startswith(name.casefold())


# --- signature.json --------------------------------------------------------------------------


def test_authority_table():
    assert set(SIGNATURE["authority"].values()) <= {"KT", "TM", "TL", "TUQ", None}


def test_positions_are_upper_case_and_unique():
    positions = SIGNATURE["positions"]
    assert [p for p in positions if p != p.upper()] == []
    assert len(positions) == len(set(positions))


@pytest.mark.parametrize("example", SIGNATURE["examples"])
def test_signature_example_is_parsed(example):
    """The block parses to the authority of its first line, and its last line is the signer's name."""
    lines = example.split("\n")
    prefix = re.match(r"^(KT|TM|TL|TUQ|Q)\.\s", lines[0])
    a = structure.analyse(source_from_text(example).text)
    signer = closing.signer(a, [])
    assert signer is not None
    assert signer.name == lines[-1]
    assert signer.authority == (SIGNATURE["authority"][prefix.group(1)] if prefix else None)
    position_line = lines[-2]
    assert position_line in SIGNATURE["positions"]
    assert signer.position.casefold() == position_line.casefold()
    if prefix:
        assert signer.on_behalf_of == names.display_case(lines[0][prefix.end():])


RELATIVE_EXAMPLES = [(e, ex) for e in DEADLINES["relative_years"] for ex in e["examples"]]


@pytest.mark.parametrize("entry, example", RELATIVE_EXAMPLES, ids=[ex for _, ex in RELATIVE_EXAMPLES])
def test_relative_year_example_moves_the_inferred_year(entry, example):
    """A yearless date followed by the phrase takes the document's year plus the phrase's offset (047:
    "trước ngày 15 tháng 02 của năm liền kề sau năm báo cáo" in a letter of 2025 is 2026-02-15, yearly)."""
    hits = find_dates(example, 2025)
    assert len(hits) == 1, hits
    h = hits[0]
    assert h.inferred and h.value[:4] == str(2025 + entry["offset"])
    assert h.text.endswith(entry["phrase"]) and h.recurrence == entry["recurrence"]


def test_a_written_year_is_not_moved_by_a_relative_phrase():
    hits = find_dates("trước ngày 15 tháng 02 năm 2024 của năm sau", 2025)
    assert [(h.value, h.inferred) for h in hits] == [("2024-02-15", False)]


# --- casing.json -----------------------------------------------------------------------------


@pytest.mark.parametrize("example", CASING["examples"], ids=lambda e: e["upper"])
def test_casing_example(example):
    assert names.display_case(example["upper"]) == example["display"]


@pytest.mark.parametrize("motto", CASING["motto"])
def test_motto_is_not_an_issuer(motto):
    """A motto line is recognised, so that the header never takes it for the issuing body."""
    assert header._motto_rx().search(motto)  # noqa: SLF001 - the header's own motto pattern
    lines = f"ỦY BAN NHÂN DÂN TỈNH LÀO CAI\n{motto}\nSố: 134/KH-UBND\n\nKẾ HOẠCH\nThực hiện kế hoạch"
    a = structure.analyse(source_from_text(lines).text)
    _, code = structure.find_type_heading(a.lines)
    assert header.extract_header(a, code).issuer == "Ủy ban nhân dân tỉnh Lào Cai"


@pytest.mark.parametrize("level", GENRE["locality_levels"]["phrases"])
def test_locality_levels_are_lower_case(level):
    assert level == level.lower()


@pytest.mark.parametrize("example", SIGNATURE["authority_examples"])
def test_authority_example_is_read(example):
    """A slashed prefix ("T/M BAN THƯỜNG VỤ") is an authority line like "TM. BAN THƯỜNG VỤ"."""
    a = structure.analyse(source_from_text(example + "\nCHỦ TỊCH\nNguyễn Văn An").text)
    signer = closing.signer(a, [])
    assert signer is not None and signer.authority in ("KT", "TM", "TL", "TUQ")
    assert signer.name == "Nguyễn Văn An"


@pytest.mark.parametrize("example", SIGNATURE["deputy_examples"], ids=lambda e: e["upper"])
def test_deputy_example_is_cased(example):
    assert closing.position_case(example["upper"]) == example["display"]


# ---------------------------------------------------------------------------
# word_start_alt: the shape of a searched alternation, same matches as the plain one
# ---------------------------------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures"
WORD_LISTS = [v["phrases"] for v in GENRE.values() if isinstance(v, dict) and "phrases" in v] + [type_names()] \
    + [[m["phrase"] for m in deadline_vocab()["markers"]]]


def _plain_and_word_start(words: list[str]) -> tuple[re.Pattern, re.Pattern]:
    plain = r"(?<!\w)(?:" + "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True)) + r")(?!\w)"
    return re.compile(plain, re.IGNORECASE), re.compile(word_start_alt(words) + r"(?!\w)", re.IGNORECASE)


def _spans(rx: re.Pattern, text: str) -> list[tuple[int, int]]:
    return [m.span() for m in rx.finditer(text)]


def test_word_start_alt_finds_what_the_plain_alternation_finds_in_real_documents():
    texts = [read_document(p).text for p in sorted((FIXTURES / "seeds").glob("*.txt"))
             + sorted((FIXTURES / "real").glob("*.txt"))]
    found = 0
    for words in WORD_LISTS:
        plain, fast = _plain_and_word_start(words)
        for text in texts:
            expected = _spans(plain, text)
            assert _spans(fast, text) == expected, words[:3]
            found += len(expected)
    assert found > 1000


_ALL_WORDS = sorted({w for words in WORD_LISTS for w in words})


@given(parts=st.lists(st.one_of(st.sampled_from(_ALL_WORDS), st.sampled_from(_ALL_WORDS).map(str.upper),
                                st.sampled_from(_ALL_WORDS).map(str.title), st.text(max_size=4),
                                st.sampled_from([" ", "\n", "ı", "ſ", "K", "İ", "_", "1"])), max_size=30))
def test_word_start_alt_finds_what_the_plain_alternation_finds(parts):
    """Phrases in any case, glued to letters, digits and case-folding oddities (dotless i, long s,
    Kelvin sign): the first-letter groups find what the longest-first alternation finds."""
    text = "".join(parts)
    for words in WORD_LISTS:
        plain, fast = _plain_and_word_start(words)
        assert _spans(fast, text) == _spans(plain, text)


# citations._type_num_matches: the type-name scan runs case-sensitively on the lower-cased line


def _type_num_spans_both_ways(text: str) -> tuple[list, list]:
    return (_spans(citations._type_num_rx(), text),
            [m.span() for m in citations._type_num_matches(text)])


def test_lower_cased_type_scan_finds_what_the_case_insensitive_one_finds_in_real_documents():
    texts = [read_document(p).text for p in sorted((FIXTURES / "seeds").glob("*.txt"))
             + sorted((FIXTURES / "real").glob("*.txt"))]
    found = 0
    for text in texts:
        for line in text.splitlines():
            for variant in (line, line.upper(), line.title()):
                expected, got = _type_num_spans_both_ways(variant)
                assert got == expected, variant
                found += len(expected)
    assert found > 200


@given(parts=st.lists(st.one_of(st.sampled_from(type_names()), st.sampled_from(type_names()).map(str.upper),
                                st.sampled_from(type_names()).map(str.title), st.text(max_size=4),
                                st.sampled_from([" ", " số ", " SỐ: ", "12", "\n", "ı", "ſ", "K", "Å", "İ", "Σ", "_"])),
                      max_size=30))
def test_lower_cased_type_scan_finds_what_the_case_insensitive_one_finds(parts):
    """Type names in any case, glued to letters, digits and case-folding oddities (dotless i, long s,
    Kelvin sign, dotted capital I): the same spans either way."""
    expected, got = _type_num_spans_both_ways("".join(parts))
    assert got == expected


def test_case_odd_characters_are_all_that_lower_casing_gets_wrong():
    """Every code point outside ``_CASE_ODD`` lower-cases to one character that the lower-cased pattern reads as
    the case-insensitive pattern reads the original: the same letters of the type names and of "số" match it,
    and it is a word character, a space or a digit exactly when its lower case is."""
    letters = sorted({c for w in type_names() + ["số"] for c in w.lower()} - {" "})
    odd = citations._CASE_ODD
    chars = [chr(i) for i in range(0x110000) if not 0xD800 <= i < 0xE000 and not odd.match(chr(i))]
    assert all(len(c.lower()) == 1 for c in chars)
    text = "".join(chars)
    low = text.lower()
    for cls in (r"\w", r"\s", r"\d"):
        rx = re.compile(cls)
        assert [m.start() for m in rx.finditer(text)] == [m.start() for m in rx.finditer(low)], cls
    for letter in letters:
        insensitive = {m.start() for m in re.finditer(re.escape(letter), text, re.IGNORECASE)}
        lowered = {m.start() for m in re.finditer(re.escape(letter), low)}
        assert insensitive == lowered, (letter, [text[i] for i in insensitive ^ lowered])
    # without the guard the scan would differ: the oddities are real
    assert any(len(chr(c).lower()) != 1 for c in range(0x110000) if odd.match(chr(c)))
    assert re.match("i", "ı", re.IGNORECASE) and "ı".lower() != "i"
