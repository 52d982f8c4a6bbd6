"""The IMAP gateway against the real Dovecot: pooling, reconnects, outages, "1:*" ranges."""

from __future__ import annotations

import threading
import time

import pytest

from app.auth.imap_login import ImapEndpoint
from app.errors import Unauthorized, Unavailable
from app.mail.imap import POOL, ImapConnection, ImapPool, MailAccount, compress_uids
from app.settings import Settings
from tests.conftest import TEST_PASSWORD, free_port
from tests.integration.mail.conftest import deliver, make_message


def test_uid_ranges_work_although_imapclient_fetch_refuses_them(
    account: MailAccount, settings: Settings
) -> None:
    for n in range(3):
        deliver(settings, account.email, make_message(to=account.email, subject=f"m{n}"))

    def work(conn: ImapConnection) -> tuple[dict[int, dict[bytes, object]], list[int]]:
        conn.select("INBOX")
        with pytest.raises(ValueError):
            conn.client.fetch("1:*", ["FLAGS"])  # upstream issue 666, still in imapclient 4.x
        return conn.fetch_range("1:*", ["FLAGS"])

    fetched, vanished = POOL.run(account, work)
    assert sorted(fetched) == [1, 2, 3] and vanished == []


def test_connections_are_reused_and_replaced_when_they_drop(account: MailAccount) -> None:
    first = POOL.run(account, lambda conn: conn)
    assert POOL.run(account, lambda conn: conn) is first
    first.client.shutdown()  # the server closed it (restart, idle timeout)
    calls: list[ImapConnection] = []

    def work(conn: ImapConnection) -> int:
        calls.append(conn)
        return int(conn.select("INBOX").exists)

    assert POOL.run(account, work) == 0
    assert calls[-1] is not first  # retried on a new connection, the caller saw no error


def test_concurrent_requests_never_share_a_connection(account: MailAccount) -> None:
    pool = ImapPool(max_per_session=3)
    in_use: set[int] = set()
    clashes: list[int] = []
    guard = threading.Lock()

    def work(conn: ImapConnection) -> None:
        with guard:
            if id(conn) in in_use:
                clashes.append(id(conn))
            in_use.add(id(conn))
        conn.client.noop()
        time.sleep(0.05)
        with guard:
            in_use.discard(id(conn))

    threads = [threading.Thread(target=pool.run, args=(account, work)) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clashes == []
    assert pool._slots[account.pool_key].count <= 3
    pool.close_all()


def test_server_down_is_unavailable_not_a_crash(account: MailAccount) -> None:
    dead = ImapEndpoint(
        host="127.0.0.1", port=free_port(), tls="none", timeout=2, ca_file=None, verify=True
    )
    down = MailAccount(key="down", email=account.email, password=TEST_PASSWORD, endpoint=dead)
    with pytest.raises(Unavailable):
        ImapPool().run(down, lambda conn: None)


def test_a_changed_password_is_unauthorized(account: MailAccount) -> None:
    wrong = MailAccount(
        key="wrong", email=account.email, password="nope", endpoint=account.endpoint
    )
    with pytest.raises(Unauthorized):
        ImapPool().run(wrong, lambda conn: None)


def test_capabilities_are_used(account: MailAccount) -> None:
    conn = POOL.run(account, lambda conn: conn)
    assert conn.qresync and conn.condstore
    assert conn.has("SPECIAL-USE") and conn.has("MOVE")


def test_compress_uids() -> None:
    assert compress_uids([7, 1, 2, 3, 9, 10]) == "1:3,7,9:10"


def test_idle_connections_of_ended_sessions_are_logged_out(account: MailAccount) -> None:
    pool = ImapPool()
    conn = pool.run(account, lambda conn: conn)
    assert pool.reap(max_idle=60) == 0
    assert pool.reap(max_idle=0) == 1
    assert account.pool_key not in pool._slots
    with pytest.raises(Exception):  # noqa: B017 - the socket is closed, whatever the error
        conn.client.noop()
