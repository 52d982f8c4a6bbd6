"""An admin creates a user in the web UI; the user signs in over IMAP and receives mail."""

from __future__ import annotations

import smtplib
import uuid

import pytest
from imapclient.exceptions import LoginError
from starlette.testclient import TestClient

from app.admin import service
from app.directory import service as directory
from tests.conftest import MailStackInfo
from tests.integration.admin.conftest import PASSWORD, Tenant, sign_in
from tests.integration.directory.databases import session_on
from tests.integration.directory.mailhelpers import (
    imap_login,
    inbox_subjects,
    send_via_postfix,
    submit,
    wait_for,
)

NEW_PASSWORD = "Fresh-pass-123"


def test_admin_created_account_logs_in_receives_mail_and_alias_then_is_disabled(
    mailstack: MailStackInfo, signed_in_admin: tuple[Tenant, str], stack_client: TestClient
) -> None:
    acme, token = signed_in_admin
    settings = mailstack.settings
    email = f"newbie@{acme.domain}"
    created = stack_client.post(
        "/admin/accounts",
        data={
            "csrf_token": token,
            "email": email,
            "display_name": "New Bie",
            "password": NEW_PASSWORD,
            "kind": "person",
            "quota_mb": "100",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    account_path = created.headers["location"].split("?")[0]
    alias = stack_client.post(
        f"{account_path}/aliases",
        data={"csrf_token": token, "address": f"nb@{acme.domain}"},
        follow_redirects=False,
    )
    assert alias.status_code == 303

    imap_login(settings, email, NEW_PASSWORD).logout()
    tag = uuid.uuid4().hex[:8]
    send_via_postfix(settings, [email], f"hello {tag}")
    send_via_postfix(settings, [f"nb@{acme.domain}"], f"alias {tag}")
    assert wait_for(
        lambda: (
            {f"hello {tag}", f"alias {tag}"} <= set(inbox_subjects(settings, email, NEW_PASSWORD))
        )
    )

    page = stack_client.get(account_path)
    assert "nb@" in page.text
    assert "Mailbox usage:" in page.text and "of 100.0 MB" in page.text
    disabled = stack_client.post(
        f"{account_path}/enabled",
        data={"csrf_token": token, "enabled": "0"},
        follow_redirects=False,
    )
    assert disabled.status_code == 303
    with pytest.raises(LoginError):
        imap_login(settings, email, NEW_PASSWORD)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send_via_postfix(settings, [email], "after disable")

    log = stack_client.get("/admin/audit").text
    assert "account.create" in log and "account.disable" in log and "alias.add" in log
    csv_log = stack_client.get("/admin/audit.csv")
    assert csv_log.headers["content-type"].startswith("text/csv")
    assert '""enabled"": false' in csv_log.text


@pytest.mark.parametrize(
    ("data", "message", "status"),
    [
        ({"email": "x@elsewhere.example"}, "not hosted here", 400),
        ({"email": "not an address"}, "is not a valid mail address", 400),
        ({"email": "boss@{domain}"}, "already in use", 409),
        ({"email": "pat@{domain}", "password": "short"}, "at least 10 characters", 400),
        ({"email": "pat@{domain}", "display_name": "<script>"}, "is not a valid name", 400),
        ({"email": "pat@{domain}", "quota_mb": "lots"}, "The quota must be", 400),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_the_form_kept(
    signed_in_admin: tuple[Tenant, str],
    stack_client: TestClient,
    data: dict[str, str],
    message: str,
    status: int,
) -> None:
    acme, token = signed_in_admin
    form = {"csrf_token": token, "password": NEW_PASSWORD, "kind": "person", **data}
    form["email"] = form["email"].format(domain=acme.domain)
    response = stack_client.post("/admin/accounts", data=form)
    assert response.status_code == status
    assert message in response.text.replace("&lt;", "<")
    assert 'value="' + form["email"].replace("<", "&lt;") in response.text


def test_address_in_another_organizations_domain_is_refused(
    tenants: tuple[Tenant, Tenant], stack_client: TestClient
) -> None:
    acme, other = tenants
    token = sign_in(stack_client, acme.admin)
    response = stack_client.post(
        "/admin/accounts",
        data={"csrf_token": token, "email": f"spy@{other.domain}", "password": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert "does not belong to this organization" in response.text


def test_deleted_account_keeps_mail_until_purge_then_address_is_free(
    mailstack: MailStackInfo, signed_in_admin: tuple[Tenant, str], stack_client: TestClient
) -> None:
    acme, token = signed_in_admin
    settings = mailstack.settings
    send_via_postfix(settings, [acme.user], "before delete")
    assert wait_for(lambda: "before delete" in inbox_subjects(settings, acme.user, PASSWORD))
    deleted = stack_client.post(
        f"/admin/accounts/{acme.user_id}/delete",
        data={"csrf_token": token, "retention_days": "0"},
        follow_redirects=False,
    )
    assert deleted.status_code == 303
    assert "mail kept until" in stack_client.get(f"/admin/accounts/{acme.user_id}").text
    with pytest.raises(LoginError):
        imap_login(settings, acme.user, PASSWORD)
    local, domain = acme.user.split("@")
    home = settings.effective_mailstack_dir / "mail" / domain / local
    assert home.is_dir()  # kept during retention

    with session_on(settings) as db:
        actor = directory.find_account(db, email=acme.admin)
        assert actor is not None
        assert service.purge_due_accounts(db, actor=actor, stack=mailstack.stack) == [acme.user]
        db.commit()
        assert not home.exists()
        again = directory.create_account(
            db, email=acme.user, organization_id=acme.organization_id, password=PASSWORD
        )
        db.commit()
        assert again.id != acme.user_id
    assert inbox_subjects(settings, acme.user, PASSWORD) == []


def test_role_member_added_in_the_ui_sees_the_mailbox_and_may_send_as_it(
    mailstack: MailStackInfo, signed_in_admin: tuple[Tenant, str], stack_client: TestClient
) -> None:
    acme, token = signed_in_admin
    settings = mailstack.settings
    info = f"info@{acme.domain}"
    added = stack_client.post(
        f"/admin/accounts/{acme.role_id}/members",
        data={"csrf_token": token, "member": acme.user, "can_send_as": "1"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    assert acme.user in stack_client.get(f"/admin/accounts/{acme.role_id}").text
    client = imap_login(settings, acme.user, PASSWORD)
    try:
        names = [name for _, _, name in client.list_folders("shared/")]
        assert f"shared/{info}/INBOX" in names
    finally:
        client.logout()
    submit(settings, acme.user, PASSWORD, info, acme.admin)

    removed = stack_client.post(
        f"/admin/accounts/{acme.role_id}/members",
        data={"csrf_token": token, "member": acme.user, "remove": "1"},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    client = imap_login(settings, acme.user, PASSWORD)
    try:
        assert not [n for _, _, n in client.list_folders("shared/") if info in n]
    finally:
        client.logout()
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        submit(settings, acme.user, PASSWORD, info, acme.admin)


def test_forwarding_set_in_the_ui_delivers_a_copy_and_restore_brings_the_account_back(
    mailstack: MailStackInfo, signed_in_admin: tuple[Tenant, str], stack_client: TestClient
) -> None:
    acme, token = signed_in_admin
    settings = mailstack.settings
    path = f"/admin/accounts/{acme.user_id}"
    outside = stack_client.post(
        f"{path}/forwards", data={"csrf_token": token, "destination": "x@gmail.example"}
    )
    assert outside.status_code == 403 and "does not allow forwarding" in outside.text
    inside = stack_client.post(
        f"{path}/forwards",
        data={"csrf_token": token, "destination": acme.admin, "keep_copy": "1"},
        follow_redirects=False,
    )
    assert inside.status_code == 303
    tag = uuid.uuid4().hex[:8]
    send_via_postfix(settings, [acme.user], f"forwarded {tag}")
    for owner in (acme.user, acme.admin):
        assert wait_for(
            lambda o=owner: f"forwarded {tag}" in inbox_subjects(settings, o, PASSWORD)
        ), owner

    manager = stack_client.post(
        path,
        data={"csrf_token": token, "display_name": "User One", "manager_email": acme.admin},
        follow_redirects=False,
    )
    assert manager.status_code == 303
    assert f'value="{acme.admin}"' in stack_client.get(path).text
    bad_manager = stack_client.post(
        path, data={"csrf_token": token, "display_name": "U", "manager_email": "no@where.example"}
    )
    assert (
        bad_manager.status_code == 400 and "does not exist in your organization" in bad_manager.text
    )

    stack_client.post(
        f"{path}/delete", data={"csrf_token": token, "retention_days": "30"}, follow_redirects=False
    )
    with pytest.raises(LoginError):
        imap_login(settings, acme.user, PASSWORD)
    restored = stack_client.post(
        f"{path}/restore", data={"csrf_token": token}, follow_redirects=False
    )
    assert restored.status_code == 303
    stack_client.post(
        f"{path}/enabled", data={"csrf_token": token, "enabled": "1"}, follow_redirects=False
    )
    assert f"forwarded {tag}" in inbox_subjects(settings, acme.user, PASSWORD)  # mail kept
