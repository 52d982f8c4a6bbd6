"""The rest of a folder's first sync, in a background thread, so the newest page shows at once.

The contract: ``continue_in_background(account=, sessions=, state_id=, holder=, uids=)`` caches
``uids`` (newest first) in batches on its own DB session, each batch through a pooled IMAP
connection taken only for that batch (the reader's requests are not starved), renews the
folder's lease with the progress after each batch, marks the folder complete at the end and
releases the lease. If the server fails or the lease is lost, it stops quietly: the folder
stays incomplete and the next sync resumes where it stopped.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from app.mail import lease, sync
from app.mail.imap import POOL, ImapConnection, MailAccount

log = logging.getLogger(__name__)


def continue_in_background(
    *,
    account: MailAccount,
    sessions: sessionmaker[Session],
    state_id: int,
    holder: str,
    uids: list[int],
) -> threading.Thread:
    """Start the thread that finishes the first sync; returns it (tests and tools join it)."""
    thread = threading.Thread(
        target=_finish,
        args=(account, sessions, state_id, holder, uids),
        name=f"mail-first-sync-{state_id}",
        daemon=True,
    )
    thread.start()
    return thread


def _finish(
    account: MailAccount,
    sessions: sessionmaker[Session],
    state_id: int,
    holder: str,
    uids: list[int],
) -> None:
    try:
        _cache_rest(account, sessions, state_id, holder, uids)
    except Exception:  # a thread has no one to report to but the log
        log.exception("the first sync of folder state %s stopped", state_id)


def _cache_rest(
    account: MailAccount,
    sessions: sessionmaker[Session],
    state_id: int,
    holder: str,
    uids: list[int],
) -> None:
    with sessions() as db:
        try:
            done = lease.current_progress(db, holder=holder)
            total = done + len(uids)
            for start in range(0, len(uids), sync.BATCH):
                batch = uids[start : start + sync.BATCH]

                def work(conn: ImapConnection, batch: list[int] = batch) -> bool:
                    return sync.continue_first_sync(db, conn=conn, state_id=state_id, uids=batch)

                if not POOL.run(account, work):
                    return
                done += len(batch)
                if not lease.renew(db, holder=holder, done=done, total=total):
                    return  # lost (expired under a stalled server): another syncer took over
            sync.finish_first_sync(db, state_id=state_id)
        except BaseException:
            db.rollback()
            raise
        finally:
            lease.release(db, holder=holder)
