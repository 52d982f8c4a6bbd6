"""Admin services without the web: domain admin scope, CSV round trip, policies, audit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.admin import audit, organization, service, transfer
from app.admin.service import NewAccount
from app.directory import accounts
from app.directory import service as directory
from app.directory.models import Account, Organization
from app.errors import Forbidden, Invalid, NotFound
from tests.integration.directory.databases import migrated_sqlite_session

PASSWORD = "Service-pass-1"


@pytest.fixture
def db(data_dir: Path) -> Iterator[Session]:
    """A session on a fresh, fully migrated SQLite database."""
    with migrated_sqlite_session(data_dir) as session:
        yield session


@pytest.fixture
def acme(db: Session) -> tuple[Organization, Account, Account]:
    """Acme with two domains, an org admin and a domain admin of acme.test."""
    org = directory.create_organization(
        db, name="Acme", slug="acme", domains=["acme.test", "acme.example"]
    )
    boss = directory.create_account(
        db, email="boss@acme.test", organization_id=org.id, password=PASSWORD
    )
    accounts.set_role(db, account=boss, role="org_admin")
    local = directory.create_account(
        db, email="dom@acme.test", organization_id=org.id, password=PASSWORD
    )
    accounts.set_role(db, account=local, role="domain_admin")
    return org, boss, local


def test_domain_admin_reaches_only_its_own_domain(
    db: Session, acme: tuple[Organization, Account, Account]
) -> None:
    org, boss, local = acme
    there = service.create_account(
        db,
        actor=boss,
        organization_id=org.id,
        new=NewAccount(email="x@acme.example", display_name="X", password=PASSWORD),
    )
    with pytest.raises(NotFound):
        service.set_enabled(db, actor=local, account_id=there.id, enabled=False)
    with pytest.raises(Invalid, match="only create addresses in the domains you administer"):
        service.create_account(
            db,
            actor=local,
            organization_id=org.id,
            new=NewAccount(email="y@acme.example", display_name="Y", password=PASSWORD),
        )
    with pytest.raises(Forbidden, match="Only organization administrators"):
        organization.add_domain(db, actor=local, organization_id=org.id, name="new.test")
    mine = service.create_account(
        db,
        actor=local,
        organization_id=org.id,
        new=NewAccount(email="z@acme.test", display_name="Z", password=PASSWORD),
    )
    service.set_enabled(db, actor=local, account_id=mine.id, enabled=False)
    assert not mine.enabled


def test_admin_cannot_lock_themselves_out(
    db: Session, acme: tuple[Organization, Account, Account]
) -> None:
    _, boss, _ = acme
    with pytest.raises(Invalid, match="your own account"):
        service.set_enabled(db, actor=boss, account_id=boss.id, enabled=False)
    with pytest.raises(Invalid, match="your own account"):
        service.delete_account(db, actor=boss, account_id=boss.id, retention_days=1)


def test_csv_export_import_round_trip_reports_bad_lines(
    db: Session, acme: tuple[Organization, Account, Account]
) -> None:
    org, boss, _ = acme
    text = (
        "email,display_name,password,department,quota_mb\n"
        f"ann@acme.test,Ann,{PASSWORD},Sales,500\n"
        "ext@acme.test,External Person,,,\n"
        "bad address,Nope,,,\n"
        "ann@acme.test,Duplicate,,,\n"
        f"=cmd@acme.test,Formula,{PASSWORD},,\n"
    )
    result = transfer.import_accounts(db, actor=boss, organization_id=org.id, text=text)
    assert result.created == ["ann@acme.test", "ext@acme.test"]
    assert [(line, message.split()[0]) for line, message, _ in result.errors] == [
        (4, "“%(email)s”"),
        (5, "The"),
        (6, "“%(email)s”"),
    ]
    ann = directory.find_account(db, email="ann@acme.test")
    ext = directory.find_account(db, email="ext@acme.test")
    assert ann is not None and ann.managed and ann.quota_mb == 500 and ann.department == "Sales"
    assert ext is not None and not ext.managed and ext.password_hash is None
    exported = transfer.export_accounts(db, actor=boss, organization_id=org.id)
    assert exported.splitlines()[0].startswith("email,display_name,kind")
    assert any(line.startswith("ann@acme.test,Ann,person") for line in exported.splitlines())
    assert PASSWORD not in exported and "ARGON2" not in exported


def test_policies_are_validated_audited_and_fill_the_signature(
    db: Session, acme: tuple[Organization, Account, Account]
) -> None:
    org, boss, local = acme
    boss.job_title = "Chief"
    kwargs = dict(
        signature_template="{display_name}\n{job_title} · {email}",
        max_attachment_mb=10,
        allow_external_forwarding=True,
        default_language="fa",
        default_timezone="Asia/Tehran",
        default_role_mailboxes="info hr",
    )
    transfer.update_policies(db, actor=boss, organization_id=org.id, **kwargs)  # type: ignore[arg-type]
    assert org.default_timezone == "Asia/Tehran" and org.default_role_mailboxes == "info hr"
    assert transfer.render_signature(org.signature_template, boss) == "\nChief · boss@acme.test"
    for bad, message in (
        ({"max_attachment_mb": 0}, "attachment limit"),
        ({"default_timezone": "Mars/Base"}, "Unknown time zone"),
        ({"default_language": "xx"}, "Unsupported language"),
    ):
        with pytest.raises(Invalid, match=message):
            transfer.update_policies(db, actor=boss, organization_id=org.id, **{**kwargs, **bad})  # type: ignore[arg-type]
    with pytest.raises(Forbidden):
        transfer.update_policies(db, actor=local, organization_id=org.id, **kwargs)  # type: ignore[arg-type]
    entry = audit.entries(db, organization_id=org.id, query="policy")[0]
    assert entry.actor == "boss@acme.test"
    assert json.loads(entry.before)["default_timezone"] == "UTC"
    assert json.loads(entry.after)["default_timezone"] == "Asia/Tehran"


def test_new_accounts_start_with_the_organizations_language_and_time_zone(
    db: Session, acme: tuple[Organization, Account, Account]
) -> None:
    org, boss, _ = acme
    before = directory.create_account(db, email="early@acme.test", organization_id=org.id)
    assert directory.get_preferences(db, account_id=before.id).language is None  # browser's
    transfer.update_policies(
        db,
        actor=boss,
        organization_id=org.id,
        signature_template="",
        max_attachment_mb=25,
        allow_external_forwarding=False,
        default_language="fa",
        default_timezone="Asia/Tehran",
        default_role_mailboxes="info",
    )
    later = directory.create_account(db, email="later@acme.test", organization_id=org.id)
    prefs = directory.get_preferences(db, account_id=later.id)
    assert (prefs.language, prefs.timezone) == ("fa", "Asia/Tehran")
