"""Who something may be shared with: a colleague or a group of the sharer's own organization.

Calendars, address books and (later) other shared things resolve the address typed into a share
form here, so that "never across organizations" is decided in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.directory import groups
from app.directory.service import find_account
from app.errors import Forbidden, NotFound


@dataclass(frozen=True)
class Grantee:
    """Who a share is for: one account (``email``) or one group (``group_id``, ``address``)."""

    address: str
    email: str | None = None
    group_id: int | None = None


def find_grantee(db: Session, *, owner_email: str, address: str, refusal: str) -> Grantee:
    """The enabled colleague or the group of the owner's organization at ``address``.

    An unknown address is ``NotFound``; another organization's is ``Forbidden`` with ``refusal``
    (an ``N_``-marked message naming what is being shared).
    """
    address = address.strip().lower()
    owner = find_account(db, email=owner_email)
    account = find_account(db, email=address)
    group = groups.find_group(db, address=address) if account is None else None
    if account is not None and account.enabled:
        organization_id = account.organization_id
    elif group is not None:
        organization_id = group.organization_id
    else:
        raise NotFound("There is no colleague with the address %(email)s.", email=address)
    if owner is None or owner.organization_id != organization_id:
        raise Forbidden(refusal)
    if group is not None:
        return Grantee(group.address, None, group.id)
    assert account is not None
    return Grantee(account.email, account.email, None)
