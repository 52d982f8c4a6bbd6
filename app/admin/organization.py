"""Administrative actions on groups and domains: rights checked, change made, audited."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.admin import audit
from app.admin.scope import (
    account_for,
    domain_for,
    domain_of_organization,
    group_for,
    organization_of,
)
from app.directory import domain_admins, groups, rights, service
from app.directory.models import Account, Domain, MailGroup, Organization


def create_organization(
    db: Session, *, actor: Account, name: str, slug: str, domain: str
) -> Organization:
    """Create an organization with its first domain and role mailboxes (platform admins)."""
    rights.require_platform_admin(actor)
    org = service.create_organization(db, name=name, slug=slug, domains=[])
    service.add_domain(db, organization=org, name=domain, role_mailboxes=True)
    after = audit.snapshot(org)
    audit.record_about(db, actor=actor, action="organization.create", obj=org, after=after)
    return org


def create_group(
    db: Session,
    *,
    actor: Account,
    organization_id: int,
    address: str,
    name: str,
    send_policy: str,
) -> MailGroup:
    """Create a distribution list."""
    rights.check_organization(actor, organization_id)
    group = groups.create_group(
        db, organization_id=organization_id, address=address, name=name, send_policy=send_policy
    )
    rights.check_domain(actor, organization_id, group.domain_id)
    audit.record_about(
        db, actor=actor, action="group.create", obj=group, after=audit.snapshot(group)
    )
    return group


def change_group_member(
    db: Session, *, actor: Account, group_id: int, address: str, add: bool
) -> None:
    """Add or remove a group member (an account, a group or an outside address)."""
    group = group_for(db, actor=actor, group_id=group_id)
    detail = {"member": address}
    if add:
        groups.add_member(db, group=group, address=address)
        audit.record_about(db, actor=actor, action="group.member.add", obj=group, after=detail)
    else:
        groups.remove_member(db, group=group, address=address)
        audit.record_about(db, actor=actor, action="group.member.remove", obj=group, before=detail)


def update_group(
    db: Session, *, actor: Account, group_id: int, name: str, description: str, send_policy: str
) -> MailGroup:
    """Change a group's name, description and who may send to it."""
    group = group_for(db, actor=actor, group_id=group_id)
    with audit.recorded_change(db, actor=actor, action="group.update", obj=group):
        groups.update_group(
            db, group=group, name=name, description=description, send_policy=send_policy
        )
    return group


def delete_group(db: Session, *, actor: Account, group_id: int) -> None:
    """Delete a distribution list (mail to its address is refused from now on)."""
    group = group_for(db, actor=actor, group_id=group_id)
    with audit.recorded_change(db, actor=actor, action="group.delete", obj=group, removes=True):
        groups.delete_group(db, group=group)


def add_domain(
    db: Session,
    *,
    actor: Account,
    organization_id: int,
    name: str,
    alias_of: str = "",
    role_mailboxes: bool = True,
) -> Domain:
    """Add a domain (or an alias domain) to the organization."""
    org = organization_of(db, actor=actor, organization_id=organization_id)
    rights.check_org_wide(actor, organization_id)
    target = None
    if alias_of.strip():
        target = domain_of_organization(db, name=alias_of, organization_id=organization_id)
    domain = service.add_domain(
        db, organization=org, name=name, alias_of=target, role_mailboxes=role_mailboxes
    )
    after = {"alias_of": alias_of or None}
    audit.record_about(db, actor=actor, action="domain.add", obj=domain, after=after)
    return domain


def delete_domain(db: Session, *, actor: Account, domain_id: int) -> None:
    """Remove an empty domain."""
    domain = domain_for(db, actor=actor, domain_id=domain_id)
    service.delete_domain(db, domain=domain)
    audit.record_about(db, actor=actor, action="domain.delete", obj=domain)


def change_admin_domain(
    db: Session, *, actor: Account, account_id: int, domain_name: str, add: bool
) -> None:
    """Give a domain admin another domain of the organization, or take one away.

    Organization admins only: a domain admin cannot widen its own reach.
    """
    account = account_for(db, actor=actor, account_id=account_id)
    rights.check_org_wide(actor, account.organization_id)
    domain = domain_of_organization(db, name=domain_name, organization_id=account.organization_id)
    before = _administered_names(db, account)
    if add:
        domain_admins.grant_domain(db, account=account, domain=domain)
    else:
        domain_admins.revoke_domain(db, account=account, domain=domain)
    audit.record_about(
        db,
        actor=actor,
        action="account.admin_domain.add" if add else "account.admin_domain.remove",
        obj=account,
        before={"domains": before},
        after={"domains": _administered_names(db, account)},
    )


def _administered_names(db: Session, account: Account) -> list[str]:
    return [d.name for d in domain_admins.administered_domains(db, account=account)]
