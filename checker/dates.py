"""Calendar dates as policies write them ("Last updated: March 3, 2026", "3rd March 2026", "2026-03-03",
"03/03/2026", "March 2026"), for the `date` pattern leaf and the freshness check of elements with
`max_age_months` (a policy must be reviewed at least every 12 months under Cal. Civ. Code 1798.130(a)(5)).

Numeric dates with slashes are read month first (US usage: these checks are about California law) unless the
first number cannot be a month; dotted numeric dates (03.04.2026) are read day first (European usage).
"""
from __future__ import annotations

import calendar
import re
from datetime import date

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
    "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"

# one regex for every form; the named groups say which form matched
PATTERN = (
    rf"\b(?:"
    rf"(?P<mdy>{_MONTH},?\s+{_DAY},?\s+{_YEAR})"                    # March 3, 2026 / Mar. 3rd 2026
    rf"|(?P<dmy>{_DAY}(?:\s+of)?\s+{_MONTH},?\s+{_YEAR})"            # 3 March 2026 / 3rd of March, 2026
    rf"|(?P<my>{_MONTH},?\s*{_YEAR})"                                # March 2026 / March,2023
    rf"|(?P<iso>{_YEAR}-[01]?\d-[0-3]?\d)"                           # 2026-03-03
    rf"|(?P<slash>[0-3]?\d/[0-3]?\d/(?:{_YEAR}|\d\d))"              # 03/03/2026, 3/3/26
    rf"|(?P<dot>[0-3]?\d\.[01]?\d\.{_YEAR})"                          # 03.03.2026
    rf")\b"
)
_RX = re.compile(PATTERN, re.I)


def _safe(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _year(text: str) -> int:
    y = int(text)
    return y + 2000 if y < 100 else y


def parse_date(text: str) -> date | None:
    """The date a matched string names (a month alone means its last day), or None if it is not a real date."""
    m = _RX.fullmatch(text.strip())
    if m is None:
        return None
    if m.group("iso"):
        y, mo, d = (int(x) for x in m.group("iso").split("-"))
        return _safe(y, mo, d)
    if m.group("slash"):
        a, b, y = m.group("slash").split("/")
        a_i, b_i = int(a), int(b)
        if a_i > 12:  # 25/03/2026 can only be day first
            a_i, b_i = b_i, a_i
        return _safe(_year(y), a_i, b_i)
    if m.group("dot"):
        d, mo, y = (int(x) for x in m.group("dot").split("."))
        return _safe(y, mo, d)
    words = re.findall(r"[a-z]+|\d+", m.group().lower())
    month = next(_MONTHS[w] for w in words if w in _MONTHS)
    nums = [int(w) for w in words if w.isdigit()]
    year = nums[-1]
    if m.group("my"):
        return date(year, month, calendar.monthrange(year, month)[1])
    return _safe(year, month, nums[0])


def months_before(d: date, n: int) -> date:
    """The same day n months earlier (the month's last day when it has no such day: 31 May -> 30 April)."""
    y, m = divmod(d.year * 12 + d.month - 1 - n, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def months_between(earlier: date, later: date) -> int:
    """Whole months from `earlier` to `later`."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - 1 if later.day < earlier.day else months


def fmt(d: date) -> str:
    """A date as reports print it: 3 March 2026 (unambiguous on both sides of the Atlantic)."""
    return f"{d.day} {calendar.month_name[d.month]} {d.year}"
