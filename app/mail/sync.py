"""Envelope cache synchronisation (RFC 7162 CONDSTORE/QRESYNC, with RFC 3501 fallbacks).

``sync_folder`` brings the cache of one folder of one owner up to date with the server:
the first sync fetches envelopes in batches (newest first); later syncs ask only for what
changed since the stored HIGHESTMODSEQ (with VANISHED for expunges when QRESYNC is on); a
changed UIDVALIDITY throws the folder's cache away and rebuilds it. One syncer at a time per
owner and folder, across processes: the folder's lease (``lease.py``) is held while syncing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.mail import lease
from app.mail.envelope import FETCH_ITEMS, envelope_row, flag_columns
from app.mail.imap import ImapConnection, Selected, compress_uids
from app.mail.models import MailEnvelope, MailFolderState

BATCH = 2000
FIRST_BATCH = 500  # a first sync caches this many of the newest envelopes before answering
_ENVELOPES = MailEnvelope.metadata.tables[MailEnvelope.__tablename__]
_WAIT_FOR_OTHER = 30.0  # seconds to wait for another syncer's (incremental) sync to end


@dataclass
class SyncOutcome:
    """What ``sync_folder`` did: the folder's state, and what a first sync left to do.

    ``pending`` (newest first) is the rest of a first sync that was cut at ``first_batch``;
    ``holder`` still holds the folder's lease for whoever continues (``continue_first_sync``).
    ``synced`` is False when another syncer did (or is doing) the work.
    """

    state: MailFolderState | None
    synced: bool = False
    pending: list[int] = field(default_factory=list)
    holder: str = ""


def folder_state(
    db: Session, *, owner: str, folder: str, fresh: bool = False
) -> MailFolderState | None:
    """The cache state of ``owner``'s ``folder``, if it was ever synced (``fresh``: re-read)."""
    query = select(MailFolderState).where(
        MailFolderState.owner == owner, MailFolderState.name == folder
    )
    if fresh:
        query = query.execution_options(populate_existing=True)
    return db.scalar(query)


def sync_folder(
    db: Session,
    *,
    conn: ImapConnection,
    owner: str,
    folder: str,
    first_batch: int | None = None,
) -> SyncOutcome:
    """Make ``folder``'s cached envelopes match the server, holding the folder's lease.

    Cheap when nothing changed (a NOOP on the selected folder, no lease). When another
    thread or process holds the lease, its work is not repeated: an incremental sync is
    waited for, a first sync in progress is reported as it stands. With ``first_batch``, a
    first sync caches only that many of the newest envelopes and returns the rest as
    ``pending``, the lease still held. Commits the cache (and the caller's pending work).
    """
    state = folder_state(db, owner=owner, folder=folder)
    if state is not None and _still_current(conn, state, folder):
        return SyncOutcome(state)  # nothing changed: no SELECT, no lease
    holder = lease.new_holder()
    if not lease.acquire(db, owner=owner, folder=folder, holder=holder):
        return SyncOutcome(_wait_for_other(db, owner, folder))
    outcome = SyncOutcome(None, synced=True, holder=holder)
    try:
        # Re-read: another syncer may have finished just before we took the lease.
        state = folder_state(db, owner=owner, folder=folder, fresh=True)
        outcome.state, outcome.pending = _sync_held(db, conn, owner, folder, state, first_batch)
        db.commit()
        if outcome.pending:
            done = _cached_count(db, outcome.state)
            lease.renew(db, holder=holder, done=done, total=done + len(outcome.pending))
    except BaseException:
        db.rollback()
        outcome.pending = []  # nobody continues a failed sync: give the lease up
        raise
    finally:
        if not outcome.pending:
            lease.release(db, holder=holder)
    return outcome


