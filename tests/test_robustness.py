"""Property-based robustness (hypothesis): arbitrary Unicode and mutated real documents.

Fed to every extractor component (the spaCy pipeline run one component at a time),
to the whole ``extract_record``, and to the readers' decoding and normalization:

* no exception escapes, for any input;
* every span lies inside the text: ``0 <= start <= end <= len(text)``, and items in the
  record point at something (``start < end``);
* where the item's text is the source text (date hits, lines, citations, deadlines,
  date mentions) ``text[start:end]`` shows it;
* readers raise only ``DocumentLoadError`` on bad bytes, and what they return is normalized.

Example counts come from the hypothesis profile (tests/conftest.py): "kehoach" by
default (fast), ``HYPOTHESIS_PROFILE=ci`` for a longer search.
"""

from __future__ import annotations

import dataclasses
import random
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import assume, given, note, strategies as st

import badfiles as B
from kehoach.extract import dates, extract_record
from kehoach.extract.dates import find_dates
from kehoach.ingest import DocumentLoadError, SourceText, read_document
from kehoach.ingest.base import Block, PageInfo
from kehoach.ingest import normalize
from kehoach.ingest.normalize import LINE_STEPS, normalize_line, normalize_text
from kehoach.ingest.text import decode_bytes, source_from_text
from kehoach.schema import PlanRecord
from kehoach.schema.record import Item

# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------

REAL_SOURCES = sorted(B.SEEDS.glob("*.txt")) + sorted(p for p in B.REAL.iterdir()
                                                       if p.suffix in (".txt", ".docx", ".pdf"))


@lru_cache(maxsize=1)
def real_sources() -> tuple[SourceText, ...]:
    """The normalized text of every seed and real fixture, with blocks and pages as read."""
    return tuple(read_document(p) for p in REAL_SOURCES)


@lru_cache(maxsize=1)
def real_lines() -> tuple[str, ...]:
    return tuple(sorted({ln for s in real_sources() for ln in s.text.split("\n") if ln.strip()}))


@lru_cache(maxsize=1)
def real_words() -> tuple[str, ...]:
    return tuple(sorted({w for ln in real_lines() for w in ln.split()}))


# any code point but surrogates, with a bias towards what documents hold
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=600)
doc_alphabet = st.sampled_from(list("0123456789/.-,:;()\n \t") + ["\r\n", "\u00a0", "\u0301", "\u0323", "\ufeff"])


@st.composite
def word_soup(draw) -> str:
    """Real words, lines and document punctuation in random order: text the rules half-recognise."""
    parts = draw(st.lists(st.one_of(st.sampled_from(real_words()), st.sampled_from(real_lines()), doc_alphabet,
                                    any_text.map(lambda s: s[:20])), max_size=120))
    return draw(st.sampled_from(["", " ", "\n"])).join(parts) if parts else ""


def _mutate(text: str, rnd: random.Random, donor: str) -> str:
    n = len(text)
    i, j = sorted((rnd.randrange(n + 1), rnd.randrange(n + 1)))
    op = rnd.randrange(9)
    if op == 0:
        return text[:i] + text[j:]                                   # delete a slice
    if op == 1:
        return text[:j] + text[i:j] + text[j:]                       # duplicate a slice
    if op == 2:
        k = rnd.randrange(len(donor) + 1)
        return text[:i] + donor[k:k + rnd.randrange(400)] + text[i:]  # graft another document's text
    if op == 3:
        lines = text.split("\n")
        a, b = rnd.randrange(len(lines)), rnd.randrange(len(lines))
        lines[a], lines[b] = lines[b], lines[a]                      # swap two lines
        return "\n".join(lines)
    if op == 4:
        return re.sub(r"\d", lambda m: str(rnd.randrange(10)), text[i:j]).join((text[:i], text[j:]))  # new digits
    if op == 5:
        return text[:i]                                              # truncated
    if op == 6:
        return text[:i] + "\n" + text[i:]                            # a line broken
    if op == 7:
        return text[:i] + text[i:j].replace("\n", " ") + text[j:]    # lines joined
    return text[:i] + text[i:j].upper() + text[j:]                   # case changed


@st.composite
def mutated_document(draw) -> SourceText:
    """A real document's text after 1-6 random edits, as a reader would hand it over."""
    sources = real_sources()
    base = draw(st.sampled_from(sources))
    donor = draw(st.sampled_from(sources)).text
    rnd = random.Random(draw(st.integers(0, 2**32 - 1)))
    text = base.text
    for _ in range(draw(st.integers(1, 6))):
        text = _mutate(text, rnd, donor)
    return draw(as_source(text, paged=base.format == "pdf" or draw(st.booleans())))


