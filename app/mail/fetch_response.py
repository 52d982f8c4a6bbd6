"""A fast reader of the FETCH responses the envelope sync asks for (RFC 9051 7.5.2).

imapclient's general parser tokenises every byte of a response in Python; on a first sync of
50,000 messages that is most of the time spent. The sync asks only for flat items (UID, FLAGS,
MODSEQ, RFC822.SIZE, INTERNALDATE and one BODY[...] section as a literal), which a few regular
expressions read. ``parse_simple_fetch`` gives the same dictionaries as imapclient's
``parse_fetch_response`` (keyed by UID) for such responses and None for anything else (nested
lists, quoted bodies, items it does not know), so the caller falls back to imapclient's parser.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from imapclient.datetime_util import parse_to_datetime

_START = re.compile(rb"(\d+) \(")  # imaplib has cut the word FETCH
# One item and its value: a flat parenthesised list, a quoted string, a number, NIL, or (at the
# very end of a line that imaplib cut before a literal) the literal's announced size.
_ITEM = re.compile(
    rb' ?([A-Za-z0-9.]+(?:\[[^\]]*\](?:<\d+>)?)?) (\([^()"{}]*\)|"[^"\\]*"|\d+|NIL|\{\d+\}$)'
)
# RFC 9051 date-time: "28-Nov-2026 00:27:55 +0000" (the day may be space-padded).
_DATE_TIME = re.compile(
    rb" ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$"
)
_MONTHS = {
    m: i for i, m in enumerate(b"jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)
}
_SIMPLE = {b"UID", b"FLAGS", b"MODSEQ", b"RFC822.SIZE", b"INTERNALDATE"}


def parse_simple_fetch(
    lines: list[Any], *, normalise_times: bool
) -> dict[int, dict[bytes, Any]] | None:
    """The FETCH responses in ``lines`` (as imaplib returns them) by UID; None when one of
    them is not of the simple shape described in the module docstring."""
    found: dict[int, dict[bytes, Any]] = {}
    for line in lines:
        if isinstance(line, tuple):
            head, literal = line
        elif line == b")":  # the rest of a line after a literal
            continue
        else:
            head, literal = line, None
        if not isinstance(head, bytes):
            return None
        parsed = _one(head, literal, normalise_times)
        if parsed is None:
            return None
        uid, data = parsed
        found.setdefault(uid, {}).update(data)
    return found


def _one(
    head: bytes, literal: bytes | None, normalise_times: bool
) -> tuple[int, dict[bytes, Any]] | None:
    start = _START.match(head)
    if start is None:
        return None
    data: dict[bytes, Any] = {b"SEQ": int(start.group(1))}
    uid: int | None = None
    pos, end = start.end(), len(head) if literal is not None else len(head) - 1
    if literal is None and not head.endswith(b")"):
        return None
    while pos < end:
        item = _ITEM.match(head, pos)
        if item is None:
            return None
        name, value = item.group(1).upper(), item.group(2)
        pos = item.end()
        if value.startswith(b"{"):
            if literal is None or not name.startswith(b"BODY["):
                return None
            data[name] = literal
        elif name == b"UID":
            uid = int(value)
        elif name in _SIMPLE:
            data[name] = _value(name, value, normalise_times)
        elif name.startswith(b"BODY[") and value == b"NIL":
            data[name] = None
        else:
            return None
    return (uid, data) if uid is not None else None


def _value(name: bytes, value: bytes, normalise_times: bool) -> Any:
    if name == b"FLAGS":
        return tuple(value[1:-1].split())
    if name == b"MODSEQ":
        return tuple(int(v) for v in value[1:-1].split())
    if name == b"INTERNALDATE":
        return _internaldate(value.strip(b'"'), normalise_times)
    return int(value) if value.isdigit() else None


def _internaldate(text: bytes, normalise_times: bool) -> datetime | None:
    """INTERNALDATE as an aware datetime (imapclient's parser, for what this does not read;
    strptime costs more than the rest of a response)."""
    found = _DATE_TIME.match(text)
    month = _MONTHS.get(found.group(2).lower()) if found else None
    if found is None or month is None:
        try:
            parsed: datetime = parse_to_datetime(text, normalise=normalise_times)
            return parsed
        except ValueError:
            return None
    day, _, year, hour, minute, second, sign, zh, zm = found.groups()
    try:
        moment = datetime(
            int(year),
            month,
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=_zone(sign == b"-", int(zh), int(zm)),
        )
    except ValueError:
        return None
    return moment.astimezone().replace(tzinfo=None) if normalise_times else moment


@lru_cache(maxsize=64)
def _zone(west: bool, hours: int, minutes: int) -> timezone:
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if west else offset) if offset else UTC
