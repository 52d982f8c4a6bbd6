"""addressbook-query filters (RFC 6352 10.5) evaluated on stored vCards."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.contacts.vcard import Property, card_properties
from app.davsync import text_matches


@dataclass
class CardTextMatch:
    """CARDDAV:text-match (RFC 6352 10.5.4)."""

    text: str
    collation: str = "i;unicode-casemap"
    negate: bool = False
    match_type: str = "contains"

    def matches(self, value: str) -> bool:
        """Whether ``value`` matches, honouring collation, match type and negation."""
        return text_matches(
            self.text,
            value,
            collation=self.collation,
            match_type=self.match_type,
            negate=self.negate,
        )


@dataclass
class CardParamFilter:
    """CARDDAV:param-filter (RFC 6352 10.5.2)."""

    name: str
    is_not_defined: bool = False
    text_match: CardTextMatch | None = None


@dataclass
class CardPropFilter:
    """CARDDAV:prop-filter (RFC 6352 10.5.1)."""

    name: str
    all_of: bool = False
    is_not_defined: bool = False
    text_matches: list[CardTextMatch] = field(default_factory=list)
    params: list[CardParamFilter] = field(default_factory=list)


@dataclass
class CardFilter:
    """CARDDAV:filter: its prop-filters combined with anyof (default) or allof."""

    props: list[CardPropFilter] = field(default_factory=list)
    all_of: bool = False


def card_matches(text: str, flt: CardFilter) -> bool:
    """Whether the vCard matches the filter (no prop-filter: every card does)."""
    return not flt.props or properties_match(card_properties(text), flt)


def properties_match(props: list[Property], flt: CardFilter) -> bool:
    """Whether a card, given as its parsed properties, matches the filter."""
    if not flt.props:
        return True
    results = (_prop_matches(props, p) for p in flt.props)
    return all(results) if flt.all_of else any(results)


def _prop_matches(props: list[tuple[str, str, dict[str, list[str]]]], flt: CardPropFilter) -> bool:
    found = [p for p in props if p[0] == flt.name]
    if flt.is_not_defined:
        return not found
    if not found:
        return False
    return any(_one(value, params, flt) for _name, value, params in found)


def _one(value: str, params: dict[str, list[str]], flt: CardPropFilter) -> bool:
    tests = [m.matches(value) for m in flt.text_matches]
    for param in flt.params:
        values = params.get(param.name)
        if param.is_not_defined:
            tests.append(values is None)
        elif values is None:
            tests.append(False)
        else:
            tm = param.text_match
            tests.append(tm is None or any(tm.matches(str(v)) for v in values))
    if not tests:
        return True
    return all(tests) if flt.all_of else any(tests)
