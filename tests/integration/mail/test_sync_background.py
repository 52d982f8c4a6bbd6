"""Opening a large never-synced folder: the newest page at once, the rest in the background.

The first page must not wait for the whole first sync (18 s on 50,000 messages): the request
caches the newest envelopes and answers; a background thread caches the rest while the page
shows a progress bar that htmx polls; when the sync is done the poll asks for a reload and
the list is complete.
"""

from __future__ import annotations

import re
import time

from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.mail import reader, service
from app.mail.imap import MailAccount
from app.mail.sync import FIRST_BATCH
from app.settings import Settings
from tests.integration.mail.conftest import deliver, make_message, other_client
from tests.integration.mail.test_pages import _signed_in, _subjects
from tests.integration.mail.test_sync_lease import _seed

COUNT = FIRST_BATCH * 2 + 300


def test_first_open_shows_the_newest_page_then_completes_in_the_background(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    _seed(settings, mailbox, COUNT)
    _signed_in(client, mailbox)
    page = client.get("/mail/INBOX")
    assert page.status_code == 200
    # The newest 50 messages are listed although most of the folder is not cached yet.
    assert _subjects(page.text)[:3] == [
        f"bulk {COUNT - 1}",
        f"bulk {COUNT - 2}",
        f"bulk {COUNT - 3}",
    ]
    shown = int(re.search(r"Messages: (\d+)", page.text).group(1))  # type: ignore[union-attr]
    assert FIRST_BATCH <= shown < COUNT
    assert 'hx-get="/mail/-/sync-progress?folder=INBOX"' in page.text
    assert 'hx-trigger="every 1s"' in page.text

    seen: list[int] = []
    deadline = time.monotonic() + 120
    while True:
        poll = client.get("/mail/-/sync-progress", params={"folder": "INBOX"})
        assert poll.status_code == 200
        if poll.headers.get("HX-Refresh") == "true":
            break
        match = re.search(r'<progress max="(\d+)" value="(\d+)"', poll.text)
        assert match and int(match.group(1)) == COUNT
        seen.append(int(match.group(2)))
        assert time.monotonic() < deadline, f"the background sync did not finish: {seen}"
        time.sleep(0.2)
    assert seen == sorted(seen)  # progress only moves forward
    assert "All messages are loaded." in poll.text

    done = client.get("/mail/INBOX")
    assert f"Messages: {COUNT}" in done.text
    assert "sync-progress" not in done.text
    oldest = client.get("/mail/INBOX", params={"page": -(-COUNT // 50)})
    assert _subjects(oldest.text)[-1] == "bulk 0"


def test_a_warm_open_sees_what_another_client_changed_meanwhile(
    db: Session, account: MailAccount, settings: Settings
) -> None:
    """The freshness NOOP goes out while the cache is read: a change it reports is synced."""
    for n in range(3):
        deliver(settings, account.email, make_message(to=account.email, subject=f"m{n}"))
    first = service.open_folder(db, account=account, folder="INBOX")
    db.commit()
    assert [r.subject for r in first.rows] == ["m2", "m1", "m0"] and first.total == 3
    again = service.open_folder(db, account=account, folder="INBOX")  # warm: NOOP, no SELECT
    assert [r.uid for r in again.rows] == [r.uid for r in first.rows]
    other = other_client(settings, account.email)
    other.select_folder("INBOX")
    other.add_flags([1], [b"\\Seen"])
    other.delete_messages([2])
    other.expunge()
    other.append("INBOX", make_message(to=account.email, subject="m3"))
    other.logout()
    after = service.open_folder(db, account=account, folder="INBOX")
    db.commit()
    assert [r.subject for r in after.rows] == ["m3", "m2", "m0"] and after.total == 3
    assert [r.seen for r in after.rows] == [False, False, True]
    unread = service.open_folder(db, account=account, folder="INBOX", filters=("unread",))
    assert [r.subject for r in unread.rows] == ["m3", "m2"] and unread.total == 2


def test_news_swallowed_by_other_work_on_the_connection_do_not_hide_new_mail(
    db: Session, account: MailAccount, settings: Settings
) -> None:
    """Opening a message on the pooled connection consumes the server's EXISTS notice; the
    next list must still show the mail that arrived (it selects again instead of trusting a
    quiet NOOP)."""
    deliver(settings, account.email, make_message(to=account.email, subject="old"))
    assert [r.subject for r in service.open_folder(db, account=account, folder="INBOX").rows] == [
        "old"
    ]
    db.commit()
    deliver(settings, account.email, make_message(to=account.email, subject="new"))
    time.sleep(0.5)
    reader.open_message(db, account=account, folder="INBOX", uid=1)  # FETCH sees "* 2 EXISTS"
    db.commit()
    listing = service.open_folder(db, account=account, folder="INBOX")
    assert [r.subject for r in listing.rows] == ["new", "old"]
