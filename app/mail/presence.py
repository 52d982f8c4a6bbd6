""" "bob is replying": who is writing a reply to a message of a role mailbox right now.

While a member of a role mailbox (info@) has the compose page open as a reply or forward of a
message in that mailbox's shared folder, the page renews a row in ``mail_replying`` every few
seconds; the other members see "<name> is replying" on that message and in the list. The row
lives in the database, so every app process agrees; it ends when the compose page sends,
leaves, or stops renewing for :data:`REPLYING_TTL`.

Only members of the role mailbox write or read these rows: a folder path of a mailbox the
account does not work (or any private folder) has no presence at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import utcnow
from app.directory.models import Account
from app.directory.roles import works_role_mailbox
from app.mail.models import MailReplying
from app.mail.service import SHARED_PREFIX

REPLYING_TTL = timedelta(seconds=60)
# The compose page renews this often (well inside the TTL, so one lost beat changes nothing).
HEARTBEAT_SECONDS = 15


@dataclass(frozen=True)
class RoleMessage:
    """A message of a role mailbox: ``info@example.com``, ``INBOX``, uid."""

    owner: str
    folder: str
    uid: int


def role_folder(db: Session, *, account: Account, folder: str) -> tuple[str, str] | None:
    """(role mailbox, folder inside it) for ``shared/<role>/<folder>`` that ``account`` works."""
    if not folder.startswith(SHARED_PREFIX):
        return None
    owner, _, inner = folder[len(SHARED_PREFIX) :].partition("/")
    if not owner or not inner or len(folder) > 1000:
        return None
    if not works_role_mailbox(db, role_email=owner, member=account):
        return None
    return owner.lower(), inner


def role_message(db: Session, *, account: Account, folder: str, uid: int) -> RoleMessage | None:
    """The role-mailbox message behind a folder path and uid, if ``account`` works that mailbox."""
    found = role_folder(db, account=account, folder=folder)
    if found is None or uid <= 0:
        return None
    return RoleMessage(found[0], found[1], uid)


def start_replying(
    db: Session, *, account: Account, folder: str, uid: int, now: datetime | None = None
) -> bool:
    """Say (or say again) that ``account`` is replying to that message; False if not shared."""
    message = role_message(db, account=account, folder=folder, uid=uid)
    if message is None:
        return False
    now = now or utcnow()
    db.execute(delete(MailReplying).where(MailReplying.expires_at <= now))
    expires_at = now + REPLYING_TTL
    for _attempt in range(2):  # two processes may insert the same row at once: retry as update
        row = _row(db, message, account.email)
        if row is not None:
            row.expires_at = expires_at
            row.display_name = account.display_name[:200]
            db.flush()
            return True
        try:
            with db.begin_nested():
                db.add(
                    MailReplying(
                        owner=message.owner,
                        folder=message.folder,
                        uid=message.uid,
                        account_email=account.email,
                        display_name=account.display_name[:200],
                        expires_at=expires_at,
                    )
                )
            return True
        except IntegrityError:
            continue
    return True


def stop_replying(db: Session, *, account: Account, folder: str, uid: int) -> None:
    """The reply was sent or abandoned: nobody should see it any more."""
    message = role_message(db, account=account, folder=folder, uid=uid)
    if message is None:
        return
    db.execute(
        delete(MailReplying).where(
            MailReplying.owner == message.owner,
            MailReplying.folder == message.folder,
            MailReplying.uid == message.uid,
            MailReplying.account_email == account.email,
        )
    )


def replying_in_folder(
    db: Session, *, account: Account, folder: str, now: datetime | None = None
) -> dict[int, list[str]]:
    """Uid -> names of the other members replying to messages of that folder, right now."""
    found = role_folder(db, account=account, folder=folder)
    if found is None:
        return {}
    rows = db.execute(
        select(MailReplying.uid, MailReplying.display_name, MailReplying.account_email)
        .where(
            MailReplying.owner == found[0],
            MailReplying.folder == found[1],
            MailReplying.expires_at > (now or utcnow()),
            MailReplying.account_email != account.email,
        )
        .order_by(MailReplying.uid, MailReplying.display_name)
    )
    replying: dict[int, list[str]] = {}
    for uid, name, email in rows:
        replying.setdefault(int(uid), []).append(name or email)
    return replying


def _row(db: Session, message: RoleMessage, email: str) -> MailReplying | None:
    return db.scalar(
        select(MailReplying).where(
            MailReplying.owner == message.owner,
            MailReplying.folder == message.folder,
            MailReplying.uid == message.uid,
            MailReplying.account_email == email,
        )
    )
