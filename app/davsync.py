"""Pieces both DAV stores share (calendars and address books are sibling domains).

- RFC 6578 sync: folding a collection's change log into what a client must fetch or forget.
- RFC 4790 collations for CALDAV/CARDDAV text-match.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Changes:
    """What changed since a sync token: names to fetch and names gone."""

    revision: int
    changed: list[str]
    deleted: list[str]


def fold_changes(rows: Iterable[tuple[str, bool]], *, since: int, revision: int) -> Changes:
    """The last state of each name in a change log read in revision order.

    An initial sync (``since`` 0) reports no deletions: the client never had those items.
    """
    last = {name: gone for name, gone in rows}
    changed = [name for name, gone in last.items() if not gone]
    deleted = [name for name, gone in last.items() if gone and since > 0]
    return Changes(revision, changed, deleted)


def text_matches(text: str, value: str, *, collation: str, match_type: str, negate: bool) -> bool:
    """Whether ``value`` matches a text-match (RFC 4791 9.7.5, RFC 6352 10.5.4).

    i;octet compares bytes as they are; the casemap collations compare case-insensitively.
    """
    needle, hay = text, value
    if collation != "i;octet":
        needle, hay = needle.casefold(), hay.casefold()
    found = {
        "equals": hay == needle,
        "starts-with": hay.startswith(needle),
        "ends-with": hay.endswith(needle),
    }.get(match_type, needle in hay)
    return found != negate
