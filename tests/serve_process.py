"""`hamkar serve` run as an operator runs it: a real process (or several) on free ports."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from app.settings import Settings
from tests.conftest import free_port

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
