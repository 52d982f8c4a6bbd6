"""Signatures: one per From identity, else the organization's template; and where they go."""

from __future__ import annotations

from typing import TYPE_CHECKING

import nh3
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.directory.signature import organization_signature_html
from app.errors import Invalid
from app.mail.models import MailPreference, MailSignature

if TYPE_CHECKING:
    from app.directory.models import Account

MAX_SIGNATURE = 10_000


def signatures_for(db: Session, *, account: Account, identities: list[str]) -> dict[str, str]:
    """Each identity's signature HTML: the person's own, else the organization's template."""
    own = {
        row.identity: row.html
        for row in db.scalars(select(MailSignature).where(MailSignature.email == account.email))
    }
    fallback = organization_signature_html(db, account=account)
    return {identity: own.get(identity) or fallback for identity in identities}


def own_signatures(db: Session, *, email: str) -> dict[str, str]:
    """The signatures the person wrote, by identity."""
    rows = db.scalars(select(MailSignature).where(MailSignature.email == email))
    return {row.identity: row.html for row in rows}


def save_signature(db: Session, *, email: str, identity: str, markup: str) -> None:
    """Store (or clear, when empty) the signature of one identity; HTML is sanitized."""
    if len(markup) > MAX_SIGNATURE:
        raise Invalid("A signature can have at most %(count)s characters.", count=MAX_SIGNATURE)
    clean = nh3.clean(markup).strip()
    row = db.get(MailSignature, (email, identity))
    if not clean:
        if row is not None:
            db.delete(row)
        db.flush()
        return
    if row is None:
        row = MailSignature(email=email, identity=identity, html=clean)
        db.add(row)
    row.html = clean
    db.flush()


def signature_above_quote(db: Session, *, email: str) -> bool:
    """Whether replies put the signature above the quoted message."""
    row = db.get(MailPreference, email)
    return bool(row and row.signature_above_quote)


def set_signature_position(db: Session, *, email: str, above_quote: bool) -> None:
    """Choose where replies put the signature."""
    row = db.get(MailPreference, email)
    if row is None:
        row = MailPreference(email=email, signature_above_quote=above_quote)
        db.add(row)
    row.signature_above_quote = above_quote
    db.flush()


TYPING_AREA = "<p><br></p>"


def with_signature(body_html: str, signature_html: str, *, above_quote: bool) -> str:
    """Put the signature into a new message or a reply: below everything, or right under the
    place the person types (above the quoted message)."""
    if not signature_html:
        return body_html
    block = f'<div class="signature">-- <br>{signature_html}</div>'
    if not body_html:
        return TYPING_AREA + block
    if above_quote and body_html.startswith(TYPING_AREA):
        return TYPING_AREA + block + body_html[len(TYPING_AREA) :]
    return body_html + block
