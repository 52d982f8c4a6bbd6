"""The envelope cache follows the server after changes made by another client."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.mail import service
from app.mail.imap import MailAccount
from app.mail.models import MailEnvelope
from app.settings import Settings
from tests.integration.mail.conftest import deliver, make_message, other_client


def _cache(db: Session, account: MailAccount, folder: str = "INBOX") -> dict[int, MailEnvelope]:
    state = service.refresh_folder(db, account=account, folder=folder)
    rows = db.scalars(select(MailEnvelope).where(MailEnvelope.folder_id == state.id)).all()
    return {row.uid: row for row in rows}


def test_first_sync_caches_envelopes_with_persian_subjects(
    db: Session, account: MailAccount, settings: Settings
) -> None:
    deliver(settings, account.email, make_message(to=account.email, subject="گزارش سالانه ۱۴۰۵"))
    raw = make_message(to=account.email, subject="Re: budget", sender="Bob <bob@example.com>")
    deliver(settings, account.email, raw)
    cache = _cache(db, account)
    assert [cache[uid].subject for uid in sorted(cache)] == ["گزارش سالانه ۱۴۰۵", "Re: budget"]
    assert cache[2].sender_name == "Bob" and cache[2].sender_address == "bob@example.com"
    assert cache[2].subject_sort == "budget"
    assert not cache[1].seen and cache[1].size > 100 and cache[1].message_id


def test_incremental_sync_sees_flags_expunges_and_new_mail_from_another_client(
    db: Session, account: MailAccount, settings: Settings
) -> None:
    for n in range(5):
        deliver(settings, account.email, make_message(to=account.email, subject=f"m{n}"))
    before = _cache(db, account)
    assert sorted(before) == [1, 2, 3, 4, 5]

    other = other_client(settings, account.email)
    other.select_folder("INBOX")
    other.add_flags([1], [b"\\Seen"])
    other.add_flags([2], [b"\\Flagged", b"$Important"])
    other.delete_messages([3])
    other.expunge()
    other.logout()
    deliver(settings, account.email, make_message(to=account.email, subject="new one"))

    after = _cache(db, account)
    assert sorted(after) == [1, 2, 4, 5, 6]
    assert after[1].seen and after[2].flagged and "$Important" in after[2].flags
    assert after[6].subject == "new one" and not after[6].seen


def test_uidvalidity_change_rebuilds_the_folder_cache(
    db: Session, account: MailAccount, settings: Settings
) -> None:
    other = other_client(settings, account.email)
    other.create_folder("Projects")
    other.append("Projects", make_message(to=account.email, subject="old"))
    assert [e.subject for e in _cache(db, account, "Projects").values()] == ["old"]
    other.delete_folder("Projects")  # recreated: new UIDVALIDITY, UIDs start again at 1
    other.create_folder("Projects")
    other.append("Projects", make_message(to=account.email, subject="fresh"))
    other.logout()
    assert [e.subject for e in _cache(db, account, "Projects").values()] == ["fresh"]


def test_cached_rows_belong_to_their_owner(
    db: Session, account: MailAccount, settings: Settings, mailstack: object
) -> None:
    secret = f"secret {uuid.uuid4().hex[:6]}"
    deliver(settings, account.email, make_message(to=account.email, subject=secret))
    _cache(db, account)
    from app.auth.imap_login import ImapEndpoint
    from tests.conftest import TEST_PASSWORD

    bob = MailAccount(
        key=uuid.uuid4().hex,
        email="bob@example.com",
        password=TEST_PASSWORD,
        endpoint=ImapEndpoint.from_settings(settings),
    )
    _cache(db, bob)
    assert service.quick_search(db, account=bob, query=secret) == []
    assert [
        h.envelope.subject for h in service.quick_search(db, account=account, query=secret)
    ] == [secret]
    bobs_first = service.cached_envelope(db, account=bob, folder="INBOX", uid=1)
    assert bobs_first is None or bobs_first.subject != secret
