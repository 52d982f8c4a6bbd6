"""`hamkar serve` as an operator runs it: it serves, and a stop (SIGTERM, as systemd sends)
ends open live mail streams at once instead of waiting for them or cancelling them mid-write."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from app.settings import Settings
from tests.conftest import free_port
from tests.integration.mail.conftest import deliver, make_message
from tests.integration.mail.test_session_limits import sign_in

HAMKAR = shutil.which("hamkar") or str(Path(sys.executable).parent / "hamkar")


def _env(settings: Settings, base_url: str) -> dict[str, str]:
    """The settings as the environment variables an operator would set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAMKAR_")}
    values = settings.model_copy(update={"base_url": base_url}).model_dump()
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        env[f"HAMKAR_{name.upper()}"] = str(value)
    return env


@contextmanager
def served(settings: Settings, *, workers: int) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """A `hamkar serve` process on a free port; killed if the test leaves it running."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    args = [HAMKAR, "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        [*args, "--workers", str(workers)],
        env=_env(settings, base_url),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: a kill reaches the workers too
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.communicate(timeout=10)[0] if process.poll() is not None else ""
                pytest.fail(f"`hamkar serve` did not start:\n{output}")
            time.sleep(0.2)
        yield base_url, process
    finally:
        kill(process)
        process.communicate(timeout=30)


def kill(process: subprocess.Popen[str]) -> None:
    """Kill the server and its workers, if any are left."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


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
