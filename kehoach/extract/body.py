"""Body facts: events, participants, assignments and deadlines."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Optional

from kehoach.extract.dates import DateHit, find_dates
from kehoach.extract.names import clean, display_case, same_agency
from kehoach.extract.worklist import WorkItem, is_work_field, split_coordinators
from kehoach.extract.structure import Anatomy, Line, rank
from kehoach.extract.vocabulary import CAPITALS, deadline_vocab, phrase_alt, phrase_full, phrase_regex, phrases, word_start_alt


def children(lines: list[Line], i: int) -> list[Line]:
    """Lines after lines[i] nested under it (higher rank), up to the next sibling or shallower line.

    An article or chapter heading ("Điều 2.", "Chương II") ends the item too: nothing nests an article.
    """
    r = rank(lines[i])
    out = []
    article = _article_rx()
    for ln in lines[i + 1:]:
        if ln.kind != "none" and rank(ln) <= r:
            break
        if ln.kind == "none" and article.match(ln.text):
            break
        out.append(ln)
    return out


@lru_cache(maxsize=None)
def _article_rx() -> re.Pattern:
    """ "Điều 2.", "Điều 5:", "Chương II" at the start of a line (genre.json article_labels)."""
    return re.compile(r"^\s*(?:" + phrase_alt("article_labels") + r")\s+(?:\d+|[IVXLC]+)\b", re.IGNORECASE)


@lru_cache(maxsize=None)
def _person_rx() -> re.Pattern:
    """A head that names a person: a title (genre.json person_titles), then a name or a colon before it."""
    # the title in any case ("Ông", "ông (bà)"), the name after it capitalised
    return re.compile(r"^(?i:" + phrase_alt("person_titles") + r")(?:\s*[:.]|\s+[" + CAPITALS + "])")


# patterns used per line or per item, compiled once
_GIAO = re.compile(r"(?i)(?:giao|yêu cầu)(?:\s+cho)?\s+(?=\S)")  # "Giao phòng Quản lý công nghiệp …"
_WHO_COLON = re.compile(r"^(?P<who>[^:]{2,200}?)\s*:\s*(?P<rest>.*)$")  # "Sở Tài chính: …"
_SENTENCE_GOES_ON = re.compile(r"[.;]\s*\S")
_RECURRING = re.compile(r"\s*(?:ngày\s*)?\d{1,2}\s+(hằng|hàng)\s+(tháng|quý|năm|tuần)", re.IGNORECASE)  # "ngày 20 hằng tháng"
_YEAR_AFTER = re.compile(r"\s*(?:năm\s+)?((?:19|20)\d\d)(?!\d|/)")  # "trong năm 2026"
_COORD_END = re.compile(r"[.:(]|\s+để\s+|\s+trong\s+")  # where a coordinators list ends


@lru_cache(maxsize=None)
def _handed_to_rx() -> re.Pattern:
    """"X, phân công Y: …": Y, the unit the work is handed to (genre.json delegation_words)."""
    return re.compile(r",\s*(?:" + phrase_alt("delegation_words") + r")\s+(?P<who>[^:]+):?\s*(?P<rest>.*)$")


def _starts_with(group: str, text: str) -> Optional[re.Match]:
    return phrase_regex(group, anchored=True).match(text)


# --- pre-checks ----------------------------------------------------------------------------------
# A case-insensitive phrase regex tries every position of a text, and most texts hold none of the
# phrases; a plain substring search of the lower-cased text for a piece of each phrase leaves those out.

# Letters that an IGNORECASE regex matches to a character whose str.lower() is not that letter ("İ" and
# "ı" match "i"). tests/test_extract_prechecks.py checks the letters of the pre-checked phrases against
# all of Unicode.
FOLDS_APART = "i"


def _keys(phrases: Iterable[str]) -> tuple[str, ...]:
    """For each phrase, a piece of it that the lower-cased text holds wherever the phrase regex matches: the
    phrase in lower case, or its longest piece without a letter of ``FOLDS_APART``."""
    keys = {max(re.split("[" + re.escape(FOLDS_APART) + "]", p.lower()), key=len) for p in phrases}
    # "trước ngày" is found where "trước" is
    return tuple(sorted(k for k in keys if not any(o != k and o in k for o in keys)))


# --- events --------------------------------------------------------------------------------------

@dataclass
class EventItem:
    name: Optional[str]
    start: Optional[str]
    end: Optional[str]
    location: Optional[str]
    expected_attendees: Optional[int]
    recurrence: Optional[str]
    span: tuple[int, int]


_RECUR = re.compile(r"(\d+\s*(?:tháng|năm|quý|tuần|ngày)\s*/\s*lần|(?:hằng|hàng)\s+(?:tháng|quý|năm|tuần|ngày))",
                    re.IGNORECASE)
_LABEL_COLON = re.compile(r"^(?P<label>[^:]{1,80}?)\s*:\s*(?P<rest>.*)$")


def _label_colon(text: str) -> Optional[re.Match]:
    """``_LABEL_COLON.match``; most lines have no colon, and the pattern tries 80 label lengths to find that."""
    return _LABEL_COLON.match(text) if ":" in text else None


def _event_name_from_title(title: Optional[str]) -> Optional[str]:
    if not title:
        return None
    t = re.sub(r"^(?:kế hoạch\s+)?(?:tổ chức|triển khai tổ chức)\s+", "", title, flags=re.IGNORECASE)
    return t[:1].upper() + t[1:]


@lru_cache(maxsize=None)
def _phase_rx() -> re.Pattern:
    """"Đợt 1: …" (genre.json phase_labels): a phase of the plan's activity."""
    return re.compile(r"^(?P<label>(?:" + "|".join(re.escape(w) for w in phrases("phase_labels"))
                      + r")\s+\S{1,4})\s*:\s*(?P<rest>.*)$", re.IGNORECASE)


