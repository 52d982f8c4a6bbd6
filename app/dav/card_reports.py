"""The CardDAV reports: addressbook-multiget (RFC 6352 8.7) and addressbook-query (RFC 6352
8.6). Plain answers about the report's own book are written from rows (``card_listings``);
anything else goes member by member through the shared multiget of ``reports``."""

from __future__ import annotations

from app.dav import card_listings, filters, xml
from app.dav import properties as props
from app.dav import resources as r
from app.dav.errors import DavError
from app.dav.multistatus import card_responses, propstat_response, status_response
from app.dav.reports import (
    Wanted,
    answer,
    collection_segments,
    multiget,
    requested_names,
    wanted_hrefs,
)
from app.dav.xml import CARDDAV, Element, tag


def addressbook_multiget(ctx: props.Context, res: r.Resource, root: Element) -> tuple[str, bytes]:
    """CARDDAV:addressbook-multiget (RFC 6352 8.7)."""
    names, names_only = requested_names(root)
    if isinstance(res, r.AddressBookCollection) and card_listings.is_plain(root, names, names_only):
        wanted = wanted_hrefs(root)
        if all(key == collection_segments(res) for _t, key, _n in wanted):
            return _own_cards_multiget(ctx, res, wanted, names or [])
    extra = card_listings.address_extra(root)
    return multiget(ctx, res, root, extra, (r.ContactItem, r.DirectoryItem))


def addressbook_query(ctx: props.Context, res: r.Resource, root: Element) -> tuple[str, bytes]:
    """CARDDAV:addressbook-query (RFC 6352 8.6), with CARDDAV:limit."""
    card_filter = filters.card_filter(root)
    names, names_only = requested_names(root)
    if not isinstance(res, r.AddressBookCollection | r.DirectoryBook):
        raise DavError(
            403, "addressbook-query works on address books", precondition="supported-report"
        )
    try:
        rows = card_listings.query_rows(ctx, res, card_filter)
    except Exception as exc:  # a stored card vobject cannot read back: report, do not crash
        raise DavError(500, "a stored card could not be read") from exc
    limit = _limit(root)
    shown = rows[:limit] if limit is not None else rows
    if card_listings.is_plain(root, names, names_only):
        responses = card_responses(r.href(res), shown, names or [])
    else:
        extra, wanted = card_listings.address_extra(root), [row[0] for row in shown]
        responses = [
            propstat_response(ctx, m, names, names_only=names_only, extra=extra)
            for m in r.members(ctx.db, res, names=wanted)
        ]
    if limit is not None and len(rows) > limit:  # RFC 6352 8.6.1: 507 on the request-URI
        responses.append(status_response(r.href(res), 507))
    return answer(responses)


def _limit(root: Element) -> int | None:
    nresults = xml.child(xml.child(root, tag(CARDDAV, "limit")), tag(CARDDAV, "nresults"))
    if nresults is None:
        return None
    try:
        return max(0, int((nresults.text or "").strip()))
    except ValueError as exc:
        raise DavError(400, "nresults must be a number") from exc


def _own_cards_multiget(
    ctx: props.Context, res: r.AddressBookCollection, wanted: Wanted, names: list[str]
) -> tuple[str, bytes]:
    """A plain addressbook-multiget of the report's own book: its cards read as rows."""
    requested = [n for _t, _k, n in wanted]
    with_data = card_listings.ADDRESS_DATA in names
    found = {
        row[0]: row
        for row in card_listings.book_rows(ctx, res, names=requested, with_data=with_data)
    }
    responses: list[str] = []
    for target, _key, name in wanted:
        row = found.get(name)
        if row is None:
            responses.append(status_response(target, 404))
        else:
            responses += card_responses(res.href, [row], names)
    return answer(responses)
