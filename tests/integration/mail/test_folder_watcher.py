"""The live-update watcher over a real Dovecot: IDLE reports changes, and a change made while
the watcher was not in IDLE is not lost."""

from __future__ import annotations

import time

from app.mail.imap import MailAccount
from app.mail.live import FolderWatcher
from app.settings import Settings
from tests.integration.mail.conftest import deliver, make_message


def test_new_mail_wakes_the_watcher(account: MailAccount, settings: Settings) -> None:
    watcher = FolderWatcher(account, "INBOX")
    try:
        assert watcher.wait(0.5) is False  # nothing happened
        deliver(settings, account.email, make_message(to=account.email, subject="one"))
        assert watcher.wait(10) is True
        assert watcher.unread() == 1
    finally:
        watcher.close()


def test_a_change_made_between_two_waits_is_not_lost(
    account: MailAccount, settings: Settings
) -> None:
    watcher = FolderWatcher(account, "INBOX")
    try:
        deliver(settings, account.email, make_message(to=account.email, subject="between"))
        # Not in IDLE (the stream was counting unread mail): Dovecot tells of the new
        # message at the next command, not when the next IDLE starts.
        watcher.unread()
        started = time.monotonic()
        assert watcher.wait(5) is True
        assert time.monotonic() - started < 1  # at once, not at the next change
    finally:
        watcher.close()


def test_interrupt_ends_a_wait_at_once(account: MailAccount) -> None:
    watcher = FolderWatcher(account, "INBOX")
    try:
        watcher.interrupt()
        started = time.monotonic()
        assert watcher.wait(10) is False
        assert time.monotonic() - started < 1
    finally:
        watcher.close()
