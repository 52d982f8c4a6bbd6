"""Advanced search: header words, body text, dates, attachments, flags, one folder or all.

What the cache holds (addresses, subject, date, flags, attachment presence) is answered by
the database; body text goes to IMAP SEARCH, which the server's full-text index answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from imapclient.exceptions import IMAPClientError
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from app.errors import Invalid, NotFound
from app.mail.header_index import where_words
from app.mail.imap import POOL, ImapConnection, MailAccount
from app.mail.models import MailEnvelope, MailFolderState
from app.mail.search import query_terms
from app.mail.service import PAGE_SIZE, SearchHit, folder_tree, refresh_folder

MAX_BODY_FOLDERS = 50


@dataclass(frozen=True)
class SearchCriteria:
    """What the reader asked for; empty fields do not restrict."""

    words: str = ""
    body: str = ""
    folder: str = ""  # "" searches every folder
    since: date | None = None
    until: date | None = None
    attachments: bool = False
    unread: bool = False
    flagged: bool = False
    page: int = 1

    @property
    def empty(self) -> bool:
        """True when nothing at all restricts the search."""
        return not (self.words.strip() or self.body.strip() or self.since or self.until) and not (
            self.attachments or self.unread or self.flagged
        )


@dataclass
class SearchPage:
    """One page of results, newest first."""

    hits: list[SearchHit]
    page: int
    more: bool


def search(db: Session, *, account: MailAccount, criteria: SearchCriteria) -> SearchPage:
    """Run ``criteria``; results are paged (``PAGE_SIZE``) and never include others' mail."""
    if criteria.empty:
        return SearchPage(hits=[], page=1, more=False)
    if criteria.since and criteria.until and criteria.since > criteria.until:
        raise Invalid("The start date is after the end date.")
    conditions = _cache_conditions(account, criteria)
    if criteria.body.strip():
        conditions.append(_body_matches(db, account, criteria))
    elif criteria.folder:
        refresh_folder(db, account=account, folder=criteria.folder)
        conditions.append(MailFolderState.name == criteria.folder)
    else:
        _refresh_cached_folders(db, account)
    offset = (max(1, criteria.page) - 1) * PAGE_SIZE
    statement = (
        select(MailFolderState.name, MailEnvelope)
        .join(MailFolderState, MailFolderState.id == MailEnvelope.folder_id)
        .where(*conditions)
        .order_by(MailEnvelope.date.desc(), MailEnvelope.id.desc())
        .offset(offset)
        .limit(PAGE_SIZE + 1)
    )
    rows = db.execute(where_words(db, statement, query_terms(criteria.words))).all()
    hits = [SearchHit(folder=name, envelope=env) for name, env in rows[:PAGE_SIZE]]
    return SearchPage(hits=hits, page=max(1, criteria.page), more=len(rows) > PAGE_SIZE)


def _refresh_cached_folders(db: Session, account: MailAccount) -> None:
    """The inbox and every folder already cached, brought up to date (cheap when unchanged)."""
    cached = db.scalars(
        select(MailFolderState.name).where(MailFolderState.owner == account.email)
    ).all()
    for name in {"INBOX", *cached}:
        try:
            refresh_folder(db, account=account, folder=name)
        except NotFound:
            continue  # deleted elsewhere since it was cached


def _cache_conditions(account: MailAccount, criteria: SearchCriteria) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        MailEnvelope.owner == account.email,
        MailFolderState.owner == account.email,
    ]
    if criteria.since:
        conditions.append(MailEnvelope.date >= datetime.combine(criteria.since, time(), UTC))
    if criteria.until:
        end = datetime.combine(criteria.until + timedelta(days=1), time(), UTC)
        conditions.append(MailEnvelope.date < end)
    if criteria.attachments:
        conditions.append(MailEnvelope.has_attachment.is_(True))
    if criteria.unread:
        conditions.append(MailEnvelope.seen.is_(False))
    if criteria.flagged:
        conditions.append(MailEnvelope.flagged.is_(True))
    return conditions


def _body_matches(
    db: Session, account: MailAccount, criteria: SearchCriteria
) -> ColumnElement[bool]:
    """Folder-and-UID pairs whose text matches, as a condition on the cache."""
    if criteria.folder:
        names = [criteria.folder]
    else:
        tree = folder_tree(account=account)
        names = [f.name for f in [*tree.own, *tree.shared] if f.selectable][:MAX_BODY_FOLDERS]
    text = criteria.body.strip()[:200]
    matches: list[ColumnElement[bool]] = []
    for name in names:
        state = refresh_folder(db, account=account, folder=name)

        def work(conn: ImapConnection, folder: str = name) -> list[int]:
            conn.select(folder, readonly=True)
            return conn.search_text(["TEXT", text], timeout=account.search_timeout)

        try:
            uids = POOL.run(account, work)
        except IMAPClientError:
            continue  # a folder we may list but not search
        if uids:
            matches.append((MailEnvelope.folder_id == state.id) & MailEnvelope.uid.in_(uids))
    if not matches:
        return MailEnvelope.id.is_(None)  # nothing matched: an always-false condition
    condition = matches[0]
    for extra in matches[1:]:
        condition = condition | extra
    return condition
