"""Administration pages: what every admin page shares, and the account list.

Shared: who is an admin, which organization it works on, the form fields and responses that
views_account.py and views_org.py use too. Every route acts on the signed-in admin's own
organization; objects of other organizations answer 404, non-admins 403 (the service decides,
the error handler renders the page).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from starlette.responses import RedirectResponse, Response

from app.admin import service, transfer
from app.admin.service import NewAccount
from app.directory import accounts, imap_logins, rights
from app.directory.models import Account, Organization
from app.errors import DomainError, Invalid, TooLarge
from app.web.deps import Page, UserPageDep

router = APIRouter(prefix="/admin")
MAX_CSV_BYTES = 2 * 1024 * 1024

# The form fields of the administration pages, by what they hold.
Text = Annotated[str, Form(max_length=4000)]  # several lines: a description, a template
Line = Annotated[str, Form(max_length=400)]  # one line: a name, a title, a password
Address = Annotated[str, Form(max_length=320)]  # a mail address
DomainName = Annotated[str, Form(max_length=253)]
Phone = Annotated[str, Form(max_length=80)]
Choice = Annotated[str, Form(max_length=16)]  # one of a short list: a kind, a send policy
Quota = Annotated[str, Form(max_length=12)]  # megabytes as typed; empty: the default
Flag = Annotated[str, Form(max_length=1)]  # a checkbox or switch: "1" when set, "" when not


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


def redirect(path: str) -> Response:
    """See other: where the browser goes after a form was posted."""
    return RedirectResponse(path, status_code=303)


def account_saved(account_id: int) -> Response:
    """Back to the account's page, which then says "Saved."."""
    return redirect(f"/admin/accounts/{account_id}?saved=1")


def render_admin(page: Page, template: str, *, tab: str, **context: Any) -> Response:
    """A page of ``templates/admin/``, shown under one of the administration tabs."""
    return page.render(f"admin/{template}", section="admin", tab=tab, **context)


def csv_download(body: str, filename: str) -> Response:
    """A CSV file the browser saves as ``filename``."""
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("")
def admin_home(page: AdminDep) -> Response:
    """The administration start page is the account list."""
    return redirect("/admin/accounts")


def last_login_store(page: Page) -> Path:
    """Dovecot's store of IMAP logins (app/directory/imap_logins.py)."""
    return page.state.settings.effective_imap_last_login_store


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
    return render_admin(
        page,
        "accounts.html",
        tab="accounts",
        status_code=status_code,
        last_logins=imap_logins.latest_logins(last_login_store(page), found.accounts),
        q=q,
        found=found,
        error=error,
        form=form,
    )


@router.post("/accounts")
def create_account(
    page: AdminDep,
    email: Address,
    display_name: Line = "",
    password: Line = "",
    kind: Choice = "person",
    quota_mb: Quota = "",
    job_title: Line = "",
    department: Line = "",
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
            quota_mb=service.parse_quota(quota_mb),
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
    body = transfer.export_accounts(
        page.db,
        actor=actor,
        organization_id=working_org(page),
        imap_login_store=last_login_store(page),
    )
    return csv_download(body, "accounts.csv")


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
    return render_admin(
        page,
        "import_result.html",
        tab="accounts",
        created=result.created,
        errors=errors,
        status_code=200 if result.created or not errors else 400,
    )
