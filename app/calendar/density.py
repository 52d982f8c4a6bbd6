"""How often a recurrence rule may repeat (RFC 5545 3.3.10).

A rule like ``FREQ=SECONDLY`` with no end has 31 million occurrences a year: expanding one
year of it for the index would take minutes and gigabytes. The bound below counts, per unit of
time, the values a rule can take (BYxxx lists, or every value below its frequency), so it is
an upper bound computed without expanding anything; rules above it are refused.
"""

from __future__ import annotations

from typing import Any

MAX_YEARLY_OCCURRENCES = 50_000  # about one every ten minutes
_FINER = ("SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY")


def yearly_bound(rule: Any) -> int:
    """An upper bound on the occurrences of an RRULE (an ``icalendar.vRecur``) in a year;
    0 for a rule that does not parse (expanding it reports why)."""
    if not isinstance(rule, dict):
        return 0
    freq = str(_first(rule, "FREQ") or "YEARLY").upper()
    rank = _FINER.index(freq) if freq in _FINER else len(_FINER) - 1
    seconds = _count(rule, "BYSECOND", 60 if rank == 0 else 1)
    minutes = _count(rule, "BYMINUTE", 60 if rank <= 1 else 1)
    hours = _count(rule, "BYHOUR", 24 if rank <= 2 else 1)
    interval = _first(rule, "INTERVAL")
    interval = max(interval if isinstance(interval, int) else 1, 1)
    return seconds * minutes * hours * _days(rule, rank) // interval + 1


def too_frequent(rules: list[Any]) -> bool:
    """Whether the rules together may repeat more than ``MAX_YEARLY_OCCURRENCES`` a year."""
    return sum(yearly_bound(rule) for rule in rules) > MAX_YEARLY_OCCURRENCES


def _days(rule: Any, rank: int) -> int:
    if rank <= 3:  # SECONDLY to DAILY: any day
        return 366
    weekdays = len(rule.get("BYDAY", []))
    if rank == 4:  # WEEKLY
        return 53 * max(weekdays, 1)
    month_days = len(rule.get("BYMONTHDAY", []))
    if rank == 5:  # MONTHLY
        return 12 * max(month_days, weekdays * 5, 1)
    months = len(rule.get("BYMONTH", [])) or 12
    candidates = (
        len(rule.get("BYYEARDAY", [])),
        len(rule.get("BYWEEKNO", [])) * 7,
        month_days * months,
        weekdays * 53,
        months,
    )
    return min(max(*candidates, 1), 366)


def _count(rule: Any, key: str, default: int) -> int:
    return len(rule.get(key, [])) or default


def _first(rule: Any, key: str) -> Any:
    values = rule.get(key)
    return values[0] if values else None