def _after_label(ln: Line) -> str:
    m = _label_colon(ln.body)
    return m.group("rest") if m else ""


def _parent_event_name(lines: list[Line], i: int) -> Optional[str]:
    """The heading above lines[i] when it names an event ('1. Hội nghị hiệp thương lần thứ nhất.')."""
    r = rank(lines[i]) if lines[i].kind != "none" else 99
    noun_rx = phrase_regex("event_nouns", anchored=True)
    for j in range(i - 1, max(-1, i - 15), -1):
        ln = lines[j]
        if ln.kind in ("roman", "num", "letter") and rank(ln) < r:
            body = re.sub(r"(?i)^(?:tổ chức|triển khai tổ chức)\s+", "", ln.body)
            if noun_rx.match(body):
                return clean(body)
            if ln.kind == "roman":
                return None
            r = rank(ln)
    return None


def events(a: Anatomy, lines: list[Line], title: Optional[str], default_year: Optional[int]) -> list[EventItem]:
    out: list[EventItem] = []
    time_rx = phrase_regex("time_labels", anchored=True)
    loc_rx = phrase_regex("location_labels", anchored=True)
    cnt_rx = phrase_regex("attendee_count", anchored=True)
    phase_rx = _phase_rx()
    due_rx = phrase_full("deadline_field_labels")
    attendees = None
    for ln in lines:
        if cnt_rx.match(ln.body):
            m = re.search(r"(\d[\d.]*)\s*(?:đại biểu|người|đồng chí|khách)", ln.body)
            if m:
                attendees = int(m.group(1).replace(".", ""))
                break
    activity = _event_name_from_title(title)
    for i, ln in enumerate(lines):
        pm = phase_rx.match(ln.body) if ln.kind in ("num", "letter", "none") and ":" in ln.body else None
        if pm:
            # "1. Đợt 1: Từ ngày 05/12/2025 đến ngày 20/02/2026:": a phase of the plan's activity
            hits = find_dates(pm.group("rest"), default_year)
            if hits:
                s, e = _range(hits[0])
                if e is None and len(hits) > 1 and re.match(r"\s*(?:đến|tới|[-–])\s*",
                                                            pm.group("rest")[hits[0].end:hits[1].start]):
                    e = _range(hits[1])[0]
                base = ln.end - len(pm.group("rest"))
                name = clean(pm.group("label") + " " + (activity[:1].lower() + activity[1:] if activity else ""))
                out.append(EventItem(name, s, e, None, attendees, None, (base + hits[0].start, base + hits[0].end)))
            continue
        if not time_rx.match(ln.body):
            continue
        lm = _label_colon(ln.body)
        if lm and due_rx.match(clean(lm.group("label"))):
            continue  # "Thời gian hoàn thành: …" is a deadline, not an event
        kids = children(lines, i) if ln.kind != "none" else []
        location = None
        for cand in kids + lines[i + 1:i + 6]:
            if loc_rx.match(cand.body):
                location = clean(re.sub(r"^(?:tại|ở)\s+", "", _after_label(cand), flags=re.IGNORECASE)) or None
                break
        recurrence = None
        for cand in [ln] + kids:
            rm = _RECUR.search(cand.text)
            if rm:
                recurrence = rm.group(1)
                break
        own = [h for h in find_dates(_after_label(ln) or "", default_year)]
        base = ln.end - len(_after_label(ln))
        if own:
            h = own[0]
            s, e = _range(h)
            name = _parent_event_name(lines, i) or activity
            out.append(EventItem(name, s, e, location, attendees, recurrence, (base + h.start, base + h.end)))
            continue
        for k in kids:
            m = _label_colon(k.body)
            if not m:
                continue
            # "- Từ ngày 04/02/2026: Ban Thường trực … họp …" (the date is the label) or "- Khai mạc: 8 giờ …"
            label_hits = find_dates(m.group("label"), default_year)
            if label_hits:
                hits, name, off = label_hits, clean(m.group("rest")), k.body_start
            else:
                hits, name = find_dates(m.group("rest"), default_year), clean(m.group("label"))
                off = k.body_start + m.start("rest")
                if hits and hits[0].start > 40:
                    continue  # "Lưu ý: Việc tổ chức … từ ngày …": a remark that mentions dates
            if not hits:
                continue
            s, e = _range(hits[0])
            if e is None and len(hits) > 1 and hits[1].start - hits[0].end <= 4:
                e = _range(hits[1])[0]  # "Từ ngày 05/02/2026 - 08/02/2026"
            out.append(EventItem(name, s, e, location, attendees, recurrence,
                                 (off + hits[0].start, off + hits[0].end)))
    out += _schedule_table_rows(a.text, lines + a.closing, activity, default_year)
    # a time heading and the time line under it can reach the same schedule lines: keep each once
    seen: set[tuple[int, int]] = set()
    return [e for e in out if not (e.span in seen or seen.add(e.span))]  # type: ignore[func-returns-value]


_TT_COLUMN = re.compile(r"(?:^|\s)S?TT(?:\s|$)")  # the row-number column, not "/TT-BNV"
_ROW_NUMBER = re.compile(r"(\d{1,3})\s+(?=\S)")


