"""Parsing and validating what people type into To/Cc/Bcc (RFC 5322 addresses)."""

from __future__ import annotations

import re
import unicodedata
from email.headerregistry import Address
from email.utils import getaddresses

from app.errors import Invalid

_LOCAL_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
# RFC 6531: an internationalized local part may hold any UTF-8 letter, mark or digit.
_ATEXT = frozenset("!#$%&'*+/=?^_`{|}~-")
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
    local = unicodedata.normalize("NFC", local)
    if not local or not _valid_local(local) or len(local.encode()) > 64 or encoded_domain is None:
        raise Invalid("“%(address)s” is not a valid email address.", address=text.strip()[:80])
    return Address(display_name=" ".join(name.split()), username=local, domain=encoded_domain)


def _valid_local(local: str) -> bool:
    """A dot-atom local part, ASCII (RFC 5322) or internationalized (RFC 6531)."""
    if local.isascii():
        return bool(_LOCAL_RE.match(local))
    return all(
        atom and all(ch in _ATEXT or unicodedata.category(ch)[0] in "LMN" for ch in atom)
        for atom in local.split(".")
    )


def is_international(address: str) -> bool:
    """Whether an address needs SMTPUTF8 (its local part is not ASCII; domains go as IDNA)."""
    return not address.isascii()


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
