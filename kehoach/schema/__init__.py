"""Pydantic models of the plan record (../shared/spec/EXTRACTION.md)."""

from kehoach.schema.record import (
    Assignment,
    Citation,
    DateMention,
    Deadline,
    Event,
    Participant,
    PlanRecord,
    Recipient,
    Signer,
    SourceInfo,
    Span,
)

__all__ = [
    "Assignment", "Citation", "DateMention", "Deadline", "Event", "Participant",
    "PlanRecord", "Recipient", "Signer", "SourceInfo", "Span",
]
