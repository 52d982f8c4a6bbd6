"""Administrative actions: each checks the actor's rights, changes the directory, audits.

Every function takes the acting account; an admin of another organization gets ``NotFound``
(never a hint that the object exists), a non-admin ``Forbidden``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.admin import audit
from app.admin.scope import account_for, check_creation_domain, colleague
from app.directory import accounts, addresses, rights, roles, service
from app.directory.mailbox_acl import grant_role_access, revoke_role_access
from app.directory.models import Account
from app.errors import Invalid, NotFound
from app.mailstack import MailStack


@dataclass(frozen=True)
class NewAccount:
    """What an admin fills in to create an account."""

    email: str
    display_name: str
    password: str | None = None
    kind: str = "person"
    quota_mb: int | None = None
    job_title: str = ""
    department: str = ""
    phone_work: str = ""
    phone_mobile: str = ""
    location: str = ""


def parse_quota(text: str) -> int | None:
    """A quota in MB as typed in a form or a CSV cell; empty: the organization's default."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise Invalid("The quota must be between 1 MB and 10 TB.")
    return int(text)


def create_account(
    db: Session, *, actor: Account, organization_id: int, new: NewAccount
) -> Account:
    """Create an account in one of the organization's domains."""
    rights.check_organization(actor, organization_id)
    check_creation_domain(db, actor=actor, email=new.email)
    if new.kind == "person" and not new.password:
        raise Invalid("A person needs a password to sign in.")
    account = service.create_account(
        db,
        email=new.email,
        display_name=new.display_name,
        kind=new.kind,
        organization_id=organization_id,
        password=new.password if new.kind == "person" else None,
        managed=True,
        quota_mb=new.quota_mb,
        job_title=new.job_title,
        department=new.department,
        phone_work=new.phone_work,
        phone_mobile=new.phone_mobile,
        location=new.location,
    )
    audit.record_about(
        db, actor=actor, action="account.create", obj=account, after=audit.snapshot(account)
    )
    return account


def update_account(
    db: Session,
    *,
    actor: Account,
    account_id: int,
    display_name: str,
    quota_mb: int | None,
    manager_email: str = "",
    capacity: int | None = None,
    **profile: str,
) -> Account:
    """Change an account's directory fields, manager, capacity (rooms) and quota."""
    account = account_for(db, actor=actor, account_id=account_id)
    manager = None
    if manager_email.strip():
        manager = colleague(db, email=manager_email, organization_id=account.organization_id)
        if manager is None:
            raise Invalid("%(email)s does not exist in your organization.", email=manager_email)
    with audit.recorded_change(db, actor=actor, action="account.update", obj=account):
        accounts.update_account(
            db,
            account=account,
            display_name=display_name,
            quota_mb=quota_mb,
            clear_quota=quota_mb is None,
            manager=manager,
            clear_manager=manager is None,
            capacity=capacity,
            profile=profile,
        )
    return account


def restore_account(db: Session, *, actor: Account, account_id: int) -> Account:
    """Undo a deletion during the retention period; the account comes back disabled."""
    account = account_for(db, actor=actor, account_id=account_id)
    with audit.recorded_change(db, actor=actor, action="account.restore", obj=account):
        accounts.restore_account(db, account=account)
    return account


def change_forward(
    db: Session,
    *,
    actor: Account,
    account_id: int,
    destination: str,
    keep_copy: bool = True,
    remove: bool = False,
) -> None:
    """Add or remove a forwarding address of an account (the policy on outside addresses holds)."""
    account = account_for(db, actor=actor, account_id=account_id)
    if remove:
        addresses.remove_forward(db, account=account, destination=destination)
    else:
        addresses.add_forward(db, account=account, destination=destination, keep_copy=keep_copy)
    detail = {"forward": destination.strip().lower(), "keep_copy": keep_copy}
    if remove:
        audit.record_about(db, actor=actor, action="forward.remove", obj=account, before=detail)
    else:
        audit.record_about(db, actor=actor, action="forward.add", obj=account, after=detail)


def set_photo(db: Session, *, actor: Account, account_id: int, data: bytes) -> None:
    """Set (or, with empty data, remove) the account's directory photo."""
    account = account_for(db, actor=actor, account_id=account_id)
    accounts.set_photo(db, account=account, data=data)
    after = {"photo": account.photo_type or None, "bytes": len(data)}
    audit.record_about(db, actor=actor, action="account.photo", obj=account, after=after)


