"""DAV errors: a status plus, when the RFC names one, a precondition element in a DAV:error
body (RFC 4918 16, RFC 4791 1.3 and 5.3.2.1, RFC 6352 6.3.2.1, RFC 6578 3.2)."""

from __future__ import annotations

from app.dav import xml
from app.errors import DomainError

# Preconditions that live in the DAV: namespace; the rest belong to CalDAV or CardDAV.
_DAV_PRECONDITIONS = {
    "valid-sync-token",
    "propfind-finite-depth",
    "need-privileges",
    "cannot-modify-protected-property",
    "resource-must-be-null",
    "number-of-matches-within-limits",
}
_CARD_PRECONDITIONS = {"valid-address-data", "supported-address-data"}


class DavError(Exception):
    """An answer other than success: status, optional precondition and a human reason."""

    def __init__(
        self,
        status: int,
        reason: str = "",
        *,
        precondition: str | None = None,
        namespace: str | None = None,
        detail_href: str | None = None,
    ) -> None:
        super().__init__(reason or str(status))
        self.status = status
        self.reason = reason
        self.precondition = precondition
        self.namespace = namespace
        self.detail_href = detail_href

    def body(self) -> bytes | None:
        """The DAV:error document, or ``None`` when the status says it all."""
        if self.precondition is None:
            return None
        namespace = self.namespace or _namespace_of(self.precondition)
        condition = xml.el(xml.tag(namespace, self.precondition))
        if self.detail_href:
            condition.append(xml.href(self.detail_href))
        root = xml.document(xml.tag(xml.DAV, "error"), condition)
        if self.reason:
            root.append(xml.el(xml.tag("http://hamkar.org/ns/", "reason"), self.reason))
        return xml.serialize(root)


def _namespace_of(precondition: str) -> str:
    if precondition in _DAV_PRECONDITIONS:
        return xml.DAV
    return xml.CARDDAV if precondition in _CARD_PRECONDITIONS else xml.CALDAV


def from_domain(
    exc: DomainError, *, card: bool = False, detail_href: str | None = None
) -> DavError:
    """Translate a service's error once, here at the edge."""
    precondition: str | None = getattr(exc, "precondition", None)
    namespace = None
    if precondition in ("max-resource-size", "no-uid-conflict") and card:
        namespace = xml.CARDDAV
    status = exc.status_code
    if precondition and status == 400:
        status = 403  # a failed precondition (RFC 4918 16)
    return DavError(
        status,
        exc.message % exc.params if exc.params else exc.message,
        precondition=precondition,
        namespace=namespace,
        detail_href=detail_href,
    )
