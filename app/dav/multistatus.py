"""DAV:multistatus answers (RFC 4918 13): one response per resource with its propstats,
written as text (see ``xml.render``)."""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import quote

from app.dav import properties as props
from app.dav import resources as r
from app.dav import xml
from app.dav.xml import CALDAV, CARDDAV, DAV, Element, el, tag

STATUS_TEXT = {
    200: "OK",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    424: "Failed Dependency",
    507: "Insufficient Storage",
}
# Report-only properties (calendar-data, address-data): the report supplies their text.
Extra = Callable[[r.Resource, str], str | None]
_STATUS = {
    code: f"<d:status>HTTP/1.1 {code} {text}</d:status>" for code, text in STATUS_TEXT.items()
}


def status_line(code: int) -> str:
    """``HTTP/1.1 200 OK``."""
    return f"HTTP/1.1 {code} {STATUS_TEXT.get(code, '')}".rstrip()


def multistatus(responses: Sequence[str], sync_token: str | None = None) -> bytes:
    """The DAV:multistatus document from written responses (``xml.render`` turns an element
    into one), with a sync-token for sync-collection (RFC 6578 6.2)."""
    token = xml.text_element(tag(DAV, "sync-token"), sync_token) if sync_token is not None else ""
    body = "".join(responses)
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<d:multistatus {xml.DECLARATIONS}>'
        f"{body}{token}</d:multistatus>"
    ).encode()


def status_response(href: str, code: int) -> str:
    """A response carrying only a status (a deleted member, a missing multiget href)."""
    status = f"<d:status>{status_line(code)}</d:status>"
    return f"<d:response><d:href>{xml.escape(href)}</d:href>{status}</d:response>"


def propstat_response(
    ctx: props.Context,
    res: r.Resource,
    names: list[str] | None,
    *,
    names_only: bool = False,
    extra: Extra | None = None,
) -> str:
    """A response with the requested properties (``None``: allprop) found and missing; the
    missing ones are left out of minimal answers (RFC 8144 2.1), where a resource with none of
    them keeps an empty 200 propstat (a DAV:response needs one, RFC 4918 14.24)."""
    found: list[str] = []
    missing: list[str] = []
    for name in names if names is not None else props.allprop_names():
        text = extra(res, name) if extra else None
        rendered = (
            xml.text_element(name, text) if text is not None else props.property_xml(ctx, res, name)
        )
        if rendered is None:
            missing.append(xml.text_element(name, None))
        elif names_only:
            found.append(xml.text_element(name, None))
        else:
            found.append(rendered)
    if names is None or ctx.minimal:
        missing = []
    parts = [f"<d:response><d:href>{xml.escape(r.href(res))}</d:href>"]
    if found or not missing:
        parts.append(f"<d:propstat><d:prop>{''.join(found)}</d:prop>{_STATUS[200]}</d:propstat>")
    if missing:
        parts.append(f"<d:propstat><d:prop>{''.join(missing)}</d:prop>{_STATUS[404]}</d:propstat>")
    parts.append("</d:response>")
    return "".join(parts)


def propstat(code: int, elements: list[Element]) -> Element:
    """A DAV:propstat with its DAV:prop and status (for element-built responses)."""
    return el(
        tag(DAV, "propstat"),
        None,
        el(tag(DAV, "prop"), None, *elements),
        el(tag(DAV, "status"), status_line(code)),
    )


# The properties of calendar items that listings ask for by the thousand (PROPFIND depth 1,
# sync-collection, month reports), written from the stored columns by ``item_responses``.
_ETAG, _TYPE, _KIND = tag(DAV, "getetag"), tag(DAV, "getcontenttype"), tag(DAV, "resourcetype")
_DATA = tag(CALDAV, "calendar-data")
_SAFE = string.ascii_letters + string.digits + "_.-~@+"  # what quote(name, safe="@+") keeps
# An item as listings read it: name, entity tag, component and iCalendar text, in that order
# (``calendars.ObjectSummary``, or the same taken from a ``StoredObject``).
ItemRow = Sequence[str]


