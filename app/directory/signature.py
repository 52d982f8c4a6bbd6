"""The organization's signature template, filled in from the directory for one account."""

from __future__ import annotations

import html

from sqlalchemy.orm import Session

from app.directory.models import Account, Organization

SIGNATURE_FIELDS = (
    "display_name",
    "job_title",
    "department",
    "phone_work",
    "phone_mobile",
    "email",
)


def fill_signature_template(template: str, account: Account) -> str:
    """The template with {display_name}, {job_title}, ... replaced by the account's values."""
    text = template
    for name in SIGNATURE_FIELDS:
        text = text.replace("{" + name + "}", str(getattr(account, name, "") or ""))
    return text


def organization_signature_html(db: Session, *, account: Account) -> str:
    """The organization's signature for this account as HTML ("" when there is none)."""
    org = db.get(Organization, account.organization_id)
    template = (org.signature_template if org is not None else "") or ""
    if not template.strip():
        return ""
    text = fill_signature_template(template, account)
    return "<br>".join(html.escape(line) for line in text.strip().splitlines())
