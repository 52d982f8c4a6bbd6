"""Finding colleagues by name or address (RFC 3744 9.4 and 9.5): the REPORTs calendar clients
send when someone types an attendee's name, answered from the organization's address list.

Searchable: DAV:displayname, CALDAV:calendar-user-address-set and Apple's CS:email-address-set,
each matched as a case-insensitive substring (RFC 3744 9.4: "contains"), with ``test="allof"``
or ``"anyof"`` between several. At most ``MAX_MATCHES`` principals come back; more are
signalled by a 507 response for the request URI (RFC 3744 9.4, as in RFC 4918 for limits).
"""

from __future__ import annotations

from collections.abc import Callable

from app.dav import principals, xml
from app.dav import properties as props
from app.dav import resources as r
from app.dav.errors import DavError
from app.dav.multistatus import propstat_response
from app.dav.reports import XML_TYPE, answer
from app.dav.xml import CALDAV, CALSERVER, DAV, Element, el, tag

MAX_MATCHES = 100

_NAME = tag(DAV, "displayname")
_ADDRESSES = (tag(CALDAV, "calendar-user-address-set"), tag(CALSERVER, "email-address-set"))
SEARCHABLE: dict[str, tuple[Callable[[principals.Colleague], list[str]], str]] = {
    _NAME: (lambda c: [c.display_name, c.email], "Name"),
    _ADDRESSES[0]: (lambda c: [f"mailto:{c.email}"], "Calendar user address"),
    _ADDRESSES[1]: (lambda c: [c.email], "Email address"),
}
_STRUCTURE = {tag(DAV, n) for n in ("property-search", "prop", "apply-to-principal-collection-set")}
Search = tuple[list[str], str]  # the properties one DAV:property-search names, and its match


def principal_property_search(
    ctx: props.Context, res: r.Resource, root: Element
) -> tuple[str, bytes]:
    """DAV:principal-property-search: the matching principals with the asked properties."""
    _principals_only(res)
    searches = _searches(root)
    every = root.get("test", "allof") != "anyof"
    names = _asked(root)
    found = [c for c in principals.everyone(ctx.db, user=ctx.user) if _matches(c, searches, every)]
    responses = [
        propstat_response(ctx, r.colleague_principal(c, ctx.user), names)
        for c in found[:MAX_MATCHES]
    ]
    if len(found) > MAX_MATCHES:
        responses.append(_truncated(r.href(res)))
    return answer(responses)


def principal_search_property_set(
    ctx: props.Context, res: r.Resource, root: Element
) -> tuple[str, bytes]:
    """DAV:principal-search-property-set: which properties a principal search can match."""
    _principals_only(res)
    answer = xml.document(tag(DAV, "principal-search-property-set"))
    for name, (_values, description) in SEARCHABLE.items():
        described = el(tag(DAV, "description"), description)
        described.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
        searchable = el(tag(DAV, "prop"), None, el(name))
        answer.append(el(tag(DAV, "principal-search-property"), None, searchable, described))
    return XML_TYPE, xml.serialize(answer)


def _principals_only(res: r.Resource) -> None:
    if not isinstance(res, r.Root | r.PrincipalCollection | r.Principal):
        raise DavError(
            403, "Principals are searched at /dav/principals/.", precondition="supported-report"
        )


def _asked(root: Element) -> list[str]:
    """The properties to answer with. The caldav library (3.x) sends them next to an empty
    DAV:prop instead of inside it; they are read from there too, as it means."""
    prop = xml.child(root, tag(DAV, "prop"))
    names = [c.tag for c in xml.children(prop)]
    if not names:
        names = [c.tag for c in xml.children(root) if c.tag not in _STRUCTURE]
    return names or [_NAME]


def _searches(root: Element) -> list[Search]:
    searches: list[Search] = []
    for search in xml.children(root, tag(DAV, "property-search")):
        prop = xml.child(search, tag(DAV, "prop"))
        match = xml.child(search, tag(DAV, "match"))
        names = [c.tag for c in xml.children(prop)]
        if not names or match is None:
            raise DavError(400, "Each property-search needs a prop and a match.")
        unknown = [n for n in names if n not in SEARCHABLE]
        if unknown:
            raise DavError(400, f"Principals cannot be searched by {unknown[0]}.")
        searches.append((names, (match.text or "").strip().casefold()))
    return searches


def _matches(colleague: principals.Colleague, searches: list[Search], every: bool) -> bool:
    if not searches:  # no condition (the caldav library's "all principals"): everyone
        return True
    results = (
        any(text in value.casefold() for name in names for value in SEARCHABLE[name][0](colleague))
        for names, text in searches
    )
    return all(results) if every else any(results)


def _truncated(href: str) -> str:
    response = el(
        tag(DAV, "response"),
        None,
        xml.href(href),
        el(tag(DAV, "status"), "HTTP/1.1 507 Insufficient Storage"),
        el(tag(DAV, "error"), None, el(tag(DAV, "number-of-matches-within-limits"))),
    )
    return xml.render(response)
