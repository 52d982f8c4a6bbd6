"""Shared fixtures: the real loopback mail stack, databases, the app and its settings.

Everything here is real: Dovecot and Postfix are started by the project's own script, SQLite
and PostgreSQL are real databases. A missing dependency fails the run with install advice.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from app.mailstack import MailStack
from app.settings import Settings

# The suite's own mail stack listens on the standard ports + 1000, next to a dev stack; set
# HAMKAR_TEST_PORT_OFFSET to run two suites side by side (each uses offset .. offset + 999).
PORT_OFFSET = int(os.environ.get("HAMKAR_TEST_PORT_OFFSET", "1000"))
TEST_PASSWORD = "test-Passw0rd!"
PG_ADMIN_URL = os.environ.get(
    "HAMKAR_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
USERS = ("alice@example.com", "bob@example.com", "carol@example.org", "info@example.com")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: fast feedback first, and Playwright's event loop stays apart."""
    items.sort(key=lambda item: "/e2e/" in str(item.path))


@dataclass(frozen=True)
class MailStackInfo:
    """The running test mail stack."""

    directory: Path
    stack: MailStack
    settings: Settings


def base_settings(data_dir: Path, stack_dir: Path, **overrides: object) -> Settings:
    """Settings for tests: every value explicit, so the caller's environment cannot leak in."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": None,
        "secret_key": "test-secret-key-0123456789abcdef",
        "base_url": "http://testserver",
        "imap_host": "127.0.0.1",
        "imap_port": 10143 + PORT_OFFSET,
        "imap_tls": "starttls",
        "smtp_host": "127.0.0.1",
        "smtp_port": 10587 + PORT_OFFSET,
        "smtp_tls": "starttls",
        "tls_ca_file": stack_dir / "tls" / "cert.pem",
        "mailstack_dir": stack_dir,
        "mailstack_imaps_port": 10993 + PORT_OFFSET,
        "mailstack_lmtp_port": 10024 + PORT_OFFSET,
        "mailstack_sieve_port": 14190 + PORT_OFFSET,
        "mailstack_smtp_in_port": 10025 + PORT_OFFSET,
        "mailstack_submissions_port": 10465 + PORT_OFFSET,
        "demo_password": TEST_PASSWORD,
        "login_max_failures_account": 5,
        "login_max_failures_ip": 20,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def mailstack() -> Iterator[MailStackInfo]:
    """The project's Dovecot + Postfix, started once for the whole run, with test users."""
    for binary in ("dovecot", "postfix"):
        if shutil.which(binary) is None and os.geteuid() != 0:
            pytest.fail(
                f"{binary} is missing. Install the mail stack as root: "
                "`hamkar mailstack install-deps` (or `make deps`).",
                pytrace=False,
            )
    directory = Path(tempfile.mkdtemp(prefix="hamkar-test-ms-", dir="/tmp"))
    directory.chmod(0o755)
    settings = base_settings(directory / "app", directory / "stack")
    # managed mode: the stack reads accounts from this database's views, next to USERS below
    from app.migrate import upgrade

    upgrade(settings)
    stack = MailStack(settings)
    stack.start()
    try:
        for user in USERS:
            stack.add_user(user, TEST_PASSWORD)
        yield MailStackInfo(directory=directory, stack=stack, settings=settings)
    finally:
        stack.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A fresh, world-traversable data directory for one test."""
    path = Path(tempfile.mkdtemp(prefix="hamkar-test-data-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def settings(mailstack: MailStackInfo, data_dir: Path) -> Settings:
    """Settings pointing at the test mail stack and a fresh SQLite database."""
    return base_settings(data_dir, mailstack.settings.effective_mailstack_dir)


@pytest.fixture
def migrated_settings(settings: Settings) -> Settings:
    """Settings whose database has every migration applied."""
    from app.migrate import upgrade

    upgrade(settings)
    return settings


@pytest.fixture
def client(migrated_settings: Settings) -> Iterator[TestClient]:
    """An in-process HTTP client for the real app (the real entry point, not a mock)."""
    from app.main import create_app

    with TestClient(create_app(migrated_settings), base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, dropped at the end."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"hamkar_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({exc}). Install and start "
            "it: `apt-get install postgresql && pg_ctlcluster 15 main start`, or set "
            "HAMKAR_TEST_PG_ADMIN_URL.",
            pytrace=False,
        )
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the real `hamkar` console script."""
    hamkar = shutil.which("hamkar") or str(
        Path(__file__).resolve().parent.parent / ".venv" / "bin" / "hamkar"
    )
    return subprocess.run(
        [hamkar, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