def _sync_held(
    db: Session,
    conn: ImapConnection,
    owner: str,
    folder: str,
    state: MailFolderState | None,
    first_batch: int | None,
) -> tuple[MailFolderState, list[int]]:
    conn.grew_meanwhile = False
    reused = _still_selected(conn, state, folder)
    selected = reused or conn.select(folder)
    if state is not None and state.uidvalidity != selected.uidvalidity:
        # The UIDs now name other messages: rebuild from scratch.
        db.execute(delete(MailEnvelope).where(MailEnvelope.folder_id == state.id))
        db.delete(state)
        db.flush()
        state = None
    if state is None:
        state = MailFolderState(
            owner=owner, name=folder, uidvalidity=selected.uidvalidity, complete=False
        )
        db.add(state)
        db.flush()
    pending: list[int] = []
    if not state.complete:
        pending = _full_sync(db, conn, state, first_batch)
    elif reused is None and _unchanged(state, selected):  # (STATUS may lag the selection)
        pass
    elif conn.condstore and state.highestmodseq is not None:
        _changes_since(db, conn, state, selected)
    else:
        _compare_all(db, conn, state)
    state.message_count = state.unread_count = None  # recounted on the next list
    state.uidnext = selected.uidnext
    state.highestmodseq = selected.highestmodseq
    state.complete = not pending
    state.synced_at = utcnow()
    db.flush()
    if not pending and not conn.grew_meanwhile:
        conn.fresh_for = folder
    return state, pending


def _still_selected(
    conn: ImapConnection, state: MailFolderState | None, folder: str
) -> Selected | None:
    """What SELECT would report about ``folder`` when this connection has it selected already
    and the cache is complete, without selecting it again; None when it must be selected.

    SELECT costs time proportional to the folder on some servers (Dovecot's maildir: 0.1 to
    1 s for 50,000 messages); STATUS of the selected folder and NOOP do not. STATUS comes
    first and NOOP then brings the selection up to date, so the changes read next include
    every change the reported HIGHESTMODSEQ counts. Only with QRESYNC: without it, expunges
    are found by comparing message counts, which needs the selection's own count.
    """
    if not (conn.qresync and state is not None and state.complete):
        return None
    if conn.selected is None or conn.selected.name != folder:
        return None
    found = conn.status_of_selected()
    if found is None or not conn.refresh_selection():  # the folder was deleted meanwhile
        return None
    return found


def _wait_for_other(db: Session, owner: str, folder: str) -> MailFolderState | None:
    """The state another syncer leaves: at once during a first sync, else when it is done."""
    deadline = time.monotonic() + _WAIT_FOR_OTHER
    while True:
        # The lease first: a holder commits its work before it releases the lease.
        held = lease.current(db, owner=owner, folder=folder)
        state = folder_state(db, owner=owner, folder=folder, fresh=True)
        if held is None or (state is not None and not state.complete):
            return state
        if time.monotonic() > deadline:
            return state
        time.sleep(0.05)


def continue_first_sync(
    db: Session, *, conn: ImapConnection, state_id: int, uids: list[int]
) -> bool:
    """Cache the envelopes of ``uids`` (part of a first sync) and commit.

    False when the folder is gone or was recreated meanwhile (its UIDVALIDITY changed):
    the caller stops, and the next sync starts over.
    """
    state = db.get(MailFolderState, state_id)
    if state is None:
        return False
    if conn.selected is None or conn.selected.name != state.name:
        if conn.select(state.name).uidvalidity != state.uidvalidity:
            return False
    elif conn.selected.uidvalidity != state.uidvalidity:
        return False
    _fetch_new(db, conn, state, uids)
    db.commit()
    return True


def finish_first_sync(db: Session, *, state_id: int) -> None:
    """Mark a first sync done: from now on the folder syncs incrementally. Commits."""
    state = db.get(MailFolderState, state_id)
    if state is not None:
        state.complete = True
        state.message_count = state.unread_count = None
        state.synced_at = utcnow()
        db.commit()


def sync_progress(db: Session, *, owner: str, folder: str) -> tuple[int, int] | None:
    """``(done, total)`` of a first sync in progress, None when none is running."""
    held = lease.current(db, owner=owner, folder=folder)
    state = folder_state(db, owner=owner, folder=folder, fresh=True)
    if held is None or state is None or state.complete or not held.total:
        return None
    return held.done, held.total


