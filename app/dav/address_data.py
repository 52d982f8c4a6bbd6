"""CARDDAV:address-data with a version or children in a REPORT (RFC 6352 10.4): the vCard
version a client wants (content-type and version attributes) and which properties
(prop/allprop); and the version a GET asks for with Accept (RFC 6352 6.3.2.2, RFC 6350 10.1).
Reports asking for plain address-data take the fast path in ``reports``."""

from __future__ import annotations

from typing import TypeGuard

from app.contacts import vcard_convert
from app.dav import resources as r
from app.dav import xml
from app.dav.errors import DavError
from app.dav.multistatus import Extra
from app.dav.xml import CARDDAV, Element, tag

NAME = tag(CARDDAV, "address-data")
CONTENT_TYPES = ("text/vcard", "text/x-vcard", "text/directory")


def is_partial(request: Element | None) -> TypeGuard[Element]:
    """Whether address-data names a version or has children."""
    return request is not None and (bool(xml.children(request)) or "version" in request.attrib)


def parse(request: Element) -> tuple[str | None, list[tuple[str, bool]] | None]:
    """The wanted version (``None``: as stored) and properties (``None``: all of them)."""
    content_type = request.get("content-type", "text/vcard").lower()
    version = request.get("version")
    if content_type not in CONTENT_TYPES or (
        version is not None and version not in vcard_convert.VERSIONS
    ):
        raise DavError(
            403,
            f"address data as {content_type} {version or ''} is not supported",
            precondition="supported-address-data",
        )
    if xml.child(request, tag(CARDDAV, "allprop")) is not None:
        return version, None
    props = xml.children(request, tag(CARDDAV, "prop"))
    if not props:
        return version, None
    names = []
    for prop in props:
        name = (prop.get("name") or "").upper()
        if not name:
            raise DavError(400, "a prop element needs a name")
        names.append((name, prop.get("novalue", "no") == "yes"))
    return version, names


def filler(request: Element) -> Extra:
    """Fills CARDDAV:address-data of each card as the request says."""
    version, names = parse(request)

    def fill(res: r.Resource, name: str) -> str | None:
        if name != NAME:
            return None
        text = card_text(res)
        if text is None:
            return None
        if version is not None:
            text = vcard_convert.convert(text, version)
        return vcard_convert.select(text, names) if names is not None else text

    return fill


def card_text(res: r.Resource) -> str | None:
    """The stored vCard of an address object resource."""
    if isinstance(res, r.ContactItem) and res.card is not None:
        return res.card.vcard
    return res.card.vcard if isinstance(res, r.DirectoryItem) else None


def accepted_version(accept: str | None) -> str | None:
    """The vCard version a GET's Accept header prefers (``None``: as stored).

    ``text/vcard; version=3.0, text/vcard; version=4.0; q=0.9`` picks 3.0; a type without a
    version, or ``*/*``, leaves the card as it is.
    """
    best: tuple[float, str | None] = (-1.0, None)
    for item in (accept or "").split(","):
        kind, *raw = (part.strip() for part in item.split(";"))
        if kind.lower() not in CONTENT_TYPES:
            continue
        params = dict(p.partition("=")[::2] for p in raw)
        try:
            quality = float(params.get("q", "1"))
        except ValueError:
            quality = 0.0
        version = params.get("version", "").strip('"') or None
        if version is not None and version not in vcard_convert.VERSIONS:
            continue
        if quality > best[0]:
            best = (quality, version)
    return best[1]
