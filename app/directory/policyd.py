"""Postfix policy service: who may send to a group (``send_policy``), run by Postfix's spawn(8).

Postfix asks only for recipients that are restricted groups (``hamkar_mail_group`` view with a
policy other than ``anyone``). The sender must be signed in (SASL) as an account the group's
policy admits (``hamkar_group_sender`` view): its organization, or its members. Mail from the
internet to such a group is refused, like Exchange's "only senders inside my organization".

Standalone on purpose (standard library, plus psycopg for PostgreSQL): Postfix starts one
process per connection, so it must start fast and must not import the web application.
Usage: ``python policyd.py CONFIG`` where CONFIG has ``driver = sqlite|pgsql`` and
``connect = <path or libpq conninfo>`` lines.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

Query = Callable[[str, tuple[str, ...]], list[tuple[Any, ...]]]
REFUSED = "action=REJECT 5.7.1 You may not send to this group"


def read_requests(stream: TextIO) -> Iterator[dict[str, str]]:
    """Policy delegation requests: ``name=value`` lines, each request ended by a blank line."""
    request: dict[str, str] = {}
    for raw in stream:
        line = raw.rstrip("\r\n")
        if not line:
            if request:
                yield request
            request = {}
            continue
        name, _, value = line.partition("=")
        request[name] = value


def decide(request: dict[str, str], query: Query) -> str:
    """The action for one request: DUNNO (carry on) or REJECT with the reason."""
    recipient = request.get("recipient", "").strip().lower()
    login = request.get("sasl_username", "").strip().lower()
    rows = query("SELECT send_policy FROM hamkar_mail_group WHERE address = ?", (recipient,))
    if not rows or rows[0][0] == "anyone":
        return "action=DUNNO"
    if login and query(
        "SELECT 1 FROM hamkar_group_sender WHERE address = ? AND login = ?", (recipient, login)
    ):
        return "action=DUNNO"
    return REFUSED


def connect(config: Path) -> Query:
    """A query function over the configured database, read-only."""
    settings: dict[str, str] = {}
    for line in config.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep:
            settings[name.strip()] = value.strip()
    driver, target = settings.get("driver", ""), settings.get("connect", "")
    if driver == "sqlite":
        db = sqlite3.connect(f"file:{target}?mode=ro", uri=True, timeout=10)
        return lambda sql, params: db.execute(sql, params).fetchall()
    if driver != "pgsql":
        raise ValueError(f"unknown driver {driver!r}")
    import psycopg

    pg = psycopg.connect(target, autocommit=True)
    return lambda sql, params: pg.execute(sql.replace("?", "%s"), params).fetchall()


def main(argv: list[str]) -> int:
    """Answer requests on stdin until Postfix closes the connection."""
    query = connect(Path(argv[1]))
    for request in read_requests(sys.stdin):
        try:
            action = decide(request, query)
        except Exception:  # a broken database must not let mail through silently
            action = "action=DEFER_IF_PERMIT 4.3.0 group policy unavailable"
        sys.stdout.write(f"{action}\n\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
