"""Administrative actions on groups and domains: rights checked, change made, audited."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.admin import audit
from app.admin.service import account_for, audit_change, organization_of
from app.directory import domain_admins, groups, rights, service
from app.directory.models import Account, Domain, MailGroup, Organization
from app.errors import Forbidden, Invalid, NotFound


def group_for(db: Session, *, actor: Account, group_id: int) -> MailGroup:
    """A group the actor may administer."""
    group = db.get(MailGroup, group_id)
    if group is None:
        rights.require_admin(actor)
        raise NotFound("No such object.")
    rights.check_domain(actor, group.organization_id, group.domain_id)
    return group


def create_organization(
    db: Session, *, actor: Account, name: str, slug: str, domain: str
) -> Organization:
    """Create an organization with its first domain and role mailboxes (platform admins)."""
    rights.require_admin(actor)
    if actor.role != "platform_admin":
        raise Forbidden("Only platform administrators may do this.")
    org = service.create_organization(db, name=name, slug=slug, domains=[])
    service.add_domain(db, organization=org, name=domain, role_mailboxes=True)
    audit.record(
        db,
        actor=actor,
        organization_id=org.id,
        action="organization.create",
        object_type="organization",
        object_label=org.name,
        after=audit.snapshot(org),
    )
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
    audit_change(db, actor, organization_id, "group.create", group.address, None, group)
    return group


def change_group_member(
    db: Session, *, actor: Account, group_id: int, address: str, add: bool
) -> None:
    """Add or remove a group member (an account, a group or an outside address)."""
    group = group_for(db, actor=actor, group_id=group_id)
    if add:
        groups.add_member(db, group=group, address=address)
    else:
        groups.remove_member(db, group=group, address=address)
    audit.record(
        db,
        actor=actor,
        organization_id=group.organization_id,
        action="group.member.add" if add else "group.member.remove",
        object_type="group",
        object_label=group.address,
        **({"after": {"member": address}} if add else {"before": {"member": address}}),
    )


def update_group(
    db: Session, *, actor: Account, group_id: int, name: str, description: str, send_policy: str
) -> MailGroup:
    """Change a group's name, description and who may send to it."""
    group = group_for(db, actor=actor, group_id=group_id)
    before = audit.snapshot(group)
    groups.update_group(
        db, group=group, name=name, description=description, send_policy=send_policy
    )
    audit_change(db, actor, group.organization_id, "group.update", group.address, before, group)
    return group


def delete_group(db: Session, *, actor: Account, group_id: int) -> None:
    """Delete a distribution list (mail to its address is refused from now on)."""
    group = group_for(db, actor=actor, group_id=group_id)
    before = audit.snapshot(group)
    groups.delete_group(db, group=group)
    audit_change(db, actor, group.organization_id, "group.delete", group.address, before, None)


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
    target = service.find_domain(db, name=alias_of) if alias_of.strip() else None
    if alias_of.strip() and (target is None or target.organization_id != organization_id):
        raise Invalid(
            "The domain %(domain)s does not belong to this organization.", domain=alias_of
        )
    domain = service.add_domain(
        db, organization=org, name=name, alias_of=target, role_mailboxes=role_mailboxes
    )
    audit.record(
        db,
        actor=actor,
        organization_id=organization_id,
        action="domain.add",
        object_type="domain",
        object_label=domain.name,
        after={"alias_of": alias_of or None},
    )
    return domain


def delete_domain(db: Session, *, actor: Account, domain_id: int) -> None:
    """Remove an empty domain."""
    domain = db.get(Domain, domain_id)
    if domain is None:
        rights.require_admin(actor)
        raise NotFound("No such object.")
    rights.check_org_wide(actor, domain.organization_id)
    service.delete_domain(db, domain=domain)
    audit.record(
        db,
        actor=actor,
        organization_id=domain.organization_id,
        action="domain.delete",
        object_type="domain",
        object_label=domain.name,
    )


def change_admin_domain(
    db: Session, *, actor: Account, account_id: int, domain_name: str, add: bool
) -> None:
    """Give a domain admin another domain of the organization, or take one away.

    Organization admins only: a domain admin cannot widen its own reach.
    """
    account = account_for(db, actor=actor, account_id=account_id)
    rights.check_org_wide(actor, account.organization_id)
    domain = service.find_domain(db, name=domain_name.strip())
    if domain is None or domain.organization_id != account.organization_id:
        raise Invalid(
            "The domain %(domain)s does not belong to this organization.", domain=domain_name
        )
    before = [d.name for d in domain_admins.administered_domains(db, account=account)]
    if add:
        domain_admins.grant_domain(db, account=account, domain=domain)
    else:
        domain_admins.revoke_domain(db, account=account, domain=domain)
    audit.record(
        db,
        actor=actor,
        organization_id=account.organization_id,
        action="account.admin_domain.add" if add else "account.admin_domain.remove",
        object_type="account",
        object_label=account.email,
        before={"domains": before},
        after={
            "domains": [d.name for d in domain_admins.administered_domains(db, account=account)]
        },
    )
