"""A second app process for the lease test: syncs one folder and prints what it did (JSON).

    python -m tests.integration.mail.sync_worker '<settings json>' <email> <password> <folder>

It logs in, prints "ready", and starts syncing when a line arrives on its stdin: the test
releases both processes at once, as soon as both are logged in.
"""

from __future__ import annotations

import json
import sys
import time

from sqlalchemy import func, select

from app.auth.imap_login import ImapEndpoint
from app.db import make_engine, make_session_factory
from app.mail.imap import POOL, ImapConnection, MailAccount
from app.mail.models import MailEnvelope
from app.mail.sync import SyncOutcome, sync_folder
from app.settings import Settings


def main() -> None:
    raw, email, password, folder = sys.argv[1:5]
    settings = Settings.model_validate_json(raw)
    account = MailAccount(
        key="worker", email=email, password=password, endpoint=ImapEndpoint.from_settings(settings)
    )
    POOL.run(account, lambda conn: None)  # logged in before the start line
    print("ready", flush=True)
    sys.stdin.readline()
    with make_session_factory(make_engine(settings))() as db:

        def work(conn: ImapConnection) -> SyncOutcome:
            return sync_folder(db, conn=conn, owner=email, folder=folder)

        began = time.monotonic()
        outcome = POOL.run(account, work)
        state = outcome.state
        if state is None:
            print(json.dumps({"synced": outcome.synced, "took": time.monotonic() - began}))
            return
        cached = db.scalar(
            select(func.count()).select_from(MailEnvelope).where(MailEnvelope.folder_id == state.id)
        )
        took = round(time.monotonic() - began, 2)
        print(
            json.dumps(
                {
                    "synced": outcome.synced,
                    "complete": state.complete,
                    "cached": cached,
                    "took": took,
                }
            )
        )
    POOL.close_all()


if __name__ == "__main__":
    main()
