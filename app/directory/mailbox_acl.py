"""Role mailbox members see its folders: Hamkar sets the IMAP ACLs (RFC 4314) on the server.

The mail stack applies them with ``doveadm acl``; members then find the mailbox under
``shared/<role address>/`` in their folder list.
"""

from __future__ import annotations

from app.mailstack import MailStack

# Everything a member needs to work the mailbox, but not to administer it (no "admin" right).
MEMBER_RIGHTS = [
    "lookup",
    "read",
    "write",
    "write-seen",
    "write-deleted",
    "insert",
    "post",
    "expunge",
    "create",
    "delete",
]
ROLE_FOLDERS = ("INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive")


def grant_role_access(stack: MailStack, *, role_email: str, member_email: str) -> None:
    """Let ``member_email`` open every folder of the role mailbox."""
    for folder in ROLE_FOLDERS:
        stack.set_acl(role_email, folder, member_email, MEMBER_RIGHTS)


def revoke_role_access(stack: MailStack, *, role_email: str, member_email: str) -> None:
    """Take the member's rights on the role mailbox away."""
    for folder in ROLE_FOLDERS:
        stack.delete_acl(role_email, folder, member_email)
