"""CSV import and export of accounts, and organization policies."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from app.admin import audit
from app.admin.scope import check_creation_domain, organization_of
from app.admin.service import NewAccount, create_account, parse_quota
from app.directory import accounts, imap_logins, rights, service
from app.directory.models import Account, Organization
from app.directory.signature import fill_signature_template
from app.errors import DomainError, Invalid

CSV_COLUMNS = (
    "email",
    "display_name",
    "kind",
    "job_title",
    "department",
    "phone_work",
    "phone_mobile",
    "quota_mb",
    "enabled",
    "last_login_at",
)
MAX_IMPORT_ROWS = 5000


@dataclass
class ImportResult:
    """What an import did: the addresses created and each refused line with its reason."""

    created: list[str] = field(default_factory=list)
    errors: list[tuple[int, str, dict[str, object]]] = field(default_factory=list)


def export_accounts(
    db: Session, *, actor: Account, organization_id: int, imap_login_store: Path | None = None
) -> str:
    """The organization's accounts as CSV (never passwords).

    ``last_login_at`` is the latest of the web, DAV and IMAP sign-ins, as the admin pages show it,
    when the mail server's login store is given.
    """
    rights.check_organization(actor, organization_id)
    page = accounts.list_accounts(db, organization_id=organization_id, limit=1_000_000)
    scope = rights.domain_scope(actor)
    shown = [a for a in page.accounts if scope is None or a.domain_id in scope]
    logins = (
        imap_logins.latest_logins(imap_login_store, shown)
        if imap_login_store is not None
        else {a.id: a.last_login_at for a in shown}
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for account in shown:
        values = {c: getattr(account, c) for c in CSV_COLUMNS}
        values["last_login_at"] = logins[account.id]
        writer.writerow([audit.safe_cell(values[c]) for c in CSV_COLUMNS])
    return out.getvalue()


def import_accounts(
    db: Session, *, actor: Account, organization_id: int, text: str
) -> ImportResult:
    """Create accounts from CSV (header: email, display_name, password, ...).

    Each line is its own savepoint: a bad line is reported and skipped, the others land.
    Without a password the account is an external one (its mail server checks the login).
    """
    rights.check_organization(actor, organization_id)
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "email" not in reader.fieldnames:
        raise Invalid("The CSV file needs a header line with at least an “email” column.")
    result = ImportResult()
    for number, row in enumerate(reader, start=2):
        if number > MAX_IMPORT_ROWS + 1:
            raise Invalid("At most %(count)s lines per import.", count=MAX_IMPORT_ROWS)
        try:
            with db.begin_nested():
                account = _import_row(db, actor=actor, organization_id=organization_id, row=row)
            result.created.append(account.email)
        except DomainError as exc:
            result.errors.append((number, exc.message, exc.params))
    return result


def _import_row(
    db: Session, *, actor: Account, organization_id: int, row: dict[str, str | None]
) -> Account:
    def cell(name: str) -> str:
        return (row.get(name) or "").strip()

    new = NewAccount(
        email=cell("email"),
        display_name=cell("display_name"),
        password=cell("password") or None,
        kind=cell("kind") or "person",
        quota_mb=parse_quota(cell("quota_mb")),
        job_title=cell("job_title"),
        department=cell("department"),
        phone_work=cell("phone_work"),
        phone_mobile=cell("phone_mobile"),
    )
    if new.password is None and new.kind == "person":
        check_creation_domain(db, actor=actor, email=new.email)
        account = service.create_account(
            db,
            email=new.email,
            display_name=new.display_name,
            organization_id=organization_id,
            managed=False,
        )
        after = audit.snapshot(account)
        audit.record_about(db, actor=actor, action="account.import", obj=account, after=after)
        return account
    return create_account(db, actor=actor, organization_id=organization_id, new=new)


def update_policies(
    db: Session,
    *,
    actor: Account,
    organization_id: int,
    signature_template: str,
    max_attachment_mb: int,
    allow_external_forwarding: bool,
    default_language: str,
    default_timezone: str,
    default_role_mailboxes: str,
) -> Organization:
    """Change the organization's policies; each value is checked first."""
    org = organization_of(db, actor=actor, organization_id=organization_id)
    rights.check_org_wide(actor, organization_id)
    if len(signature_template) > 4000:
        raise Invalid("The signature template may have at most %(count)s characters.", count=4000)
    if not 1 <= max_attachment_mb <= 1024:
        raise Invalid("The attachment limit must be between 1 and 1024 MB.")
    if default_language and default_language not in service.SUPPORTED_LANGUAGES:
        raise Invalid("Unsupported language “%(language)s”.", language=default_language)
    if default_timezone not in service.common_timezones():
        raise Invalid("Unknown time zone “%(timezone)s”.", timezone=default_timezone)
    locals_ = default_role_mailboxes.lower().split()
    for local in locals_:
        service.validate_address(f"{local}@example.com")
    with audit.recorded_change(db, actor=actor, action="policy.update", obj=org):
        org.signature_template = signature_template.strip()
        org.max_attachment_mb = max_attachment_mb
        org.allow_external_forwarding = allow_external_forwarding
        org.default_language = default_language
        org.default_timezone = default_timezone
        org.default_role_mailboxes = " ".join(locals_)
        db.flush()
    return org


def render_signature(template: str, account: Account) -> str:
    """The organization's signature for one account: {display_name}, {job_title}, ... filled in."""
    return fill_signature_template(template, account)
