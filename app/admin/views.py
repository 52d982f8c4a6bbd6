"""Administration pages: accounts, groups, domains, policies and the audit log.

Every route acts on the signed-in admin's own organization; objects of other organizations
answer 404, non-admins 403 (the service decides, the error handler renders the page).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from app.admin import scope, service, transfer
from app.admin.service import NewAccount
from app.directory import accounts, addresses, domain_admins, rights, roles
from app.directory.accounts import DEFAULT_RETENTION_DAYS
from app.directory.models import Account, Domain, Organization
from app.errors import DomainError, Invalid, TooLarge
from app.mailstack import MailStack, MailStackError
from app.web.deps import Page, UserPageDep

router = APIRouter(prefix="/admin")
MAX_CSV_BYTES = 2 * 1024 * 1024
Text = Annotated[str, Form(max_length=4000)]


def admin_page(page: UserPageDep) -> Page:
    """The page of a signed-in administrator; others get 403."""
    assert page.user is not None
    rights.require_admin(page.user)
    return page


AdminDep = Annotated[Page, Depends(admin_page)]


def current_admin(page: Page) -> Account:
    assert page.user is not None
    return page.user


ORG_COOKIE = "hamkar_admin_org"


def working_org(page: Page) -> int:
    """The organization the admin works on: their own, or the one a platform admin chose."""
    actor = current_admin(page)
    chosen = page.request.cookies.get(ORG_COOKIE, "")
    chosen_ok = chosen.isdigit() and page.db.get(Organization, int(chosen)) is not None
    if actor.role == "platform_admin" and chosen_ok:
        return int(chosen)
    return actor.organization_id


def _stack(page: Page) -> MailStack:
    return MailStack(page.state.settings)


def redirect(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


def _quota(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise Invalid("The quota must be between 1 MB and 10 TB.")
    return int(value)


@router.get("")
def admin_home(page: AdminDep) -> Response:
    """The administration start page is the account list."""
    return redirect("/admin/accounts")


@router.get("/accounts")
def account_list(page: AdminDep, q: str = "") -> Response:
    """Search and list the organization's accounts, with the create form."""
    return _render_accounts(page, q=q, error=None, form={})


def _render_accounts(
    page: Page, *, q: str, error: str | None, form: dict[str, str], status_code: int = 200
) -> Response:
    actor = current_admin(page)
    found = accounts.list_accounts(
        page.db,
        organization_id=working_org(page),
        query=q[:200],
        domain_ids=rights.domain_scope(actor),
        include_deleted=True,
        limit=200,
    )
    return page.render(
        "admin/accounts.html",
        status_code=status_code,
        section="admin",
        tab="accounts",
        q=q,
        found=found,
        error=error,
        form=form,
    )


@router.post("/accounts")
def create_account(
    page: AdminDep,
    email: Annotated[str, Form(max_length=320)],
    display_name: Annotated[str, Form(max_length=400)] = "",
    password: Annotated[str, Form(max_length=400)] = "",
    kind: Annotated[str, Form(max_length=16)] = "person",
    quota_mb: Annotated[str, Form(max_length=12)] = "",
    job_title: Annotated[str, Form(max_length=400)] = "",
    department: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """Create an account; invalid input is shown back with the reason, nothing lost."""
    actor = current_admin(page)
    form = {
        "email": email,
        "display_name": display_name,
        "kind": kind,
        "quota_mb": quota_mb,
        "job_title": job_title,
        "department": department,
    }
    try:
        new = NewAccount(
            email=email,
            display_name=display_name,
            password=password or None,
            kind=kind,
            quota_mb=_quota(quota_mb),
            job_title=job_title,
            department=department,
        )
        account = service.create_account(
            page.db, actor=actor, organization_id=working_org(page), new=new
        )
    except DomainError as exc:
        page.db.rollback()
        return _render_accounts(
            page,
            q="",
            error=page._(exc.message, **exc.params),
            form=form,
            status_code=exc.status_code,
        )
    page.db.commit()
    return redirect(f"/admin/accounts/{account.id}?saved=1")


@router.get("/accounts.csv")
def export_accounts(page: AdminDep) -> Response:
    """Download the organization's accounts as CSV."""
    actor = current_admin(page)
    body = transfer.export_accounts(page.db, actor=actor, organization_id=working_org(page))
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="accounts.csv"'},
    )


@router.post("/accounts/import")
async def import_accounts(page: AdminDep, file: Annotated[UploadFile, File()]) -> Response:
    """Create accounts from an uploaded CSV; each refused line is listed with its reason."""
    actor = current_admin(page)
    raw = await file.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        raise TooLarge("The CSV file may be at most %(size)s MB.", size=2)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid("The CSV file must be UTF-8 text.") from exc
    result = transfer.import_accounts(
        page.db, actor=actor, organization_id=working_org(page), text=text
    )
    page.db.commit()
    errors = [(line, page._(message, **params)) for line, message, params in result.errors]
    return page.render(
        "admin/import_result.html",
        section="admin",
        tab="accounts",
        created=result.created,
        errors=errors,
        status_code=200 if result.created or not errors else 400,
    )


