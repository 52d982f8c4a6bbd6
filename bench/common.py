"""What every benchmark needs: its own mail stack, a migrated database and a live server."""

from __future__ import annotations

import shutil
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from app.mailstack import MailStack
from app.settings import Settings

BENCH_PASSWORD = "bench-Passw0rd!"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class BenchEnvironment:
    """A private mail stack and data directory for one benchmark run."""

    settings: Settings
    stack: MailStack


@contextmanager
def bench_environment(port_offset: int, users: tuple[str, ...]) -> Iterator[BenchEnvironment]:
    """Start a mail stack on the standard ports + ``port_offset`` with ``users``; clean up after."""
    root = Path(tempfile.mkdtemp(prefix="hamkar-bench-", dir="/tmp"))
    root.chmod(0o755)
    stack_dir = root / "stack"
    settings = Settings(
        data_dir=root / "app",
        mailstack_dir=stack_dir,
        secret_key="bench-secret-0123456789",
        imap_port=10143 + port_offset,
        smtp_port=10587 + port_offset,
        mailstack_imaps_port=10993 + port_offset,
        mailstack_lmtp_port=10024 + port_offset,
        mailstack_sieve_port=14190 + port_offset,
        mailstack_smtp_in_port=10025 + port_offset,
        mailstack_submissions_port=10465 + port_offset,
        tls_ca_file=stack_dir / "tls" / "cert.pem",
        login_max_failures_account=10**6,
        login_max_failures_ip=10**6,
    )
    stack = MailStack(settings)
    stack.start()
    try:
        for user in users:
            stack.add_user(user, BENCH_PASSWORD)
        yield BenchEnvironment(settings=settings, stack=stack)
    finally:
        stack.stop()
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def live_server(settings: Settings) -> Iterator[str]:
    """Serve the real app with uvicorn on a free port; yields its base URL."""
    from app.main import create_app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def timed(action: Callable[[], object], rounds: int) -> list[float]:
    """Wall-clock milliseconds of each of ``rounds`` calls."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def report(name: str, samples: list[float]) -> None:
    """Print median, p95 and min of a list of milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    print(
        f"{name:<44} median {statistics.median(ordered):8.2f} ms   p95 {p95:8.2f} ms   "
        f"min {ordered[0]:8.2f} ms   n={len(ordered)}"
    )
