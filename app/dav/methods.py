"""The HTTP methods of CalDAV and CardDAV. Each handler translates: it parses the request,
resolves the resource (rights are decided by the services), calls a service and builds the
answer. Nothing here touches the database directly."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.calendar import service as calendars
from app.contacts import service as contacts
from app.contacts import vcard_convert
from app.dav import address_data, card_listings, scheduling, xml
from app.dav import properties as props
from app.dav import resources as r
from app.dav.errors import DavError, from_domain
from app.dav.multistatus import (
    card_listable,
    card_responses,
    item_responses,
    listable,
    multistatus,
    propstat,
    propstat_response,
)
from app.dav.report_table import PLAIN_REPORTS, REPORTS
from app.dav.reports import XML_TYPE
from app.dav.xml import CALDAV, CARDDAV, DAV, Element, el, tag
from app.davpaths import BadDestination, destination_path
from app.errors import DomainError

DAV_CLASSES = "1, 3, calendar-access, addressbook, extended-mkcol"
ALLOW = (
    "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, REPORT, MKCOL, MKCALENDAR, MOVE, POST"
)
MAX_BODY_BYTES = 2_000_000


@dataclass
class Request:
    """What a handler needs from the HTTP request."""

    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass
class Response:
    """What a handler answers."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def prefers_minimal(headers: dict[str, str]) -> bool:
    """Whether the client asks for a minimal answer: ``Prefer: return=minimal`` (RFC 7240 4.2,
    RFC 8144 2), or ``Brief: t``, the older header some Apple clients still send."""
    if headers.get("brief", "").strip().lower() == "t":
        return True
    for preference in headers.get("prefer", "").split(","):
        name, _, value = preference.split(";", 1)[0].partition("=")
        if name.strip().lower() == "return" and value.strip().strip('"').lower() == "minimal":
            return True
    return False


# What a minimal answer says it is (RFC 7240 3); ``Vary`` because the body depends on it.
MINIMAL_APPLIED = {"Preference-Applied": "return=minimal", "Vary": "Brief, Prefer"}


def _asking(ctx: props.Context, req: Request) -> props.Context:
    """The context with the client's preference for a minimal answer."""
    return props.Context(ctx.db, ctx.user, minimal=prefers_minimal(req.headers))


def options(ctx: props.Context, req: Request) -> Response:
    """OPTIONS (RFC 4918 10.1, RFC 4791 5.1, RFC 6352 6.1)."""
    return Response(200, headers={"DAV": DAV_CLASSES, "Allow": ALLOW})


def _resolve(ctx: props.Context, req: Request) -> tuple[list[str], r.Resource | None]:
    segments = r.split_path(req.path)
    return segments, r.resolve(ctx.db, user=ctx.user, segments=segments)


def _existing(ctx: props.Context, req: Request) -> r.Resource:
    _segments, res = _resolve(ctx, req)
    if res is None or (
        isinstance(res, r.CalendarItem | r.ContactItem) and props.item_etag(res) is None
    ):
        raise DavError(404, "There is nothing at this address.")
    return res


def _parse(req: Request) -> Element | None:
    try:
        return xml.parse(req.body)
    except xml.XmlTooLarge as exc:
        raise DavError(413, str(exc)) from exc
    except xml.XmlError as exc:
        raise DavError(400, str(exc)) from exc


def propfind(ctx: props.Context, req: Request) -> Response:
    """PROPFIND (RFC 4918 9.1): depth 0 or 1; infinity is refused (RFC 4918 9.1.1)."""
    depth = req.headers.get("depth", "infinity").strip().lower()
    if depth == "infinity":
        raise DavError(
            403, "Depth infinity is not supported.", precondition="propfind-finite-depth"
        )
    if depth not in ("0", "1"):
        raise DavError(400, "The Depth header must be 0, 1 or infinity.")
    res = _existing(ctx, req)
    root = _parse(req)
    names: list[str] | None = None
    names_only = False
    if root is not None:
        if root.tag != tag(DAV, "propfind"):
            raise DavError(400, "expected a DAV:propfind body")
        prop = xml.child(root, tag(DAV, "prop"))
        if prop is not None:
            names = [c.tag for c in xml.children(prop)]
        elif xml.child(root, tag(DAV, "propname")) is not None:
            names, names_only = list(props.PROPERTIES), True
    ctx = _asking(ctx, req)
    responses = [propstat_response(ctx, res, names, names_only=names_only)]
    if depth == "1":
        responses += _member_responses(ctx, res, names, names_only=names_only)
    return Response(207, multistatus(responses), XML_TYPE, _applied(ctx))


