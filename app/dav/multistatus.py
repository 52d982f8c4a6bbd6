"""DAV:multistatus answers (RFC 4918 13): one response per resource with its propstats,
written as text (see ``xml.render``)."""

from __future__ import annotations

from collections.abc import Callable

from app.dav import properties as props
from app.dav import resources as r
from app.dav import xml
from app.dav.xml import DAV, Element, el, tag

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
STATUS_OK = _STATUS[200]


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
