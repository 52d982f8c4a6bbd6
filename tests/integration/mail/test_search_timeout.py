"""Full-text SEARCH gets its own, longer timeout; when even that runs out, a clear message.

A folder nobody searched before has no full-text index yet: Dovecot builds it during the first
SEARCH TEXT, which takes seconds on a few thousand messages, longer than the usual IMAP
timeout. The folders here are fresh (never searched), so the first search really is slow.
"""

from __future__ import annotations

import time
from dataclasses import replace

from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.mail import service
from app.mail.imap import POOL, MailAccount
from app.settings import Settings
from tests.integration.mail.test_pages import _signed_in
from tests.integration.mail.test_sync_lease import _seed

COUNT = 2000


def test_body_search_may_take_longer_than_the_usual_imap_timeout(
    db: Session, account: MailAccount, settings: Settings
) -> None:
    _seed(settings, account.email, COUNT)
    service.refresh_folder(db, account=account, folder="INBOX")  # cached: only SEARCH is slow
    quick = replace(
        account,
        key=account.key + "-quick",
        endpoint=replace(account.endpoint, timeout=1.0),
        search_timeout=600.0,
    )
    try:
        start = time.monotonic()
        hits = service.body_search(db, account=quick, folder="INBOX", query="bulk", limit=5)
        took = time.monotonic() - start
    finally:
        POOL.close_session(quick.key)
    assert took > quick.endpoint.timeout  # the index was built meanwhile: a slow first search
    assert [hit.envelope.subject for hit in hits] == [f"bulk {n}" for n in range(1999, 1994, -1)]


def test_a_search_that_runs_out_of_time_says_so_and_the_next_page_works(
    migrated_settings: Settings, mailbox: str
) -> None:
    from app.main import create_app

    _seed(migrated_settings, mailbox, COUNT)
    impatient = migrated_settings.model_copy(update={"imap_search_timeout": 0.05})
    with TestClient(create_app(impatient), base_url="http://testserver") as client:
        _signed_in(client, mailbox)
        assert client.get("/mail/INBOX").status_code == 200
        page = client.get("/mail/search", params={"text": "bulk", "folder": "INBOX"})
        assert page.status_code == 503
        assert "The mail server needs longer to search the text of this folder" in page.text
        assert 'name="text"' in page.text or 'name="q"' in page.text  # the search page itself
        # The connection left waiting for the answer was dropped, not handed to the next page.
        again = client.get("/mail/INBOX")
        assert again.status_code == 200 and "bulk 1999" in again.text
        deadline = time.monotonic() + 120  # let the background first sync end with the test
        while client.get("/mail/-/sync-progress?folder=INBOX").headers.get("HX-Refresh") != "true":
            assert time.monotonic() < deadline
            time.sleep(0.3)
