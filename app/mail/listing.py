"""Message lists read from the envelope cache: one page, sorted, filtered or by conversation.

``read_page`` only reads the database; deciding whether the cache is fresh enough is the
caller's business (``service.open_folder`` checks with the server). Pages read UIDs from
covering sort indexes, so any page of any sort costs about the same on a huge folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from app.mail.models import MailEnvelope, MailFolderState

PAGE_SIZE = 50
SortKey = Literal["date", "sender", "subject", "size"]
SORT_COLUMNS = {
    "date": MailEnvelope.date,
    "sender": MailEnvelope.sender_sort,
    "subject": MailEnvelope.subject_sort,
    "size": MailEnvelope.size,
}
FILTERS = ("unread", "flagged", "attachments")
_FILTER_CONDITIONS: dict[str, ColumnElement[bool]] = {
    # ``IS false`` (``IS 0`` on SQLite), as the partial index of unseen rows spells it.
    "unread": MailEnvelope.seen.is_(False),
    "flagged": MailEnvelope.flagged.is_(True),
    "attachments": MailEnvelope.has_attachment.is_(True),
}
_ONE_STEP_ROWS = 1000  # up to this offset a page is one query; deeper ones go in two steps


@dataclass(frozen=True)
class SyncProgress:
    """How far the first sync of a folder has got (``done`` of ``total`` envelopes cached)."""

    done: int
    total: int

    @property
    def percent(self) -> int:
        """Progress in percent, for the bar."""
        return min(100, self.done * 100 // max(1, self.total))


@dataclass(frozen=True)
class PageRequest:
    """Which page of a folder the reader asked for."""

    page: int = 1
    sort: SortKey = "date"
    descending: bool = True
    filters: tuple[str, ...] = ()
    conversations: bool = False


@dataclass
class MessagePage:
    """One page of a folder's message list."""

    folder: str
    rows: list[MailEnvelope]
    total: int
    page: int
    sort: SortKey
    descending: bool
    filters: tuple[str, ...]
    conversations: bool = False
    thread_sizes: dict[str, int] | None = None
    syncing: SyncProgress | None = None  # a first sync still caching older messages

    @property
    def pages(self) -> int:
        """How many pages the list has (at least one)."""
        return max(1, -(-self.total // PAGE_SIZE))


def read_page(db: Session, *, state: MailFolderState, wanted: PageRequest) -> MessagePage:
    """One page of the cached folder ``state`` (with ``conversations``, one row stands for a
    conversation, ordered by its latest activity)."""
    # ``state`` was looked up by owner, so its id already scopes the rows to this user; a
    # second test on the owner column would turn index-only scans into row lookups.
    conditions = [MailEnvelope.folder_id == state.id]
    conditions += [_FILTER_CONDITIONS[f] for f in wanted.filters if f in _FILTER_CONDITIONS]
    where = and_(*conditions)
    if wanted.conversations:
        return _conversation_page(db, state.name, where, wanted.page, wanted.filters)
    total = _count(db, state, where, wanted.filters)
    page = max(1, min(wanted.page, max(1, -(-total // PAGE_SIZE))))
    column = SORT_COLUMNS[wanted.sort]
    order = (
        (column.desc(), MailEnvelope.uid.desc())
        if wanted.descending
        else (column, MailEnvelope.uid)
    )
    offset = (page - 1) * PAGE_SIZE
    if offset < _ONE_STEP_ROWS:
        rows = list(
            db.scalars(
                select(MailEnvelope).where(where).order_by(*order).offset(offset).limit(PAGE_SIZE)
            )
        )
    else:
        rows = _deep_page(db, state, where, order, offset)
    return MessagePage(
        state.name, rows, total, page, wanted.sort, wanted.descending, wanted.filters
    )


def _deep_page(
    db: Session,
    state: MailFolderState,
    where: ColumnElement[bool],
    order: tuple[Any, ...],
    offset: int,
) -> list[MailEnvelope]:
    # Two steps: the page's UIDs from the covering sort index (skipping rows there is cheap),
    # then only those rows.
    uids = db.scalars(
        select(MailEnvelope.uid).where(where).order_by(*order).offset(offset).limit(PAGE_SIZE)
    ).all()
    by_uid = {
        row.uid: row
        for row in db.scalars(
            select(MailEnvelope).where(
                MailEnvelope.folder_id == state.id, MailEnvelope.uid.in_(list(uids))
            )
        )
    }
    return [by_uid[uid] for uid in uids if uid in by_uid]


def _count(
    db: Session, state: MailFolderState, where: ColumnElement[bool], filters: tuple[str, ...]
) -> int:
    """How many rows the list has: the whole folder and its unread messages are counted once
    per change (kept with the folder's state), other filters every time."""
    attribute = {(): "message_count", ("unread",): "unread_count"}.get(filters)
    cached = getattr(state, attribute) if attribute else None
    if cached is not None:
        return int(cached)
    total = db.scalar(select(func.count()).select_from(MailEnvelope).where(where)) or 0
    if attribute and state.complete:
        setattr(state, attribute, total)
    return total


def _conversation_page(
    db: Session, folder: str, where: ColumnElement[bool], page: int, filters: tuple[str, ...]
) -> MessagePage:
    threads = (
        select(
            MailEnvelope.thread_root.label("root"),
            func.max(MailEnvelope.uid).label("newest"),
            func.max(MailEnvelope.date).label("latest"),
            func.count().label("size"),
        )
        .where(where)
        .group_by(MailEnvelope.thread_root)
        .subquery()
    )
    total = db.scalar(select(func.count()).select_from(threads)) or 0
    page = max(1, min(page, max(1, -(-total // PAGE_SIZE))))
    picked = db.execute(
        select(threads.c.root, threads.c.newest, threads.c.size)
        .order_by(threads.c.latest.desc(), threads.c.newest.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    by_uid = {
        row.uid: row
        for row in db.scalars(
            select(MailEnvelope).where(where, MailEnvelope.uid.in_([p.newest for p in picked]))
        )
    }
    rows = [by_uid[p.newest] for p in picked if p.newest in by_uid]
    sizes = {p.root: int(p.size) for p in picked}
    return MessagePage(folder, rows, total, page, "date", True, filters, True, sizes)
