"""Public API of the mail domain: folders, message lists and header search from the cache.

Every function takes the signed-in ``MailAccount`` and an explicit DB session; IMAP work goes
through the pooled gateway (``app.mail.imap.POOL``). Message reading lives in ``reader.py``,
bulk actions in ``actions.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from imapclient.exceptions import IMAPClientError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.auth.imap_login import ImapEndpoint
from app.errors import NotFound, Unavailable
from app.mail.background import continue_in_background
from app.mail.header_index import where_words
from app.mail.imap import POOL, ImapConnection, MailAccount
from app.mail.listing import FILTERS as FILTERS
from app.mail.listing import PAGE_SIZE as PAGE_SIZE
from app.mail.listing import SORT_COLUMNS as SORT_COLUMNS
from app.mail.listing import MessagePage as MessagePage
from app.mail.listing import PageRequest, read_page
from app.mail.listing import SortKey as SortKey
from app.mail.listing import SyncProgress as SyncProgress
from app.mail.models import MailEnvelope, MailFolderState, MailTrustedSender
from app.mail.search import query_terms
from app.mail.sync import (
    FIRST_BATCH,
    SyncOutcome,
    begin_freshness_check,
    folder_state,
    sync_folder,
)
from app.mail.sync import sync_progress as first_sync_progress
from app.settings import Settings

# The special-use roles (RFC 6154) in the order a reader expects them.
ROLE_ORDER = ("inbox", "drafts", "sent", "archive", "junk", "trash")
_ROLE_FLAGS = {
    b"\\drafts": "drafts",
    b"\\sent": "sent",
    b"\\archive": "archive",
    b"\\junk": "junk",
    b"\\trash": "trash",
}
SHARED_PREFIX = "shared/"


def mail_account(*, settings: Settings, key: str, email: str, password: str) -> MailAccount:
    """The IMAP identity of a signed-in session."""
    return MailAccount(
        key=key,
        email=email,
        password=password,
        endpoint=ImapEndpoint.from_settings(settings),
        search_timeout=settings.imap_search_timeout,
    )


@dataclass
class Folder:
    """A folder in the tree."""

    name: str  # the full IMAP name: the URL path
    label: str  # the last path element
    depth: int
    role: str  # a ROLE_ORDER entry or ""
    unread: int
    selectable: bool
    shared_owner: str = ""  # other users' folders: whose
    subscribed: bool = True  # in the server's subscription list (LSUB), RFC 9051 6.3.7


@dataclass
class FolderTree:
    """The folders of a user: own folders (roles first) and folders shared with them."""

    own: list[Folder]
    shared: list[Folder]
    quota_used_kb: int | None = None
    quota_limit_kb: int | None = None

    def listed(self, folders: list[Folder], *, subscribed_only: bool, current: str) -> list[Folder]:
        """``folders`` as the tree shows them: with ``subscribed_only``, the subscribed ones,
        the inbox, the open folder and the parents that lead to them."""
        if not subscribed_only:
            return folders
        keep = {f.name for f in folders if f.subscribed or f.role == "inbox" or f.name == current}
        wanted = set(keep)
        for name in keep:
            parts = name.split("/")
            wanted.update("/".join(parts[:i]) for i in range(1, len(parts)))
        return [f for f in folders if f.name in wanted]

    def find(self, name: str) -> Folder | None:
        """The folder called ``name``, if listed."""
        return next((f for f in [*self.own, *self.shared] if f.name == name), None)

    def by_role(self, role: str) -> Folder | None:
        """The folder with special use ``role`` (``"trash"``, ``"archive"``, ``"junk"``...)."""
        return next((f for f in self.own if f.role == role), None)

    def count_read(self, name: str) -> None:
        """One unread message of folder ``name`` was just read (saves a STATUS round trip)."""
        found = self.find(name)
        if found is not None and found.unread > 0:
            found.unread -= 1

    @property
    def inbox_unread(self) -> int:
        """Unread messages in the inbox (the tab title shows it)."""
        inbox = self.by_role("inbox")
        return inbox.unread if inbox else 0


def folder_tree(*, account: MailAccount) -> FolderTree:
    """List the folders with unread counts (STATUS) and the quota when the server has it."""
    return POOL.run(account, _folder_tree)


def _folder_tree(conn: ImapConnection) -> FolderTree:
    own: list[Folder] = []
    shared: list[Folder] = []
    subscribed = {name for _flags, _delimiter, name in conn.client.list_sub_folders()}
    for flags, delimiter, name in conn.client.list_folders():
        lowered = {f.lower() for f in flags}
        sep = (delimiter or b"/").decode()
        selectable = b"\\noselect" not in lowered and b"\\nonexistent" not in lowered
        unread = _unread(conn, name) if selectable else 0
        role = (
            "inbox"
            if name.upper() == "INBOX"
            else next((r for f, r in _ROLE_FLAGS.items() if f in lowered), "")
        )
        parts = name.split(sep)
        if name.startswith(SHARED_PREFIX) and len(parts) >= 3:
            shared.append(
                Folder(
                    name,
                    sep.join(parts[2:]),
                    len(parts) - 3,
                    "",
                    unread,
                    selectable,
                    parts[1],
                    name in subscribed,
                )
            )
        else:
            own.append(
                Folder(
                    name,
                    parts[-1],
                    len(parts) - 1,
                    role,
                    unread,
                    selectable,
                    subscribed=name in subscribed,
                )
            )
    own.sort(key=_folder_order)
    shared.sort(key=lambda f: (f.shared_owner, f.name.casefold()))
    tree = FolderTree(own=own, shared=shared)
    _add_quota(conn, tree)
    return tree


def _folder_order(folder: Folder) -> tuple[int, str]:
    rank = ROLE_ORDER.index(folder.role) if folder.role in ROLE_ORDER else len(ROLE_ORDER)
    return rank, folder.name.casefold()


def _unread(conn: ImapConnection, name: str) -> int:
    try:
        return int(conn.client.folder_status(name, ["UNSEEN"]).get(b"UNSEEN", 0))
    except IMAPClientError:
        return 0  # e.g. a shared folder we may list but not read


def _add_quota(conn: ImapConnection, tree: FolderTree) -> None:
    if not conn.has("QUOTA"):
        return
    try:
        _roots, quotas = conn.client.get_quota_root("INBOX")
    except IMAPClientError:
        return
    for quota in quotas:
        if quota.resource.upper() == "STORAGE" and quota.limit:
            tree.quota_used_kb, tree.quota_limit_kb = int(quota.usage), int(quota.limit)


def open_folder(
    db: Session,
    *,
    account: MailAccount,
    folder: str,
    page: int = 1,
    sort: SortKey = "date",
    descending: bool = True,
    filters: tuple[str, ...] = (),
    conversations: bool = False,
) -> MessagePage:
    """One page of the folder, its cache checked with the server (and synced if needed).

    When the folder's cache is complete and a pooled connection has it selected, the NOOP
    that checks freshness is sent first and the page is read from the cache while the server
    answers; only when the server reports a change is the folder synced and the page read
    again. A never-synced folder shows its newest page while the rest syncs in the background
    (``listing.syncing`` tells how far it got).
    """
    wanted = PageRequest(page, sort, descending, filters, conversations)

    def read_if_fresh(conn: ImapConnection) -> MessagePage | None:
        tag = begin_freshness_check(conn, folder)
        if tag is None:
            return None
        listing = None
        try:
            state = folder_state(db, owner=account.email, folder=folder)
            if state is not None and state.complete and state.highestmodseq is not None:
                listing = read_page(db, state=state, wanted=wanted)
        finally:
            fresh = conn.noop_end(tag)  # always read: the answer must not stay queued
        return listing if fresh else None

    listing = POOL.run(account, read_if_fresh)
    if listing is not None:
        return listing
    state = refresh_folder(db, account=account, folder=folder, background=True)
    listing = read_page(db, state=state, wanted=wanted)
    if not state.complete:
        listing.syncing = sync_progress(db, account=account, folder=folder)
    return listing


def conversation(
    db: Session, *, account: MailAccount, envelope: MailEnvelope
) -> list[MailEnvelope]:
    """The messages of ``envelope``'s conversation in its folder, oldest first."""
    return list(
        db.scalars(
            select(MailEnvelope)
            .where(
                MailEnvelope.folder_id == envelope.folder_id,
                MailEnvelope.owner == account.email,
                MailEnvelope.thread_root == envelope.thread_root,
            )
            .order_by(MailEnvelope.date, MailEnvelope.uid)
            .limit(200)
        )
    )


