"""``hamkar demo``: the demo organization in the database and its users in the mail stack."""

from __future__ import annotations

import sys

from app import migrate
from app.db import make_engine, make_session_factory, transaction
from app.directory.demo import DEMO_ACCOUNTS, DEMO_ROLE_MEMBERS, ensure_demo_directory
from app.mailstack import MailStack, MailStackError
from app.models import import_all_models
from app.settings import Settings

ROLE_RIGHTS = [
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


def create_demo(settings: Settings) -> int:
    """Create (or refresh) the demo; prints how to sign in. Returns an exit status."""
    import_all_models()
    migrate.upgrade(settings)
    engine = make_engine(settings)
    with transaction(make_session_factory(engine)) as db:
        ensure_demo_directory(db)
    engine.dispose()
    password = settings.demo_password.get_secret_value()
    stack = MailStack(settings)
    try:
        for account in DEMO_ACCOUNTS:
            stack.add_user(account.email, password)
        for owner, members in DEMO_ROLE_MEMBERS.items():
            for folder in ROLE_FOLDERS:
                for member in members:
                    stack.set_acl(owner, folder, member, ROLE_RIGHTS)
    except MailStackError as exc:
        print(
            f"hamkar demo: the mail stack refused: {exc}\n"
            "Start it first with `hamkar mailstack start` (as root).",
            file=sys.stderr,
        )
        return 1
    print(
        "Demo organization ready. Sign in at "
        f"{settings.base_url}/login with any of these (password: {password}):"
    )
    for account in DEMO_ACCOUNTS:
        note = " (role mailbox, shared with alice and bob)" if account.kind == "role" else ""
        print(f"  {account.email}{note}")
    return 0
