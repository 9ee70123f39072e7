"""Extraction: normalized SourceText -> PlanRecord with spans and pages.

``extract_record`` runs the spaCy pipeline of rule components
(``kehoach.extract.pipeline``) and assembles the record from their results.
"""

from __future__ import annotations

from kehoach.ingest.base import SourceText
from kehoach.schema import PlanRecord
from kehoach.schema.record import PageSource


def extract_record(source: SourceText) -> PlanRecord:
    """Extract every field of the spec from ``source``."""
    from kehoach.extract.assemble import assemble
    from kehoach.extract.pipeline import COMPONENTS, EXT, nlp_for_next_doc
    from kehoach.extract.structure import looks_hard_wrapped

    nlp = nlp_for_next_doc()
    doc = nlp.make_doc(source.text)
    # spaCy keeps the text exactly (doc.text == source.text); components read it from here
    doc._.set(EXT, {"text": source.text,
                     "cells": [(b.start, b.end) for b in source.blocks if b.kind == "cell"],
                     "table_cells": [(b.table, b.row, b.col, b.start, b.end) for b in source.blocks
                                     if b.kind == "cell" and b.table is not None and b.row is not None
                                     and b.col is not None],
                     "signed": list(source.signed),
                     # page layouts wrap paragraphs into visual lines
                     "reflow": source.format == "pdf" or bool(source.pages) or looks_hard_wrapped(source.text)})
    for name in COMPONENTS:
        doc = nlp.get_pipe(name)(doc)
    rec = assemble(doc._.get(EXT), source)
    rec.source.format = source.format
    rec.source.chars = len(source.text)
    rec.source.pages = len(source.pages) or None
    rec.source.warnings = list(source.warnings)
    rec.source.route = None if source.route in (None, "txt", "docx", "pdf-text") else source.route
    rec.source.encodings = list(source.encodings)
    # only where it says something: a page not read from a plain text layer
    if any(p.method != "text" for p in source.pages):
        rec.source.page_sources = [PageSource(page=p.number, method=p.method,
                                              confidence=None if p.confidence is None else round(p.confidence, 1))
                                   for p in source.pages]
    return rec
