"""The search column of cards: what addressbook-query narrows its candidates by in SQL.

Each card keeps ``\\x1eNAME\\x1fvalue`` per property (binary ones aside), ending in ``\\x1e``,
with each value reduced by ``search_key``: the i;unicode-casemap key (RFC 5051) without
combining marks. That key is coarser than every supported collation and keeps substrings,
prefixes and suffixes (it maps character by character), so a card a text-match accepts under
any collation also passes the LIKE pattern built from the same key: the SQL step only drops
cards that cannot match; the exact RFC 6352 test then runs on the few left (``query``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, or_, true

from app.contacts.models import Card
from app.contacts.query import CardFilter, CardPropFilter
from app.davsync import unicode_casemap

START, SEPARATOR = "\x1e", "\x1f"
# Large binary values nobody filters by text; a filter on them skips the SQL step.
UNINDEXED = frozenset({"PHOTO", "LOGO", "SOUND", "KEY"})


def search_key(text: str) -> str:
    """The folded form stored and searched: RFC 5051 key, combining marks and separators out."""
    return "".join(
        c
        for c in unicode_casemap(text)
        if not unicodedata.combining(c) and c not in (START, SEPARATOR)
    )


def search_text(properties: Iterable[tuple[str, str, object]]) -> str:
    """The search column of a card from its (NAME, value, parameters) properties."""
    parts = [
        f"{START}{search_key(name)}{SEPARATOR}{search_key(value)}"
        for name, value, _params in properties
        if name not in UNINDEXED
    ]
    return "".join(parts) + START


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matches(pattern: str) -> ColumnElement[bool]:
    return Card.search.like(pattern, escape="\\")


def _prop_clause(flt: CardPropFilter) -> ColumnElement[bool] | None:
    """A condition every card the prop-filter accepts meets; ``None`` if there is none."""
    if flt.is_not_defined or flt.name in UNINDEXED:
        return None
    marker = "%" + _like(f"{START}{search_key(flt.name)}{SEPARATOR}")
    present = _matches(marker + "%")
    tests: list[ColumnElement[bool]] = [present for _param in flt.params]
    for match in flt.text_matches:
        needle = _like(search_key(match.text))
        if match.negate or not needle:
            tests.append(present)
        elif match.match_type == "equals":
            tests.append(_matches(f"{marker}{needle}{_like(START)}%"))
        elif match.match_type == "starts-with":
            tests.append(_matches(f"{marker}{needle}%"))
        elif match.match_type == "ends-with":
            tests.append(_matches(f"{marker}%{needle}{_like(START)}%"))
        else:
            tests.append(_matches(f"{marker}%{needle}%"))
    if not tests:
        return present
    return and_(*tests) if flt.all_of else or_(*tests)


def candidate_clause(flt: CardFilter) -> ColumnElement[bool]:
    """The SQL condition of the cards that may match the filter (a superset of the matches);
    cards without a search column yet are always candidates."""
    clauses = [_prop_clause(p) for p in flt.props]
    if not clauses:
        return true()
    if flt.all_of:
        known = [c for c in clauses if c is not None]
        narrowed = and_(*known) if known else None
    else:
        narrowed = None if any(c is None for c in clauses) else or_(*clauses)  # type: ignore[arg-type]
    if narrowed is None:
        return true()
    return or_(Card.search.is_(None), narrowed)