def _schedule_table_rows(text: str, lines: list[Line], activity: Optional[str],
                         default_year: Optional[int]) -> list[EventItem]:
    """Rows of a schedule table written as layout text: one event per numbered row with a date.

    Seen in 013 (Phụ lục I, "Kế hoạch kiểm tra"): a page saved as text with the columns
    TT | Tên đơn vị được kiểm tra | Đối tượng kiểm tra | Thời gian công bố Quyết định kiểm tra |
    Thời hạn kiểm tra. The cells wrap over several physical lines and interleave, but a row's
    short cells (its number, its date) sit together on the row's middle line, "2  …  25/3/2025  02 ngày".
    Only a header with a 'TT' column and a happening-time column (``event_table_headers``) counts,
    so assignment tables with a deadline column are left alone. Reads the physical lines of the
    table only, from its header until the row numbers stop.
    """
    head_rx = phrase_regex("event_table_headers")
    out: list[EventItem] = []
    done_to = -1
    for i, ln in enumerate(lines):
        if ln.kind != "none" or ln.start < done_to or len(ln.text) > 300 or "TT" not in ln.text \
                or not _TT_COLUMN.search(ln.text):
            continue
        window = lines[max(0, i - 2):i + 2]  # a layout header spreads over a few lines
        if not any(head_rx.search(w.text) for w in window):
            continue
        name = activity
        for w in reversed(lines[max(0, i - 6):i]):
            if w.is_upper and not head_rx.search(w.text) and not w.text.startswith("("):
                name = display_case(w.text)  # the table's title, "KẾ HOẠCH KIỂM TRA"
                break
        expected, gap = 1, 0
        pos = text.find("\n", ln.end)
        while pos != -1 and gap < 25:
            s = pos + 1
            pos = text.find("\n", s)
            phys = text[s:pos if pos != -1 else len(text)]
            gap += 1
            m = _ROW_NUMBER.match(phys)
            if not m or int(m.group(1)) != expected:
                continue
            hits = [h for h in find_dates(phys[m.end():], default_year) if h.precision in ("day", "time")]
            if not hits:
                continue
            h = hits[0]
            st, en = _range(h)
            off = s + m.end()
            out.append(EventItem(clean(f"{name or ''} ({m.group(1)})"), st, en, None, None, None,
                                 (off + h.start, off + h.end)))
            expected, gap = expected + 1, 0
            done_to = s
    return out


def _range(h: DateHit) -> tuple[str, Optional[str]]:
    if "/" in h.value:
        s, e = h.value.split("/", 1)
        return s, e
    return h.value, None


# --- participants --------------------------------------------------------------------------------

@dataclass
class ParticipantItem:
    name: str
    count: Optional[int]
    role: Optional[str]
    span: tuple[int, int]


def _participant_parts(inline: str, base: int) -> list[tuple[str, Optional[str], int, int]]:
    """'A; B; C (Chủ trì) và cử tri các thôn' -> [(name, role, start, end)], offsets from ``base``."""
    chair_rx = phrase_regex("chair_labels")
    prefix_rx = phrase_regex("participant_prefixes", anchored=True)
    chair_prefix_rx = phrase_regex("participant_chair_prefixes", anchored=True)
    parts: list[tuple[int, int]] = []
    pos = 0
    for m in re.finditer(r";", inline):
        parts.append((pos, m.start()))
        pos = m.end()
    parts.append((pos, len(inline)))
    if len(parts) > 1:  # a list: its last item may end "… và Y"
        s0, e0 = parts[-1]
        # "và" before a lower-case word joins list items; before a capital it is inside a name
        m = re.search(r"\s+và\s+(?=[a-zđà-ỹ])", inline[s0:e0])
        if m:
            parts[-1:] = [(s0, s0 + m.start()), (s0 + m.end(), e0)]
    out = []
    for s0, e0 in parts:
        raw = inline[s0:e0]
        role = None
        rm = re.search(r"\(([^)]*)\)\s*[.;,]?\s*$", raw)
        if rm and chair_rx.fullmatch(rm.group(1).strip()):
            role = "chair"
            raw = raw[:rm.start()]
        cm = chair_prefix_rx.match(raw)  # 035 "Trưởng đoàn là đại diện Lãnh đạo Ban Thường trực …"
        if cm:
            role = "chair"
        pm = cm or prefix_rx.match(raw)
        lead = pm.end() if pm else 0
        name = clean(raw[lead:])
        if name:
            name = name[:1].upper() + name[1:]
            out.append((name, role, base + s0, base + e0))
    return out


