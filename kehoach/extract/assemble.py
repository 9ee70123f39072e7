"""Build the PlanRecord (spec shape) from the pipeline components' results."""

from __future__ import annotations

from bisect import bisect_right
from typing import Optional

from kehoach.extract.citations import Cite
from kehoach.extract.names import clean, normalized
from kehoach.ingest.base import SourceText
from kehoach.schema import PlanRecord


def _within(span: tuple[int, int], outer: tuple[int, int]) -> bool:
    return outer[0] <= span[0] < outer[1]


def _citation(c: Cite, source: SourceText, relation: Optional[str]) -> dict:
    return dict(relation=relation, doc_type=c.doc_type, number=c.number, date=c.date, issuer=c.issuer,
                issuer_normalized=normalized(c.issuer), subject=c.subject, name=c.name, text=c.text, key=c.key,
                span=(c.start, c.end), page=source.page_at(c.start))


def assemble(st: dict, source: SourceText) -> PlanRecord:
    """The record, validated by pydantic in one call: its items go in as dicts (a model built on its own
    costs ~5,000 instructions more than the same item validated inside the record, ~70 items a plan)."""
    h = st["header"]
    page = source.page_at
    s = st.get("signer")
    signer = None
    if s is not None:
        signer = dict(name=s.name, position=s.position, authority=s.authority, on_behalf_of=s.on_behalf_of,
                      span=(s.start, s.end), page=page(s.start))

    deadlines = st["deadlines"]
    assignments = st["assignments"]
    assignment_items = []
    for a in assignments:
        a0, a1 = a.span
        dl = next((d for d in deadlines if a0 <= d.start < a1 and d.date), None)
        assignment_items.append(dict(
            assignee=a.assignee, assignee_normalized=normalized(a.assignee), role=a.role, request=a.request,
            coordinators=a.coordinators, coordinators_normalized=[normalized(c) or c for c in a.coordinators],
            tasks=[t[0] for t in a.tasks], task_spans=[(t[1], t[2]) for t in a.tasks],
            deadline=a.deadline or (dl.date if dl else None), span=a.assignee_span, page=page(a.assignee_span[0])))
    deadline_items = []
    for d in deadlines:
        owner = next((a for a in assignments if a.span[0] <= d.start < a.span[1]), None)
        task = None
        if owner is not None:
            task = next((t[0] for t in owner.tasks if t[1] <= d.start < t[2] + 1), None)
        who = d.assignees or ([owner.assignee] if owner else [])
        deadline_items.append(dict(date=d.date, text=d.text, assignees=who,
                                   task=task, inferred=d.inferred, recurrence=d.recurrence,
                                   span=(d.start, d.end), page=page(d.start)))
    # issuer: the full name (spec); abbreviations in a body-derived name are written out
    return PlanRecord(
        doc_type=h.doc_type, number=h.number, issuer=normalized(h.issuer), issuer_normalized=normalized(h.issuer),
        issuer_span=h.issuer_span, place=h.place, issued_date=h.signed_date or h.issued_date, title=h.title,
        title_span=h.title_span, signer=signer,
        legal_bases=[_citation(c, source, c.relation) for c in st["legal_bases"]],
        references=[_citation(c, source, None) for c in st["references"]],
        events=[dict(name=e.name, start=e.start, end=e.end, location=e.location,
                     expected_attendees=e.expected_attendees, recurrence=e.recurrence,
                     span=e.span, page=page(e.span[0])) for e in st["events"]],
        participants=[dict(name=p.name, name_normalized=normalized(p.name), count=p.count,
                           role=p.role, span=p.span, page=page(p.span[0])) for p in st["participants"]],
        assignments=assignment_items,
        deadlines=deadline_items,
        recipients=[dict(name=r.name, name_normalized=normalized(r.name), span=(r.start, r.end), page=page(r.start))
                    for r in st["recipients"]],
        dates=_dates(st, source))


def _dates(st: dict, source: SourceText) -> list[dict]:
    a = st["anatomy"]
    h = st["header"]
    # preamble lines are in order and apart: a date lies in one if it starts before the end of the last
    # one starting at or before it
    pre_starts = [ln.start for ln in a.preamble]
    pre_ends = [ln.end for ln in a.preamble]
    dls = [(d.start, d.end) for d in st["deadlines"]]
    evs = [e.span for e in st["events"]]
    out = []
    blank_day = h.issued_date is not None and len(h.issued_date) < 10
    for d in st["dates"]:
        sp = (d.start, d.end)
        if blank_day and h.date_span and _within(sp, h.date_span):
            continue  # "ngày   tháng 7 năm 2026": a date left blank for signing is no date mention
        if h.date_span and _within(sp, h.date_span) and not out:
            role = "issued"
        elif (k := bisect_right(pre_starts, d.start)) and d.start < pre_ends[k - 1]:
            role = "basis"
        elif any(s <= d.end and d.start <= e for s, e in dls):
            role = "deadline"
        elif any(s <= d.end and d.start <= e for s, e in evs):
            role = "event"
        elif d.precision == "half":
            role = "period"
        else:
            role = "other"
        out.append(dict(text=clean(d.text) or d.text, value=d.value, role=role, inferred=d.inferred,
                        span=sp, page=source.page_at(d.start)))
    return out
