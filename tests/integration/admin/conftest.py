"""Two managed organizations in the test mail stack's database, each with an admin and a user.

Signing in goes through the real login (IMAP against Dovecot, which reads these accounts
from the database), so every admin test also proves managed mode.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.directory import accounts, groups, service
from tests.conftest import MailStackInfo
from tests.helpers import login
from tests.integration.directory.databases import session_on
from tests.integration.directory.mailhelpers import unique_domain

PASSWORD = "Admin-pass-12"


@dataclass(frozen=True)
class Tenant:
    """One organization: its domain, admin, user, role mailbox and group ids."""

    organization_id: int
    domain: str
    domain_id: int
    admin: str
    user: str
    user_id: int
    role_id: int
    group_id: int


@pytest.fixture
def stack_db(mailstack: MailStackInfo) -> Iterator[Session]:
    """A session on the database the mail stack reads."""
    with session_on(mailstack.settings) as session:
        yield session


def make_tenant(db: Session) -> Tenant:
    """A fresh organization with an org admin, a user, info@ and a group."""
    name = unique_domain()
    org = service.create_organization(db, name=name, slug=name.replace(".", "-"), domains=[])
    domain = service.add_domain(db, organization=org, name=name, role_mailboxes=True)
    admin = service.create_account(
        db, email=f"boss@{name}", organization_id=org.id, password=PASSWORD
    )
    accounts.set_role(db, account=admin, role="org_admin")
    user = service.create_account(
        db, email=f"user@{name}", organization_id=org.id, password=PASSWORD
    )
    group = groups.create_group(db, organization_id=org.id, address=f"team@{name}", name="Team")
    info = service.find_account(db, email=f"info@{name}")
    assert info is not None
    db.commit()
    return Tenant(org.id, name, domain.id, admin.email, user.email, user.id, info.id, group.id)


@pytest.fixture
def tenants(stack_db: Session) -> tuple[Tenant, Tenant]:
    """Two organizations that must never see each other."""
    return make_tenant(stack_db), make_tenant(stack_db)


@pytest.fixture
def stack_client(mailstack: MailStackInfo) -> Iterator[TestClient]:
    """The real app on the mail stack's database."""
    from app.main import create_app

    with TestClient(create_app(mailstack.settings), base_url="http://testserver") as client:
        yield client


def sign_in(client: TestClient, email: str) -> str:
    """Sign in through the login form; returns a CSRF token for later posts."""
    response = login(client, email, PASSWORD)
    assert response.status_code == 303, getattr(response, "text", "")[:500]  # type: ignore[attr-defined]
    page = client.get("/admin/accounts")
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if match is None:
        match = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


@pytest.fixture
def signed_in_admin(tenants: tuple[Tenant, Tenant], stack_client: TestClient) -> tuple[Tenant, str]:
    """The first organization, its admin signed in to ``stack_client``; and a CSRF token."""
    acme, _ = tenants
    return acme, sign_in(stack_client, acme.admin)
