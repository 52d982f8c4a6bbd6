"""What an admin may reach: the objects of the organizations and domains it administers.

An object of another organization (or, for a domain admin, of another domain) is ``NotFound``,
never a hint that it exists; a non-admin gets ``Forbidden`` either way.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from app.directory import rights, service
from app.directory.models import Account, Domain, MailGroup, Organization
from app.errors import Invalid, NotFound

_DomainObject = TypeVar("_DomainObject", Account, MailGroup)


def organization_of(db: Session, *, actor: Account, organization_id: int) -> Organization:
    """The organization, if the actor administers it."""
    rights.check_organization(actor, organization_id)
    org = db.get(Organization, organization_id)
    if org is None:
        raise NotFound("No such object.")
    return org


def account_for(db: Session, *, actor: Account, account_id: int) -> Account:
    """An account the actor may administer."""
    return _in_administered_domain(db, actor, Account, account_id)


def group_for(db: Session, *, actor: Account, group_id: int) -> MailGroup:
    """A group the actor may administer."""
    return _in_administered_domain(db, actor, MailGroup, group_id)


def domain_for(db: Session, *, actor: Account, domain_id: int) -> Domain:
    """A domain the actor may change: organization admins only."""
    domain = db.get(Domain, domain_id)
    if domain is None:
        rights.require_admin(actor)
        raise NotFound("No such object.")
    rights.check_org_wide(actor, domain.organization_id)
    return domain


def _in_administered_domain(
    db: Session, actor: Account, model: type[_DomainObject], object_id: int
) -> _DomainObject:
    obj = db.get(model, object_id)
    if obj is None:
        rights.require_admin(actor)  # a non-admin learns nothing, not even "no such object"
        raise NotFound("No such object.")
    rights.check_domain(actor, obj.organization_id, obj.domain_id)
    return obj


def check_creation_domain(db: Session, *, actor: Account, email: str) -> None:
    """A domain admin creates addresses only in the domains it administers."""
    scope = rights.domain_scope(actor)
    if scope is None:
        return
    domain = service.find_domain(db, name=email.rpartition("@")[2].strip())
    if domain is None or domain.id not in scope:
        raise Invalid("You may only create addresses in the domains you administer.")


def colleague(db: Session, *, email: str, organization_id: int) -> Account | None:
    """The account with this address if it belongs to the organization, else None."""
    account = service.find_account(db, email=email)
    if account is None or account.organization_id != organization_id:
        return None
    return account


def domain_of_organization(db: Session, *, name: str, organization_id: int) -> Domain:
    """The organization's domain of that name, or ``Invalid``."""
    domain = service.find_domain(db, name=name)
    if domain is None or domain.organization_id != organization_id:
        raise Invalid("The domain %(domain)s does not belong to this organization.", domain=name)
    return domain