def listable(names: list[str] | None, *, with_data: bool) -> bool:
    """Whether every requested property is one ``item_responses`` writes: DAV:getetag,
    DAV:getcontenttype, DAV:resourcetype and, where ``with_data`` says the report wants the
    whole stored object, CALDAV:calendar-data."""
    allowed = {_ETAG, _TYPE, _KIND, _DATA} if with_data else {_ETAG, _TYPE, _KIND}
    return bool(names) and allowed.issuperset(names or ())


def item_responses(collection_href: str, rows: Iterable[ItemRow], names: list[str]) -> list[str]:
    """The responses for existing calendar items of one collection (``listable`` names only),
    without the property registry: a PROPFIND or sync of a large calendar answers 10,000.

    The constant text around the four values is joined once, so each item costs one f-string.
    The properties come in a fixed order (RFC 4918 gives their order no meaning). Entity tags
    are our own quoted digests and components our own names (VEVENT, VTODO...): neither needs
    escaping; calendar text does, and names that are not plain are percent-encoded."""
    etag, kind, data = _ETAG in names, _TYPE in names, _DATA in names
    head = f"<d:response><d:href>{collection_href}"
    after_href = "</d:href><d:propstat><d:prop>" + ("<d:getetag>" if etag else "")
    after_etag = ("</d:getetag>" if etag else "") + (
        "<d:getcontenttype>text/calendar; charset=utf-8; component=" if kind else ""
    )
    after_kind = (
        ("</d:getcontenttype>" if kind else "")
        + ("<d:resourcetype/>" if _KIND in names else "")
        + ("<c:calendar-data>" if data else "")
    )
    tail = (
        f"{'</c:calendar-data>' if data else ''}</d:prop>{_STATUS[200]}</d:propstat></d:response>"
    )
    escape = xml.escape
    return [
        f"{head}{name if not name.strip(_SAFE) else quote(name, safe='@+')}{after_href}"
        f"{tag_ if etag else ''}{after_etag}{component.lower() if kind else ''}{after_kind}"
        f"{escape(text) if data else ''}{tail}"
        for name, tag_, component, text in rows
    ]


def stored_rows(objects: Iterable[Any]) -> list[ItemRow]:
    """``ItemRow``s of stored objects (anything with name, etag, component and ical)."""
    return [(o.name, o.etag, o.component, o.ical) for o in objects]


_CARD_DATA = tag(CARDDAV, "address-data")
# A card as listings read it: name, entity tag and vCard text (empty when not asked).
CardRow = Sequence[Any]
_VCARD_TYPE = "text/vcard; charset=utf-8"


def card_listable(names: list[str] | None, *, with_data: bool) -> bool:
    """Whether ``card_responses`` writes every requested property: DAV:getetag,
    DAV:getcontenttype, DAV:resourcetype and, where ``with_data`` says the report wants the
    stored card as it is, CARDDAV:address-data."""
    allowed = {_ETAG, _TYPE, _KIND, _CARD_DATA} if with_data else {_ETAG, _TYPE, _KIND}
    return bool(names) and allowed.issuperset(names or ())


def card_responses(collection_href: str, rows: Iterable[CardRow], names: list[str]) -> list[str]:
    """The responses for existing cards of one address book (``card_listable`` names only),
    written like ``item_responses``: one f-string per card."""
    etag, data = _ETAG in names, _CARD_DATA in names
    head = f"<d:response><d:href>{collection_href}"
    after_href = "</d:href><d:propstat><d:prop>" + ("<d:getetag>" if etag else "")
    after_etag = (
        ("</d:getetag>" if etag else "")
        + (f"<d:getcontenttype>{_VCARD_TYPE}</d:getcontenttype>" if _TYPE in names else "")
        + ("<d:resourcetype/>" if _KIND in names else "")
        + ("<card:address-data>" if data else "")
    )
    tail = (
        f"{'</card:address-data>' if data else ''}</d:prop>{_STATUS[200]}</d:propstat></d:response>"
    )
    escape = xml.escape
    return [
        f"{head}{name if not name.strip(_SAFE) else quote(name, safe='@+')}{after_href}"
        f"{tag_ if etag else ''}{after_etag}{escape(text) if data else ''}{tail}"
        for name, tag_, text in rows
    ]
