"""Folder management: create, rename, delete (confirmed), subscribe (RFC 9051 6.3)."""

from __future__ import annotations

import re
from collections.abc import Callable

from imapclient.exceptions import IMAPClientError
from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.errors import Conflict, Invalid
from app.mail.imap import POOL, ImapConnection, MailAccount
from app.mail.models import MailEnvelope, MailFolderState
from app.mail.service import SHARED_PREFIX, folder_tree
from app.mail.sync import folder_state

_BAD_NAME = re.compile(r"[\x00-\x1f\x7f*%\\]")
DELIMITER = "/"


def _check_name(name: str) -> str:
    name = name.strip().strip(DELIMITER)
    if not name or len(name) > 200 or _BAD_NAME.search(name) or "//" in name:
        raise Invalid("Choose a folder name without special characters.")
    if name.upper() == "INBOX" or name.startswith(SHARED_PREFIX):
        raise Invalid("Choose a folder name without special characters.")
    return name


def _own_folder(account: MailAccount, folder: str) -> None:
    found = folder_tree(account=account).find(folder)
    if found is None or found.shared_owner:
        raise Invalid("There is no folder called %(folder)s.", folder=folder)
    if found.role:
        raise Invalid("Special folders cannot be renamed or deleted.")


def _server(account: MailAccount, work: Callable[[ImapConnection], object], name: str) -> None:
    try:
        POOL.run(account, work)
    except IMAPClientError as exc:
        raise Conflict("The server refused to change the folder %(folder)s.", folder=name) from exc


def create_folder(*, account: MailAccount, name: str, parent: str = "") -> str:
    """Create and subscribe a folder (under ``parent`` when given); returns its full name."""
    full = _check_name(f"{parent}{DELIMITER}{name}" if parent else name)

    def work(conn: ImapConnection) -> None:
        conn.client.create_folder(full)
        conn.client.subscribe_folder(full)

    _server(account, work, full)
    return full


def rename_folder(db: Session, *, account: MailAccount, folder: str, new_name: str) -> str:
    """Rename (or move, with a ``/`` path) one of the user's own folders."""
    _own_folder(account, folder)
    target = _check_name(new_name)

    def work(conn: ImapConnection) -> None:
        conn.selected = None  # it may be the selected folder: never trust that selection again
        conn.client.rename_folder(folder, target)

    _server(account, work, folder)
    _forget_folder(db, account, folder)
    return target


def delete_folder(db: Session, *, account: MailAccount, folder: str, confirmed: bool) -> None:
    """Delete one of the user's own folders and the messages in it; needs confirmation."""
    if not confirmed:
        raise Invalid("Tick the confirmation to delete the folder and every message in it.")
    _own_folder(account, folder)

    def work(conn: ImapConnection) -> None:
        conn.selected = None  # it may be the selected folder: never trust that selection again
        conn.client.delete_folder(folder)

    _server(account, work, folder)
    _forget_folder(db, account, folder)


def set_subscribed(*, account: MailAccount, folder: str, subscribed: bool) -> None:
    """Subscribe to a folder (other clients show it) or unsubscribe."""

    def work(conn: ImapConnection) -> None:
        if subscribed:
            conn.client.subscribe_folder(folder)
        else:
            conn.client.unsubscribe_folder(folder)

    _server(account, work, folder)


def _forget_folder(db: Session, account: MailAccount, folder: str) -> None:
    state = folder_state(db, owner=account.email, folder=folder)
    if state is not None:
        db.execute(delete(MailEnvelope).where(MailEnvelope.folder_id == state.id))
        db.execute(delete(MailFolderState).where(MailFolderState.id == state.id))
