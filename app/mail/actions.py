"""Bulk actions on messages: read/unread, flag, move, copy, delete to Trash, archive, spam.

Nothing is ever lost: moves use MOVE (RFC 6851), atomic on the server, or COPY and only then
delete; a refused action leaves every message where it was and raises ``Conflict`` saying so.
"""

from __future__ import annotations

from dataclasses import dataclass

from imapclient.exceptions import IMAPClientError
from sqlalchemy.orm import Session

from app.errors import Conflict, Invalid
from app.mail.imap import POOL, ImapConnection, MailAccount, compress_uids
from app.mail.mime import N_
from app.mail.service import FolderTree, folder_tree
from app.mail.sync import apply_flags, folder_state, forget_messages

FLAG_ACTIONS = {
    "read": (b"\\Seen", True, "seen"),
    "unread": (b"\\Seen", False, "seen"),
    "flag": (b"\\Flagged", True, "flagged"),
    "unflag": (b"\\Flagged", False, "flagged"),
}
MOVE_ROLES = {"delete": "trash", "archive": "archive", "spam": "junk"}
ACTIONS = (*FLAG_ACTIONS, "move", "copy", *MOVE_ROLES)
MAX_UIDS = 100_000


@dataclass(frozen=True)
class ActionDone:
    """What happened, for the page message."""

    action: str
    count: int
    target: str = ""


def apply_action(
    db: Session,
    *,
    account: MailAccount,
    folder: str,
    uids: list[int],
    action: str,
    target: str = "",
    whole_folder: bool = False,
) -> ActionDone:
    """Apply ``action`` to messages ``uids`` of ``folder`` (``target`` for move and copy).

    ``whole_folder`` acts on every message of the folder as the server lists it now
    ("select all N in folder"), not only on the ones shown.
    """
    if action not in ACTIONS:
        raise Invalid("Unknown action.")
    if whole_folder:
        uids = _all_uids(account, folder)
    uids = sorted({uid for uid in uids if 0 < uid < 2**32})[:MAX_UIDS]
    if not uids:
        raise Invalid("Select at least one message first.")
    if action in FLAG_ACTIONS:
        return _set_flag(db, account=account, folder=folder, uids=uids, action=action)
    tree = folder_tree(account=account)
    destination = _destination(tree, folder, action, target)
    if destination is None:  # deleting in Trash itself: remove for good
        _expunge(account, folder, uids)
        action = "destroy"
    else:
        _transfer(account, folder, uids, destination, copy=action == "copy")
    if action != "copy":
        state = folder_state(db, owner=account.email, folder=folder)
        if state is not None:
            forget_messages(db, state=state, uids=uids)
    return ActionDone(action=action, count=len(uids), target=destination or "")


def _all_uids(account: MailAccount, folder: str) -> list[int]:
    def work(conn: ImapConnection) -> list[int]:
        conn.select(folder, readonly=True)
        return [int(uid) for uid in conn.client.search("ALL")]

    return POOL.run(account, work)


def _destination(tree: FolderTree, folder: str, action: str, target: str) -> str | None:
    if action in MOVE_ROLES:
        role_folder = tree.by_role(MOVE_ROLES[action])
        if role_folder is None:
            raise Conflict("There is no folder for this; nothing was changed.")
        if action == "delete" and role_folder.name == folder:
            return None
        return role_folder.name
    found = tree.find(target)
    if found is None or not found.selectable:
        raise Conflict("The folder %(folder)s does not exist; nothing was moved.", folder=target)
    if found.name == folder:
        raise Invalid("The messages are already in %(folder)s.", folder=target)
    return found.name


def _set_flag(
    db: Session, *, account: MailAccount, folder: str, uids: list[int], action: str
) -> ActionDone:
    flag, on, column = FLAG_ACTIONS[action]

    def work(conn: ImapConnection) -> None:
        conn.select(folder)
        if on:
            conn.client.add_flags(compress_uids(uids), [flag], silent=True)
        else:
            conn.client.remove_flags(compress_uids(uids), [flag], silent=True)

    _refusable(account, work, N_("The server refused to change these messages."))
    state = folder_state(db, owner=account.email, folder=folder)
    if state is not None:
        apply_flags(db, state=state, uids=uids, **{column: on})
    return ActionDone(action=action, count=len(uids))


def _transfer(
    account: MailAccount, folder: str, uids: list[int], target: str, *, copy: bool
) -> None:
    def work(conn: ImapConnection) -> None:
        conn.select(folder)
        uid_set = compress_uids(uids)
        if copy:
            conn.client.copy(uid_set, target)
        elif conn.has("MOVE"):
            conn.client.move(uid_set, target)
        else:  # RFC 3501: delete only once the copy exists
            conn.client.copy(uid_set, target)
            conn.client.add_flags(uid_set, [b"\\Deleted"], silent=True)
            if conn.has("UIDPLUS"):
                conn.client.uid_expunge(uid_set)

    _refusable(
        account,
        work,
        N_("The server refused to move the messages to %(folder)s; they are still in %(source)s."),
        folder=target,
        source=folder,
    )


def _expunge(account: MailAccount, folder: str, uids: list[int]) -> None:
    def work(conn: ImapConnection) -> None:
        conn.select(folder)
        uid_set = compress_uids(uids)
        conn.client.add_flags(uid_set, [b"\\Deleted"], silent=True)
        conn.client.uid_expunge(uid_set)

    _refusable(account, work, N_("The server refused to delete these messages."))


def _refusable(account: MailAccount, work: object, message: str, **params: object) -> None:
    try:
        POOL.run(account, work)  # type: ignore[arg-type]
    except IMAPClientError as exc:
        raise Conflict(message, **params) from exc