def participants(lines: list[Line]) -> list[ParticipantItem]:
    label_rx = phrase_regex("participant_labels", anchored=True)
    exact_rx = phrase_full("participant_exact_labels")
    group_rx = phrase_regex("participant_group_labels", anchored=True)
    chair_rx = phrase_regex("chair_labels", anchored=True)
    skip_rx = phrase_regex("participant_skip", anchored=True)
    verb_rx = phrase_regex("coordinate_words")
    out: list[ParticipantItem] = []

    def add(name: str, count: Optional[int], role: Optional[str], span: tuple[int, int]) -> None:
        same = next((p for p in out if same_agency(p.name, name)), None)
        if same is None:
            out.append(ParticipantItem(name, count, role, span))
        elif role and not same.role:
            same.role = role

    for i, ln in enumerate(lines):
        m0 = _label_colon(ln.body)
        exact = bool(m0 and exact_rx.match(clean(m0.group("label"))))
        if not exact and (ln.kind == "none" or not label_rx.match(ln.body)):
            continue
        inline = _after_label(ln)
        if ln.kind == "bullet" and not (inline and len(clean(m0.group("label")).split()) <= 5 if m0 else False):
            continue
        kids = children(lines, i) if ln.kind != "none" else []
        if any(k.kind not in ("none", "bullet") and label_rx.match(k.body) for k in kids):
            continue  # "III. THÀNH PHẦN, THỜI GIAN" holds "1. Thành phần tham dự": use the inner list
        if (not kids or ln.kind == "bullet") and inline:
            base = ln.end - len(inline)
            for name, role, s0, e0 in _participant_parts(inline, base):
                add(name, None, role, (s0, e0))
            continue
        skipping = -1
        for j, k in enumerate(kids):
            if skipping >= 0 and rank(k) > skipping:
                continue  # under "- Số lượng cử tri:": cases, not participants
            skipping = -1
            if k.kind == "none":
                continue
            if skip_rx.match(k.body):
                skipping = rank(k)
                continue
            body = k.body
            sub = children(kids, j)
            m = _label_colon(body)
            if m and not clean(m.group("rest")) and sub:
                continue  # "- Cấp tỉnh:" groups the lines below it
            if m and clean(m.group("rest")):
                label, rest = clean(m.group("label")), clean(m.group("rest"))
                if group_rx.match(label):
                    role = "chair" if chair_rx.match(label) else None
                    add(rest, None, role, (k.start, k.end))
                else:
                    cm = re.search(r"(?:mỗi\s+\S+(?:\s+\S+)?\s+)(\d+)\s*(?:người|đại biểu|đồng chí)", rest)
                    add(label, int(cm.group(1)) if cm else None, None, (k.start, k.end))
                continue
            name = clean(body)
            if name and not verb_rx.search(name) and len(name.split()) <= 60:
                add(name, None, None, (k.start, k.end))
    return out


# --- assignments ---------------------------------------------------------------------------------

@dataclass
class AssignmentItem:
    assignee: str
    role: str
    request: bool
    coordinators: list[str]
    tasks: list[tuple[str, int, int]]
    deadline: Optional[str]
    span: tuple[int, int]
    assignee_span: tuple[int, int] = (0, 0)
    deadlines: list = field(default_factory=list)


def implementation_sections(a: Anatomy) -> list[list[Line]]:
    rx = phrase_regex("implementation_headings")
    secs = [s.lines for s in a.sections if rx.search(s.title)]
    if secs:
        return secs
    # a numbered heading of its own ("4. Phân công nhiệm vụ") where the plan has no roman sections
    body_lines = a.body
    for i, ln in enumerate(body_lines):
        if ln.kind == "num" and rx.match(ln.body.strip()) and len(ln.body.split()) <= 8:
            kids = children(body_lines, i)
            if any(k.kind in ("num", "letter") for k in kids):  # "4.1. Ông …", not a paragraph under "3."
                secs.append(kids)
    if secs:
        return secs
    # documents without a heading for it (công văn): numbered items of the body after the preamble
    if not a.sections:
        pre = {ln.idx for ln in a.preamble}
        return [[ln for ln in a.body if ln.idx not in pre]]
    return []


@lru_cache(maxsize=None)
def _clause_markers() -> frozenset[str]:
    return frozenset(w.lower() for w in phrases("clause_markers"))


@lru_cache(maxsize=None)
def _order_rx() -> re.Pattern:
    """An order in running text: the verb (genre.json order_verbs) at the start of the paragraph, or after an
    opening clause and the unit that gives the order ("Thực hiện chức năng, nhiệm vụ được giao, Sở Công
    Thương yêu cầu các đơn vị …", 023). "được giao" is no order."""
    verbs = phrase_alt("order_verbs")
    return re.compile(r"(?i)^(?P<intro>.{0,160}?,\s*)(?P<who>[^,]{2,60}?)\s+(?<!được\s)(?P<verb>" + verbs + r")\s+(?=\S)")


def _order_at(ln: Line) -> Optional[int]:
    """Offset in ``ln.body`` where an order in running text begins (its verb), or None."""
    m = _starts_with("order_verbs", ln.body)  # "Giao Sở Công Thương …" first: a later "đề nghị" is no order
    if m is None:
        m = _order_rx().match(ln.body)
        if m is None or not _starts_with("agency_heads", m.group("who")):
            return None
    at = m.start("verb") if m.groupdict() else m.start()
    rest = ln.body[at:].rstrip()
    if rest.endswith("./.") and not _SENTENCE_GOES_ON.search(rest[:-3]):
        return None  # the closing exhortation ends the body: "Sở Công Thương yêu cầu các đơn vị nghiêm túc thực hiện./."
    return at


@lru_cache(maxsize=None)
def _noun_markers() -> frozenset[str]:
    return frozenset(w.lower() for w in phrases("noun_markers"))


def _verb_split(text: str) -> Optional[int]:
    """Offset where the task starts in a run-on item ('Các đơn vị … chuẩn bị …')."""
    rx = phrase_regex("task_verbs")
    nouns = _noun_markers()
    for m in rx.finditer(text):
        if m.start() == 0:
            continue
        before = text[:m.start()].split()
        if _clause_markers().intersection(w.lower() for w in before[-3:]):
            continue  # "được chọn báo cáo tham luận", "chưa thực hiện báo cáo" (023) are part of the name
        if before and before[-1].lower() in nouns:
            continue  # "Các tổ chức, cá nhân …" (018): after "các" a noun, not the verb "tổ chức"
        if len(before) == 1 and _starts_with("agency_heads", before[0]):
            continue  # "Ban xây dựng đảng Đảng ủy chủ trì …" (050): a lone "Ban" is named by what follows
        if m.group(0)[:1].isupper() and before and not before[-1].endswith((",", ";", ":")):
            continue  # "phòng Quản lý công nghiệp": a capitalised word inside a unit's name
        return m.start()
    return None


