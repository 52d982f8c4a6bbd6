"""Managed mode: Dovecot and Postfix read Hamkar's database, with real IMAP and SMTP.

These tests write into the test mail stack's own database (the one its SQL maps read), each
in a fresh domain so they never meet another test's accounts.
"""

from __future__ import annotations

import smtplib
import uuid
from collections.abc import Callable, Iterator

import pytest
from imapclient.exceptions import LoginError
from sqlalchemy.orm import Session

from app.directory import accounts, addresses, groups, roles, service
from app.directory.mailbox_acl import grant_role_access, revoke_role_access
from app.directory.models import Organization
from app.settings import Settings
from tests.conftest import TEST_PASSWORD, MailStackInfo
from tests.integration.directory.databases import session_on
from tests.integration.directory.mailhelpers import (
    imap_login,
    inbox_subjects,
    send_via_postfix,
    submit,
    unique_domain,
    wait_for,
)

PASSWORD = "Managed-pass-1"


@pytest.fixture
def stack_db(mailstack: MailStackInfo) -> Iterator[Session]:
    """A session on the database the mail stack reads; commit to make changes visible."""
    with session_on(mailstack.settings) as session:
        yield session


@pytest.fixture
def org(stack_db: Session) -> tuple[Organization, str]:
    """A fresh organization with one fresh domain (and its role mailboxes)."""
    domain = unique_domain()
    org = service.create_organization(
        stack_db, name="Managed", slug=domain.replace(".", "-"), domains=[]
    )
    service.add_domain(stack_db, organization=org, name=domain, role_mailboxes=True)
    stack_db.commit()
    return org, domain


def test_new_account_logs_in_and_receives_mail_to_address_and_alias(
    mailstack: MailStackInfo, stack_db: Session, org: tuple[Organization, str]
) -> None:
    organization, domain = org
    settings = mailstack.settings
    jane = service.create_account(
        stack_db, email=f"jane@{domain}", organization_id=organization.id, password=PASSWORD
    )
    addresses.add_alias(stack_db, account=jane, address=f"boss@{domain}")
    stack_db.commit()

    imap_login(settings, jane.email, PASSWORD).logout()
    with pytest.raises(LoginError):
        imap_login(settings, jane.email, "Wrong-pass-1")
    tag = uuid.uuid4().hex[:8]
    send_via_postfix(settings, [jane.email], f"direct {tag}")
    send_via_postfix(settings, [f"boss@{domain}"], f"alias {tag}")
    assert wait_for(
        lambda: (
            {f"direct {tag}", f"alias {tag}"} <= set(inbox_subjects(settings, jane.email, PASSWORD))
        )
    )


def test_disabling_stops_login_and_delivery_at_once(
    mailstack: MailStackInfo, stack_db: Session, org: tuple[Organization, str]
) -> None:
    organization, domain = org
    settings = mailstack.settings
    joe = service.create_account(
        stack_db, email=f"joe@{domain}", organization_id=organization.id, password=PASSWORD
    )
    stack_db.commit()
    imap_login(settings, joe.email, PASSWORD).logout()

    accounts.set_enabled(stack_db, account=joe, enabled=False)
    stack_db.commit()
    with pytest.raises(LoginError):
        imap_login(settings, joe.email, PASSWORD)
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send_via_postfix(settings, [joe.email], "after disable")
    code, reply = refused.value.recipients[joe.email]
    assert code == 550 and b"User unknown" in reply

    accounts.set_enabled(stack_db, account=joe, enabled=True)
    stack_db.commit()
    imap_login(settings, joe.email, PASSWORD).logout()


def test_group_delivers_to_every_member_and_nested_group(
    mailstack: MailStackInfo, stack_db: Session, org: tuple[Organization, str]
) -> None:
    organization, domain = org
    settings = mailstack.settings
    people = [
        service.create_account(
            stack_db, email=f"{name}@{domain}", organization_id=organization.id, password=PASSWORD
        )
        for name in ("ann", "ben", "cat")
    ]
    team = groups.create_group(
        stack_db,
        organization_id=organization.id,
        address=f"team@{domain}",
        name="Team",
        send_policy="anyone",
    )
    sub = groups.create_group(
        stack_db, organization_id=organization.id, address=f"sub@{domain}", name="Sub"
    )
    groups.add_member(stack_db, group=team, address=people[0].email)
    groups.add_member(stack_db, group=team, address=people[1].email)
    groups.add_member(stack_db, group=team, address=sub.address)
    groups.add_member(stack_db, group=sub, address=people[2].email)
    stack_db.commit()

    tag = uuid.uuid4().hex[:8]
    send_via_postfix(settings, [team.address], f"team {tag}")
    for person in people:
        assert wait_for(
            lambda p=person: f"team {tag}" in inbox_subjects(settings, p.email, PASSWORD)
        ), person.email


def test_quota_is_enforced_by_dovecot(
    mailstack: MailStackInfo, stack_db: Session, org: tuple[Organization, str]
) -> None:
    organization, domain = org
    settings = mailstack.settings
    tiny = service.create_account(
        stack_db,
        email=f"tiny@{domain}",
        organization_id=organization.id,
        password=PASSWORD,
        quota_mb=1,
    )
    stack_db.commit()
    client = imap_login(settings, tiny.email, PASSWORD)
    try:
        _, quotas = client.get_quota_root("INBOX")
        limits = {q.resource.upper(): q.limit for q in quotas}
        assert limits["STORAGE"] == 1024  # KiB
        with pytest.raises(Exception, match=r"(?i)quota"):
            client.append("INBOX", b"Subject: big\r\n\r\n" + b"x" * 2_000_000)
    finally:
        client.logout()


