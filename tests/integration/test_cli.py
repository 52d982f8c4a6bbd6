"""The `hamkar` command as a newcomer uses it: migrate, demo, mailstack status."""

from __future__ import annotations

import os
import ssl

from imapclient import IMAPClient
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.directory.models import Account, Organization
from app.settings import Settings
from tests.conftest import TEST_PASSWORD, MailStackInfo, run_cli


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAMKAR_")}
    env.update(
        {
            "HAMKAR_DATA_DIR": str(settings.data_dir),
            "HAMKAR_MAILSTACK_DIR": str(settings.effective_mailstack_dir),
            "HAMKAR_IMAP_PORT": str(settings.imap_port),
            "HAMKAR_SMTP_PORT": str(settings.smtp_port),
            "HAMKAR_MAILSTACK_IMAPS_PORT": str(settings.mailstack_imaps_port),
            "HAMKAR_MAILSTACK_LMTP_PORT": str(settings.mailstack_lmtp_port),
            "HAMKAR_MAILSTACK_SIEVE_PORT": str(settings.mailstack_sieve_port),
            "HAMKAR_MAILSTACK_SMTP_IN_PORT": str(settings.mailstack_smtp_in_port),
            "HAMKAR_MAILSTACK_SUBMISSIONS_PORT": str(settings.mailstack_submissions_port),
            # Same password as the suite's users, so the shared stack stays as the tests expect.
            "HAMKAR_DEMO_PASSWORD": TEST_PASSWORD,
        }
    )
    return env


def test_migrate_then_demo_creates_a_working_demo(
    settings: Settings, mailstack: MailStackInfo
) -> None:
    env = _env(settings)
    migrated = run_cli("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    demo = run_cli("demo", env=env)
    assert demo.returncode == 0, demo.stderr
    for address in (
        "alice@example.com",
        "bob@example.com",
        "carol@example.org",
        "info@example.com",
    ):
        assert address in demo.stdout
    assert "/login" in demo.stdout
    again = run_cli("demo", env=env)  # idempotent
    assert again.returncode == 0, again.stderr

    with Session(create_engine(settings.effective_database_url)) as db:
        org = db.scalars(select(Organization)).one()
        assert sorted(d.name for d in org.domains) == ["example.com", "example.org"]
        kinds = {a.email: a.kind for a in db.scalars(select(Account))}
    assert kinds == {
        "alice@example.com": "person",
        "bob@example.com": "person",
        "carol@example.org": "person",
        "info@example.com": "role",
    }

    # The demo users log in over IMAP, and alice sees info@'s shared INBOX.
    context = ssl.create_default_context(cafile=str(mailstack.stack.cert_file))
    with IMAPClient("127.0.0.1", port=settings.imap_port, ssl=False, timeout=10) as imap:
        imap.starttls(context)
        imap.login("alice@example.com", TEST_PASSWORD)
        folders = [name for _flags, _sep, name in imap.list_folders()]
    assert "shared/info@example.com/INBOX" in folders


def test_mailstack_status_reports_the_running_stack(settings: Settings) -> None:
    result = run_cli("mailstack", "status", env=_env(settings))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "dovecot: running" in result.stdout and "postfix: running" in result.stdout
    assert f"imap 127.0.0.1:{settings.imap_port} open" in result.stdout


def test_unknown_command_prints_help() -> None:
    result = run_cli(env=dict(os.environ))
    assert result.returncode == 2
    assert "mailstack" in result.stdout and "demo" in result.stdout