def reset_password(db: Session, *, actor: Account, account_id: int, password: str) -> None:
    """Give the account a new password (the old one stops working at once)."""
    account = account_for(db, actor=actor, account_id=account_id)
    accounts.set_password(db, account=account, password=password)
    audit.record_about(db, actor=actor, action="account.password", obj=account)


def set_enabled(db: Session, *, actor: Account, account_id: int, enabled: bool) -> Account:
    """Enable or disable an account; disabled: no sign-in, no delivery."""
    account = account_for(db, actor=actor, account_id=account_id)
    if account.id == actor.id and not enabled:
        raise Invalid("You cannot disable your own account.")
    action = "account.enable" if enabled else "account.disable"
    with audit.recorded_change(db, actor=actor, action=action, obj=account):
        accounts.set_enabled(db, account=account, enabled=enabled)
    return account


def delete_account(
    db: Session, *, actor: Account, account_id: int, retention_days: int
) -> datetime:
    """Delete an account; its mail is kept for ``retention_days``, then purged."""
    account = account_for(db, actor=actor, account_id=account_id)
    if account.id == actor.id:
        raise Invalid("You cannot delete your own account.")
    with audit.recorded_change(db, actor=actor, action="account.delete", obj=account):
        purge_after = accounts.delete_account(db, account=account, retention_days=retention_days)
    return purge_after


def set_role(db: Session, *, actor: Account, account_id: int, role: str) -> Account:
    """Change an account's administrative role (organization admins only)."""
    account = account_for(db, actor=actor, account_id=account_id)
    rights.check_org_wide(actor, account.organization_id)
    if role == "platform_admin" and actor.role != "platform_admin":
        raise Invalid("Only a platform administrator may appoint another.")
    with audit.recorded_change(db, actor=actor, action="account.role", obj=account):
        accounts.set_role(db, account=account, role=role)
    return account


def add_alias(db: Session, *, actor: Account, account_id: int, address: str) -> None:
    """Give an account another address."""
    account = account_for(db, actor=actor, account_id=account_id)
    alias = addresses.add_alias(db, account=account, address=address)
    audit.record_about(
        db, actor=actor, action="alias.add", obj=account, after={"alias": alias.address}
    )


def remove_alias(db: Session, *, actor: Account, account_id: int, address: str) -> None:
    """Take an address away from an account."""
    account = account_for(db, actor=actor, account_id=account_id)
    addresses.remove_alias(db, account=account, address=address)
    audit.record_about(
        db, actor=actor, action="alias.remove", obj=account, before={"alias": address}
    )


def set_role_member(
    db: Session,
    *,
    actor: Account,
    role_id: int,
    member_email: str,
    can_send_as: bool,
    stack: MailStack | None,
) -> None:
    """Add a member to a role mailbox and open its folders to them (IMAP ACL)."""
    role = account_for(db, actor=actor, account_id=role_id)
    member = colleague(db, email=member_email, organization_id=role.organization_id)
    if member is None:
        raise Invalid("%(email)s does not exist in your organization.", email=member_email)
    roles.set_role_member(db, role=role, member=member, can_send_as=can_send_as)
    if stack is not None:
        grant_role_access(stack, role_email=role.email, member_email=member.email)
    after = {"member": member.email, "can_send_as": can_send_as}
    audit.record_about(db, actor=actor, action="role.member.add", obj=role, after=after)


def remove_role_member(
    db: Session, *, actor: Account, role_id: int, member_email: str, stack: MailStack | None
) -> None:
    """Take a member off a role mailbox and close its folders to them."""
    role = account_for(db, actor=actor, account_id=role_id)
    member = colleague(db, email=member_email, organization_id=role.organization_id)
    if member is None:
        raise NotFound("%(email)s is not a member.", email=member_email)
    roles.remove_role_member(db, role=role, member=member)
    if stack is not None:
        revoke_role_access(stack, role_email=role.email, member_email=member.email)
    before = {"member": member.email}
    audit.record_about(db, actor=actor, action="role.member.remove", obj=role, before=before)


def purge_due_accounts(db: Session, *, actor: Account, stack: MailStack | None) -> list[str]:
    """Remove accounts whose retention period is over, with their mail; returns addresses."""
    rights.require_admin(actor)
    purged: list[str] = []
    for account in accounts.accounts_due_for_purge(db):
        if actor.role != "platform_admin" and account.organization_id != actor.organization_id:
            continue
        if stack is not None and account.managed:
            stack.purge_mail(account.email)
        purged.append(account.email)
        with audit.recorded_change(
            db, actor=actor, action="account.purge", obj=account, removes=True
        ):
            accounts.purge_account(db, account=account)
    return purged
