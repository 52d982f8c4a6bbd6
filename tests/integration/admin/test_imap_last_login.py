"""Last login over IMAP made straight to Dovecot (a phone's mail app, Thunderbird).

Dovecot's last_login plugin writes into its own SQLite store, never into Hamkar's database;
the admin account page, the account list and the service show the latest login of any kind.
"""

from __future__ import annotations

import re
import subprocess
import time
from datetime import timedelta

from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.db import utcnow
from app.directory import imap_logins
from app.directory.models import Account
from tests.conftest import MailStackInfo
from tests.integration.admin.conftest import PASSWORD, Tenant, sign_in
from tests.integration.directory.mailhelpers import imap_login

LAST_LOGIN = re.compile(r"Last login: ([^·<]*)·")


def _writable_by_dovecot(path: str) -> bool:
    return subprocess.run(["runuser", "-u", "dovecot", "--", "test", "-w", path]).returncode == 0


def test_imap_login_straight_to_dovecot_is_the_accounts_last_login(
    mailstack: MailStackInfo,
    tenants: tuple[Tenant, Tenant],
    stack_client: TestClient,
    stack_db: Session,
) -> None:
    acme, _ = tenants
    settings = mailstack.settings
    store = settings.effective_imap_last_login_store
    sign_in(stack_client, acme.admin)
    page = f"/admin/accounts/{acme.user_id}"
    assert LAST_LOGIN.search(stack_client.get(page).text).group(1).strip() == "never"  # type: ignore[union-attr]

    before = utcnow().replace(microsecond=0)
    imap_login(settings, acme.user, PASSWORD).logout()

    # the store got it, Hamkar's own column did not (Dovecot does not write Hamkar's database).
    # Dovecot's dict service commits the write after the session ends: wait for it a moment.
    addresses = [acme.user, acme.admin, "nobody@example.net"]
    deadline = time.monotonic() + 10
    found = imap_logins.imap_last_logins(store, addresses)
    while acme.user not in found and time.monotonic() < deadline:
        time.sleep(0.1)
        found = imap_logins.imap_last_logins(store, addresses)
    assert acme.user in found and "nobody@example.net" not in found
    assert before <= found[acme.user] <= utcnow() + timedelta(seconds=1)
    user = stack_db.get(Account, acme.user_id)
    assert user is not None and user.last_login_at is None
    assert imap_logins.latest_logins(store, [user]) == {user.id: found[acme.user]}

    shown = LAST_LOGIN.search(stack_client.get(page).text)
    assert shown is not None and shown.group(1).strip() not in ("", "never")
    listing = stack_client.get("/admin/accounts", params={"q": "user@"}).text
    row = listing.split(acme.user, 1)[1].split("</tr>", 1)[0]
    assert "never" not in row
    # the CSV export says the same as the pages
    exported = stack_client.get("/admin/accounts.csv").text
    line = next(x for x in exported.splitlines() if x.startswith(acme.user + ","))
    assert line.rsplit(",", 1)[1] == str(found[acme.user])

    # a later web sign-in is later still: the latest of both is shown
    user.last_login_at = found[acme.user] + timedelta(hours=1)
    stack_db.commit()
    assert imap_logins.latest_logins(store, [user]) == {user.id: user.last_login_at}

    # only Dovecot's dict service writes the store; Hamkar's database stays read-only for it
    assert _writable_by_dovecot(str(store))
    assert not _writable_by_dovecot(str(settings.effective_database_url.split("///", 1)[1]))