def _applied(ctx: props.Context) -> dict[str, str]:
    return dict(MINIMAL_APPLIED) if ctx.minimal else {}


def _member_responses(
    ctx: props.Context, res: r.Resource, names: list[str] | None, *, names_only: bool
) -> list[str]:
    """The responses of a collection's members: a calendar's items straight from a column-only
    listing when only the common item properties are asked, else member by member."""
    if (
        isinstance(res, r.CalendarCollection)
        and names is not None
        and not names_only
        and listable(names, with_data=False)
    ):
        rows = calendars.list_summaries(ctx.db, calendar=res.access.calendar)
        return item_responses(res.href, rows, names)
    if (
        isinstance(res, r.AddressBookCollection | r.DirectoryBook)
        and names is not None
        and not names_only
        and card_listable(names, with_data=False)
    ):
        card_rows = card_listings.book_rows(ctx, res, with_data=False)
        return card_responses(r.href(res), card_rows, names)
    members = r.members(ctx.db, res, with_data=False)
    return [propstat_response(ctx, m, names, names_only=names_only) for m in members]


def proppatch(ctx: props.Context, req: Request) -> Response:
    """PROPPATCH (RFC 4918 9.2): all or nothing."""
    res = _existing(ctx, req)
    root = _parse(req)
    if root is None or root.tag != tag(DAV, "propertyupdate"):
        raise DavError(400, "expected a DAV:propertyupdate body")
    results: list[tuple[str, int]] = []
    for action in xml.children(root):
        for prop in xml.children(xml.child(action, tag(DAV, "prop"))):
            value = prop if action.tag == tag(DAV, "set") else None
            results.append((prop.tag, _store(ctx, res, prop.tag, value)))
    if any(code != 200 for _name, code in results):
        ctx.db.rollback()
        results = [(n, 424 if c == 200 else c) for n, c in results]
    elif prefers_minimal(req.headers):
        # RFC 8144 2.2: a wholly successful update answers 200 with no body
        return Response(200, headers=dict(MINIMAL_APPLIED))
    response = el(tag(DAV, "response"), None, xml.href(r.href(res)))
    for code in sorted({c for _n, c in results}):
        response.append(propstat(code, [el(n) for n, c in results if c == code]))
    return Response(207, multistatus([xml.render(response)]), XML_TYPE)


def _store(ctx: props.Context, res: r.Resource, name: str, value: Element | None) -> int:
    prop = props.PROPERTIES.get(name)
    if prop is None:
        return 403
    try:
        prop.store(ctx, res, value)
    except (DavError, DomainError):
        return 403
    return 200


def get(ctx: props.Context, req: Request) -> Response:
    """GET and HEAD (RFC 4918 9.4) of a calendar object or vCard."""
    res = _existing(ctx, req)
    etag = props.item_etag(res)
    if etag is None:
        raise DavError(405, "Collections have no body; use PROPFIND or REPORT.")
    if req.headers.get("if-none-match", "").strip() in (etag, "*"):
        return Response(304, headers={"ETag": etag})
    match res:
        case r.CalendarItem(obj=obj) if obj is not None:
            body, kind = obj.ical, "text/calendar; charset=utf-8"
        case r.ContactItem(card=card) if card is not None:
            body, kind = _vcard_for(req, card.vcard), "text/vcard; charset=utf-8"
        case r.DirectoryItem(card=card):
            body, kind = _vcard_for(req, card.vcard), "text/vcard; charset=utf-8"
        case _:
            raise DavError(404)
    data = body.encode()
    if req.method == "HEAD":
        return Response(200, b"", kind, {"ETag": etag, "Content-Length": str(len(data))})
    return Response(200, data, kind, {"ETag": etag})


def _vcard_for(req: Request, text: str) -> str:
    """The card in the version the Accept header asks for (RFC 6352 6.3.2.2); the ETag stays
    the stored card's, since both versions change together."""
    version = address_data.accepted_version(req.headers.get("accept"))
    return vcard_convert.convert(text, version) if version else text


def _text_body(req: Request) -> str:
    try:
        text = req.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DavError(400, "The body is not UTF-8 text.") from exc
    if "\x00" in text:  # never valid iCalendar or vCard, and PostgreSQL text refuses it
        raise DavError(400, "The body contains NUL characters.")
    return text


