"""Which domains a domain admin administers (several domains of its own organization).

A new domain admin starts with the domain of its own address; organization admins add or
remove others. Leaving the domain_admin role drops every grant, so a later promotion starts
afresh instead of reviving old rights.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.directory.models import Account, Domain, DomainAdmin
from app.errors import Invalid, NotFound


def administered_domains(db: Session, *, account: Account) -> list[Domain]:
    """The domains the account administers as a domain admin, by name."""
    stmt = (
        select(Domain)
        .join(DomainAdmin, DomainAdmin.domain_id == Domain.id)
        .where(DomainAdmin.account_id == account.id)
        .order_by(Domain.name)
    )
    return list(db.scalars(stmt))


def grant_domain(db: Session, *, account: Account, domain: Domain) -> bool:
    """Let a domain admin administer another domain of its organization (False: it already did)."""
    if account.role != "domain_admin":
        raise Invalid("%(email)s is not a domain administrator.", email=account.email)
    if domain.organization_id != account.organization_id:
        raise Invalid(
            "The domain %(domain)s does not belong to this organization.", domain=domain.name
        )
    if domain.alias_of_id is not None:
        raise Invalid("An alias domain has nothing to administer; choose the domain it points to.")
    if db.get(DomainAdmin, (account.id, domain.id)) is not None:
        return False
    db.add(DomainAdmin(account_id=account.id, domain_id=domain.id))
    db.flush()
    db.expire(account, ["administered_domains"])
    return True


def revoke_domain(db: Session, *, account: Account, domain: Domain) -> None:
    """Take a domain away from a domain admin."""
    row = db.get(DomainAdmin, (account.id, domain.id))
    if row is None:
        raise NotFound(
            "%(email)s does not administer %(domain)s.", email=account.email, domain=domain.name
        )
    db.delete(row)
    db.flush()
    db.expire(account, ["administered_domains"])


def follow_role(db: Session, *, account: Account) -> None:
    """After a role change: a new domain admin gets its own domain, anyone else loses all."""
    if account.role != "domain_admin":
        db.execute(delete(DomainAdmin).where(DomainAdmin.account_id == account.id))
    elif not administered_domains(db, account=account):
        db.add(DomainAdmin(account_id=account.id, domain_id=account.domain_id))
    db.flush()
    db.expire(account, ["administered_domains"])
