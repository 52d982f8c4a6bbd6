"""`hamkar serve` as an operator runs it: it serves, and a stop (SIGTERM, as systemd sends)
ends open live mail streams at once instead of waiting for them or cancelling them mid-write."""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout

import httpx
import pytest

from app.settings import Settings
from tests.integration.mail.conftest import deliver, make_message
from tests.integration.mail.test_session_limits import sign_in
from tests.serve_process import kill, served


@pytest.mark.parametrize("workers", [1, 2])
def test_a_stop_ends_open_live_streams_at_once(
    migrated_settings: Settings, mailbox: str, workers: int
) -> None:
    deliver(migrated_settings, mailbox, make_message(to=mailbox, subject="waiting"))
    with served(migrated_settings, workers=workers) as (base_url, process):
        with httpx.Client(base_url=base_url, timeout=30) as http:
            sign_in(http, mailbox)
            assert http.get("/mail/INBOX").status_code == 200
            with http.stream("GET", "/mail/-/events?folder=INBOX") as stream:
                assert stream.status_code == 200
                lines = stream.iter_lines()
                assert next(lines).startswith("retry:")
                assert next(lines) == "event: unread"
                stopped = time.monotonic()
                process.send_signal(signal.SIGTERM)
                with ThreadPoolExecutor(max_workers=1) as reader:
                    rest = reader.submit(list, lines)  # ends when the server ends the stream
                    try:
                        rest.result(timeout=10)
                    except FuturesTimeout:
                        kill(process)  # which ends the stream, so the reader can finish
                        pytest.fail("the live stream was still open 10 s after SIGTERM")
            ended_after = time.monotonic() - stopped
        output = process.communicate(timeout=30)[0]
    assert ended_after < 3, f"the stream stayed open {ended_after:.1f} s after SIGTERM"
    # uvicorn re-raises the signal once it has shut down cleanly, as service managers expect
    assert process.returncode in (0, -signal.SIGTERM), output
    assert "timeout graceful shutdown exceeded" not in output, output
    assert "Traceback" not in output, output
    assert all(not line.startswith("event: changed") for line in rest.result())
