"""Parsing and validating what people type into To/Cc/Bcc (RFC 5322 addresses)."""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.utils import getaddresses

from app.errors import Invalid

_LOCAL_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
MAX_RECIPIENTS = 500


def ascii_domain(domain: str) -> str | None:
    """The domain in ASCII (IDNA for international names), or ``None`` when invalid."""
    try:
        encoded = domain.strip().rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = encoded.split(".")
    if len(labels) < 2 or len(encoded) > 253 or not all(_LABEL_RE.match(x) for x in labels):
        return None
    return encoded


def parse_address(text: str) -> Address:
    """One address like ``Name <user@example.com>``; ``Invalid`` when it is not one."""
    if _CONTROL_RE.search(text):
        raise Invalid("“%(address)s” contains control characters.", address=text.strip()[:80])
    pairs = getaddresses([text])
    if len(pairs) != 1 or not pairs[0][1]:
        raise Invalid("“%(address)s” is not a valid email address.", address=text.strip()[:80])
    name, addr = pairs[0]
    local, at, domain = addr.rpartition("@")
    encoded_domain = ascii_domain(domain) if at else None
    if not local or not _LOCAL_RE.match(local) or len(local) > 64 or encoded_domain is None:
        raise Invalid("“%(address)s” is not a valid email address.", address=text.strip()[:80])
    return Address(display_name=" ".join(name.split()), username=local, domain=encoded_domain)


def parse_address_list(values: list[str]) -> list[Address]:
    """Addresses from chips or comma-separated fields; duplicates dropped, all or nothing."""
    found: list[Address] = []
    seen: set[str] = set()
    bad: list[str] = []
    for value in values:
        for chunk in _split(value):
            try:
                address = parse_address(chunk)
            except Invalid:
                bad.append(chunk.strip())
                continue
            if address.addr_spec.lower() not in seen:
                seen.add(address.addr_spec.lower())
                found.append(address)
    if bad:
        raise Invalid("Not valid email addresses: %(addresses)s", addresses=", ".join(bad)[:300])
    if len(found) > MAX_RECIPIENTS:
        raise Invalid("A message can have at most %(count)s recipients.", count=MAX_RECIPIENTS)
    return found


def _split(value: str) -> list[str]:
    """Split at commas and semicolons outside quotes and angle brackets."""
    parts: list[str] = []
    current: list[str] = []
    quoted = angle = False
    for char in value:
        if char == '"' and not angle:
            quoted = not quoted
        elif char == "<" and not quoted:
            angle = True
        elif char == ">" and not quoted:
            angle = False
        if char in ",;" and not quoted and not angle:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]