def test_role_mailbox_receives_mail_and_passwd_file_users_still_work(
    mailstack: MailStackInfo, stack_db: Session, org: tuple[Organization, str]
) -> None:
    _, domain = org
    settings: Settings = mailstack.settings
    # info@ has no password (nobody signs in to it) but its mailbox accepts mail
    send_via_postfix(settings, [f"info@{domain}"], "for the role mailbox")
    with pytest.raises(LoginError):
        imap_login(settings, f"info@{domain}", "")
    imap_login(settings, "alice@example.com", TEST_PASSWORD).logout()


def test_role_mailbox_member_sees_its_folders_after_hamkar_sets_the_acl(
    mailstack: MailStackInfo, stack_db: Session, org: tuple[Organization, str]
) -> None:
    organization, domain = org
    settings = mailstack.settings
    info = service.find_account(stack_db, email=f"info@{domain}")
    assert info is not None
    jane = service.create_account(
        stack_db, email=f"jane@{domain}", organization_id=organization.id, password=PASSWORD
    )
    roles.set_role_member(stack_db, role=info, member=jane, can_send_as=True)
    stack_db.commit()
    tag = uuid.uuid4().hex[:8]
    send_via_postfix(settings, [info.email], f"customer {tag}")

    def shared_inbox() -> list[str]:
        client = imap_login(settings, jane.email, PASSWORD)
        try:
            folder = f"shared/{info.email}/INBOX"
            if not any(name == folder for _, _, name in client.list_folders("shared/")):
                return []
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            data = client.fetch(list(uids), ["ENVELOPE"]) if uids else {}
            return [(d[b"ENVELOPE"].subject or b"").decode() for d in data.values()]
        finally:
            client.logout()

    assert shared_inbox() == []  # no ACL yet: jane sees nothing of info@
    grant_role_access(mailstack.stack, role_email=info.email, member_email=jane.email)
    assert wait_for(lambda: f"customer {tag}" in shared_inbox())
    revoke_role_access(mailstack.stack, role_email=info.email, member_email=jane.email)
    assert shared_inbox() == []


def test_only_owners_and_send_as_members_may_send_from_managed_addresses(
    mailstack: MailStackInfo, stack_db: Session, org: tuple[Organization, str]
) -> None:
    organization, domain = org
    settings = mailstack.settings
    sales = service.find_account(stack_db, email=f"sales@{domain}")
    assert sales is not None
    jane, joe = (
        service.create_account(
            stack_db, email=f"{n}@{domain}", organization_id=organization.id, password=PASSWORD
        )
        for n in ("jane", "joe")
    )
    addresses.add_alias(stack_db, account=jane, address=f"j@{domain}")
    roles.set_role_member(stack_db, role=sales, member=jane, can_send_as=True)
    roles.set_role_member(stack_db, role=sales, member=joe, can_send_as=False)
    stack_db.commit()
    target = f"info@{domain}"

    submit(settings, jane.email, PASSWORD, jane.email, target)
    submit(settings, jane.email, PASSWORD, f"j@{domain}", target)
    submit(settings, jane.email, PASSWORD, sales.email, target)
    for sender in (sales.email, jane.email):  # joe may read sales@, not send as it
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            submit(settings, joe.email, PASSWORD, sender, target)
        code, reply = refused.value.recipients[target]
        assert code == 553 and b"not owned by user" in reply
    # passwd-file users are not restricted by Hamkar's map
    submit(settings, "alice@example.com", TEST_PASSWORD, "alice@example.com", target)


@pytest.mark.parametrize(
    ("policy", "member_ok", "colleague_ok", "outsider_ok"),
    [
        ("members", True, False, False),
        ("organization", True, True, False),
        ("anyone", True, True, True),
    ],
)
def test_group_send_policy_is_enforced_by_postfix(
    mailstack: MailStackInfo,
    stack_db: Session,
    org: tuple[Organization, str],
    policy: str,
    member_ok: bool,
    colleague_ok: bool,
    outsider_ok: bool,
) -> None:
    organization, domain = org
    settings = mailstack.settings
    member, colleague = (
        service.create_account(
            stack_db, email=f"{n}@{domain}", organization_id=organization.id, password=PASSWORD
        )
        for n in ("member", "colleague")
    )
    group = groups.create_group(
        stack_db,
        organization_id=organization.id,
        address=f"board@{domain}",
        name="Board",
        send_policy=policy,
    )
    groups.add_member(stack_db, group=group, address=member.email)
    stack_db.commit()

    def accepted(send: Callable[[], None]) -> bool:
        try:
            send()
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = exc.recipients[group.address]
            assert code == 554 and b"You may not send to this group" in reply
            return False
        return True

    assert (
        accepted(lambda: submit(settings, member.email, PASSWORD, member.email, group.address))
        is member_ok
    )
    assert (
        accepted(
            lambda: submit(settings, colleague.email, PASSWORD, colleague.email, group.address)
        )
        is colleague_ok
    )
    assert (
        accepted(lambda: send_via_postfix(settings, [group.address], "from outside")) is outsider_ok
    )
    if member_ok:
        assert wait_for(
            lambda: f"from {member.email}" in inbox_subjects(settings, member.email, PASSWORD)
        )
