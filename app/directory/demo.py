"""The demo organization that `hamkar demo` creates."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.directory import accounts, roles, service
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


def ensure_demo_directory(db: Session, *, password: str | None = None) -> Organization:
    """Create the demo organization, its domains and accounts; idempotent.

    With ``password`` the people become managed accounts (the mail stack reads them from the
    database) and info@ a managed role mailbox worked by alice and bob.
    """
    org = db.scalar(select(Organization).where(Organization.slug == DEMO_SLUG))
    if org is None:
        org = service.create_organization(
            db, name="Example Organization", slug=DEMO_SLUG, domains=list(DEMO_DOMAINS)
        )
    for demo in DEMO_ACCOUNTS:
        account = service.find_account(db, email=demo.email)
        if account is None:
            account = service.create_account(
                db, email=demo.email, display_name=demo.display_name, kind=demo.kind
            )
        if password is not None and demo.kind == "person":
            accounts.set_password(db, account=account, password=password)
        elif password is not None:
            account.managed = True
    alice = service.find_account(db, email="alice@example.com")
    if alice is not None and alice.role == "user":
        accounts.set_role(db, account=alice, role="org_admin")
    if password is not None:
        for role_email, members in DEMO_ROLE_MEMBERS.items():
            role = service.find_account(db, email=role_email)
            assert role is not None
            for member_email in members:
                member = service.find_account(db, email=member_email)
                assert member is not None
                roles.set_role_member(db, role=role, member=member, can_send_as=True)
    db.flush()
    return org
