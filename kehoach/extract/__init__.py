"""Extraction: normalized SourceText -> PlanRecord with spans."""

from __future__ import annotations

from kehoach.ingest.base import SourceText
from kehoach.schema import PlanRecord


def extract_record(source: SourceText) -> PlanRecord:
    """Extract every field of the spec from ``source`` (placeholder until the pipeline lands)."""
    rec = PlanRecord()
    rec.source.format = source.format
    rec.source.chars = len(source.text)
    rec.source.pages = len(source.pages) or None
    return rec