def _still_current(conn: ImapConnection, state: MailFolderState, folder: str) -> bool:
    """True when this connection has ``folder`` selected and a NOOP reports no change."""
    if not state.complete or state.highestmodseq is None:
        return False
    tag = begin_freshness_check(conn, folder)
    return tag is not None and conn.noop_end(tag)


def begin_freshness_check(conn: ImapConnection, folder: str) -> Any:
    """Send the NOOP that tells whether the cache of ``folder`` is still exact; None when
    this connection cannot tell (``folder`` not selected on it, or no CONDSTORE).

    A selected folder is kept current by the server: NOOP returns every change since the
    last command (RFC 9051 6.1.2), so an empty answer means a cache that was exact is still
    exact. This is one cheap round trip (the caller may read the cache meanwhile); opening a
    large unselected folder (SELECT or STATUS) is not. ``conn.noop_end(tag)`` reads the
    answer; the cache must have been complete and synced on this server state to trust it.
    """
    if not conn.condstore or conn.selected is None or conn.selected.name != folder:
        return None
    if conn.trusted_for != folder:
        return None  # other work ran on it since: a change notice may have been swallowed
    return conn.noop_begin()


def _unchanged(state: MailFolderState, selected: Selected) -> bool:
    if selected.highestmodseq is None or state.highestmodseq is None:
        return False
    return state.highestmodseq == selected.highestmodseq and state.uidnext == selected.uidnext


def _cached_count(db: Session, state: MailFolderState) -> int:
    query = select(func.count()).select_from(MailEnvelope)
    return db.scalar(query.where(MailEnvelope.folder_id == state.id)) or 0


def _cached_uids(db: Session, state: MailFolderState) -> set[int]:
    return set(db.scalars(select(MailEnvelope.uid).where(MailEnvelope.folder_id == state.id)))


def _cached_among(db: Session, state: MailFolderState, uids: set[int]) -> set[int]:
    found: set[int] = set()
    ordered = sorted(uids)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        found.update(
            db.scalars(
                select(MailEnvelope.uid).where(
                    MailEnvelope.folder_id == state.id, MailEnvelope.uid.in_(chunk)
                )
            )
        )
    return found


def _full_sync(
    db: Session, conn: ImapConnection, state: MailFolderState, first_batch: int | None
) -> list[int]:
    """Fetch what the cache lacks, newest first; returns what is left beyond ``first_batch``."""
    server = set(conn.client.search("ALL"))
    cached = _cached_uids(db, state)  # a first sync that was cut short resumes here
    _forget(db, state, cached - server)
    if cached & server:
        _refresh_cached_flags(db, conn, state, cached & server)
    missing = sorted(server - cached, reverse=True)
    now, later = (missing, []) if first_batch is None else _split(missing, first_batch)
    _fetch_new(db, conn, state, now)
    if later:
        db.commit()  # the newest page is readable by every process from now on
    return later


def _refresh_cached_flags(
    db: Session, conn: ImapConnection, state: MailFolderState, cached: set[int]
) -> None:
    """Flags of envelopes a first sync cut short had cached: another client may have changed
    them since. With CONDSTORE only what changed since the interrupted sync's SELECT (its
    HIGHESTMODSEQ is kept in ``state``), else every cached message's flags."""
    if conn.condstore and state.highestmodseq is not None:
        changed, _ = conn.fetch_range(
            "1:*", ["UID", "FLAGS"], [f"CHANGEDSINCE {state.highestmodseq}"]
        )
    else:
        changed, _ = conn.fetch_range(compress_uids(cached), ["UID", "FLAGS"])
    _update_flags(db, state, {uid: d for uid, d in changed.items() if uid in cached})


def _split(uids: list[int], first: int) -> tuple[list[int], list[int]]:
    # Not worth a second round for a small remainder.
    return (uids, []) if len(uids) <= first * 2 else (uids[:first], uids[first:])


