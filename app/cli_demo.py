"""``hamkar demo``: the demo organization in the database and its users in the mail stack."""

from __future__ import annotations

import sys

from app import migrate
from app.db import make_engine, make_session_factory, transaction
from app.directory.demo import DEMO_ACCOUNTS, DEMO_ROLE_MEMBERS, ensure_demo_directory
from app.directory.mailbox_acl import grant_role_access
from app.mailstack import MailStack, MailStackError
from app.models import import_all_models
from app.settings import Settings


def create_demo(settings: Settings) -> int:
    """Create (or refresh) the demo; prints how to sign in. Returns an exit status."""
    import_all_models()
    migrate.upgrade(settings)
    engine = make_engine(settings)
    password = settings.demo_password.get_secret_value()
    # managed accounts: the mail stack reads them (and their password hashes) from the database
    with transaction(make_session_factory(engine)) as db:
        ensure_demo_directory(db, password=password)
    engine.dispose()
    stack = MailStack(settings)
    try:
        for owner, members in DEMO_ROLE_MEMBERS.items():
            for member in members:
                grant_role_access(stack, role_email=owner, member_email=member)
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
        if account.kind == "person":
            note = " (organization admin: /admin)" if account.email.startswith("alice@") else ""
            print(f"  {account.email}{note}")
    print("  info@example.com is a role mailbox: alice and bob see it under shared/.")
    return 0
