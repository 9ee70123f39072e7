"""The plan record: field names exactly as in spec/EXTRACTION.md.

Every extracted item carries ``span`` ([start, end) character offsets into the
document's normalized text) and ``page`` (1-based) where the source has pages.
``*_normalized`` fields hold the name with abbreviations written out
(UBND -> Ủy ban nhân dân) beside the as-written form.
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

Span = tuple[int, int]

SCHEMA_VERSION = 1


class Item(BaseModel):
    """Base of every extracted item: provenance into the normalized text."""

    model_config = ConfigDict(extra="forbid")

    span: Optional[Span] = None
    page: Optional[int] = None


class Signer(Item):
    name: Optional[str] = None
    position: Optional[str] = None
    authority: Optional[Literal["KT", "TM", "TL", "TUQ"]] = None
    on_behalf_of: Optional[str] = None


class Citation(Item):
    """A legal basis (preamble) or a reference (elsewhere)."""

    relation: Optional[Literal["can_cu", "thuc_hien", "xet"]] = None
    doc_type: Optional[str] = None
    number: Optional[str] = None
    date: Optional[str] = None
    issuer: Optional[str] = None
    issuer_normalized: Optional[str] = None
    subject: Optional[str] = None
    name: Optional[str] = None
    text: Optional[str] = None
    key: Optional[str] = None  # canonical key: number case/space-insensitive, else doc_type+date


class Event(Item):
    name: Optional[str] = None
    start: Optional[str] = None
    end: Optional[str] = None
    location: Optional[str] = None
    expected_attendees: Optional[int] = None
    recurrence: Optional[str] = None


class Participant(Item):
    name: str
    name_normalized: Optional[str] = None
    count: Optional[int] = None
    role: Optional[Literal["chair"]] = None


class Task(Item):
    text: str


class Assignment(Item):
    assignee: str
    assignee_normalized: Optional[str] = None
    role: Literal["lead", "responsible", "coordinate"] = "responsible"
    request: bool = False
    coordinators: list[str] = Field(default_factory=list)
    coordinators_normalized: list[str] = Field(default_factory=list)
    tasks: list[str] = Field(default_factory=list)
    task_spans: list[Optional[Span]] = Field(default_factory=list)
    deadline: Optional[str] = None


class Deadline(Item):
    date: Optional[str] = None
    text: str
    assignees: list[str] = Field(default_factory=list)
    task: Optional[str] = None
    inferred: bool = False
    recurrence: Optional[str] = None


class DateMention(Item):
    text: str
    value: str
    role: Optional[str] = None
    inferred: bool = False


class Recipient(Item):
    name: str
    name_normalized: Optional[str] = None


class PageSource(BaseModel):
    """How one page's text was obtained: text layer, decoded legacy encoding, or OCR (with confidence)."""

    model_config = ConfigDict(extra="forbid")

    page: int
    method: Literal["text", "legacy", "ocr"] = "text"
    confidence: Optional[float] = None   # OCR: Tesseract's mean word confidence, 0-100


class SourceInfo(BaseModel):
    """Where the record came from and how its text was obtained."""

    model_config = ConfigDict(extra="forbid")

    path: Optional[str] = None
    sha256: Optional[str] = None
    format: Optional[str] = None
    pages: Optional[int] = None
    chars: int = 0
    status: Literal["success", "partial", "failure"] = "success"
    warnings: list[str] = Field(default_factory=list)
    # how the text was obtained when not read directly: "libreoffice+docx", "antiword",
    # "pdf-legacy", "pdf-text+ocr", "ocr", "html"; None for .txt/.docx/text-layer PDF
    route: Optional[str] = None
    encodings: list[str] = Field(default_factory=list)   # legacy decodings applied: tcvn3, vni
    page_sources: list[PageSource] = Field(default_factory=list)


class PlanRecord(BaseModel):
    """One document's record; ``model_dump(mode="json")`` is the spec's JSON."""

    model_config = ConfigDict(extra="forbid")

    doc_type: Optional[str] = None
    number: Optional[str] = None
    issuer: Optional[str] = None
    issuer_normalized: Optional[str] = None
    issuer_span: Optional[Span] = None
    place: Optional[str] = None
    issued_date: Optional[str] = None
    title: Optional[str] = None
    title_span: Optional[Span] = None
    signer: Optional[Signer] = None
    legal_bases: list[Citation] = Field(default_factory=list)
    references: list[Citation] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    participants: list[Participant] = Field(default_factory=list)
    assignments: list[Assignment] = Field(default_factory=list)
    deadlines: list[Deadline] = Field(default_factory=list)
    recipients: list[Recipient] = Field(default_factory=list)
    dates: list[DateMention] = Field(default_factory=list)
    source: SourceInfo = Field(default_factory=SourceInfo)
    schema_version: int = SCHEMA_VERSION

    def to_json_dict(self) -> dict:
        """The record as the spec's JSON object (recipients as plain strings too)."""
        data = self.model_dump(mode="json")
        # how the text was obtained is only written where it was not read directly
        # (conversion, legacy decoding, OCR); direct reads keep the record as it was
        src = data.get("source") or {}
        for key in _QUIET_SOURCE_KEYS:
            if key in src and not src[key]:
                del src[key]
        return data

    def to_json(self) -> str:
        """``to_json_dict`` as compact JSON text, written by pydantic (what the store keeps; ~4x faster
        than ``json.dumps`` of the dict)."""
        empty = {k for k in _QUIET_SOURCE_KEYS if not getattr(self.source, k)}
        return self.model_dump_json(exclude={"source": empty} if empty else None)


# SourceInfo keys written only where they say something
_QUIET_SOURCE_KEYS = ("route", "encodings", "page_sources")
