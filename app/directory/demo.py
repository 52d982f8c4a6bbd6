"""The demo organization that `hamkar demo` creates."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.directory import service
from app.directory.models import Organization

DEMO_SLUG = "demo"
DEMO_DOMAINS = ("example.com", "example.org")


@dataclass(frozen=True)
class DemoAccount:
    """An account of the demo organization."""

    email: str
    display_name: str
    kind: str


DEMO_ACCOUNTS = (
    DemoAccount("alice@example.com", "Alice Example", "person"),
    DemoAccount("bob@example.com", "Bob Example", "person"),
    DemoAccount("carol@example.org", "Carol Example", "person"),
    DemoAccount("info@example.com", "Info", "role"),
)
# Role mailbox members: they see info@'s folders through IMAP ACLs.
DEMO_ROLE_MEMBERS = {"info@example.com": ("alice@example.com", "bob@example.com")}


def ensure_demo_directory(db: Session) -> Organization:
    """Create the demo organization, its domains and accounts; idempotent."""
    org = db.scalar(select(Organization).where(Organization.slug == DEMO_SLUG))
    if org is None:
        org = service.create_organization(
            db, name="Example Organization", slug=DEMO_SLUG, domains=list(DEMO_DOMAINS)
        )
    for demo in DEMO_ACCOUNTS:
        if service.find_account(db, email=demo.email) is None:
            service.create_account(
                db, email=demo.email, display_name=demo.display_name, kind=demo.kind
            )
    return org
