"""DAV:multistatus answers (RFC 4918 13): one response per resource with its propstats."""

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
# Report-only properties (calendar-data, address-data) are filled by the report itself.
Extra = Callable[[r.Resource, str], Element | None]


def status_line(code: int) -> str:
    """``HTTP/1.1 200 OK``."""
    return f"HTTP/1.1 {code} {STATUS_TEXT.get(code, '')}".rstrip()


def multistatus(responses: list[Element], sync_token: str | None = None) -> Element:
    """The DAV:multistatus document, with a sync-token for sync-collection (RFC 6578 6.2)."""
    root = xml.document(tag(DAV, "multistatus"), *responses)
    if sync_token is not None:
        root.append(el(tag(DAV, "sync-token"), sync_token))
    return root


def status_response(href: str, code: int) -> Element:
    """A response carrying only a status (a deleted member, a missing multiget href)."""
    return el(tag(DAV, "response"), None, xml.href(href), el(tag(DAV, "status"), status_line(code)))


def propstat_response(
    ctx: props.Context,
    res: r.Resource,
    names: list[str] | None,
    *,
    names_only: bool = False,
    extra: Extra | None = None,
) -> Element:
    """A response with the requested properties (``None``: allprop) found and missing."""
    found: list[Element] = []
    missing: list[str] = []
    for name in names if names is not None else props.allprop_names():
        element = extra(res, name) if extra else None
        if element is None:
            element = props.property_element(ctx, res, name)
        if element is None:
            missing.append(name)
        elif names_only:
            found.append(el(name))
        else:
            found.append(element)
    if names is None:
        missing = []
    response = el(tag(DAV, "response"), None, xml.href(r.href(res)))
    for code, elements in ((200, found), (404, [el(n) for n in missing])):
        if elements:
            response.append(propstat(code, elements))
    if not found and not missing:
        response.append(propstat(200, []))
    return response


def propstat(code: int, elements: list[Element]) -> Element:
    """A DAV:propstat with its DAV:prop and status."""
    return el(
        tag(DAV, "propstat"),
        None,
        el(tag(DAV, "prop"), None, *elements),
        el(tag(DAV, "status"), status_line(code)),
    )
