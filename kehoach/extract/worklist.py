"""Work items written as fields: labelled blocks and assignment tables.

Plans often state who does what not as "1. Sở Nội vụ: …" items but as fields
attached to each task:

    2.1. Chuẩn bị các văn bản về nhân sự …
    - Thời gian hoàn thành: Quý IV/2025 và Quý I/2026;
    - Đơn vị chủ trì: Đồng chí Phó chủ tịch Thường trực …
    - Đơn vị phối hợp: Các đ/c Phó chủ tịch, Trưởng đoàn thể xã …

or as a table with the columns Nội dung | Chủ trì | Phối hợp | Thời gian. Both
give the same thing: a task, the units in charge of it, the units that help and
when it is due. The label and column words are data (``genre.json``:
``lead_field_labels``, ``coordinate_field_labels``, ``deadline_field_labels``,
``task_field_labels``, ``table_col_*``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from kehoach.extract.dates import find_dates
from kehoach.extract.names import clean
from kehoach.extract.structure import Line, rank
from kehoach.extract.vocabulary import CAPITALS, phrase_full, phrase_regex

_LABEL_COLON = re.compile(r"^(?P<label>[^:]{1,60}?)\s*:\s*(?P<rest>.*)$", re.S)
_MAX_LABEL_WORDS = 6


def _label_colon(text: str) -> Optional[re.Match]:
    """``_LABEL_COLON.match``; most lines have no colon, and the pattern tries 60 label lengths to find that."""
    return _LABEL_COLON.match(text) if ":" in text else None


@dataclass
class WorkItem:
    """One task (or several sharing their fields) with the units in charge and its due date."""

    tasks: list[tuple[str, int, int]]
    leads: list[tuple[str, int, int]]
    role: str  # "lead" when the label/column says chủ trì, else "responsible"
    coordinators: list[str] = field(default_factory=list)
    due: Optional[tuple[str, str, int, int]] = None  # (value, text, start, end) from a time field
    region: tuple[int, int] = (0, 0)  # where the item is written: deadlines inside it are its own
    time_spans: list[tuple[int, int]] = field(default_factory=list)  # time fields (their dates are the due)


def is_work_field(ln: Line) -> bool:
    """Whether ``ln`` is a lead, coordinators or time field of a work item ("- Đơn vị chủ trì: …",
    "- Thời gian thực hiện: …", 031)."""
    f = _field(ln)
    return f is not None and f[0] != "other"


def _field(ln: Line) -> Optional[tuple[str, str, int]]:
    """(kind, value, value offset) of a 'LABEL: value' line; kind lead/coord/time/other."""
    if ln.kind in ("roman", "num", "letter"):
        return None
    m = _label_colon(ln.body)
    if not m:
        return None
    label = clean(m.group("label"))
    if not label or len(label.split()) > _MAX_LABEL_WORDS:
        return None
    off = ln.body_start + m.start("rest")
    for kind, group in (("lead", "lead_field_labels"), ("coord", "coordinate_field_labels"),
                        ("time", "deadline_field_labels")):
        if phrase_full(group).match(label):
            return kind, m.group("rest"), off
    # other fields of a work item ("Kết quả:", "Thời gian:", "Thành phần:") start lower-case words rarely
    return "other", m.group("rest"), off


def split_units(value: str) -> list[str]:
    """Units in a lead field or cell: one per line or per ';' (commas stay: 'UBND các xã, phường')."""
    return [u for u in (clean(p) for p in re.split(r"[;\n]", value)) if u]


def split_coordinators(value: str, plural_groups: bool = True) -> list[str]:
    """Units in a coordinators list. A ';', a line break, "và" before the name of a unit (genre.json
    ``agency_heads``: "Sở Tài chính và Sở Xây dựng", not "Sở Nông nghiệp và Môi trường") or a comma before
    a capital separates them; with ``plural_groups`` (a field or column that holds only the list) so does a comma
    before "các"/"những", which opens a new plural group. Other commas stay inside one ("Các Sở, ban, ngành")."""
    plural = r"|(?:các|những)\s" if plural_groups else ""
    out = []
    head = phrase_regex("agency_heads", anchored=True)
    for part in re.split(r";|\n|,\s*(?=[" + CAPITALS + "]" + plural + r")|(\s+và\s+)(?=[" + CAPITALS + "])", value):
        if part is None:
            continue
        if not part.strip() or part.strip() == "và":
            if part.strip() == "và" and out:
                out[-1] += part  # kept until the next part shows whether it names a unit
            continue
        p = clean(part)
        if out and out[-1].endswith(" và ") and not head.match(p):
            out[-1] += p  # "Sở Nông nghiệp và Môi trường": the field of one unit's name, not a second unit
        elif p:
            if out and out[-1].endswith(" và "):
                out[-1] = clean(out[-1][:-4])
            out.append(p)
    if out and out[-1].endswith(" và "):
        out[-1] = clean(out[-1][:-4])
    return [p for p in out if p]


def _task_of(ln: Line) -> tuple[str, int]:
    body = ln.body
    m = _label_colon(body)
    if m and phrase_full("task_field_labels").match(clean(m.group("label"))) and clean(m.group("rest")):
        return clean(m.group("rest")), ln.body_start + m.start("rest")
    return clean(body), ln.body_start


def _due(value: str, off: int, year: Optional[int]) -> Optional[tuple[str, str, int, int]]:
    hits = find_dates(value, year)
    if not hits:
        # "Trong năm 2026": a year is a deadline of year precision (dates leave bare years out)
        m = re.search(r"(?i)\bnăm\s+((?:19|20)\d\d)\b(?!\s*[-–]\s*(?:19|20)\d\d)", value)
        if m:
            return m.group(1), clean(value[m.start():m.end()]), off + m.start(), off + m.end()
        return None
    last = hits[-1]
    v = last.value.split("/")[-1] if "/" in last.value else last.value
    v = v.split("T")[0]
    start = off + hits[0].start
    return v, clean(value[hits[0].start:last.end]), start, off + last.end


def labelled_items(lines: list[Line], year: Optional[int]) -> list[WorkItem]:
    """Work items whose unit in charge is given by a lead field ('- Đơn vị chủ trì: …')."""
    fields = [_field(ln) for ln in lines]
    out: list[WorkItem] = []
    prev_end = -1  # index of the last line of the previous run of fields
    i = 0
    while i < len(lines):
        f = fields[i]
        if not f or f[0] != "lead":
            i += 1
            continue
        r0 = i
        while r0 - 1 > prev_end and fields[r0 - 1]:
            r0 -= 1
        r1 = i
        while r1 + 1 < len(lines) and fields[r1 + 1]:
            r1 += 1
        # the task heads: the last numbered line before the fields and its earlier siblings
        heads: list[int] = []
        j = r0 - 1
        while j > prev_end:
            ln = lines[j]
            if ln.kind == "roman":
                break
            if ln.kind in ("num", "letter"):
                if not heads:
                    heads.append(j)
                elif rank(ln) == rank(lines[heads[-1]]):
                    heads.append(j)
                elif rank(ln) < rank(lines[heads[-1]]):
                    break
            j -= 1
        heads.reverse()
        seg_start = heads[0] if heads else max(prev_end + 1, r0 - 1)
        tasks: list[tuple[str, int, int]] = []
        for n, h in enumerate(heads):
            ln = lines[h]
            stop = heads[n + 1] if n + 1 < len(heads) else r0
            text, start = _task_of(ln)
            kids = [lines[x] for x in range(h + 1, stop) if lines[x].kind == "bullet" and not fields[x]]
            if ln.body.rstrip().endswith(":"):  # "6.1. Tham gia thực hiện các nhiệm vụ:" heads its bullets
                text = ""
            if not text and kids:
                tasks.extend((clean(k.body), k.body_start, k.end) for k in kids if clean(k.body))
            elif text:
                tasks.append((text, start, ln.end))
        if not heads and r0 - 1 > prev_end and not fields[r0 - 1]:
            ln = lines[r0 - 1]
            text, start = _task_of(ln)
            if text:
                tasks.append((text, start, ln.end))
        leads: list[tuple[str, int, int]] = []
        coords: list[str] = []
        due = None
        role = "responsible"
        time_spans = []
        for k in range(r0, r1 + 1):
            kind, value, off = fields[k]  # type: ignore[misc]
            if kind == "lead":
                label = lines[k].body[: off - lines[k].body_start]
                if phrase_regex("lead_field_roles").search(label):
                    role = "lead"
                for u in split_units(value):
                    p = value.find(u)
                    leads.append((u, off + max(p, 0), off + max(p, 0) + len(u)))
            elif kind == "coord":
                for c in split_coordinators(value):
                    if c not in coords:
                        coords.append(c)
            elif kind == "time" and due is None:
                due = _due(value, off, year)
                time_spans.append((lines[k].start, lines[k].end))
        if leads:
            # the item goes on after its fields over later lines of the same or deeper rank
            # ("1.2. Báo cáo kết quả …" after the fields of 1.1) up to a shallower heading
            head_rank = rank(lines[heads[0]]) if heads else 99
            end = r1
            while end + 1 < len(lines) and not (lines[end + 1].kind in ("roman", "num", "letter")
                                                 and rank(lines[end + 1]) < head_rank):
                end += 1
            region = (lines[seg_start].start, lines[end].end)
            out.append(WorkItem(tasks, leads, role, coords, due, region, time_spans))
        prev_end = r1
        i = r1 + 1
    return out


# --- tables ---------------------------------------------------------------------------------------

_COLUMN_GROUPS = (("time", "table_col_time"), ("coord", "table_col_coordinate"), ("lead", "table_col_lead"),
                  ("task", "table_col_task"), ("lead", "table_col_lead_weak"))


def column_kind(header: str) -> Optional[str]:
    h = clean(header)
    if not h or len(h.split()) > 8:
        return None
    for kind, group in _COLUMN_GROUPS:
        if phrase_regex(group).search(h):
            return kind
    return None


Cell = tuple[int, int, int, int, int]  # table, row, col, start, end


def table_items(text: str, cells: list[Cell], year: Optional[int]) -> list[WorkItem]:
    """Work items from assignment tables (a header row with a task column and a lead column)."""
    tables: dict[int, dict[int, dict[int, tuple[int, int]]]] = {}
    for t, r, c, s, e in cells:
        tables.setdefault(t, {}).setdefault(r, {})[c] = (s, e)
    out: list[WorkItem] = []
    prev_cols: Optional[dict[str, int]] = None
    prev_width = -1
    lead_header = ""
    for t in sorted(tables):
        rows = tables[t]
        width = max((max(cols) + 1 for cols in rows.values()), default=0)
        cols: Optional[dict[str, int]] = None
        first = 0
        for r in sorted(rows)[:3]:
            kinds: dict[str, int] = {}
            for c, (s, e) in sorted(rows[r].items()):
                k = column_kind(text[s:e])
                if k and k not in kinds:
                    kinds[k] = c
            if "task" in kinds and "lead" in kinds:
                cols, first = kinds, r + 1
                s, e = rows[r][kinds["lead"]]
                lead_header = text[s:e]
                break
        if cols is None and prev_cols is not None and width == prev_width:
            cols, first = prev_cols, min(rows)  # the table goes on after a page break
        if cols is None:
            prev_cols, prev_width = None, width
            continue
        prev_cols, prev_width = cols, width
        for r in sorted(rows):
            if r < first:
                continue
            row = rows[r]

            def cell(kind: str) -> tuple[str, int, int]:
                c = cols.get(kind)  # type: ignore[union-attr]
                if c is None or c not in row:
                    return "", 0, 0
                s, e = row[c]
                return text[s:e], s, e

            task, ts, te = cell("task")
            lead, ls, _ = cell("lead")
            if not clean(task) or not clean(lead) or re.fullmatch(r"\(?\d+\)?", clean(task)):
                continue
            leads = []
            for u in split_units(lead):
                p = lead.find(u)
                leads.append((u, ls + max(p, 0), ls + max(p, 0) + len(u)))
            coord, _, _ = cell("coord")
            when, ws, we = cell("time")
            due = _due(when, ws, year) if clean(when) else None
            role = "lead" if phrase_regex("lead_field_roles").search(lead_header) else "responsible"
            span_s = min(s for s, _ in row.values())
            span_e = max(e for _, e in row.values())
            out.append(WorkItem([(clean(task), ts, te)], leads, role, split_coordinators(coord), due,
                                (span_s, span_e), [(ws, we)] if clean(when) else []))
    return out