def refresh_folder(
    db: Session, *, account: MailAccount, folder: str, background: bool = False
) -> MailFolderState:
    """Sync the folder's cache with the server; ``NotFound`` when the folder does not exist.

    With ``background``, a first sync of a large folder caches the newest envelopes, then
    returns while a background thread caches the rest (``sync_progress`` tells how far).
    Commits: the cache is shared with other requests and processes (see ``sync.py``).
    """

    def work(conn: ImapConnection) -> SyncOutcome:
        try:
            return sync_folder(
                db,
                conn=conn,
                owner=account.email,
                folder=folder,
                first_batch=FIRST_BATCH if background else None,
            )
        except IMAPClientError as exc:
            raise NotFound("There is no folder called %(folder)s.", folder=folder) from exc

    outcome = POOL.run(account, work)
    if outcome.state is None:
        raise Unavailable("This folder is being synchronised; please try again.")
    if outcome.pending:
        continue_in_background(
            account=account,
            sessions=sessionmaker(bind=db.get_bind(), expire_on_commit=False),
            state_id=outcome.state.id,
            holder=outcome.holder,
            uids=outcome.pending,
        )
    return outcome.state


def sync_progress(db: Session, *, account: MailAccount, folder: str) -> SyncProgress | None:
    """The progress of ``folder``'s first sync, None when it is not running (or done)."""
    found = first_sync_progress(db, owner=account.email, folder=folder)
    return SyncProgress(*found) if found else None


