"""iCalendar (RFC 5545) output of deadlines, obligations and events.

Each item becomes one VEVENT:

- a date as precise as a day is an all-day event (``DTSTART;VALUE=DATE``);
  a coarser one ("2024-07", "2020-Q3") spans every day it covers, with
  ``DTEND`` the day after its last day (RFC 5545 3.6.1: DTEND is exclusive);
- a time of day ("2024-07-26T08:00") is local time in Việt Nam
  (``TZID=Asia/Ho_Chi_Minh``, defined in the calendar's VTIMEZONE: UTC+7, no
  daylight saving);
- ``UID`` is built from the stored document id (the file's sha256) and the
  item's ordinals, so it is the same every time the same item is exported;
- ``DTSTAMP`` is when the document was stored (UTC), so the same store
  exports the same file.

Lines end in CRLF, are folded at 75 octets without splitting a UTF-8
character (RFC 5545 3.1), and text values escape backslash, semicolon, comma
and newline (3.3.11).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Optional

PRODID = "-//kehoach//kehoach plan records//VI"
TZID = "Asia/Ho_Chi_Minh"
_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2}):(\d{2})(?::(\d{2}))?$")


def escape_text(value: Any) -> str:
    """A TEXT value escaped per RFC 5545 3.3.11."""
    s = "" if value is None else str(value)
    s = s.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return s.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold_line(line: str) -> str:
    """Fold one content line at 75 octets (continuations start with a space), never inside a character."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts: list[str] = []
    current = b""
    limit = 75
    for ch in line:
        b = ch.encode("utf-8")
        if len(current) + len(b) > limit:
            parts.append(current.decode("utf-8"))
            current = b""
            limit = 74  # the leading space of a continuation line counts
        current += b
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def _stamp(value: Optional[datetime]) -> str:
    value = value or datetime(1970, 1, 1)
    return value.strftime("%Y%m%dT%H%M%SZ")


def _day(value: date) -> str:
    return value.strftime("%Y%m%d")


def _when(value: Optional[str], start: Optional[date], end: Optional[date]) -> Optional[list[str]]:
    """DTSTART/DTEND lines for a partial ISO value and the range it covers."""
    m = _TIME.match(value or "")
    if m:
        y, mo, d, h, mi, sec = (int(g) if g else 0 for g in m.groups())
        try:
            at = datetime(y, mo, d, h, mi, sec)
        except ValueError:
            return None
        return [f"DTSTART;TZID={TZID}:{at.strftime('%Y%m%dT%H%M%S')}"]
    if start is None or end is None:
        return None
    return [f"DTSTART;VALUE=DATE:{_day(start)}", f"DTEND;VALUE=DATE:{_day(end + timedelta(days=1))}"]


def _vevent(uid: str, stamp: Optional[datetime], when: list[str], summary: str, description: str,
            location: Optional[str] = None, categories: Optional[str] = None) -> list[str]:
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{_stamp(stamp)}", *when,
             f"SUMMARY:{escape_text(summary)}", f"DESCRIPTION:{escape_text(description)}"]
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    if categories:
        lines.append(f"CATEGORIES:{escape_text(categories)}")
    lines.append("TRANSP:TRANSPARENT")
    lines.append("END:VEVENT")
    return lines


def _source(item: dict) -> str:
    where = [f"plan {item.get('plan_number') or '(no number)'}"]
    if item.get("plan_title"):
        where.append(str(item["plan_title"]))
    span = ""
    if item.get("span_start") is not None:
        span = f"source: document {str(item['doc_id'])[:12]} chars {item['span_start']}-{item['span_end']}"
        if item.get("page") is not None:
            span += f", page {item['page']}"
    return "\n".join([" — ".join(where), span]).strip()


def calendar(events: Iterable[list[str]], name: str = "kehoach") -> str:
    """A VCALENDAR around VEVENT line lists, as text with CRLF line ends."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             f"X-WR-CALNAME:{escape_text(name)}",
             "BEGIN:VTIMEZONE", f"TZID:{TZID}", "BEGIN:STANDARD", "DTSTART:19750613T000000",
             "TZOFFSETFROM:+0700", "TZOFFSETTO:+0700", "TZNAME:ICT", "END:STANDARD", "END:VTIMEZONE"]
    for event in events:
        lines += event
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + "\r\n" for line in lines)


def obligations_calendar(rows: Iterable[dict]) -> str:
    """One all-day (or ranged) event per obligation row that has a deadline."""
    out = []
    for r in rows:
        when = _when(r.get("deadline"), r.get("due_start"), r.get("due_end"))
        if when is None:
            continue
        task = r.get("task") or "(no task text)"
        who = r.get("agency") or r.get("assignee") or ""
        role = r.get("role") or ""
        uid = f"task-{r['assignment_id'].replace('/', '-')}-{r.get('task_ordinal') if r.get('task_ordinal') is not None else 'a'}"
        if role == "coordinate":
            uid += f"-coordinate-{_slug(who)}"
        description = "\n".join(filter(None, [
            f"{role}: {who}", f"deadline as written: {r.get('deadline')}",
            f"precision: {r.get('deadline_precision')}" if r.get("deadline_precision") else None,
            "inferred year" if r.get("deadline_inferred") else None,
            f"task: {task}", _source(r)]))
        out.append(_vevent(f"{uid}@kehoach", r.get("plan_ingested_at"), when, f"Hạn: {task[:120]} — {who}",
                           description, categories="deadline"))
    return calendar(out, "kehoach obligations")


def deadlines_calendar(rows: Iterable[dict]) -> str:
    """One event per deadline phrase with a readable date."""
    out = []
    for r in rows:
        when = _when(r.get("deadline"), r.get("due_start"), r.get("due_end"))
        if when is None:
            continue
        who = "; ".join(r.get("assignees") or [])
        summary = f"Hạn: {r.get('task') or r.get('text')}" + (f" — {who}" if who else "")
        description = "\n".join(filter(None, [
            f"as written: {r.get('text')}", f"assignees: {who}" if who else None,
            "inferred year" if r.get("inferred") else None,
            f"recurrence: {r['recurrence']}" if r.get("recurrence") else None, _source(r)]))
        out.append(_vevent(f"deadline-{r['doc_id']}-{r['ordinal']}@kehoach", r.get("ingested_at"), when,
                           summary[:200], description, categories="deadline"))
    return calendar(out, "kehoach deadlines")


def events_calendar(rows: Iterable[dict]) -> str:
    """One event per scheduled happening with a readable date."""
    out = []
    for r in rows:
        when = _when(r.get("start") if not r.get("end") else None, r.get("date_start"), r.get("date_end"))
        if when is None:
            continue
        description = "\n".join(filter(None, [
            f"start as written: {r.get('start')}" + (f", end: {r['end']}" if r.get("end") else ""),
            f"expected attendees: {r['expected_attendees']}" if r.get("expected_attendees") else None,
            f"recurrence: {r['recurrence']}" if r.get("recurrence") else None, _source(r)]))
        out.append(_vevent(f"event-{r['doc_id']}-{r['ordinal']}@kehoach", r.get("ingested_at"), when,
                           r.get("name") or "(event)", description, r.get("location"), "event"))
    return calendar(out, "kehoach events")


def _slug(text: str) -> str:
    from kehoach.store.keys import fold

    return (fold(text) or "x").replace(" ", "-")[:60]
