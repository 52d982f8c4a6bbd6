"""Pieces both DAV stores share (calendars and address books are sibling domains).

- RFC 6578 sync: folding a collection's change log into what a client must fetch or forget.
- RFC 4790 and RFC 5051 collations for CALDAV/CARDDAV text-match.
"""

from __future__ import annotations

import unicodedata
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


class _SimpleTitlecase(dict[int, str]):
    """``str.translate`` table of the simple titlecase mapping (UnicodeData field 14), filled
    as characters are met. Python's ``str.title`` gives the full mapping; where that is more
    than one character (ß, ligatures) the simple mapping leaves the character as it is."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        title = char.title()
        self[code] = value = title if len(title) == 1 else char
        return value


_TITLECASE = _SimpleTitlecase()
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def unicode_casemap(text: str) -> str:
    """The i;unicode-casemap key of a string (RFC 5051 2): simple titlecase, then NFKD."""
    return unicodedata.normalize("NFKD", text.translate(_TITLECASE))


def collation_key(text: str, collation: str) -> str:
    """What a collation compares (RFC 4790): i;octet the text itself, i;ascii-casemap with
    a-z folded only (RFC 4790 9.2), i;unicode-casemap per RFC 5051."""
    if collation == "i;octet":
        return text
    if collation == "i;ascii-casemap":
        return text.translate(_ASCII_UPPER)
    return unicode_casemap(text)


def text_matches(text: str, value: str, *, collation: str, match_type: str, negate: bool) -> bool:
    """Whether ``value`` matches a text-match (RFC 4791 9.7.5, RFC 6352 10.5.4)."""
    needle, hay = collation_key(text, collation), collation_key(value, collation)
    if match_type == "equals":
        found = hay == needle
    elif match_type == "starts-with":
        found = hay.startswith(needle)
    elif match_type == "ends-with":
        found = hay.endswith(needle)
    else:
        found = needle in hay
    return found != negate
