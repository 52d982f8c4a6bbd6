"""The envelope cache follows the server after changes made by another client."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.mail import lease, reader, service, sync
from app.mail.imap import POOL, ImapConnection, MailAccount
from app.mail.models import MailEnvelope
from app.settings import Settings
from tests.integration.mail.conftest import deliver, make_message, other_client
from tests.integration.mail.test_sync_lease import _seed


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


def test_a_resumed_first_sync_sees_flag_changes_made_while_it_was_interrupted(
    db: Session, account: MailAccount, settings: Settings
) -> None:
    """A first sync cut short (the process died after some batches) resumes on the next
    sync; envelopes it had cached must get the flags another client set meanwhile."""
    count = sync.FIRST_BATCH * 2 + 200
    _seed(settings, account.email, count)

    def interrupted(conn: ImapConnection) -> None:
        outcome = sync.sync_folder(
            db, conn=conn, owner=account.email, folder="INBOX", first_batch=sync.FIRST_BATCH
        )
        assert outcome.state is not None and len(outcome.pending) == count - sync.FIRST_BATCH
        sync.continue_first_sync(
            db, conn=conn, state_id=outcome.state.id, uids=outcome.pending[:100]
        )
        lease.release(db, holder=outcome.holder)  # the process dies: nobody continues

    POOL.run(account, interrupted)
    first_batch, continued = count, count - sync.FIRST_BATCH - 50  # both cached already
    assert {first_batch, continued} <= set(
        db.scalars(select(MailEnvelope.uid).where(MailEnvelope.owner == account.email))
    )
    other = other_client(settings, account.email)
    other.select_folder("INBOX")
    other.add_flags([first_batch], [b"\\Seen", b"$Work"])
    other.add_flags([continued], [b"\\Flagged"])
    other.add_flags([1], [b"\\Answered"])  # not cached yet
    other.delete_messages([count - 1])
    other.expunge()
    other.logout()

    after = _cache(db, account)
    assert len(after) == count - 1 and count - 1 not in after
    assert after[first_batch].seen and "$Work" in after[first_batch].flags
    assert after[continued].flagged and not after[continued].seen
    assert after[1].answered
    assert sum(row.seen or row.flagged for row in after.values()) == 2
    state = service.refresh_folder(db, account=account, folder="INBOX")
    assert state.complete


def test_a_sync_after_other_work_on_the_connection_sees_every_change(
    db: Session, account: MailAccount, settings: Settings
) -> None:
    """The folder stays selected on the pooled connection after reading a message (which may
    swallow the server's change notices); the next sync, without selecting it again, still
    finds the flags, the expunge and the new mail another client made."""
    for n in range(4):
        deliver(settings, account.email, make_message(to=account.email, subject=f"m{n}"))
    _cache(db, account)
    other = other_client(settings, account.email)
    other.select_folder("INBOX")
    other.add_flags([1], [b"\\Flagged"])
    reader.open_message(db, account=account, folder="INBOX", uid=4)  # consumes the notice
    db.commit()
    other.delete_messages([2])
    other.expunge()
    other.append("INBOX", make_message(to=account.email, subject="m4"))
    other.logout()
    after = _cache(db, account)
    assert sorted(after) == [1, 3, 4, 5]
    assert after[1].flagged and after[4].seen and after[5].subject == "m4"
    assert not after[3].seen and not after[3].flagged
