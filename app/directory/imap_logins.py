"""Last logins made straight to Dovecot over IMAP (phones' mail apps, Thunderbird).

Dovecot's ``last_login`` plugin records them in a small SQLite file of its own (written only
by its dict service, see scripts/mailstack.sh): Dovecot never gets write access to Hamkar's
database, where it could rewrite password hashes. Hamkar opens that file read-only and shows
the latest of the web and DAV login (``Account.last_login_at``) and the IMAP one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from app.directory.models import Account

# SQLite allows 32,766 parameters; a page of accounts is far below
_CHUNK = 500


def imap_last_logins(store: Path, emails: Sequence[str]) -> dict[str, datetime]:
    """The last IMAP login of each address found in ``store`` (absent file: none at all)."""
    if not emails or not store.is_file():
        return {}
    found: dict[str, datetime] = {}
    try:
        # read-only: Hamkar never writes the store (a short busy wait covers Dovecot's writes)
        with sqlite3.connect(f"{store.as_uri()}?mode=ro", uri=True, timeout=2) as conn:
            for start in range(0, len(emails), _CHUNK):
                chunk = [e.lower() for e in emails[start : start + _CHUNK]]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT userid, last_login FROM last_login WHERE userid IN ({marks})",  # noqa: S608
                    chunk,
                )
                for userid, seconds in rows:
                    found[str(userid)] = datetime.fromtimestamp(int(seconds), tz=UTC)
    except sqlite3.Error:
        # a store that is missing its table or locked for long only hides IMAP logins
        return found
    return found


def latest_logins(store: Path, accounts: Sequence[Account]) -> dict[int, datetime | None]:
    """Each account's last login over the web, DAV or IMAP, whichever is latest."""
    imap = imap_last_logins(store, [a.email for a in accounts])
    result: dict[int, datetime | None] = {}
    for account in accounts:
        seen = [t for t in (account.last_login_at, imap.get(account.email.lower())) if t]
        result[account.id] = max(seen) if seen else None
    return result