def put(ctx: props.Context, req: Request) -> Response:
    """PUT (RFC 4791 5.3.2, RFC 6352 6.3.2) with If-Match / If-None-Match (RFC 7232)."""
    segments, res = _resolve(ctx, req)
    if_match = _etag_header(req.headers.get("if-match"))
    if_none_match = req.headers.get("if-none-match", "").strip() == "*"
    text = _text_body(req)
    try:
        match res:
            case r.CalendarItem(collection=coll, name=name):
                obj, created = calendars.put_object(
                    ctx.db,
                    access=coll.access,
                    name=name,
                    text=text,
                    if_match=if_match,
                    if_none_match=if_none_match,
                )
                etag = obj.etag
            case r.ContactItem(collection=coll, name=name):
                card, created = contacts.put_card(
                    ctx.db,
                    book=coll.access,
                    name=name,
                    text=text,
                    if_match=if_match,
                    if_none_match=if_none_match,
                )
                etag = card.etag
            case r.DirectoryItem() | r.DirectoryBook():
                raise DavError(403, "The directory is read-only.", precondition="need-privileges")
            case None if segments[:1] == ["addressbooks"] and segments[2:3] == ["directory"]:
                raise DavError(403, "The directory is read-only.", precondition="need-privileges")
            case None:
                raise DavError(409 if len(segments) > 3 else 404, "No such collection.")
            case _:
                raise DavError(405, "Items can only be stored inside a calendar or address book.")
    except DomainError as exc:
        raise _domain(exc, res) from exc
    # The answer never has a body, so a wish for a minimal one is met (RFC 7240 4.2).
    applied = {"Preference-Applied": "return=minimal"} if prefers_minimal(req.headers) else {}
    return Response(201 if created else 204, headers={"ETag": etag, **applied})


def _domain(exc: DomainError, res: r.Resource | None) -> DavError:
    card = isinstance(res, r.ContactItem | r.AddressBookCollection)
    clash = getattr(exc, "href_name", None)
    detail = None
    if clash and isinstance(res, r.CalendarItem | r.ContactItem):
        detail = r.href(res.collection) + r.href_of(clash)[len(r.PREFIX) + 1 :]
    return from_domain(exc, card=card, detail_href=detail)