def coordinators_in(text: str) -> list[str]:
    out: list[str] = []
    rx = phrase_regex("coordinate_words")
    for m in rx.finditer(text):
        rest = text[m.end():]
        stop = _verb_split(" " + rest)
        seg = rest[: stop - 1] if stop else rest
        seg = _COORD_END.split(seg, 1)[0]
        out.extend(split_coordinators(seg, plural_groups=False))
    return out


@lru_cache(maxsize=None)
def _head_order_rx() -> re.Pattern:
    """"<unit> yêu cầu/đề nghị/giao <units> …" at the head of an item (genre.json order_verbs); the unit before
    the verb is short and has no comma ("Chủ tịch UBND tỉnh yêu cầu Thủ trưởng các Sở, …", 018)."""
    return re.compile(r"(?i)^(?P<who>[^,:;.]{2,60}?)\s+(?<!được\s)(?P<verb>" + phrase_alt("order_verbs") + r")\s+(?=\S)")


@lru_cache(maxsize=None)
def _comma_task_rx() -> re.Pattern:
    """A comma before a task verb in small letters (genre.json task_verbs): where a unit's name ends."""
    return re.compile(r",\s*(?=(?:" + phrase_alt("task_verbs") + r")(?!\w))")


def _parse_head(text: str, has_children: bool = False) -> Optional[tuple[str, int, str, bool]]:
    """(assignee, assignee offset, inline task, request) from an item head, or None if no unit is named."""
    request = False
    off = 0
    m = _starts_with("request_words", text)
    if m:
        request = True
        off = m.end()
        off += len(text[off:]) - len(text[off:].lstrip())
    t = text[off:]
    am = _starts_with("addressee_lead_ins", t)
    if am and not request and _starts_with("agency_heads", t[am.end():].lstrip()):
        # "1. Yêu cầu đối với các tổ chức, cá nhân được cấp giấy phép …" (047): the unit after "đối với"
        off += am.end()
        off += len(text[off:]) - len(text[off:].lstrip())
        t = text[off:]
        t = t[:1].upper() + t[1:]
    om = None if request or _GIAO.match(t) else _head_order_rx().match(t)
    if om and _starts_with("agency_heads", om.group("who")) and _starts_with("agency_heads", t[om.end():]):
        # "11. Chủ tịch UBND tỉnh yêu cầu Thủ trưởng các Sở, ban, ngành của tỉnh, Chủ tịch UBND các xã, phường …
        # nghiêm túc thực hiện" (018): the units after the order verb carry the item, the unit before gives it
        request = _starts_with("request_words", om.group("verb")) is not None
        off += om.end()
        t = text[off:]
        t = t[:1].upper() + t[1:]
        ordered = True
    else:
        ordered = False
    gm = _GIAO.match(t)
    if gm and not request:
        # "1. Giao phòng Quản lý công nghiệp tổ chức huấn luyện …": the unit after "Giao"
        off += gm.end()
        t = text[off:]
        t = t[:1].upper() + t[1:]
    dm = _handed_to_rx().search(t)
    if dm and not request:
        who = clean(dm.group("who"))
        return who, off + dm.start("who"), dm.group("rest"), request
    cm = _WHO_COLON.match(t)
    if cm and len(cm.group("who").split()) <= 30:
        who, inline = cm.group("who"), cm.group("rest")
        vm = _comma_task_rx().search(who)
        if vm and _starts_with("agency_heads", who[:vm.start()]):
            # "1. Ủy ban nhân dân tỉnh, chỉ đạo các cơ quan, đơn vị có liên quan:" (050): the unit ends at the
            # comma before a task verb; the rest opens its tasks
            who, inline = who[:vm.start()], clean(who[vm.end():] + (": " + inline if clean(inline) else ""))
    elif has_children and len(t.split()) <= 16 and not _SENTENCE_GOES_ON.search(t) \
            and not phrase_regex("lead_words").search(t) and not phrase_regex("coordinate_words").search(t):
        # "2. Các tổ chức thành viên của MTTQ xã" over its task bullets: the whole line names the unit
        who, inline = t, ""
    else:
        k = _verb_split(t)
        if k is None:
            who, inline = t, ""
        else:
            who, inline = t[:k], t[k:]
    who = clean(who)
    if not who or not (request or _starts_with("agency_heads", who)) or _starts_with("agency_head_exclusions", who) \
            or _starts_with("agency_head_exclusions", t):
        # "3. Tổ chức theo dõi, tổng hợp, kiểm tra, giám sát công tác bầu cử …" (031): the head names a task
        # ("tổ chức theo dõi"), though the verb split leaves the noun "Tổ chức"
        return None
    words = who.split()
    # a name with a clause in it ("các đơn vị … chưa thực hiện báo cáo trên hệ thống cơ sở dữ liệu …", 023) runs
    # longer than a plain one
    # a name with a clause in it ("các đơn vị … chưa thực hiện báo cáo trên hệ thống cơ sở dữ liệu …", 023), or the
    # list of units after an order verb (018), runs longer than a plain one
    if len(words) > (45 if ordered or _clause_markers().intersection(w.lower() for w in words) else 30):
        return None
    inline = clean(inline)
    if inline:
        inline = inline[:1].upper() + inline[1:]
    return who, off, inline, request