def as_source(raw: str, paged: bool = False):
    """A SourceText over ``raw`` normalized, with random cell blocks and page breaks on line boundaries."""
    @st.composite
    def build(draw) -> SourceText:
        src = source_from_text(raw)
        text = src.text
        starts = [0] + [m.end() for m in re.finditer("\n", text)]
        lines = [(s, s + len(ln)) for s, ln in zip(starts, text.split("\n"))]
        blocks = []
        for k, (s, e) in enumerate(lines):
            if e > s and draw(st.booleans()):
                blocks.append(Block("cell", s, e, table=0, row=k, col=0))
        pages = []
        if paged and text:
            cuts = sorted(set(draw(st.lists(st.sampled_from(starts), max_size=4))) | {0})
            for n, (a, b) in enumerate(zip(cuts, cuts[1:] + [len(text)]), 1):
                pages.append(PageInfo(n, a, b))
        return SourceText(text=text, blocks=src.blocks + blocks, format="pdf" if paged else "txt", pages=pages)
    return build()


# ---------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------

def collapse(s: str) -> str:
    return " ".join(s.split())


def component_spans(obj, path: str = "state"):
    """(path, object, (start, end)) for every offset pair in a component's results.

    Offset pairs are ``start``/``end`` int fields, ``*span`` tuples, and the
    ``(text, start, end)`` tuples of an assignment's ``tasks``.
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        names = [f.name for f in dataclasses.fields(obj)]
        s, e = getattr(obj, "start", None), getattr(obj, "end", None)
        if isinstance(s, int) and isinstance(e, int) and not isinstance(s, bool):
            yield path, obj, (s, e)
        for name in names:
            value = getattr(obj, name)
            if name.endswith("span") and isinstance(value, tuple) and len(value) == 2:
                yield f"{path}.{name}", obj, value
            elif name == "tasks" and isinstance(value, list):
                for i, t in enumerate(value):
                    yield f"{path}.tasks[{i}]", t, (t[1], t[2])
            elif name != "text":
                yield from component_spans(value, f"{path}.{name}")
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from component_spans(v, f"{path}[{k!r}]")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from component_spans(v, f"{path}[{i}]")


# the item's ``text`` is the source under its span (whitespace aside) for these classes
TEXT_IS_SPAN = {"DateHit", "Cite", "DeadlineItem"}


def check_component_state(state: dict, text: str) -> None:
    bad = []
    for path, obj, (s, e) in component_spans(state):
        if not (isinstance(s, int) and isinstance(e, int) and 0 <= s <= e <= len(text)):
            bad.append(f"{path}: span {(s, e)} outside a text of {len(text)}")
            continue
        cls = type(obj).__name__
        if cls == "Line" and obj.text != text[s:e].replace("\n", " "):
            bad.append(f"{path}: line text {obj.text!r} is not text[{s}:{e}]")
        elif cls == "DateHit" and obj.text != text[s:e]:
            bad.append(f"{path}: date text {obj.text!r} is not text[{s}:{e}] = {text[s:e]!r}")
        elif cls in TEXT_IS_SPAN and collapse(obj.text) not in collapse(text[s:e]):
            bad.append(f"{path}: {obj.text!r} not under its span {text[s:e]!r}")
    assert not bad, "\n".join(bad[:10])


def record_spans(record: PlanRecord):
    def items(obj, path):
        if isinstance(obj, Item):
            yield path, obj
        if isinstance(obj, PlanRecord) or isinstance(obj, Item):
            for name in type(obj).model_fields:
                yield from items(getattr(obj, name), f"{path}.{name}")
        elif isinstance(obj, list):
            for i, x in enumerate(obj):
                yield from items(x, f"{path}[{i}]")

    for path, item in items(record, "record"):
        yield path, item, item.span
    yield "record.issuer_span", None, record.issuer_span
    yield "record.title_span", None, record.title_span
    for i, a in enumerate(record.assignments):
        for j, sp in enumerate(a.task_spans):
            yield f"record.assignments[{i}].task_spans[{j}]", None, sp


def check_record(record: PlanRecord, source: SourceText) -> None:
    text = source.text
    bad = []
    for path, item, span in record_spans(record):
        if span is None:
            continue
        s, e = span
        if not 0 <= s < e <= len(text):
            bad.append(f"{path}: span {span} outside a text of {len(text)} (or empty)")
            continue
        if item is not None and item.page is not None and item.page != source.page_at(s):
            bad.append(f"{path}: page {item.page}, but its span starts on page {source.page_at(s)}")
    for field in ("dates", "deadlines", "legal_bases", "references"):
        for i, item in enumerate(getattr(record, field)):
            if item.span and 0 <= item.span[0] < item.span[1] <= len(text):
                covered = collapse(text[item.span[0]:item.span[1]])
                if collapse(item.text or "") not in covered:
                    bad.append(f"record.{field}[{i}]: {item.text!r} not under its span {covered[:100]!r}")
    assert not bad, "\n".join(bad[:10])
    record.to_json_dict()  # and it serializes


def run_components(source: SourceText) -> None:
    """The extractor's spaCy pipeline one component at a time, checking each one's results."""
    from kehoach.extract.pipeline import COMPONENTS, EXT, get_nlp

    nlp = get_nlp()
    doc = nlp.make_doc(source.text)
    doc._.set(EXT, {"cells": [(b.start, b.end) for b in source.blocks if b.kind == "cell"],
                     "reflow": source.format == "pdf" or bool(source.pages)})
    for name in COMPONENTS:
        doc = nlp.get_pipe(name)(doc)
        note(f"after {name}")
        check_component_state({k: v for k, v in doc._.get(EXT).items() if k not in ("cells",)}, source.text)


def test_the_checks_see_every_component_result():
    """Not a property: on a real plan the walkers find every kind of result, so the properties below check them."""
    from kehoach.extract.pipeline import COMPONENTS, EXT, get_nlp

    source = read_document(B.seed("001"))
    nlp = get_nlp()
    doc = nlp.make_doc(source.text)
    doc._.set(EXT, {"cells": [], "reflow": False})
    for name in COMPONENTS:
        doc = nlp.get_pipe(name)(doc)
    kinds = {type(obj).__name__ for _, obj, _ in component_spans(doc._.get(EXT))}
    assert kinds >= {"Line", "DateHit", "Cite", "DeadlineItem", "AssignmentItem", "RecipientItem", "SignerInfo",
                     "Header", "tuple"}, kinds
    record = extract_record(source)
    paths = {re.sub(r"\[\d+\]", "", path) for path, _, span in record_spans(record) if span}
    assert paths >= {"record.legal_bases", "record.assignments", "record.deadlines", "record.dates",
                     "record.recipients", "record.signer", "record.title_span",
                     "record.assignments.task_spans"}, paths
    check_component_state(doc._.get(EXT), source.text)
    check_record(record, source)


# ---------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------

@given(text=st.one_of(any_text, word_soup()), year=st.one_of(st.none(), st.integers(1, 9999)))
def test_find_dates_any_text(text, year):
    """Dates: any text, any default year; each hit's text is exactly its span."""
    check_component_state({"dates": find_dates(text, year)}, text)


