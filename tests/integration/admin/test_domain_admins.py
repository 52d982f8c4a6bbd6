"""A domain admin of several domains reaches their objects, and nothing of the other domains.

Service level on SQLite, the admin pages through the real login (managed accounts in the test
mail stack's database), and `hamkar admin domain-admin-*` through the console script.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.admin import organization, service, transfer
from app.admin.service import NewAccount
from app.db import utcnow
from app.directory import accounts, domain_admins, groups
from app.directory import service as directory
from app.directory.models import Account, Domain, Organization
from app.errors import Forbidden, Invalid, NotFound
from app.migrate import alembic_config
from app.models import import_all_models
from app.settings import Settings
from tests.conftest import MailStackInfo
from tests.integration.admin.conftest import PASSWORD, Tenant, sign_in
from tests.integration.admin.test_cli_admin import hamkar
from tests.integration.directory.databases import migrated_sqlite_session, session_on
from tests.integration.directory.mailhelpers import unique_domain


@pytest.fixture
def db(data_dir: Path) -> Iterator[Session]:
    """A session on a fresh, fully migrated SQLite database."""
    with migrated_sqlite_session(data_dir) as session:
        yield session


@dataclass(frozen=True)
class Acme:
    org: Organization
    boss: Account
    dom: Account
    far: Account  # an account in acme.org, a domain dom never administers


@pytest.fixture
def acme(db: Session) -> Acme:
    """Acme with three domains; dom@acme.test is a domain admin (of acme.test at first)."""
    org = directory.create_organization(
        db, name="Acme", slug="acme", domains=["acme.test", "acme.example", "acme.org"]
    )
    boss = directory.create_account(db, email="boss@acme.test", password=PASSWORD)
    accounts.set_role(db, account=boss, role="org_admin")
    dom = directory.create_account(db, email="dom@acme.test", password=PASSWORD)
    accounts.set_role(db, account=dom, role="domain_admin")
    far = directory.create_account(db, email="far@acme.org", password=PASSWORD)
    directory.create_organization(db, name="Other", slug="other", domains=["other.test"])
    return Acme(org, boss, dom, far)


def _new(email: str, password: str | None = PASSWORD) -> NewAccount:
    return NewAccount(email=email, display_name=email.partition("@")[0], password=password)


def test_a_domain_admin_reaches_every_domain_it_administers_and_no_other(
    db: Session, acme: Acme
) -> None:
    org, boss, dom, far = acme.org, acme.boss, acme.dom, acme.far
    assert [d.name for d in domain_admins.administered_domains(db, account=dom)] == ["acme.test"]
    with pytest.raises(Invalid, match="domains you administer"):
        service.create_account(db, actor=dom, organization_id=org.id, new=_new("x@acme.example"))

    organization.change_admin_domain(
        db, actor=boss, account_id=dom.id, domain_name="acme.example", add=True
    )
    there = service.create_account(
        db, actor=dom, organization_id=org.id, new=_new("x@acme.example")
    )
    service.set_enabled(db, actor=dom, account_id=there.id, enabled=False)
    group = organization.create_group(
        db,
        actor=dom,
        organization_id=org.id,
        address="team@acme.example",
        name="Team",
        send_policy="organization",
    )
    assert organization.group_for(db, actor=dom, group_id=group.id) is group

    # acme.org stays out of reach: its accounts, groups, new addresses and CSV lines.
    with pytest.raises(NotFound):
        service.account_for(db, actor=dom, account_id=far.id)
    with pytest.raises(NotFound):
        service.reset_password(db, actor=dom, account_id=far.id, password="Other-pass-123")
    far_group = groups.create_group(db, organization_id=org.id, address="g@acme.org", name="G")
    with pytest.raises(NotFound):
        organization.group_for(db, actor=dom, group_id=far_group.id)
    with pytest.raises(Invalid, match="domains you administer"):
        service.create_account(db, actor=dom, organization_id=org.id, new=_new("y@acme.org"))
    imported = transfer.import_accounts(
        db,
        actor=dom,
        organization_id=org.id,
        text="email,display_name\nok@acme.example,Ok\next@acme.org,External\n",
    )
    assert imported.created == ["ok@acme.example"] and len(imported.errors) == 1
    exported = list(
        csv.DictReader(io.StringIO(transfer.export_accounts(db, actor=dom, organization_id=org.id)))
    )
    emails = {row["email"] for row in exported}
    assert {"dom@acme.test", "x@acme.example", "ok@acme.example"} <= emails
    assert not any(e.endswith("@acme.org") for e in emails)


def test_only_organization_admins_change_the_domains(db: Session, acme: Acme) -> None:
    org, boss, dom = acme.org, acme.boss, acme.dom
    with pytest.raises(Forbidden):
        organization.change_admin_domain(
            db, actor=dom, account_id=dom.id, domain_name="acme.org", add=True
        )
    with pytest.raises(Invalid, match="does not belong"):
        organization.change_admin_domain(
            db, actor=boss, account_id=dom.id, domain_name="other.test", add=True
        )
    with pytest.raises(Invalid, match="not a domain administrator"):
        organization.change_admin_domain(
            db, actor=boss, account_id=boss.id, domain_name="acme.org", add=True
        )
    organization.change_admin_domain(
        db, actor=boss, account_id=dom.id, domain_name="acme.org", add=True
    )
    organization.change_admin_domain(
        db, actor=boss, account_id=dom.id, domain_name="acme.test", add=False
    )
    # dom's own domain is gone from its reach now, acme.org came in.
    with pytest.raises(Invalid, match="domains you administer"):
        service.create_account(db, actor=dom, organization_id=org.id, new=_new("n@acme.test"))
    assert service.account_for(db, actor=dom, account_id=acme.far.id) is acme.far

    # Leaving the role drops every grant; a new promotion starts with the own domain only.
    service.set_role(db, actor=boss, account_id=dom.id, role="user")
    assert domain_admins.administered_domains(db, account=dom) == []
    service.set_role(db, actor=boss, account_id=dom.id, role="domain_admin")
    assert [d.name for d in domain_admins.administered_domains(db, account=dom)] == ["acme.test"]


def _two_domain_tenant(db: Session, tenant: Tenant) -> tuple[str, str, int]:
    """A second and a third domain for the tenant, a domain admin, a user in the third."""
    org = db.get(Organization, tenant.organization_id)
    assert org is not None
    second, third = unique_domain(), unique_domain()
    directory.add_domain(db, organization=org, name=second)
    directory.add_domain(db, organization=org, name=third)
    dom = directory.create_account(db, email=f"dom@{tenant.domain}", password=PASSWORD)
    accounts.set_role(db, account=dom, role="domain_admin")
    far = directory.create_account(db, email=f"far@{third}", password=PASSWORD)
    db.commit()
    return second, third, far.id


def test_admin_pages_for_a_domain_admin_of_two_domains(
    tenants: tuple[Tenant, Tenant], stack_db: Session, stack_client: TestClient
) -> None:
    tenant, other = tenants
    second, third, far_id = _two_domain_tenant(stack_db, tenant)
    dom_id = directory.find_account(stack_db, email=f"dom@{tenant.domain}").id  # type: ignore[union-attr]

    token = sign_in(stack_client, tenant.admin)
    page = stack_client.get(f"/admin/accounts/{dom_id}").text
    assert "Administered domains" in page and f'<option value="{second}">' in page
    added = stack_client.post(
        f"/admin/accounts/{dom_id}/admin-domains",
        data={"csrf_token": token, "domain": second},
        follow_redirects=False,
    )
    assert added.status_code == 303
    # An organization admin cannot hand out another organization's domain.
    foreign = stack_client.post(
        f"/admin/accounts/{dom_id}/admin-domains",
        data={"csrf_token": token, "domain": other.domain},
    )
    assert foreign.status_code == 400 and "does not belong" in foreign.text

    stack_client.cookies.clear()
    token = sign_in(stack_client, f"dom@{tenant.domain}")
    created = stack_client.post(
        "/admin/accounts",
        data={"csrf_token": token, "email": f"new@{second}", "password": PASSWORD},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    refused = stack_client.post(
        "/admin/accounts",
        data={"csrf_token": token, "email": f"new@{third}", "password": PASSWORD},
    )
    assert refused.status_code == 400 and "domains you administer" in refused.text
    listing = stack_client.get("/admin/accounts").text
    assert f"new@{second}" in listing and tenant.user in listing
    assert f"far@{third}" not in listing
    assert stack_client.get(f"/admin/accounts/{far_id}").status_code == 404
    domains = stack_client.get("/admin/domains").text
    assert domains.count("you administer it") == 2 and "Add a domain" not in domains
    widen = stack_client.post(
        f"/admin/accounts/{dom_id}/admin-domains", data={"csrf_token": token, "domain": third}
    )
    assert widen.status_code == 403
    mine = stack_client.get(f"/admin/accounts/{dom_id}").text
    assert (
        second in mine and 'action="/admin/accounts/' + str(dom_id) + '/admin-domains"' not in mine
    )


def test_cli_gives_and_takes_domains(mailstack: MailStackInfo) -> None:
    first, second = unique_domain(), unique_domain()
    slug = first.replace(".", "-")
    assert hamkar(mailstack, "org-create", slug, "Two domains").returncode == 0
    for domain in (first, second):
        assert hamkar(mailstack, "domain-add", slug, domain).returncode == 0
    created = hamkar(
        mailstack, "account-create", f"dom@{first}", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert created.returncode == 0, created.stderr
    assert hamkar(mailstack, "account-role", f"dom@{first}", "domain_admin").returncode == 0
    added = hamkar(mailstack, "domain-admin-add", f"dom@{first}", second)
    assert added.returncode == 0, added.stderr
    assert f"administers: {min(first, second)}, {max(first, second)}" in added.stdout
    removed = hamkar(mailstack, "domain-admin-remove", f"dom@{first}", first)
    assert removed.returncode == 0 and f"administers: {second}" in removed.stdout
    again = hamkar(mailstack, "domain-admin-remove", f"dom@{first}", first)
    assert again.returncode == 1 and "does not administer" in again.stderr
    listed = hamkar(mailstack, "domain-admin-list", f"dom@{first}")
    assert listed.stdout.strip().endswith(f"administers: {second}")
    audit = hamkar(mailstack, "audit-export", slug).stdout
    assert "account.admin_domain.add" in audit and "account.admin_domain.remove" in audit


def test_migration_keeps_todays_domain_admins_on_their_domain(data_dir: Path) -> None:
    import_all_models()
    settings = Settings(data_dir=data_dir, database_url=None)
    config = alembic_config(settings.effective_database_url)
    command.upgrade(config, "0310")  # before domain_admin existed
    with session_on(settings) as db:
        org = directory.create_organization(
            db, name="Old", slug="old", domains=["old.test", "b.test"]
        )
        # accounts as rows of the 0310 table: today's model has columns that table lacks
        old_account = sa.Table("account", sa.MetaData(), autoload_with=db.connection())
        domain_ids = {name: id_ for name, id_ in db.execute(sa.select(Domain.name, Domain.id))}
        now = utcnow().replace(tzinfo=None)
        for email, role in (("dom@old.test", "domain_admin"), ("user@b.test", "user")):
            db.execute(
                old_account.insert().values(
                    organization_id=org.id,
                    domain_id=domain_ids[email.split("@")[1]],
                    email=email,
                    display_name="",
                    kind="person",
                    enabled=True,
                    created_at=now,
                    role=role,  # as the role was stored before this revision
                )
            )
        db.commit()
    command.upgrade(config, "head")
    with session_on(settings) as db:
        dom = directory.find_account(db, email="dom@old.test")
        user = directory.find_account(db, email="user@b.test")
        assert dom is not None and user is not None
        assert [d.name for d in domain_admins.administered_domains(db, account=dom)] == ["old.test"]
        assert domain_admins.administered_domains(db, account=user) == []