def assignments(a: Anatomy, skip: Sequence[tuple[int, int]] = ()) -> list[AssignmentItem]:
    """Assignments written as items of the implementation section ('1. Sở Nội vụ: …').

    Items lying in ``skip`` regions (work items with their own lead fields) are left to
    :func:`merge_work_items`.
    """
    out: list[AssignmentItem] = []
    inner: list[tuple] = []  # "Giao X …" paragraphs inside the current item
    lead_rx = phrase_regex("lead_words")
    for sec in implementation_sections(a):
        kinds_order = [("num",), ("letter",), ("bullet",)]
        heads = []
        for kinds in kinds_order:
            cand = [(i, ln) for i, ln in enumerate(sec) if ln.kind in kinds]
            if cand:
                depth = min(ln.depth for _, ln in cand)
                heads = [(i, ln) for i, ln in cand if ln.depth == depth and (kinds != ("bullet",) or ln.label != "+")]
                break
        cuts: dict[int, int] = {}
        if not heads:
            # công văn without numbering: "Giao Sở Công Thương chủ trì …", "Đề nghị …" paragraphs, also after an
            # opening clause ("…, Sở Công Thương yêu cầu các đơn vị …")
            for i, ln in enumerate(sec):
                at = _order_at(ln) if ln.kind == "none" else None
                if at is not None:
                    heads.append((i, ln))
                    cuts[i] = at
        for i, head in heads:
            if any(r[0] <= head.start < r[1] for r in skip):
                continue
            kids = children(sec, i)
            cut = cuts.get(i, 0)
            parsed = _parse_head(head.body[cut:], has_children=bool(kids))
            if parsed is None:
                if head.kind == "num" and _implementation_head(head.body):
                    out.extend(_answerable_paragraphs(kids))
                continue
            who, who_off, inline, request = parsed
            who_off += cut
            tasks: list[tuple[str, int, int]] = []
            if inline:
                at = head.body.lower().find(inline[:10].lower())
                tasks.append((inline, head.body_start + at if at >= 0 else head.start, head.end))
            cur: Optional[list] = None
            given: Optional[list] = None  # the task of a "Giao X …" paragraph inside the item, while it runs on
            numbered = any(k.kind == "num" for k in kids)  # sub-items 1.1, 1.2 …: each is one task
            cur_num = False
            for k in kids:
                gm = _GIAO.match(k.body) if k.kind == "none" else None
                sub = _parse_head(k.body) if gm and gm.group(0)[:4].lower() == "giao" else None
                if sub is not None:
                    # "Giao Ban xây dựng đảng Đảng ủy chủ trì, hướng dẫn các cấp ủy …" (050, a paragraph of item 2): a
                    # unit given a task of its own, not a task of the item's unit
                    s_who, s_off, s_inline, s_request = sub
                    given = [s_inline, k.body_start + k.body.lower().find(s_inline[:10].lower()), k.end]
                    inner.append((k, s_who, s_off, s_request, given))
                    cur = None
                    continue
                if given is not None and k.kind == "none" and not _is_closing(k) and _order_at(k) is None:
                    given[0] = clean(given[0] + " " + k.text)
                    given[2] = k.end
                    continue
                given = None
                if k.kind in ("letter", "bullet") and numbered and cur is not None and cur_num \
                        and not is_work_field(k):  # a work item's own fields (031) stay as they were
                    # "1.1. Triển khai … cụ thể:" / "a) …" / "- …" (047): the list under a numbered sub-item is part
                    # of that task, not a task of its own
                    cur[0] = clean(cur[0] + " " + k.text)
                    cur[2] = k.end
                elif k.kind in ("letter", "bullet", "num"):
                    cur = [clean(k.body), k.start, k.end]
                    cur_num = k.kind == "num"
                    tasks.append(cur)  # type: ignore[arg-type]
                elif cur is not None and not _is_closing(k):
                    cur[0] = clean(cur[0] + " " + k.text)
                    cur[2] = k.end
                elif cur is None and not _is_closing(k) and not inline:
                    cur = [clean(k.text), k.start, k.end]
                    tasks.append(cur)  # type: ignore[arg-type]
            tasks = [(t[0], t[1], t[2]) for t in tasks if t[0]]
            if not kids and _person_rx().match(head.body) and (not inline or phrase_full("person_titles").match(who)):
                # a member listed in a Quyết định thành lập Tổ/Đoàn, a person without a task: "1. Ông: Hoàng Văn
                # Thuân - Phó Giám đốc …, Trưởng đoàn;" (022, where "Ông" came out as the assignee), "1. Bà Khúc
                # Thị Hòa - … - Tổ trưởng." (040)
                continue
            texts = [head.body] + [t[0] for t in tasks]
            role = "lead" if any(lead_rx.search(x[:40]) for x in texts) else "responsible"
            coords: list[str] = []
            for x in texts:
                for c in coordinators_in(x):
                    if c not in coords:
                        coords.append(c)
            end = kids[-1].end if kids else head.end
            out.append(AssignmentItem(who, role, request, coords, tasks, None, (head.start, end),
                                      (head.body_start + who_off, head.body_start + who_off + len(who))))
            for k, s_who, s_off, s_request, given in inner:
                s_role = "lead" if lead_rx.search(given[0][:40]) else "responsible"
                s_at = k.body_start + s_off
                out.append(AssignmentItem(s_who, s_role, s_request, coordinators_in(given[0]),
                                          [(given[0], given[1], given[2])] if given[0] else [], None,
                                          (k.start, given[2]), (s_at, s_at + len(s_who))))
            inner.clear()
    out.extend(execution_clauses(a, taken=[it.span for it in out]))
    return out


def _implementation_head(text: str) -> bool:
    """Whether an item's head is an implementation heading of its own ("3. Tổ chức thực hiện", 016)."""
    return len(text.split()) <= 8 and phrase_regex("implementation_headings", anchored=True).match(text) is not None


