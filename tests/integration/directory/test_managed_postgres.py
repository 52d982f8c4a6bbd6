"""Managed mode on PostgreSQL: Dovecot's pgsql passdb/userdb and Postfix's pgsql maps.

A stack of its own (ports moved past the suite's and test_mailstack's), reading a fresh
PostgreSQL database that Hamkar migrated.
"""

from __future__ import annotations

import shutil
import smtplib
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from imapclient.exceptions import LoginError
from sqlalchemy import create_engine, text

from app.directory import accounts, addresses, groups, service
from app.mailstack import MailStack
from app.migrate import upgrade
from app.settings import Settings
from tests.conftest import PG_ADMIN_URL, PORT_OFFSET, base_settings
from tests.integration.directory.databases import session_on
from tests.integration.directory.mailhelpers import (
    imap_login,
    inbox_subjects,
    send_via_postfix,
    submit,
    wait_for,
)

OFFSET = PORT_OFFSET + 700
PASSWORD = "Postgres-pass-1"


@pytest.fixture(scope="module")
def own_postgres(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL database of this module's own (the shared one must stay empty)."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"hamkar_ms_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield postgres_url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def pg_stack(own_postgres: str) -> Iterator[Settings]:
    """A mail stack in managed mode on PostgreSQL."""
    postgres_url = own_postgres
    directory = Path(tempfile.mkdtemp(prefix="hamkar-pg-ms-", dir="/tmp"))
    directory.chmod(0o755)
    stack_dir = directory / "stack"
    settings = base_settings(
        directory / "app",
        stack_dir,
        database_url=postgres_url,
        imap_port=10143 + OFFSET,
        smtp_port=10587 + OFFSET,
        mailstack_imaps_port=10993 + OFFSET,
        mailstack_lmtp_port=10024 + OFFSET,
        mailstack_sieve_port=14190 + OFFSET,
        mailstack_smtp_in_port=10025 + OFFSET,
        mailstack_submissions_port=10465 + OFFSET,
    )
    upgrade(settings)
    stack = MailStack(settings)
    try:
        stack.start()
        yield settings
    finally:
        stack.stop()
        shutil.rmtree(directory, ignore_errors=True)


def test_postgres_managed_account_logs_in_receives_and_is_disabled(pg_stack: Settings) -> None:
    domain = f"pg{uuid.uuid4().hex[:8]}.test"
    with session_on(pg_stack) as db:
        org = service.create_organization(db, name="PG", slug=domain.replace(".", "-"), domains=[])
        service.add_domain(db, organization=org, name=domain, role_mailboxes=True)
        eve = service.create_account(
            db, email=f"eve@{domain}", organization_id=org.id, password=PASSWORD, quota_mb=20
        )
        addresses.add_alias(db, account=eve, address=f"e@{domain}")
        db.commit()

        imap_login(pg_stack, eve.email, PASSWORD).logout()
        send_via_postfix(pg_stack, [f"e@{domain}"], "via alias on postgres")
        assert wait_for(
            lambda: "via alias on postgres" in inbox_subjects(pg_stack, eve.email, PASSWORD)
        )

        accounts.set_enabled(db, account=eve, enabled=False)
        db.commit()
        with pytest.raises(LoginError):
            imap_login(pg_stack, eve.email, PASSWORD)
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            send_via_postfix(pg_stack, [eve.email], "after disable")


def test_postgres_group_policy_service_and_send_as(pg_stack: Settings) -> None:
    domain = f"pg{uuid.uuid4().hex[:8]}.test"
    with session_on(pg_stack) as db:
        org = service.create_organization(db, name="PG", slug=domain.replace(".", "-"), domains=[])
        service.add_domain(db, organization=org, name=domain)
        ann, bob = (
            service.create_account(
                db, email=f"{n}@{domain}", organization_id=org.id, password=PASSWORD
            )
            for n in ("ann", "bob")
        )
        board = groups.create_group(
            db, organization_id=org.id, address=f"board@{domain}", name="B", send_policy="members"
        )
        groups.add_member(db, group=board, address=ann.email)
        db.commit()
    submit(pg_stack, ann.email, PASSWORD, ann.email, board.address)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        submit(pg_stack, bob.email, PASSWORD, bob.email, board.address)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        submit(pg_stack, bob.email, PASSWORD, ann.email, f"ann@{domain}")  # not his address
    assert wait_for(lambda: f"from {ann.email}" in inbox_subjects(pg_stack, ann.email, PASSWORD))
