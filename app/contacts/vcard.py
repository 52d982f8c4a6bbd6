"""vCard validation (RFC 6350, and RFC 2426 vCard 3.0 on input) with vobject."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import vobject

from app.errors import DomainError, Invalid, TooLarge

MAX_CARD_BYTES = 1_000_000
SUPPORTED_VERSIONS = ("3.0", "4.0")

E = TypeVar("E", bound=DomainError)
# A property as filters see it: NAME, its value as text, its parameters (NAME -> values).
Property = tuple[str, str, dict[str, list[str]]]


def with_precondition(error: E, name: str) -> E:
    """Tag an error with the RFC 6352 precondition element the DAV edge reports."""
    error.precondition = name  # type: ignore[attr-defined]
    return error


@dataclass(frozen=True)
class ParsedCard:
    """A validated vCard and what lookups need from it."""

    uid: str
    full_name: str
    emails: tuple[str, ...]
    version: str
    properties: tuple[Property, ...] = ()


def parse_card(text: str) -> ParsedCard:
    """Validate one vCard or refuse it with ``valid-address-data`` (RFC 6352 6.3.2.1)."""
    if len(text.encode()) > MAX_CARD_BYTES:
        raise with_precondition(
            TooLarge("The item is larger than %(limit)s bytes.", limit=MAX_CARD_BYTES),
            "max-resource-size",
        )
    try:
        cards = list(vobject.readComponents(text, validate=False))
    except Exception as exc:  # vobject raises ParseError, ValueError...
        raise _invalid(str(exc)[:200]) from exc
    if len(cards) != 1 or cards[0].name != "VCARD":
        raise _invalid("exactly one VCARD is required")
    card: Any = cards[0]
    version = _value(card, "version")
    if version not in SUPPORTED_VERSIONS:
        raise with_precondition(
            Invalid("vCard version %(version)s is not supported.", version=version or "?"),
            "supported-address-data",
        )
    uid = _value(card, "uid")
    if not uid or len(uid) > 255:
        raise _invalid("a UID is required (RFC 6352 5.1)")
    full_name = _value(card, "fn")
    if not full_name:
        raise _invalid("an FN property is required")
    emails = tuple(str(e.value).strip().lower() for e in card.contents.get("email", []) if e.value)
    return ParsedCard(uid, full_name, emails, version, tuple(_properties(card)))


def _value(card: Any, name: str) -> str:
    items = card.contents.get(name)
    if not items:
        return ""
    value = items[0].value
    return str(value).strip() if value is not None else ""


def _invalid(reason: str) -> Invalid:
    return with_precondition(
        Invalid("This is not a valid vCard: %(reason)s", reason=reason), "valid-address-data"
    )


def card_properties(text: str) -> list[Property]:
    """Each property of a stored vCard as (NAME, value text, parameters), for filters."""
    return _properties(vobject.readOne(text, validate=False))


def _properties(card: Any) -> list[Property]:
    found = []
    for name, items in card.contents.items():
        for item in items:
            value = item.value
            if isinstance(value, list | tuple):
                value = ",".join(str(v) for v in value)
            found.append((name.upper(), str(value), {k.upper(): v for k, v in item.params.items()}))
    return found