@lru_cache(maxsize=None)
def _answerable_rx() -> re.Pattern:
    # "<units> chịu trách nhiệm <task>" (genre.json responsibility_verbs)
    return re.compile(r"^(?P<who>.{2,400}?)\s+(?P<task>(?i:" + phrase_alt("responsibility_verbs") + r")(?!\w).*)$")


def _answerable_paragraphs(kids: list[Line]) -> list[AssignmentItem]:
    """The paragraphs under an implementation heading that make the units they name answerable.

    016 "3. Tổ chức thực hiện" / "Thủ trưởng các sở, ban, ngành, đoàn thể tỉnh; Chủ tịch Ủy ban nhân dân các xã,
    phường; người đứng đầu các cơ quan, đơn vị có liên quan chịu trách nhiệm tổ chức triển khai thực hiện nghiêm
    túc các nội dung nêu trên; …": the units as written are the assignee (gold 016), the rest the task.
    """
    out: list[AssignmentItem] = []
    for k in kids:
        if k.kind != "none":
            continue
        m = _answerable_rx().match(k.text)
        if m is None:
            continue
        who = clean(m.group("who"))
        if not who or not _starts_with("agency_heads", who) or len(who.split()) > 45 or _verb_split(who) is not None:
            continue
        out.append(_clause_item(k, m, who))
    return out


def _clause_item(ln: Line, m: re.Match, who: str) -> AssignmentItem:
    """One line "<who> <task>" (a match with groups who and task over ``ln.text``) as an assignment."""
    task = clean(m.group("task"))
    task = task[:1].upper() + task[1:]
    at = ln.start + m.start("who")
    return AssignmentItem(who, "responsible", False, [], [(task, ln.start + m.start("task"), ln.end)], None,
                          (ln.start, ln.end), (at, at + len(who)))


@lru_cache(maxsize=None)
def _execution_rx() -> re.Pattern:
    # "Điều 3. <units> chịu trách nhiệm thi hành Quyết định này" (genre.json execution_clauses, article_labels)
    return re.compile(r"^\s*(?i:" + phrase_alt("article_labels") + r")\s+\d+\s*[.:]?\s*(?P<who>.{2,400}?)\s+"
                      r"(?P<task>(?i:" + phrase_alt("execution_clauses") + r")\b.*)$")


def execution_clauses(a: Anatomy, taken: Sequence[tuple[int, int]] = ()) -> list[AssignmentItem]:
    """The article of a Quyết định that names who carries it out, as an assignment.

    "Điều 5: Chánh Văn phòng Sở, Trưởng phòng Quản lý công nghiệp, cá nhân có liên quan … chịu trách nhiệm thi
    hành Quyết định này." (022): the units, as written, are the assignee (one item, as gold 016 keeps "Thủ trưởng
    các sở, …; Chủ tịch UBND các xã …" together); the rest of the sentence is the task.
    """
    out: list[AssignmentItem] = []
    rx = _execution_rx()
    for ln in a.body:
        m = rx.match(ln.text) if ln.kind == "none" else None
        if m is None or any(s <= ln.start < e for s, e in taken):
            continue
        who = clean(m.group("who"))
        if who and _starts_with("agency_heads", who):
            out.append(_clause_item(ln, m, who))
    return out


def _is_closing(ln: Line) -> bool:
    return bool(phrase_regex("closing", anchored=True).match(ln.text))


# --- deadlines -----------------------------------------------------------------------------------

@dataclass
class DeadlineItem:
    date: Optional[str]
    text: str
    start: int
    end: int
    inferred: bool
    recurrence: Optional[str]
    assignees: list[str] = field(default_factory=list)
    task: Optional[str] = None