def _fetch_new(db: Session, conn: ImapConnection, state: MailFolderState, uids: list[int]) -> None:
    items = [*FETCH_ITEMS, "MODSEQ"] if conn.condstore else list(FETCH_ITEMS)
    for start in range(0, len(uids), BATCH):
        batch = uids[start : start + BATCH]
        wanted = set(batch)
        fetched, _ = conn.fetch_range(compress_uids(batch), items)
        rows = [_row(state, uid, data) for uid, data in fetched.items() if uid in wanted]
        if rows:  # a Core executemany: the ORM's bulk path adds a third to the insert's time
            db.execute(insert(_ENVELOPES), rows)
        db.flush()


def _row(state: MailFolderState, uid: int, data: dict[bytes, Any]) -> dict[str, Any]:
    row = envelope_row(uid, data, _modseq(data))
    row.update(folder_id=state.id, owner=state.owner)
    return row


def _modseq(data: dict[bytes, Any]) -> int:
    value = data.get(b"MODSEQ")
    if isinstance(value, tuple | list):
        value = value[0] if value else 0
    return int(value or 0)


def _changes_since(
    db: Session, conn: ImapConnection, state: MailFolderState, selected: Selected
) -> None:
    modifiers = [f"CHANGEDSINCE {state.highestmodseq}"]
    if conn.qresync:
        modifiers.append("VANISHED")
    changed, vanished = conn.fetch_range("1:*", ["UID", "FLAGS"], modifiers)
    cached = _cached_among(db, state, set(changed))  # not the whole folder: it may be huge
    _forget(db, state, vanished)
    _update_flags(db, state, {uid: d for uid, d in changed.items() if uid in cached})
    _fetch_new(db, conn, state, sorted(set(changed) - cached, reverse=True))
    if not conn.qresync:
        count = db.scalar(
            select(func.count()).select_from(MailEnvelope).where(MailEnvelope.folder_id == state.id)
        )
        if count != selected.exists:  # something was expunged: find out what
            _forget(db, state, _cached_uids(db, state) - set(conn.client.search("ALL")))


def _compare_all(db: Session, conn: ImapConnection, state: MailFolderState) -> None:
    """RFC 3501 fallback: every UID and flag, compared with the cache."""
    server, _ = conn.fetch_range("1:*", ["UID", "FLAGS"])
    cached = _cached_uids(db, state)
    _forget(db, state, cached - set(server))
    _update_flags(db, state, {uid: d for uid, d in server.items() if uid in cached})
    _fetch_new(db, conn, state, sorted(set(server) - cached, reverse=True))


def _update_flags(db: Session, state: MailFolderState, changes: dict[int, Any]) -> None:
    for uid, data in changes.items():
        values = flag_columns(data.get(b"FLAGS", ()))
        if b"MODSEQ" in data:
            values["modseq"] = _modseq(data)
        db.execute(
            update(MailEnvelope)
            .where(MailEnvelope.folder_id == state.id, MailEnvelope.uid == uid)
            .values(**values)
        )


def _forget(db: Session, state: MailFolderState, uids: Iterable[int]) -> None:
    gone = list(uids)
    for start in range(0, len(gone), 500):
        db.execute(
            delete(MailEnvelope).where(
                MailEnvelope.folder_id == state.id, MailEnvelope.uid.in_(gone[start : start + 500])
            )
        )


def apply_flags(
    db: Session, *, state: MailFolderState, uids: Iterable[int], **values: bool
) -> None:
    """Record in the cache a flag change this app just made on the server."""
    ids = list(uids)
    if "seen" in values:
        state.unread_count = None
    for start in range(0, len(ids), 500):
        db.execute(
            update(MailEnvelope)
            .where(
                MailEnvelope.folder_id == state.id, MailEnvelope.uid.in_(ids[start : start + 500])
            )
            .values(**values)
        )


def forget_messages(db: Session, *, state: MailFolderState, uids: Iterable[int]) -> None:
    """Drop from the cache messages this app just moved or deleted on the server."""
    _forget(db, state, uids)
    state.message_count = state.unread_count = None