@dataclass
class SearchHit:
    """A search result: the cached envelope and the folder it is in."""

    folder: str
    envelope: MailEnvelope


def quick_search(
    db: Session, *, account: MailAccount, query: str, limit: int = PAGE_SIZE, offset: int = 0
) -> list[SearchHit]:
    """Sender, recipients and subject matching every word of ``query``, across all folders.

    Answered from the cache; Persian spellings are normalised (see ``search.normalize``).
    """
    terms = query_terms(query)
    if not terms:
        return []
    statement = (
        select(MailFolderState.name, MailEnvelope)
        .join(MailFolderState, MailFolderState.id == MailEnvelope.folder_id)
        .where(MailEnvelope.owner == account.email)
        .order_by(MailEnvelope.date.desc(), MailEnvelope.id.desc())
        .offset(offset)
        .limit(limit)
    )
    rows = db.execute(where_words(db, statement, terms)).all()
    return [SearchHit(folder=name, envelope=env) for name, env in rows]


def body_search(
    db: Session, *, account: MailAccount, folder: str, query: str, limit: int = PAGE_SIZE
) -> list[SearchHit]:
    """Messages of ``folder`` whose text contains ``query`` (IMAP SEARCH TEXT; the server's
    full-text index answers it), newest first, read from the cache."""
    text = query.strip()[:200]
    if not text:
        return []
    state = refresh_folder(db, account=account, folder=folder)

    def work(conn: ImapConnection) -> list[int]:
        conn.select(folder, readonly=True)
        return conn.search_text(["TEXT", text], timeout=account.search_timeout)

    uids = sorted(POOL.run(account, work), reverse=True)[: limit * 4]
    if not uids:
        return []
    rows = db.scalars(
        select(MailEnvelope)
        .where(MailEnvelope.folder_id == state.id, MailEnvelope.owner == account.email)
        .where(MailEnvelope.uid.in_(uids))
        .order_by(MailEnvelope.date.desc())
        .limit(limit)
    ).all()
    return [SearchHit(folder=folder, envelope=row) for row in rows]


def cached_envelope(
    db: Session, *, account: MailAccount, folder: str, uid: int
) -> MailEnvelope | None:
    """The cached envelope of one message of the owner, if cached."""
    return db.scalar(
        select(MailEnvelope)
        .join(MailFolderState, MailFolderState.id == MailEnvelope.folder_id)
        .where(
            MailFolderState.owner == account.email,
            MailFolderState.name == folder,
            MailEnvelope.owner == account.email,
            MailEnvelope.uid == uid,
        )
    )


def sign_out(*, key: str) -> None:
    """Close the pooled IMAP connections of a session."""
    POOL.close_session(key)


def neighbours(
    db: Session, *, account: MailAccount, folder: str, envelope: MailEnvelope
) -> tuple[int | None, int | None]:
    """UIDs of the newer and the older message next to ``envelope`` (date order)."""
    base = select(MailEnvelope.uid).where(
        MailEnvelope.folder_id == envelope.folder_id, MailEnvelope.owner == account.email
    )
    same, key = MailEnvelope.date == envelope.date, MailEnvelope.uid
    newer = db.scalar(
        base.where((MailEnvelope.date > envelope.date) | (same & (key > envelope.uid)))
        .order_by(MailEnvelope.date, MailEnvelope.uid)
        .limit(1)
    )
    older = db.scalar(
        base.where((MailEnvelope.date < envelope.date) | (same & (key < envelope.uid)))
        .order_by(MailEnvelope.date.desc(), MailEnvelope.uid.desc())
        .limit(1)
    )
    return newer, older


def trust_sender(db: Session, *, account: MailAccount, sender: str) -> None:
    """Always load remote images and styles in mail from ``sender`` (for this user only)."""
    sender = sender.strip().lower()[:320]
    if sender and not sender_trusted(db, account=account, sender=sender):
        db.add(MailTrustedSender(owner=account.email, sender=sender))
        db.flush()


def sender_trusted(db: Session, *, account: MailAccount, sender: str) -> bool:
    """True when the user chose to always load remote content from ``sender``."""
    return (
        db.scalar(
            select(MailTrustedSender.id).where(
                MailTrustedSender.owner == account.email,
                MailTrustedSender.sender == sender.strip().lower(),
            )
        )
        is not None
    )