def _dates_full_scan(text, year):
    return [(h.start, h.end, h.value, h.inferred) for h in dates._find(text, year, [(0, len(text))], gated=False)]


def _dates(text, year):
    return [(h.start, h.end, h.value, h.inferred) for h in find_dates(text, year)]


@pytest.mark.parametrize("year", [None, 2024])
def test_find_dates_near_digits_equals_full_scan_on_real_documents(year):
    """find_dates runs its patterns only near digits, and each only where its key words are (speed); on
    every real document that finds what a scan of the whole text with every pattern finds."""
    sources = real_sources()
    assert sum(len(_dates(s.text, year)) for s in sources) > 100
    for s in sources:
        assert _dates(s.text, year) == _dates_full_scan(s.text, year), s.path


@given(text=word_soup(), year=st.one_of(st.none(), st.integers(1900, 2100)))
def test_find_dates_near_digits_equals_full_scan(text, year):
    """Dates: running the patterns only near digits and their key words finds what a scan of the whole
    text with every pattern finds."""
    assert _dates(text, year) == _dates_full_scan(text, year)


@given(source=st.one_of(any_text, word_soup()).flatmap(lambda t: as_source(t, paged=False)))
def test_components_any_text(source):
    """Every component on arbitrary Unicode and on shuffled real words and lines."""
    run_components(source)


@given(source=mutated_document())
def test_components_mutated_documents(source):
    """Every component on real documents after random edits (cut, duplicated, grafted, re-cased)."""
    run_components(source)


