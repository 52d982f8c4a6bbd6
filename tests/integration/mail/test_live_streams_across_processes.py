"""The cap on a user's live mail streams holds across app processes (each stream holds an IMAP
connection, and mail servers cap connections per user), and sign-out in one process ends the
session's streams in the others."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from app.db import make_engine, make_session_factory, utcnow
from app.mail import live_leases
from app.mail.models import MailLiveStream
from app.settings import Settings
from tests.integration.mail.test_session_limits import TOKEN, sign_in
from tests.live import fresh_postgres
from tests.serve_process import served


@pytest.fixture(params=["sqlite", "postgresql"])
def db_settings(request: pytest.FixtureRequest, migrated_settings: Settings) -> Iterator[Settings]:
    if request.param == "sqlite":
        yield migrated_settings
        return
    with fresh_postgres(migrated_settings) as settings:
        yield settings


@pytest.fixture
def sessions(db_settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_settings)
    yield make_session_factory(engine)
    engine.dispose()


def test_leases_count_up_to_the_cap_and_free_on_release(sessions: sessionmaker[Session]) -> None:
    with sessions() as db:
        first = live_leases.admit(db, email="a@x", session="s1", per_user=2)
        second = live_leases.admit(db, email="a@x", session="s2", per_user=2)
        assert first and second and first != second
        assert live_leases.admit(db, email="a@x", session="s1", per_user=2) is None
        assert live_leases.admit(db, email="b@x", session="s3", per_user=2)  # another user
        live_leases.release(db, first)
        assert live_leases.admit(db, email="a@x", session="s1", per_user=2)


def test_a_dead_process_leases_expire(sessions: sessionmaker[Session]) -> None:
    with sessions() as db:
        lease = live_leases.admit(db, email="a@x", session="s1", per_user=1)
        assert lease and live_leases.admit(db, email="a@x", session="s1", per_user=1) is None
        # Its process died: nobody renews it, and it runs out.
        db.execute(update(MailLiveStream).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.commit()
        assert live_leases.admit(db, email="a@x", session="s1", per_user=1)
        assert not live_leases.renew(db, lease)  # its stream would end


def test_sign_out_takes_the_sessions_leases(sessions: sessionmaker[Session]) -> None:
    with sessions() as db:
        mine = live_leases.admit(db, email="a@x", session="s1", per_user=3)
        other = live_leases.admit(db, email="a@x", session="s2", per_user=3)
        assert mine and other and live_leases.renew(db, mine)
        live_leases.end_session(db, "s1")
        assert not live_leases.renew(db, mine)
        assert live_leases.renew(db, other)


def test_admissions_at_once_never_pass_the_cap(sessions: sessionmaker[Session]) -> None:
    def admit(n: int) -> str | None:
        with sessions() as db:
            return live_leases.admit(db, email="a@x", session=f"s{n}", per_user=3)

    with ThreadPoolExecutor(max_workers=8) as pool:
        granted = [lease for lease in pool.map(admit, range(16)) if lease]
    assert len(granted) == 3
    with sessions() as db:
        assert db.query(MailLiveStream).count() == 3


def _stream(http: httpx.Client, stack: ExitStack) -> tuple[int, Iterator[str]]:
    response = stack.enter_context(http.stream("GET", "/mail/-/events?folder=INBOX"))
    lines = response.iter_lines()
    if response.status_code == 200:
        assert next(lines).startswith("retry:")
    return response.status_code, lines


def test_two_processes_share_one_cap_and_one_sign_out(
    migrated_settings: Settings, mailbox: str
) -> None:
    settings = migrated_settings.model_copy(update={"mail_live_streams_per_user": 2})
    with (
        served(settings, workers=1) as (first_url, _first),
        served(settings, workers=1) as (second_url, _second),
        httpx.Client(base_url=first_url, timeout=30) as first,
        ExitStack() as streams,
    ):
        sign_in(first, mailbox)
        # The same browser session reaching the second process (behind one load balancer).
        second = streams.enter_context(
            httpx.Client(base_url=second_url, cookies=first.cookies, timeout=30)
        )
        assert _stream(first, streams)[0] == 200
        status, on_second = _stream(second, streams)
        assert status == 200
        assert _stream(first, streams)[0] == 429  # one on each process: the cap is reached
        assert _stream(second, streams)[0] == 429

        token = TOKEN.search(first.get("/mail/INBOX").text)
        assert token
        assert first.post("/logout", data={"csrf_token": token.group(1)}).status_code == 303
        signed_out = time.monotonic()
        with ThreadPoolExecutor(max_workers=1) as reader:
            rest = reader.submit(list, on_second)  # the second process ends its stream
            rest.result(timeout=30)
        ended_after = time.monotonic() - signed_out
    # It notices when it renews its lease, at the latest after one keep-alive wait (10 s).
    assert ended_after < 15, f"the other process's stream stayed open {ended_after:.1f} s"
