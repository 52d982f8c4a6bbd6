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
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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
    mailboxes: MailboxPool


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
    migrated_sqlite(settings.data_dir / "hamkar.db")
    stack = SerialMailStack(settings)
    stack.start()
    mailboxes = MailboxPool(stack)
    try:
        for user in USERS:
            stack.add_user(user, TEST_PASSWORD)
        yield MailStackInfo(
            directory=directory, stack=stack, settings=settings, mailboxes=mailboxes
        )
    finally:
        mailboxes.close()
        stack.stop()
        shutil.rmtree(directory, ignore_errors=True)


class SerialMailStack(MailStack):
    """The session's stack, shared with the mailbox pool's thread: one `adduser` at a time
    (the script rewrites the users file whole)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._lock = threading.Lock()

    def add_user(self, email: str, password: str, *, quota: str | None = None) -> None:
        """Add or update a mailbox, after any other `add_user` in progress."""
        with self._lock:
            super().add_user(email, password, quota=quota)


class MailboxPool:
    """Brand-new, empty mailboxes on the session's stack, one made ahead of need.

    `adduser` takes about a second (Dovecot notices a changed users file about once per
    second): the next test's mailbox is made in a thread while this test runs.
    """

    def __init__(self, stack: MailStack) -> None:
        self._stack = stack
        self._next: Future[str] | None = None
        self._maker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mailbox-pool")

    def _make(self) -> str:
        address = f"u{uuid.uuid4().hex[:10]}@example.com"
        self._stack.add_user(address, TEST_PASSWORD)
        return address

    def take(self) -> str:
        """A mailbox nobody has used, with the password TEST_PASSWORD."""
        made = self._next or self._maker.submit(self._make)
        self._next = None
        address = made.result()
        self._next = self._maker.submit(self._make)
        return address

    def close(self) -> None:
        """Wait for the mailbox being made, so the stack can stop."""
        self._maker.shutdown(wait=True)


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
    migrated_sqlite(settings.data_dir / "hamkar.db")
    return settings


_TEMPLATES: list[Path] = []  # this process's directory of migrated template databases


def migrated_sqlite(path: Path) -> None:
    """Put a SQLite database with every migration applied at ``path``.

    The migrations run once per test process, into a template file; each test gets a byte copy
    of it: the same database `upgrade` leaves, in milliseconds instead of about 2 s.
    """
    if not _TEMPLATES:
        _TEMPLATES.append(Path(tempfile.mkdtemp(prefix="hamkar-test-templates-", dir="/tmp")))
    template = _TEMPLATES[0] / "migrated.db"
    if not template.exists():
        from app.migrate import upgrade

        building = _TEMPLATES[0] / "building"
        upgrade(base_settings(building, building / "no-stack"))
        leftovers = sorted(p.name for p in building.iterdir() if p.name != "hamkar.db")
        assert not leftovers, f"the migrated template kept {leftovers} (WAL not checkpointed?)"
        (building / "hamkar.db").rename(template)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, path)


def pytest_sessionfinish() -> None:
    """Remove the template databases (PostgreSQL's: tests/live.py)."""
    for directory in _TEMPLATES:
        shutil.rmtree(directory, ignore_errors=True)
    from tests.live import drop_postgres_databases

    drop_postgres_databases()


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
