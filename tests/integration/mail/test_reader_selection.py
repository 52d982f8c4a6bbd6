"""Opening a message in the folder being listed reuses the pooled connection's selection.

SELECT and EXAMINE cost time proportional to the folder on Dovecot's maildir (0.1 to 1 s for
50,000 messages), so the reader keeps the selection the list's sync left. Whether a new one was
made shows in ``conn.selected``: every SELECT or EXAMINE records a new ``Selected``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.mail import reader, service
from app.mail.imap import POOL, ImapConnection, MailAccount, Selected
from app.settings import Settings
from tests.integration.mail.conftest import deliver, make_message, other_client


def _selection(account: MailAccount) -> Selected | None:
    def work(conn: ImapConnection) -> Selected | None:
        return conn.selected

    return POOL.run(account, work)


def _seen_on_server(settings: Settings, address: str) -> dict[int, bool]:
    other = other_client(settings, address)
    other.select_folder("INBOX", readonly=True)
    flags = other.get_flags(other.search("ALL"))
    other.logout()
    return {uid: b"\\Seen" in found for uid, found in flags.items()}


def test_opening_messages_in_the_listed_folder_needs_no_new_select(
    db: Session, account: MailAccount, settings: Settings
) -> None:
    for n in range(3):
        deliver(settings, account.email, make_message(to=account.email, subject=f"m{n}"))
    service.open_folder(db, account=account, folder="INBOX")
    db.commit()
    listed = _selection(account)
    assert listed is not None and listed.name == "INBOX"

    opened = reader.open_message(db, account=account, folder="INBOX", uid=1, mark_read=True)
    db.commit()
    assert opened.marked_read and opened.parsed.subject == "m0"
    reader.open_message(db, account=account, folder="INBOX", uid=2, mark_read=False)
    assert _selection(account) is listed  # neither EXAMINE nor SELECT ran
    # Marked read only where the reader's setting says so; the other read used BODY.PEEK.
    assert _seen_on_server(settings, account.email) == {1: True, 2: False, 3: False}


def test_a_read_only_selection_is_upgraded_only_to_mark_as_read(
    db: Session, account: MailAccount, settings: Settings
) -> None:
    for n in range(2):
        deliver(settings, account.email, make_message(to=account.email, subject=f"m{n}"))
    service.open_folder(db, account=account, folder="INBOX")
    db.commit()

    def examine(conn: ImapConnection) -> None:
        conn.select("INBOX", readonly=True)

    POOL.run(account, examine)
    examined = _selection(account)
    assert examined is not None and examined.readonly
    reader.open_message(db, account=account, folder="INBOX", uid=1, mark_read=False)
    assert _selection(account) is examined  # reading needs no write access
    reader.open_message(db, account=account, folder="INBOX", uid=2, mark_read=True)
    db.commit()
    selected = _selection(account)
    assert selected is not examined and selected is not None and not selected.readonly
    assert _seen_on_server(settings, account.email) == {1: False, 2: True}


def test_a_message_of_another_folder_is_read_on_a_read_only_selection(
    db: Session, account: MailAccount, settings: Settings
) -> None:
    deliver(settings, account.email, make_message(to=account.email, subject="kept"))
    other = other_client(settings, account.email)
    other.create_folder("Archive")
    other.append("Archive", make_message(to=account.email, subject="archived"))
    other.logout()
    service.open_folder(db, account=account, folder="INBOX")
    service.open_folder(db, account=account, folder="Archive")
    db.commit()

    def select_inbox(conn: ImapConnection) -> None:
        conn.select("INBOX")

    POOL.run(account, select_inbox)
    opened = reader.open_message(db, account=account, folder="Archive", uid=1, mark_read=False)
    assert opened.parsed.subject == "archived"
    now = _selection(account)
    assert now is not None and now.name == "Archive" and now.readonly
