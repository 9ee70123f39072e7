"""Date mentions in Vietnamese administrative text -> partial ISO values.

Values are as precise as the source and no more (spec "Values"):
``2024-07-26``, ``2024-07-26T08:00``, ``2024-07``, ``2020-Q3``, ``2020-H1``,
``2020``, ranges ``START/END``. A day and month without a year take the year of
the document's own date (``inferred=True``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Iterator, Optional

from kehoach.vocab import load

ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}


@dataclass
class DateHit:
    start: int
    end: int
    value: str
    text: str
    precision: str  # "day", "time", "month", "quarter", "half", "year", "range"
    inferred: bool = False
    recurrence: Optional[str] = None  # "hằng năm" for "ngày 15 tháng 02 của năm liền kề sau năm báo cáo"


def _alt(phrases: list[str]) -> str:
    # longest first, so "năm sau năm báo cáo" wins over "năm sau"; a space stands for any run of white space
    return "|".join(r"\s+".join(map(re.escape, p.split())) for p in sorted(phrases, key=len, reverse=True))


# deadlines.json "relative_years": the year of a day and month written without one, relative to the document's
_RELATIVE = {" ".join(e["phrase"].lower().split()): e for e in load("deadlines")["relative_years"]}
_RELATIVE_RX = re.compile(r"\s*,?\s*(?:của\s+)?(?P<p>" + _alt(list(_RELATIVE)) + r")(?!\w)", re.IGNORECASE)


def _build_patterns() -> list[tuple[str, re.Pattern]]:
    # Whitespace inside dates is common in scanned/typed text ("22/ 12/ 2011"),
    # so separators allow spaces around them.
    sp = r"[ \t]*"
    day = r"(?P<d>[0-3]?\d)"
    mon = r"(?P<m>[01]?\d)"
    year = r"(?P<y>(?:19|20)\d\d)"
    # time of day: "08 giờ", "8 giờ 30", "14 giờ 00", "8h00", "07h30", "08:00"
    # a colon is a time's only with its minutes right after it: "lần 1: 15/6/2020" (003) is an ordinal
    time = (r"(?P<H>[0-2]?\d)(?:" + sp + r"(?:giờ|h|g)" + sp + r"|:(?=[0-5]\d(?!\d)))(?P<M>[0-5]\d)?(?:" + sp
            + r"phút)?")
    # the look-ahead (a prefix word or the hour's digit) spares the optional group at most positions
    time_prefix = r"(?=[vlt\d])(?:(?:vào|lúc|từ)\s+)?" + time + r"(?:\s*\([^)]{0,20}\))?[, ]+(?:(?:sáng|chiều|tối)\s+)?(?:thứ\s+\w+,?\s+)?"
    num_date = day + sp + r"[/.\-]" + sp + mon + sp + r"[/.\-]" + sp + year
    word_date = (r"ngày" + sp + day + r",?\s+tháng" + sp + mon + r",?\s+năm" + sp + year)
    # "năm" after a yearless date is its (missing) year, unless it opens a relative year ("năm sau")
    rel_nam = [p[len("năm "):] for p in _RELATIVE if p.startswith("năm ")]
    not_year = r"(?!\s*(?:năm(?!\s+(?:" + _alt(rel_nam) + r")(?!\w))|/|\d))"
    # The search tries a pattern at every position of a window, and a look-behind as its first step costs
    # more there than a letter or a look-ahead for one: "t(?<!\wt)háng" is "(?<!\w)tháng" with the letter first.
    pats = [
        # "ngày 26 tháng 7 năm 2024", optional time before it
        ("word_time", time_prefix + word_date),
        ("word", word_date),
        ("num_time", time_prefix + r"(?:ngày" + sp + r")?" + num_date),
        ("num", r"(?=[n\d])(?<![\d/])(?:ngày" + sp + r")?" + num_date + r"(?![\d/])"),
        # "ngày 20 tháng 11" (no year) / "ngày 20/11" (no year)
        ("word_noyear", r"ngày" + sp + day + r"\s+tháng" + sp + mon + not_year),
        ("num_noyear", r"ngày" + sp + day + sp + r"/" + sp + mon + r"(?![\d/.])"),
        # "tháng 4 năm 2026", "tháng 11/2025", "tháng 5-2026"
        ("month", r"t(?<!\wt)háng" + sp + mon + r"(?:\s+năm\s*|" + sp + r"[/\-]" + sp + r")" + year),
        # "quý III/2020", "quý II năm 2026", "Quý 3/2020"
        ("quarter", r"q(?<!\wq)uý" + sp + r"(?P<q>IV|I{1,3}|[1-4])(?:\s+năm\s*|" + sp + r"/" + sp + r")" + year),
        # "6 tháng đầu năm 2020", "6 tháng cuối năm 2020"
        ("half", r"(?:0(?<!\w0)6|6(?<!\w6))\s+tháng\s+(?P<h>đầu|cuối)\s+năm\s*" + year),
    ]
    return [(name, re.compile(p, re.IGNORECASE)) for name, p in pats]


_PATTERNS = _build_patterns()
# Every pattern holds a number, and none starts more than a few words before its first digit
# ("vào lúc 8 giờ", "quý III năm 2020") or ends after its last one; so the patterns only need to
# run near digits. Windows: digits closer than _GAP chars form one cluster, widened by _BEFORE/_AFTER.
_BEFORE, _AFTER, _GAP = 60, 40, 120


# a cluster: digits with fewer than _GAP characters from one to the next
_CLUSTER = re.compile(r"\d(?:\D{0,%d}+\d)*+" % (_GAP - 2))  # possessive: a gap is never given back


def _windows(text: str) -> list[tuple[int, int]]:
    """(start, end) ranges of ``text`` that can hold a date: [] when it has no digit at all."""
    n = len(text)
    return [(max(0, m.start() - _BEFORE), min(n, m.end() + _AFTER)) for m in _CLUSTER.finditer(text)]


_RANGE_SEP = re.compile(r"^\s*(?:-|–|—|đến|tới|~)\s*(?:ngày\s*)?$", re.IGNORECASE)


def _valid(y: int, m: int, d: Optional[int] = None) -> bool:
    if not 1 <= m <= 12:
        return False
    if d is None:
        return True
    mdays = [31, 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return 1 <= d <= mdays[m - 1]


def _hit(name: str, m: re.Match, default_year: Optional[int]) -> Optional[DateHit]:
    g = m.groupdict()
    text = m.group(0).strip()
    inferred = False
    end, recurrence = m.start() + len(m.group(0).rstrip()), None
    if name in ("word", "num", "word_time", "num_time", "word_noyear", "num_noyear"):
        if g.get("y"):
            y = int(g["y"])
        elif default_year:
            y, inferred = default_year, True
            rel = _RELATIVE_RX.match(m.string, m.end())
            if rel:  # "ngày 15 tháng 02 của năm liền kề sau năm báo cáo": the year after the document's
                entry = _RELATIVE[" ".join(rel.group("p").lower().split())]
                y += int(entry["offset"])
                recurrence = entry.get("recurrence")
                end = rel.end()
                text = m.string[m.start():end].strip()
        else:
            return None
        mo, d = int(g["m"]), int(g["d"])
        if not _valid(y, mo, d):
            return None
        value = f"{y:04d}-{mo:02d}-{d:02d}"
        prec = "day"
        if g.get("H") is not None:
            hh = int(g["H"])
            mm = int(g["M"]) if g.get("M") else 0
            if hh <= 23:
                value += f"T{hh:02d}:{mm:02d}"
                prec = "time"
        return DateHit(m.start(), end, value, text, prec, inferred, recurrence)
    y = int(g["y"])
    if name == "month":
        mo = int(g["m"])
        if not _valid(y, mo):
            return None
        return DateHit(m.start(), m.end(), f"{y:04d}-{mo:02d}", text, "month")
    if name == "quarter":
        q = g["q"].upper()
        qn = ROMAN.get(q) or int(q)
        return DateHit(m.start(), m.end(), f"{y:04d}-Q{qn}", text, "quarter")
    if name == "half":
        h = 1 if g["h"].lower() == "đầu" else 2
        return DateHit(m.start(), m.end(), f"{y:04d}-H{h}", text, "half")
    return None


def find_dates(text: str, default_year: Optional[int] = None) -> list[DateHit]:
    """All date mentions of at least month precision, left to right, without overlaps.

    Two mentions joined by "-", "đến" ("30/4/1975 - 30/4/2025", "từ ngày 5/12
    đến ngày 20/02/2026") become one range hit ``START/END``.
    """
    windows = _windows(text)
    return _find(text, default_year, windows) if windows else []  # no digit, no date


# What each pattern cannot match without (checked on the lower-cased window before the pattern runs;
# the patterns are case-insensitive, so lower() keeps every text they match).
_TIME_HINT = re.compile(r"\d[ \t]*(?:giờ|h|g|:)")
_NUM_HINT = re.compile(r"\d[ \t]*[/.\-][ \t]*\d")


_GATE_ORDER = ("word_time", "word", "num_time", "num", "word_noyear", "num_noyear", "month", "quarter", "half")
assert tuple(name for name, _ in _PATTERNS) == _GATE_ORDER, "_gated's tuple follows _PATTERNS"


def _gated(w: str) -> list[int]:
    """The indexes in ``_PATTERNS`` of the patterns worth running on the lower-cased window ``w``
    (its gates are in ``_GATE_ORDER``)."""
    thang, ngay = "tháng" in w, "ngày" in w
    word = ngay and thang and "năm" in w
    num = _NUM_HINT.search(w) is not None
    timed = (word or num) and _TIME_HINT.search(w) is not None
    gates = (word and timed, word, num and timed, num, ngay and thang, ngay and "/" in w, thang, "quý" in w,
             thang and ("đầu" in w or "cuối" in w))
    return [i for i, g in enumerate(gates) if g]


def _find(text: str, default_year: Optional[int], windows: list[tuple[int, int]],
          gated: bool = True) -> list[DateHit]:
    hits: list[DateHit] = []
    # spans of the hits so far, in order: they never overlap, so their ends are in order too
    starts: list[int] = []
    ends: list[int] = []

    def overlaps(s: int, e: int) -> bool:
        i = bisect_right(ends, s)  # the first span that ends after s
        return i < len(starts) and starts[i] < e

    # each pattern's windows, with their lower-cased text: a window goes only to the patterns its gate lets by
    runs: list[list[tuple[int, int, Optional[str]]]] = [[] for _ in _PATTERNS]
    for lo, hi in windows:
        if gated:
            low = text[lo:hi].lower()
            for i in _gated(low):
                runs[i].append((lo, hi, low))
        else:
            for run in runs:
                run.append((lo, hi, None))
    for (name, rx), run in zip(_PATTERNS, runs):
        lead = _LEADS.get(name)
        for lo, hi, low in run:
            if lead and low is not None and len(low) == hi - lo:
                found = _finditer_at(rx, text, lo, hi, low, lead)
            else:
                found = rx.finditer(text, lo, hi)
            for m in found:
                # a hit starts where its match does and ends no earlier than the match without trailing
                # spaces: a match overlapping a hit so far gives nothing, and need not be read
                if overlaps(m.start(), m.start() + len(m.group(0).rstrip())):
                    continue
                h = _hit(name, m, default_year)
                if h is None or overlaps(h.start, h.end):
                    continue
                hits.append(h)
                i = bisect_right(starts, h.start)
                starts.insert(i, h.start)
                ends.insert(i, h.end)
    hits.sort(key=lambda h: h.start)
    return _join_ranges(text, hits)


# The word each of these patterns starts with, in lower case: they are tried only where it stands.
_LEADS = {"word": "ngày", "word_noyear": "ngày", "num_noyear": "ngày", "month": "tháng", "quarter": "quý"}


def _finditer_at(rx: re.Pattern, text: str, lo: int, hi: int, low: str, lead: str) -> Iterator[re.Match]:
    """What ``rx.finditer(text, lo, hi)`` finds, for a pattern whose every match starts with the word
    ``lead`` in any case; ``low`` is ``text[lo:hi].lower()``, as long as the window. The pattern is tried
    where the word stands, from the end of the last match on, as the search would try it."""
    pos = lo
    i = low.find(lead)
    while i >= 0:
        if lo + i >= pos:
            m = rx.match(text, lo + i, hi)
            if m:
                yield m
                pos = m.end()
        i = low.find(lead, i + 1)


def _join_ranges(text: str, hits: list[DateHit]) -> list[DateHit]:
    out: list[DateHit] = []
    i = 0
    while i < len(hits):
        h = hits[i]
        if i + 1 < len(hits):
            n = hits[i + 1]
            between = text[h.end:n.start]
            if _RANGE_SEP.match(between) and h.precision in ("day", "month", "time") and n.precision in ("day", "month", "time", "quarter"):
                out.append(DateHit(h.start, n.end, f"{h.value}/{n.value}", text[h.start:n.end], "range",
                                   h.inferred or n.inferred))
                i += 2
                continue
        out.append(h)
        i += 1
    return out


def parse_date_line(text: str) -> Optional[str]:
    """The issue date of a header date line, partial when blank.

    "ngày 27 tháng 6 năm 2024" -> "2024-06-27"; "ngày tháng 4 năm 2026" -> "2026-04";
    "ngày  tháng  năm 2020" -> "2020"; "ngày 26/3/2026" -> "2026-03-26".
    """
    hits = [h for h in find_dates(text) if h.precision in ("day", "time")]
    if hits:
        return hits[0].value.split("T")[0]
    m = re.search(r"ngày[\s.…_]*(?P<d>\d{1,2})?[\s.…_]*tháng[\s.…_]*(?P<m>\d{1,2})?[\s.…_]*năm[\s.…_]*(?P<y>(?:19|20)\d\d)",
                  text, re.IGNORECASE)
    if not m:
        return None
    y = int(m.group("y"))
    if m.group("m") and _valid(y, int(m.group("m"))):
        return f"{y:04d}-{int(m.group('m')):02d}"
    return f"{y:04d}"


def year_of(value: Optional[str]) -> Optional[int]:
    if value and re.match(r"\d{4}", value):
        return int(value[:4])
    return None


def iter_years(text: str) -> Iterator[int]:
    for m in re.finditer(r"(?<!\d)(?:19|20)\d\d(?!\d)", text):
        yield int(m.group(0))
