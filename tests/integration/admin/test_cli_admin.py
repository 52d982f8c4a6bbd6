"""`hamkar admin ...` through the real console script, against the test mail stack."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from imapclient.exceptions import LoginError

from tests.conftest import MailStackInfo
from tests.integration.directory.mailhelpers import imap_login, unique_domain

HAMKAR = shutil.which("hamkar") or str(Path(__file__).resolve().parents[3] / ".venv/bin/hamkar")


def hamkar(
    mailstack: MailStackInfo, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    settings = mailstack.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAMKAR_")}
    env.update(
        HAMKAR_DATA_DIR=str(settings.data_dir),
        HAMKAR_MAILSTACK_DIR=str(settings.effective_mailstack_dir),
        HAMKAR_IMAP_PORT=str(settings.imap_port),
        HAMKAR_MAILSTACK_LMTP_PORT=str(settings.mailstack_lmtp_port),
    )
    return subprocess.run(
        [HAMKAR, "admin", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_creates_a_working_account_disables_it_and_audits(mailstack: MailStackInfo) -> None:
    domain = unique_domain()
    slug = domain.replace(".", "-")
    assert hamkar(mailstack, "org-create", slug, "CLI Org").returncode == 0
    added = hamkar(mailstack, "domain-add", slug, domain)
    assert added.returncode == 0, added.stderr
    created = hamkar(
        mailstack,
        "account-create",
        f"kim@{domain}",
        "--name",
        "Kim",
        "--password-stdin",
        stdin="Cli-pass-1234\n",
    )
    assert created.returncode == 0, created.stderr
    imap_login(mailstack.settings, f"kim@{domain}", "Cli-pass-1234").logout()

    listed = hamkar(mailstack, "account-list", slug).stdout
    assert f"kim@{domain}\tperson\tenabled" in listed and f"info@{domain}\trole" in listed
    assert hamkar(mailstack, "account-disable", f"kim@{domain}").returncode == 0
    with pytest.raises(LoginError):
        imap_login(mailstack.settings, f"kim@{domain}", "Cli-pass-1234")

    log = hamkar(mailstack, "audit-export", slug).stdout
    assert "account.create" in log and "account.disable" in log and "cli:" in log


def test_cli_refuses_bad_input_with_a_clear_message(mailstack: MailStackInfo) -> None:
    result = hamkar(
        mailstack,
        "account-create",
        "x@not-hosted.example",
        "--password-stdin",
        stdin="Cli-pass-1234\n",
    )
    assert result.returncode == 1 and "No such object" in result.stderr
    domain = unique_domain()
    hamkar(mailstack, "org-create", domain.replace(".", "-"), "Org")
    hamkar(mailstack, "domain-add", domain.replace(".", "-"), domain)
    short = hamkar(mailstack, "account-create", f"a@{domain}", "--password-stdin", stdin="x\n")
    assert short.returncode == 1 and "at least 10 characters" in short.stderr


def test_cli_covers_groups_forwarding_policies_and_domains(mailstack: MailStackInfo) -> None:
    domain = unique_domain()
    slug = domain.replace(".", "-")
    for args in (("org-create", slug, "Org"), ("domain-add", slug, domain, "--no-role-mailboxes")):
        assert hamkar(mailstack, *args).returncode == 0
    ok = hamkar(
        mailstack, "account-create", f"lee@{domain}", "--password-stdin", stdin="Cli-pass-1234\n"
    )
    assert ok.returncode == 0, ok.stderr
    assert (
        hamkar(mailstack, "account-update", f"lee@{domain}", "--job-title", "Buyer").returncode == 0
    )
    assert "Buyer" in hamkar(mailstack, "accounts-export", slug).stdout

    refused = hamkar(mailstack, "forward-add", f"lee@{domain}", "lee@gmail.example")
    assert refused.returncode == 1 and "does not allow forwarding" in refused.stderr
    assert (
        hamkar(mailstack, "policies-set", slug, "--allow-external-forwarding", "yes").returncode
        == 0
    )
    assert hamkar(mailstack, "forward-add", f"lee@{domain}", "lee@gmail.example").returncode == 0

    assert hamkar(mailstack, "group-create", slug, f"all@{domain}", "--name", "All").returncode == 0
    assert hamkar(mailstack, "group-add", f"all@{domain}", f"lee@{domain}").returncode == 0
    loop = hamkar(mailstack, "group-add", f"all@{domain}", f"all@{domain}")
    assert loop.returncode == 1 and "loop of groups" in loop.stderr

    busy = hamkar(mailstack, "domain-delete", domain)
    assert busy.returncode == 1 and "still has 2 addresses" in busy.stderr
    assert hamkar(mailstack, "group-delete", f"all@{domain}").returncode == 0
    assert (
        hamkar(mailstack, "account-delete", f"lee@{domain}", "--retention-days", "0").returncode
        == 0
    )
    assert "purged lee@" in hamkar(mailstack, "purge").stdout
    assert hamkar(mailstack, "domain-delete", domain).returncode == 0
    log = hamkar(mailstack, "audit-export", slug).stdout
    for action in (
        "policy.update",
        "forward.add",
        "group.delete",
        "account.purge",
        "domain.delete",
    ):
        assert action in log, action
