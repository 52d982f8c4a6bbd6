"""The administration page of one account, and every change made from it.

Same rules as app/admin/views.py: the signed-in admin's own organization only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from sqlalchemy import select
from starlette.responses import Response

from app.admin import organization, scope, service
from app.admin.views import (
    Address,
    AdminDep,
    DomainName,
    Flag,
    Line,
    Phone,
    Quota,
    account_saved,
    current_admin,
    last_login_store,
    render_admin,
)
from app.directory import accounts, addresses, domain_admins, imap_logins, rights, roles
from app.directory.accounts import DEFAULT_RETENTION_DAYS
from app.directory.models import Account, Domain
from app.errors import Invalid
from app.mailstack import MailStack, MailStackError

router = APIRouter(prefix="/admin")


def _stack(page: AdminDep) -> MailStack:
    return MailStack(page.state.settings)


@router.get("/accounts/{account_id}")
def account_page(page: AdminDep, account_id: int, saved: bool = False) -> Response:
    """One account: profile, password, status, aliases, role members, delete."""
    account = scope.account_for(page.db, actor=current_admin(page), account_id=account_id)
    return render_admin(
        page,
        "account.html",
        tab="accounts",
        usage=_quota_usage(page, account),
        account=account,
        last_login=imap_logins.latest_logins(last_login_store(page), [account])[account.id],
        aliases=addresses.list_aliases(page.db, account_id=account.id),
        forwards=addresses.list_forwards(page.db, account_id=account.id),
        manager=page.db.get(Account, account.manager_id) if account.manager_id else None,
        members=roles.role_members(page.db, role=account) if account.kind == "role" else [],
        saved=saved,
        retention_days=DEFAULT_RETENTION_DAYS,
        roles=rights.ROLES,
        **_admin_domain_context(page, account),
    )


def _admin_domain_context(page: AdminDep, account: Account) -> dict[str, Any]:
    """What the "Administered domains" card shows (only for a domain admin's page)."""
    if account.role != "domain_admin":
        return {"admin_domains": [], "org_domains": [], "may_change_admin_domains": False}
    org_domains = page.db.scalars(
        select(Domain)
        .where(Domain.organization_id == account.organization_id, Domain.alias_of_id.is_(None))
        .order_by(Domain.name)
    )
    return {
        "admin_domains": domain_admins.administered_domains(page.db, account=account),
        "org_domains": list(org_domains),
        "may_change_admin_domains": rights.domain_scope(current_admin(page)) is None,
    }


def _quota_usage(page: AdminDep, account: Account) -> tuple[int, int | None] | None:
    """Storage used and limit in KiB from the mail server, None when it cannot tell."""
    if not account.managed or account.deleted_at is not None or not account.enabled:
        return None
    try:
        return _stack(page).quota_usage(account.email)
    except MailStackError:
        return None


@router.post("/accounts/{account_id}")
def update_account(
    page: AdminDep,
    account_id: int,
    display_name: Line = "",
    quota_mb: Quota = "",
    job_title: Line = "",
    department: Line = "",
    phone_work: Phone = "",
    phone_mobile: Phone = "",
    location: Line = "",
    manager_email: Address = "",
    capacity: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Save the account's directory fields, manager, capacity and quota."""
    if capacity.strip() and not capacity.strip().isdigit():
        raise Invalid("The capacity must be a positive number.")
    service.update_account(
        page.db,
        actor=current_admin(page),
        account_id=account_id,
        display_name=display_name,
        quota_mb=service.parse_quota(quota_mb),
        manager_email=manager_email,
        capacity=int(capacity) if capacity.strip() else None,
        job_title=job_title,
        department=department,
        phone_work=phone_work,
        phone_mobile=phone_mobile,
        location=location,
    )
    return account_saved(account_id)


@router.post("/accounts/{account_id}/password")
def reset_password(page: AdminDep, account_id: int, password: Line) -> Response:
    """Set a new password."""
    service.reset_password(
        page.db, actor=current_admin(page), account_id=account_id, password=password
    )
    return account_saved(account_id)


@router.post("/accounts/{account_id}/enabled")
def set_enabled(page: AdminDep, account_id: int, enabled: Flag) -> Response:
    """Enable (1) or disable (0) the account."""
    service.set_enabled(
        page.db, actor=current_admin(page), account_id=account_id, enabled=enabled == "1"
    )
    return account_saved(account_id)


@router.post("/accounts/{account_id}/role")
def set_role(
    page: AdminDep, account_id: int, role: Annotated[str, Form(max_length=20)]
) -> Response:
    """Change the administrative role."""
    service.set_role(page.db, actor=current_admin(page), account_id=account_id, role=role)
    return account_saved(account_id)


@router.post("/accounts/{account_id}/delete")
def delete_account(
    page: AdminDep, account_id: int, retention_days: Annotated[int, Form(ge=0, le=3650)]
) -> Response:
    """Delete the account; its mail is kept for the retention period."""
    service.delete_account(
        page.db, actor=current_admin(page), account_id=account_id, retention_days=retention_days
    )
    return account_saved(account_id)


@router.post("/accounts/{account_id}/photo")
async def upload_photo(
    page: AdminDep,
    account_id: int,
    photo: Annotated[UploadFile | None, File()] = None,
    remove: Flag = "",
) -> Response:
    """Set the account's photo (PNG or JPEG), or remove it."""
    data = b"" if remove or photo is None else await photo.read(accounts.MAX_PHOTO_BYTES + 1)
    service.set_photo(page.db, actor=current_admin(page), account_id=account_id, data=data)
    return account_saved(account_id)


@router.post("/accounts/{account_id}/restore")
def restore_account(page: AdminDep, account_id: int) -> Response:
    """Undo a deletion during the retention period."""
    service.restore_account(page.db, actor=current_admin(page), account_id=account_id)
    return account_saved(account_id)


@router.post("/accounts/{account_id}/forwards")
def change_forward(
    page: AdminDep,
    account_id: int,
    destination: Address,
    keep_copy: Flag = "",
    remove: Flag = "",
) -> Response:
    """Add a forwarding address, or remove it when ``remove`` is set."""
    service.change_forward(
        page.db,
        actor=current_admin(page),
        account_id=account_id,
        destination=destination,
        keep_copy=keep_copy == "1",
        remove=bool(remove),
    )
    return account_saved(account_id)


@router.post("/accounts/{account_id}/aliases")
def change_alias(
    page: AdminDep,
    account_id: int,
    address: Address,
    remove: Flag = "",
) -> Response:
    """Add an alias, or remove it when ``remove`` is set."""
    actor = current_admin(page)
    if remove:
        service.remove_alias(page.db, actor=actor, account_id=account_id, address=address)
    else:
        service.add_alias(page.db, actor=actor, account_id=account_id, address=address)
    return account_saved(account_id)


@router.post("/accounts/{account_id}/members")
def change_role_member(
    page: AdminDep,
    account_id: int,
    member: Address,
    can_send_as: Flag = "",
    remove: Flag = "",
) -> Response:
    """Add or remove a member of a role mailbox (and their IMAP access)."""
    actor = current_admin(page)
    if remove:
        service.remove_role_member(
            page.db, actor=actor, role_id=account_id, member_email=member, stack=_stack(page)
        )
    else:
        service.set_role_member(
            page.db,
            actor=actor,
            role_id=account_id,
            member_email=member,
            can_send_as=can_send_as == "1",
            stack=_stack(page),
        )
    return account_saved(account_id)


@router.post("/accounts/{account_id}/admin-domains")
def change_admin_domain(
    page: AdminDep,
    account_id: int,
    domain: DomainName,
    remove: Flag = "",
) -> Response:
    """Give a domain admin another domain to administer, or take one away."""
    organization.change_admin_domain(
        page.db,
        actor=current_admin(page),
        account_id=account_id,
        domain_name=domain,
        add=not remove,
    )
    return account_saved(account_id)