@lru_cache(maxsize=None)
def _marker_rx() -> re.Pattern:
    # word_start_alt: the matches of (?<!\w)(?:m1|m2|...) longest first, tried by first letter
    return re.compile(word_start_alt([m["phrase"] for m in deadline_vocab()["markers"]]) + r"(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=None)
def _marker_keys() -> tuple[str, ...]:
    return _keys(m["phrase"] for m in deadline_vocab()["markers"])


def _lines_with_marker(texts: list[str]) -> Sequence[int]:
    """Indices of the lines that may hold a deadline marker, found with plain substring search of the
    lower-cased lines (the marker regex tries every position of a line and most lines hold none)."""
    joined = "\n".join(texts)
    low = joined.lower()
    if len(low) != len(joined):  # a letter that lower-cases to two characters: offsets would shift
        return range(len(texts))
    starts = [0]
    for t in texts:
        starts.append(starts[-1] + len(t) + 1)
    found: set[int] = set()
    for key in _marker_keys():
        at = low.find(key)
        while at != -1:
            found.add(bisect_right(starts, at) - 1)
            at = low.find(key, at + 1)
    return sorted(found)


def deadlines(lines: list[Line], default_year: Optional[int]) -> list[DeadlineItem]:
    out: list[DeadlineItem] = []
    gap = int(deadline_vocab()["max_gap_chars"])
    mrx = _marker_rx()
    for i in _lines_with_marker([ln.text for ln in lines]):
        ln = lines[i]
        t = ln.text
        hits = None  # the line's dates, found when it has a marker (most lines have none)
        used: set[int] = set()
        for m in mrx.finditer(t):
            rec = _RECURRING.match(t, m.end())
            if rec:
                e = rec.end()
                out.append(DeadlineItem(None, clean(t[m.start():e]), ln.start + m.start(), ln.start + e, False,
                                        clean(rec.group(0))))
                continue
            if hits is None:
                hits = find_dates(t, default_year)
            h = next((h for h in hits if h.end > m.end() and h.start >= m.start() and h.start - m.end() <= gap
                      and id(h) not in used), None)
            if h is None:
                ym = _YEAR_AFTER.match(t, m.end())
                if ym and m.group(0).lower() in ("trong năm",):
                    e = ym.end()
                    out.append(DeadlineItem(ym.group(1), clean(t[m.start():e]), ln.start + m.start(), ln.start + e,
                                            False, None))
                continue
            between = t[m.end():max(m.end(), h.start)]
            if re.search(r"[.;]", between):
                continue
            used.add(id(h))
            value = h.value.split("/")[-1] if "/" in h.value else h.value
            out.append(DeadlineItem(value.split("T")[0] if h.precision != "time" else value, clean(t[m.start():h.end]),
                                    ln.start + m.start(), ln.start + h.end, h.inferred, h.recurrence))
    return out


# --- work items with their own fields ------------------------------------------------------------


def merge_work_items(own: list[AssignmentItem], items: list[WorkItem]) -> list[AssignmentItem]:
    """One assignment per unit: tasks of work items join the unit's assignment, or start one."""
    out = list(own)
    for it in items:
        for name, s, e in it.leads:
            a = next((x for x in out if same_agency(x.assignee, name)), None)
            if a is None:
                a = AssignmentItem(name, it.role, False, [], [], None, it.region, (s, e))
                out.append(a)
            elif it.role == "lead":
                a.role = "lead"
            for t in it.tasks:
                if t[0] not in [x[0] for x in a.tasks]:
                    a.tasks.append(t)
            for c in it.coordinators:
                if c not in a.coordinators:
                    a.coordinators.append(c)
            if it.due and a.deadline is None:
                a.deadline = it.due[0]
    out.sort(key=lambda a: a.assignee_span[0])
    return out


def attribute_deadlines(found: list[DeadlineItem], items: list[WorkItem],
                        assigned: list[AssignmentItem], text: str = "") -> list[DeadlineItem]:
    """Give each deadline the units of the work item or assignment it is written in.

    A time field ("Thời gian hoàn thành: Quý IV/2025 và Quý I/2026") is one deadline, its
    last date; marker deadlines inside it are replaced by it.
    """
    out = [d for d in found if not any(s <= d.start < e for it in items for s, e in it.time_spans)]
    for it in items:
        if it.due:
            value, due_text, s, e = it.due  # not ``text``: that is the document's, read below
            out.append(DeadlineItem(value, due_text, s, e, False, None))
    out.sort(key=lambda d: d.start)
    for d in out:
        fields = [(it.region[1] - it.region[0], [n for n, _, _ in it.leads]) for it in items
                  if it.leads and it.region[0] <= d.start < it.region[1]]
        owners = fields + [(a.span[1] - a.span[0], [a.assignee]) for a in assigned if a.span[0] <= d.start < a.span[1]]
        if owners:
            d.assignees = min(owners, key=lambda o: o[0])[1]
            if not fields and text:
                # a bullet of the item that names its own unit is that unit's ("9. Ủy ban nhân dân cấp xã" /
                # "- Ủy ban nhân dân phường Yên Bái chủ trì …, hoàn thành … trong năm 2026", 052)
                who = sentence_subject(text, d.start)
                # a unit opening a bullet is written with a capital ("báo cáo tình hình …; báo cáo tổng kết gửi
                # về …" in 035 opens with no unit); "Các nội dung khác …" is too loose to override the item's
                if who and who[:1].isupper() and not _PLURAL_START.match(who) \
                        and not same_agency(who, d.assignees[0]):
                    d.assignees = [who]
        elif text:
            who = sentence_subject(text, d.start)
            if who:
                d.assignees = [who]
    return out


_ITEM_START = r"\n\s*(?:[-–+•]|\d{1,2}(?:\.\d{1,2})*[.)]|[a-zđ]\))\s"
# the sentence first; failing that, the paragraph (after a line that ends a sentence, an indented or
# blank-separated line, or a list item)
_SUBJECT_BOUNDARIES = (re.compile(r"[.;:!?](?=\s)|" + _ITEM_START),
                       re.compile(r"[.;:!?][ \t]*\n|\n(?=[ \t]{2,}\S)|\n\s*\n|" + _ITEM_START))


def sentence_subject(text: str, at: int) -> Optional[str]:
    """The unit that opens the sentence holding offset ``at`` ('Ban Quản lý Khu kinh tế chủ trì, …, hoàn thành
    trong năm 2026'), or None when the sentence does not open with one."""
    window = text[max(0, at - 1500):at]
    for boundary in _SUBJECT_BOUNDARIES:
        cut = 0
        for m in boundary.finditer(window):
            cut = m.end()
        sentence = window[cut:].replace("\n", " ").strip()
        if not sentence:
            continue
        parsed = _parse_head(sentence)
        if parsed is None:
            # "Quyết định có hiệu lực … và giao Ủy ban nhân dân các tỉnh, … chỉ đạo …, hoàn thành chậm nhất …"
            # (016): the unit a task is handed to inside the sentence
            m = _delegation_rx().search(sentence)
            parsed = _parse_head("Giao " + sentence[m.end():]) if m else None
        if parsed is None or parsed[3]:
            continue
        who = parsed[0]
        if len(who.split()) <= 20 and who != sentence:
            return who
    return None


_PLURAL_START = re.compile(r"(?i)(?:các|những)\s")  # "Các nội dung khác …": too loose to override an item's unit


@lru_cache(maxsize=None)
def _delegation_rx() -> re.Pattern:
    # genre.json delegation_words ("giao", "giao cho", "phân công") inside a sentence, before the unit
    return re.compile(r"(?<!\w)(?:" + phrase_alt("delegation_words") + r")\s+(?=\w)", re.IGNORECASE)