def _etag_header(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value.removeprefix("W/") if value != "*" else value


def delete(ctx: props.Context, req: Request) -> Response:
    """DELETE (RFC 4918 9.6) of an item or a whole collection."""
    res = _existing(ctx, req)
    if_match = _etag_header(req.headers.get("if-match"))
    try:
        match res:
            case r.CalendarItem(collection=coll, name=name):
                calendars.delete_object(ctx.db, access=coll.access, name=name, if_match=if_match)
            case r.ContactItem(collection=coll, name=name):
                contacts.delete_card(ctx.db, book=coll.access, name=name, if_match=if_match)
            case r.CalendarCollection(access=access):
                calendars.delete_calendar(ctx.db, access=access)
            case r.AddressBookCollection(access=book_access):
                contacts.delete_address_book(ctx.db, book=book_access)
            case _:
                raise DavError(403, "This cannot be deleted.", precondition="need-privileges")
    except DomainError as exc:
        raise _domain(exc, res) from exc
    return Response(204)


def mkcalendar(ctx: props.Context, req: Request) -> Response:
    """MKCALENDAR (RFC 4791 5.3.1), with initial properties."""
    return _make_collection(ctx, req, _parse(req), calendar=True)


def mkcol(ctx: props.Context, req: Request) -> Response:
    """Extended MKCOL (RFC 5689): a calendar or an address book, by its resourcetype."""
    root = _parse(req)
    types = xml.children(xml.child(_set_prop(root), tag(DAV, "resourcetype")))
    names = {t.tag for t in types}
    if tag(CALDAV, "calendar") in names:
        return _make_collection(ctx, req, root, calendar=True)
    if tag(CARDDAV, "addressbook") in names:
        return _make_collection(ctx, req, root, calendar=False)
    raise DavError(
        403,
        "Only calendars and address books can be created here.",
        precondition="valid-resourcetype",
    )


def _set_prop(root: Element | None) -> Element | None:
    return xml.child(xml.child(root, tag(DAV, "set")), tag(DAV, "prop"))


def _make_collection(
    ctx: props.Context, req: Request, root: Element | None, *, calendar: bool
) -> Response:
    segments, res = _resolve(ctx, req)
    if res is not None:
        raise DavError(
            405, "Something exists at this address already.", precondition="resource-must-be-null"
        )
    area = "calendars" if calendar else "addressbooks"
    if len(segments) != 3 or segments[0] != area or segments[1] != ctx.user:
        raise DavError(
            403, "Collections can be created only in your own home.", precondition="need-privileges"
        )
    prop = _set_prop(root)
    values = {c.tag: c for c in xml.children(prop)}
    text = {k: (v.text or "") for k, v in values.items()}
    try:
        if calendar:
            comps = xml.children(values.get(tag(CALDAV, "supported-calendar-component-set")))
            components = tuple((c.get("name") or "").upper() for c in comps) or ("VEVENT", "VTODO")
            calendars.create_calendar(
                ctx.db,
                email=ctx.user,
                slug=segments[2],
                display_name=text.get(tag(DAV, "displayname"), ""),
                components=components,
                description=text.get(tag(CALDAV, "calendar-description"), ""),
                color=text.get(tag(xml.APPLE, "calendar-color"), ""),
                timezone=text.get(tag(CALDAV, "calendar-timezone"), ""),
            )
        else:
            contacts.create_address_book(
                ctx.db,
                email=ctx.user,
                slug=segments[2],
                display_name=text.get(tag(DAV, "displayname"), ""),
                description=text.get(tag(CARDDAV, "addressbook-description"), ""),
            )
    except DomainError as exc:
        raise from_domain(exc) from exc
    return Response(201)


def move(ctx: props.Context, req: Request) -> Response:
    """MOVE (RFC 4918 9.9) of an item between the user's collections."""
    source = _existing(ctx, req)
    target_path = _destination_path(req)
    try:
        target = r.resolve(ctx.db, user=ctx.user, segments=r.split_path(target_path))
    except DavError as exc:
        if exc.status != 404:
            raise
        raise DavError(403, "The destination is outside the DAV area.") from exc
    overwrite = req.headers.get("overwrite", "T").strip().upper() != "F"
    try:
        match source, target:
            case r.CalendarItem(), r.CalendarItem():
                created = calendars.move_object(
                    ctx.db,
                    source=source.collection.access,
                    name=source.name,
                    target=target.collection.access,
                    target_name=target.name,
                    overwrite=overwrite,
                )
            case r.ContactItem(), r.ContactItem():
                created = contacts.move_card(
                    ctx.db,
                    source=source.collection.access,
                    name=source.name,
                    target=target.collection.access,
                    target_name=target.name,
                    overwrite=overwrite,
                )
            case _:
                raise DavError(403, "Only items can be moved, into a collection of the same kind.")
    except DomainError as exc:
        raise _domain(exc, target) from exc
    return Response(201 if created else 204)


def _destination_path(req: Request) -> str:
    """The path of the Destination header (app.davpaths reads it as /webdav/ does)."""
    try:
        return destination_path(req.headers)
    except BadDestination as exc:
        raise DavError(exc.status, exc.reason) from exc


def report(ctx: props.Context, req: Request) -> Response:
    """REPORT (RFC 3253 3.6): dispatched on the document element."""
    res = _existing(ctx, req)
    root = _parse(req)
    if root is None:
        raise DavError(400, "REPORT needs a body.")
    handler = REPORTS.get(root.tag)
    if handler is None:
        raise DavError(403, f"Unsupported report {root.tag}.", precondition="supported-report")
    ctx = _asking(ctx, req)
    content_type, body = handler(ctx, res, root)
    if root.tag in PLAIN_REPORTS:  # no multistatus, no propstats to leave out
        return Response(200, body, content_type)
    return Response(207, body, content_type, _applied(ctx))


def post(ctx: props.Context, req: Request) -> Response:
    """POST to the scheduling outbox: a free/busy request (RFC 6638 5)."""
    res = _existing(ctx, req)
    body = scheduling.outbox_post(ctx, res, req.body, req.headers.get("content-type", ""))
    return Response(200, body, XML_TYPE)


HANDLERS = {
    "OPTIONS": options,
    "PROPFIND": propfind,
    "PROPPATCH": proppatch,
    "GET": get,
    "HEAD": get,
    "PUT": put,
    "DELETE": delete,
    "MKCALENDAR": mkcalendar,
    "MKCOL": mkcol,
    "MOVE": move,
    "REPORT": report,
    "POST": post,
}
