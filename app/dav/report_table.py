"""Which REPORT answers which request body (RFC 3253 3.6: dispatched on the document element).

Its own module, above the reports it lists: the address book and principal reports use the
calendar reports' helpers, and nothing below imports this table."""

from __future__ import annotations

from app.dav.card_reports import addressbook_multiget, addressbook_query
from app.dav.principal_search import principal_property_search, principal_search_property_set
from app.dav.reports import (
    Report,
    calendar_multiget,
    calendar_query,
    expand_property,
    free_busy_query,
    sync_collection,
)
from app.dav.xml import CALDAV, CARDDAV, DAV, tag

REPORTS: dict[str, Report] = {
    tag(CALDAV, "calendar-query"): calendar_query,
    tag(CALDAV, "calendar-multiget"): calendar_multiget,
    tag(CALDAV, "free-busy-query"): free_busy_query,
    tag(CARDDAV, "addressbook-query"): addressbook_query,
    tag(CARDDAV, "addressbook-multiget"): addressbook_multiget,
    tag(DAV, "sync-collection"): sync_collection,
    tag(DAV, "expand-property"): expand_property,
    tag(DAV, "principal-property-search"): principal_property_search,
    tag(DAV, "principal-search-property-set"): principal_search_property_set,
}
# Reports answered with a document of their own (200), not a multistatus (207).
PLAIN_REPORTS = frozenset(
    {tag(CALDAV, "free-busy-query"), tag(DAV, "principal-search-property-set")}
)