@given(source=st.one_of(any_text, word_soup()).flatmap(lambda t: as_source(t, paged=True)))
def test_extract_record_any_text(source):
    """The whole extractor on arbitrary text: a record whose every span lies inside the text."""
    check_record(extract_record(source), source)


@given(source=mutated_document())
def test_extract_record_mutated_documents(source):
    """The whole extractor on mutated real documents."""
    check_record(extract_record(source), source)


@given(raw=any_text)
def test_extract_record_unnormalized_text(raw):
    """A SourceText that skipped normalization (a reader's bug) still gives in-range spans."""
    source = SourceText(text=raw, format="txt")
    check_record(extract_record(source), source)


@given(data=st.one_of(st.binary(max_size=3000), any_text.map(lambda s: s.encode("utf-8")),
                      word_soup().map(lambda s: s.encode(random.Random(len(s)).choice(
                          ["utf-8", "utf-16", "utf-16-le", "utf-8-sig", "cp1258"]), errors="replace"))))
def test_decode_bytes_any_bytes(data):
    """Text decoding: any bytes give a string or a DocumentLoadError, nothing else."""
    try:
        text, encoding = decode_bytes(data)
    except DocumentLoadError as e:
        assert e.stage == "decode" and e.reason
        return
    assert isinstance(text, str) and encoding


@given(raw=st.one_of(any_text, word_soup()))
def test_normalized_text_is_well_formed(raw):
    """What the readers build: NFC text, blocks inside it, no blank or untrimmed line."""
    src = source_from_text(raw)
    text = src.text
    assert unicodedata.is_normalized("NFC", text)
    assert "\r" not in text and "\n\n\n" not in text and text == text.strip("\n")
    for b in src.blocks:
        assert 0 <= b.start < b.end <= len(text)
        assert text[b.start:b.end] == text[b.start:b.end].strip()
    for line in text.split("\n"):
        assert line == normalize_line(line) or not line


@given(raw=st.one_of(any_text, word_soup(), st.sampled_from(real_lines()).map(lambda s: s.replace(" ", "  ", 1)),
                    st.text(alphabet=" \t\u00a0\u200b\u3000\r*_[ab\u1ea1\n", max_size=12)))
def test_normalize_line_shortcut_gives_what_the_steps_give(raw):
    """``normalize_line`` skips the steps for a line that none of them would change but NFC; on any
    line it gives what running every line step gives."""
    assert normalize_line(raw) == normalize_text(raw, LINE_STEPS).strip()


@given(raw=st.one_of(any_text, st.text(alphabet=" \t\u00a0\u2003\u200b\u202f\u3000\n*_ab\u1ea1", max_size=30)))
def test_space_and_markdown_steps_give_their_one_regex_meaning(raw):
    """collapse_spaces and strip_markdown are written for speed (two passes; branches that start with a
    literal); they give what the plain one-regex forms give: every run of space characters is one " ",
    each line stripped; "*"/"**"/"***" and "__" emphasis markers dropped."""
    space = "[ \t\u00a0\u2000-\u200b\u202f\u3000]"
    runs = re.sub(space + "+", " ", raw)
    assert normalize.collapse_spaces(raw) == "\n".join(ln.strip() for ln in runs.split("\n"))
    assert normalize.strip_markdown(raw) == re.sub(r"\*{1,3}|_(?<!\w_)_|__(?!\w)", "", raw)


def _flip(data: bytes, rnd: random.Random, n: int) -> bytes:
    out = bytearray(data)
    for _ in range(n):
        k = rnd.randrange(len(out))
        out[k] = rnd.randrange(256)
    return bytes(out)


@pytest.mark.parametrize("fixture", ["035", "010", "016"])
@given(seed=st.integers(0, 2**32 - 1), flips=st.integers(1, 64))
def test_readers_on_corrupted_files(tmp_path_factory, fixture, seed, flips):
    """Real .docx and PDF files with random bytes overwritten: a document or a DocumentLoadError."""
    src = B.real(fixture)
    path = tmp_path_factory.mktemp("flip") / src.name
    path.write_bytes(_flip(src.read_bytes(), random.Random(seed), flips))
    try:
        st_ = read_document(path)
    except DocumentLoadError as e:
        assert e.reason and e.stage
        return
    assert unicodedata.is_normalized("NFC", st_.text)
    for b in st_.blocks:
        assert 0 <= b.start <= b.end <= len(st_.text)
