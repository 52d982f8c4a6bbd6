"""DAV:multistatus answers (RFC 4918 13): one response per resource with its propstats,
written as text (see ``xml.render``)."""

from __future__ import annotations

import string
from collections.abc import Callable
from urllib.parse import quote

from app.calendar.service import StoredObject
from app.dav import properties as props
from app.dav import resources as r
from app.dav import xml
from app.dav.xml import CALDAV, DAV, Element, el, tag

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


def multistatus(responses: list[str | Element], sync_token: str | None = None) -> bytes:
    """The DAV:multistatus document, with a sync-token for sync-collection (RFC 6578 6.2)."""
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n', f"<d:multistatus {xml.DECLARATIONS}>"]
    parts += [item if isinstance(item, str) else xml.render(item) for item in responses]
    if sync_token is not None:
        parts.append(xml.text_element(tag(DAV, "sync-token"), sync_token))
    parts.append("</d:multistatus>")
    return "".join(parts).encode()


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
    """A response with the requested properties (``None``: allprop) found and missing."""
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
    if names is None:
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


# The properties of calendar items that listings ask for by the thousand, written from the
# stored columns. Entity tags are our own quoted hex digests and the content type is ours:
# neither needs XML escaping; calendar text does.
_ITEM_PROPERTIES: dict[str, Callable[[StoredObject], str]] = {
    tag(DAV, "getetag"): lambda obj: f"<d:getetag>{obj.etag}</d:getetag>",
    tag(DAV, "getcontenttype"): lambda obj: (
        "<d:getcontenttype>text/calendar; charset=utf-8; "
        f"component={obj.component.lower()}</d:getcontenttype>"
    ),
    tag(DAV, "resourcetype"): lambda obj: "<d:resourcetype/>",
    tag(CALDAV, "calendar-data"): lambda obj: (
        f"<c:calendar-data>{xml.escape(obj.ical)}</c:calendar-data>"
    ),
}
_DATA = tag(CALDAV, "calendar-data")
_SAFE = string.ascii_letters + string.digits + "_.-~@+"  # what quote(name, safe="@+") keeps


def item_responses(
    items: list[r.CalendarItem], names: list[str], *, with_data: bool
) -> list[str | Element] | None:
    """Responses for existing calendar items when every requested property is one of the
    common ones (DAV:getetag, DAV:getcontenttype, DAV:resourcetype and, in reports whose
    ``with_data`` says it is the whole stored object, CALDAV:calendar-data), written without
    going through the property registry: a PROPFIND or month REPORT answers thousands.
    ``None`` when another property is asked (the caller takes the general path)."""
    if not names or any(n not in _ITEM_PROPERTIES or (n == _DATA and not with_data) for n in names):
        return None
    writers = [_ITEM_PROPERTIES[n] for n in names]
    status = _STATUS[200]
    responses: list[str | Element] = []
    for item in items:
        obj = item.obj
        if not isinstance(obj, StoredObject):
            return None  # a resource resolved alone: the general path is as fast
        found = "".join([write(obj) for write in writers])
        name = item.name
        if name.strip(_SAFE):  # not only characters that stay as they are: percent-encode
            name = quote(name, safe="@+")
        responses.append(
            f"<d:response><d:href>{item.collection.href}{name}</d:href>"
            f"<d:propstat><d:prop>{found}</d:prop>{status}</d:propstat></d:response>"
        )
    return responses