@router.get("/accounts/{account_id}")
def account_page(page: AdminDep, account_id: int, saved: bool = False) -> Response:
    """One account: profile, password, status, aliases, role members, delete."""
    account = scope.account_for(page.db, actor=current_admin(page), account_id=account_id)
    return page.render(
        "admin/account.html",
        usage=_quota_usage(page, account),
        section="admin",
        tab="accounts",
        account=account,
        aliases=addresses.list_aliases(page.db, account_id=account.id),
        forwards=addresses.list_forwards(page.db, account_id=account.id),
        manager=page.db.get(Account, account.manager_id) if account.manager_id else None,
        members=roles.role_members(page.db, role=account) if account.kind == "role" else [],
        saved=saved,
        retention_days=DEFAULT_RETENTION_DAYS,
        roles=rights.ROLES,
        **_admin_domain_context(page, account),
    )


def _admin_domain_context(page: Page, account: Account) -> dict[str, Any]:
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


def _quota_usage(page: Page, account: Account) -> tuple[int, int | None] | None:
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
    display_name: Annotated[str, Form(max_length=400)] = "",
    quota_mb: Annotated[str, Form(max_length=12)] = "",
    job_title: Annotated[str, Form(max_length=400)] = "",
    department: Annotated[str, Form(max_length=400)] = "",
    phone_work: Annotated[str, Form(max_length=80)] = "",
    phone_mobile: Annotated[str, Form(max_length=80)] = "",
    location: Annotated[str, Form(max_length=400)] = "",
    manager_email: Annotated[str, Form(max_length=320)] = "",
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
        quota_mb=_quota(quota_mb),
        manager_email=manager_email,
        capacity=int(capacity) if capacity.strip() else None,
        job_title=job_title,
        department=department,
        phone_work=phone_work,
        phone_mobile=phone_mobile,
        location=location,
    )
    return redirect(f"/admin/accounts/{account_id}?saved=1")


@router.post("/accounts/{account_id}/password")
def reset_password(
    page: AdminDep, account_id: int, password: Annotated[str, Form(max_length=400)]
) -> Response:
    """Set a new password."""
    service.reset_password(
        page.db, actor=current_admin(page), account_id=account_id, password=password
    )
    return redirect(f"/admin/accounts/{account_id}?saved=1")


@router.post("/accounts/{account_id}/enabled")
def set_enabled(
    page: AdminDep, account_id: int, enabled: Annotated[str, Form(max_length=1)]
) -> Response:
    """Enable (1) or disable (0) the account."""
    service.set_enabled(
        page.db, actor=current_admin(page), account_id=account_id, enabled=enabled == "1"
    )
    return redirect(f"/admin/accounts/{account_id}?saved=1")


@router.post("/accounts/{account_id}/role")
def set_role(
    page: AdminDep, account_id: int, role: Annotated[str, Form(max_length=20)]
) -> Response:
    """Change the administrative role."""
    service.set_role(page.db, actor=current_admin(page), account_id=account_id, role=role)
    return redirect(f"/admin/accounts/{account_id}?saved=1")


@router.post("/accounts/{account_id}/delete")
def delete_account(
    page: AdminDep, account_id: int, retention_days: Annotated[int, Form(ge=0, le=3650)]
) -> Response:
    """Delete the account; its mail is kept for the retention period."""
    service.delete_account(
        page.db, actor=current_admin(page), account_id=account_id, retention_days=retention_days
    )
    return redirect(f"/admin/accounts/{account_id}?saved=1")


@router.post("/accounts/{account_id}/photo")
async def upload_photo(
    page: AdminDep,
    account_id: int,
    photo: Annotated[UploadFile | None, File()] = None,
    remove: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """Set the account's photo (PNG or JPEG), or remove it."""
    data = b"" if remove or photo is None else await photo.read(accounts.MAX_PHOTO_BYTES + 1)
    service.set_photo(page.db, actor=current_admin(page), account_id=account_id, data=data)
    return redirect(f"/admin/accounts/{account_id}?saved=1")


@router.post("/accounts/{account_id}/restore")
def restore_account(page: AdminDep, account_id: int) -> Response:
    """Undo a deletion during the retention period."""
    service.restore_account(page.db, actor=current_admin(page), account_id=account_id)
    return redirect(f"/admin/accounts/{account_id}?saved=1")


@router.post("/accounts/{account_id}/forwards")
def change_forward(
    page: AdminDep,
    account_id: int,
    destination: Annotated[str, Form(max_length=320)],
    keep_copy: Annotated[str, Form(max_length=1)] = "",
    remove: Annotated[str, Form(max_length=1)] = "",
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
    return redirect(f"/admin/accounts/{account_id}?saved=1")


@router.post("/accounts/{account_id}/aliases")
def change_alias(
    page: AdminDep,
    account_id: int,
    address: Annotated[str, Form(max_length=320)],
    remove: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """Add an alias, or remove it when ``remove`` is set."""
    actor = current_admin(page)
    if remove:
        service.remove_alias(page.db, actor=actor, account_id=account_id, address=address)
    else:
        service.add_alias(page.db, actor=actor, account_id=account_id, address=address)
    return redirect(f"/admin/accounts/{account_id}?saved=1")


@router.post("/accounts/{account_id}/members")
def change_role_member(
    page: AdminDep,
    account_id: int,
    member: Annotated[str, Form(max_length=320)],
    can_send_as: Annotated[str, Form(max_length=1)] = "",
    remove: Annotated[str, Form(max_length=1)] = "",
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
    return redirect(f"/admin/accounts/{account_id}?saved=1")
