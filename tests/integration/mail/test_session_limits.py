"""What one signed-in session may hold on the mail server: its IMAP connections end at
sign-out (Dovecot sees them go), and live-update streams are capped per user."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from app.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.integration.mail.conftest import deliver, make_message
from tests.live import serve

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def imap_sessions(settings: Settings, address: str) -> int:
    """How many IMAP sessions Dovecot has open for ``address`` (``doveadm who``)."""
    conf = str(settings.mailstack_dir / "dovecot.conf")
    shown = subprocess.run(
        ["doveadm", "-c", conf, "who", "-1", address],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    return sum(1 for line in shown.splitlines() if line.split()[:1] == [address] and "imap" in line)


def sign_in(http: httpx.Client, address: str) -> None:
    token = TOKEN.search(http.get("/login").text)
    assert token
    answer = http.post(
        "/login", data={"email": address, "password": TEST_PASSWORD, "csrf_token": token.group(1)}
    )
    assert answer.status_code == 303


def open_streams(address: str) -> int:
    """The streams the server (running in this process) has admitted for ``address``."""
    from app.mail.live import STREAMS

    return sum(1 for stream in STREAMS._open if stream.email == address)


@pytest.fixture
def live(migrated_settings: Settings) -> Iterator[tuple[str, Settings]]:
    settings = migrated_settings.model_copy(update={"mail_live_streams_per_user": 2})
    with serve(settings) as base_url:
        yield base_url, settings


def wait_for(check: object, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def test_sign_out_closes_the_sessions_imap_connections(
    live: tuple[str, Settings], mailbox: str
) -> None:
    base_url, settings = live
    deliver(settings, mailbox, make_message(to=mailbox, subject="hello"))
    with httpx.Client(base_url=base_url, timeout=30) as http:
        sign_in(http, mailbox)
        assert http.get("/mail/INBOX").status_code == 200
        assert http.get("/mail/search", params={"q": "hello"}).status_code == 200
        assert imap_sessions(settings, mailbox) >= 1  # pooled, kept for the next page
        page = http.get("/mail/INBOX")
        token = TOKEN.search(page.text)
        assert token
        out = http.post("/logout", data={"csrf_token": token.group(1)})
        assert out.status_code == 303
    assert wait_for(lambda: imap_sessions(settings, mailbox) == 0, timeout=10)


def test_live_streams_are_capped_per_user(live: tuple[str, Settings], mailbox: str) -> None:
    base_url, _settings = live
    with httpx.Client(base_url=base_url, timeout=15) as http, ExitStack() as streams:
        sign_in(http, mailbox)
        readers = []  # kept: a dropped line iterator closes its connection (httpcore)
        for _ in range(2):  # the cap in these settings
            stream = streams.enter_context(http.stream("GET", "/mail/-/events?folder=INBOX"))
            assert stream.status_code == 200
            readers.append(stream.iter_lines())
            assert next(readers[-1]).startswith("retry:")
        with http.stream("GET", "/mail/-/events?folder=INBOX") as refused:
            assert refused.status_code == 429, f"streams open: {open_streams(mailbox)}"
            assert refused.headers["Retry-After"] == "60"
            assert "Too many live mail views are open" in refused.read().decode()
        # Another user is not affected by this user's streams.
        with httpx.Client(base_url=base_url, timeout=30) as other:
            sign_in(other, "alice@example.com")
            with other.stream("GET", "/mail/-/events?folder=INBOX") as theirs:
                assert theirs.status_code == 200
        streams.close()  # the tabs are closed: the server notices and frees the places

        def admitted() -> bool:
            with http.stream("GET", "/mail/-/events?folder=INBOX") as again:
                return again.status_code == 200

        assert wait_for(admitted, timeout=40)
        # Closed tabs also gave their IMAP connections back: after sign-out none is left.
        token = TOKEN.search(http.get("/mail/INBOX").text)
        assert token
        assert http.post("/logout", data={"csrf_token": token.group(1)}).status_code == 303
    assert wait_for(lambda: imap_sessions(_settings, mailbox) == 0, timeout=20)


def test_sign_out_ends_the_sessions_live_stream_at_once(
    live: tuple[str, Settings], mailbox: str
) -> None:
    base_url, settings = live
    with httpx.Client(base_url=base_url, timeout=30) as http:
        sign_in(http, mailbox)
        page = http.get("/mail/INBOX")
        token = TOKEN.search(page.text)
        assert token
        with http.stream("GET", "/mail/-/events?folder=INBOX") as stream:
            lines = stream.iter_lines()
            assert next(lines).startswith("retry:")
            with httpx.Client(base_url=base_url, cookies=http.cookies, timeout=30) as tab:
                assert tab.post("/logout", data={"csrf_token": token.group(1)}).status_code == 303
            signed_out = time.monotonic()
            rest = list(lines)  # the server ends the stream, not its 10 s keep-alive wait
        ended_after = time.monotonic() - signed_out
    assert ended_after < 3, f"the stream stayed open {ended_after:.1f} s after sign-out"
    assert all(not line.startswith("event: changed") for line in rest)
    assert open_streams(mailbox) == 0
    assert wait_for(lambda: imap_sessions(settings, mailbox) == 0, timeout=10)
