"""The date range a partial ISO value covers (spec "Values": dates).

Stored dates stay strings as precise as the source; for filtering each one gets
the first and last day it can mean, so "due before 2024-07-15" can be asked of a
deadline written "tháng 7/2024" (2024-07 -> 2024-07-01 .. 2024-07-31).
"""

from __future__ import annotations

import calendar
import re
from datetime import date

_PART = re.compile(
    r"""^(?P<year>\d{4})
        (?:
            -(?P<quarter_or_half>[QH])(?P<n>\d)         # 2020-Q3, 2020-H1
          | -(?P<month>\d{1,2})
            (?:-(?P<day>\d{1,2})
               (?:[T\s]\d{1,2}:\d{2}(?::\d{2})?)?   # a time of day changes nothing here
            )?
        )?$""",
    re.VERBOSE,
)


def _part_range(value: str) -> tuple[date | None, date | None]:
    m = _PART.match(value.strip())
    if not m:
        return None, None
    year = int(m["year"])
    try:
        if m["quarter_or_half"] == "Q":
            q = int(m["n"])
            if not 1 <= q <= 4:
                return None, None
            first, last = 3 * q - 2, 3 * q
        elif m["quarter_or_half"] == "H":
            h = int(m["n"])
            if h not in (1, 2):
                return None, None
            first, last = (1, 6) if h == 1 else (7, 12)
        elif m["month"] is not None:
            first = last = int(m["month"])
            if m["day"] is not None:
                d = date(year, first, int(m["day"]))
                return d, d
        else:
            first, last = 1, 12
        return date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1])
    except ValueError:  # month 13, 30 February, ...
        return None, None


def date_range(value: str | None) -> tuple[date | None, date | None]:
    """First and last day a partial ISO date (or ``START/END`` range) covers.

    Args:
        value: ``2024-07-26``, ``2024-07-26T08:00``, ``2024-07``, ``2020-Q3``,
            ``2020-H1``, ``2020`` or ``A/B`` of any two of these.

    Returns:
        ``(start, end)``; ``(None, None)`` when the value cannot be read.

    Example:
        >>> date_range("2020-Q3")
        (datetime.date(2020, 7, 1), datetime.date(2020, 9, 30))
    """
    if not value or not isinstance(value, str):
        return None, None
    if "/" in value:
        left, _, right = value.partition("/")
        start, _ = _part_range(left)
        _, end = _part_range(right)
        if start is None or end is None or end < start:
            return None, None
        return start, end
    return _part_range(value)
