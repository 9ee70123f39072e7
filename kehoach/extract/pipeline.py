"""The spaCy pipeline: a blank Vietnamese model with rule components.

spaCy stays at the edge (spacy-layout's habit): components read the Doc's text
and write plain results into one Doc extension, ``doc._.kehoach``; the record is
assembled from those results in ``kehoach.extract.assemble``.
"""

from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from kehoach.extract import body, citations, closing, header, structure, worklist
from kehoach.extract.dates import find_dates, year_of

EXT = "kehoach"  # the one Doc extension, registered once here


def _ensure_extension() -> None:
    if not Doc.has_extension(EXT):
        Doc.set_extension(EXT, default=None)


def _state(doc: Doc) -> dict:
    st = doc._.get(EXT)  # each ``doc._`` builds an accessor object: read it once
    if st is None:
        st = {}
        doc._.set(EXT, st)
    return st


def _text(doc: Doc) -> str:
    """The document's text, rebuilt from the tokens once (``Doc.text`` builds a Token per token each call)."""
    st = _state(doc)
    if "text" not in st:
        st["text"] = doc.text
    return st["text"]


@Language.component("kehoach_anatomy")
def anatomy_component(doc: Doc) -> Doc:
    st = _state(doc)
    st["anatomy"] = structure.analyse(_text(doc), st.get("cells"), st.get("reflow", False))
    return doc


@Language.component("kehoach_header")
def header_component(doc: Doc) -> Doc:
    st = _state(doc)
    a = st["anatomy"]
    st["header"] = h = header.extract_header(a, a.heading_code)
    h.signed_date = header.date_from_signatures(h.issued_date, st.get("signed") or [])
    # a date without a year takes the year of the document's date (spec "Values")
    st["year"] = year_of(h.issued_date) or _plan_year(a, h)
    return doc


def _plan_year(a: structure.Anatomy, h: header.Header):
    """No document date: the year of the plan's period, from the title, else the latest full date before the body."""
    from kehoach.extract.dates import iter_years

    years = list(iter_years(h.title or ""))
    if years:
        return max(years)
    full = [year_of(x.value) for x in find_dates(" ".join(ln.text for ln in a.preamble)) if x.precision == "day"]
    return max(full) if full else None


@Language.component("kehoach_citations")
def citations_component(doc: Doc) -> Doc:
    st = _state(doc)
    a = st["anatomy"]
    bases = citations.legal_bases(a.preamble)
    # "Xét đề nghị …" paragraphs cite proposals: references, not legal bases (spec, issue 3)
    st["legal_bases"] = [c for c in bases if c.relation != "xet"]
    pre = {ln.idx for ln in a.preamble}
    outside = a.title_lines + [ln for ln in a.body if ln.idx not in pre]
    refs = citations.references(outside, st["header"].number)
    seen = {c.key for c in refs}
    st["references"] = [c for c in bases if c.relation == "xet" and c.key not in seen] + refs
    return doc


@Language.component("kehoach_body")
def body_component(doc: Doc) -> Doc:
    st = _state(doc)
    a = st["anatomy"]
    year = st.get("year")
    pre = {ln.idx for ln in a.preamble}
    lines = [ln for ln in a.body if ln.idx not in pre]
    items = worklist.labelled_items(lines, year) + worklist.table_items(_text(doc), st.get("table_cells") or [], year)
    own = body.assignments(a, skip=[it.region for it in items])
    st["assignments"] = body.merge_work_items(own, items)
    # events and participants may be written anywhere in the body, implementation sections included
    # ("- Thời gian: Dự kiến ngày 05/12/2025", "- Thành phần: …" under a work item)
    st["events"] = body.events(a, lines, st["header"].title, year)
    st["participants"] = body.participants(lines)
    st["deadlines"] = body.attribute_deadlines(body.deadlines(lines, year), items, st["assignments"], _text(doc))
    return doc


@Language.component("kehoach_closing")
def closing_component(doc: Doc) -> Doc:
    st = _state(doc)
    a = st["anatomy"]
    rows = closing.closing_rows(a)
    st["recipients"] = closing.recipients(a, rows)
    st["signer"] = closing.signer(a, st["recipients"], rows)
    return doc


@Language.component("kehoach_dates")
def dates_component(doc: Doc) -> Doc:
    st = _state(doc)
    st["dates"] = find_dates(_text(doc), st.get("year"))
    return doc


# The tokenizer keeps every word form it meets in the vocabulary (~620 bytes each, measured) and
# spaCy never drops one. Numbers, dates and forms with punctuation attached ("2026;", "12/KH-UBND")
# make ~3 % of a plan's tokens new even after thousands of plans, so a worker that extracts an
# archive of 100,000 plans would grow by GBs. Past this many entries the pipeline is built anew
# (0.1-0.4 s), which frees the old vocabulary: ~125 MB at most per process.
MAX_VOCAB = 200_000

COMPONENTS = ("kehoach_anatomy", "kehoach_header", "kehoach_citations", "kehoach_body", "kehoach_closing",
              "kehoach_dates")


def nlp_for_next_doc() -> Language:
    """The pipeline, built anew when its vocabulary has grown past ``MAX_VOCAB`` entries."""
    nlp = get_nlp()
    if len(nlp.vocab) > MAX_VOCAB:
        get_nlp.cache_clear()
        nlp = get_nlp()
    return nlp


@lru_cache(maxsize=1)
def get_nlp() -> Language:
    """spacy.blank("vi") with spaCy's rule-based tokenizer (pyvi is 20x slower and splits numbers).

    The tokenizer keeps no affix rules: it splits on whitespace only. No component reads tokens (they
    read the text and keep character spans), and the affix rules cost more than every component
    together (measured on 100 synthetic plans of 10.5 k chars: 10.3 ms/doc with the default
    Vietnamese rules, 1.2 ms/doc whitespace-only; the whole extraction is ~30 ms/doc).

    For the same reason the vocabulary computes no lexical attributes (lower, norm, shape, prefix,
    suffix, like_num, ...: 23 Python calls for each word form it meets for the first time): they
    cost ~3.8 M of ~57 M instructions per plan (bench/instructions.py) and nothing reads them. A
    component that needs them must set ``nlp.vocab.lex_attr_getters`` back (``spacy.lang.vi``).
    """
    from spacy.tokenizer import Tokenizer

    _ensure_extension()
    nlp = spacy.blank("vi", config={"nlp": {"tokenizer": {"@tokenizers": "spacy.Tokenizer.v1"}}})
    nlp.vocab.lex_attr_getters = {}
    nlp.tokenizer = Tokenizer(nlp.vocab)
    for name in COMPONENTS:
        nlp.add_pipe(name)
    return nlp
