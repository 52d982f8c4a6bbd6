"""One syncer per owner and folder: two app processes never do the same sync twice.

The lease lives in the database, so the test runs two real OS processes against one SQLite
file and one PostgreSQL database, both syncing a folder of 1,500 messages for the first time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import make_engine, make_session_factory
from app.mail import lease
from app.mail.models import MailEnvelope, MailSyncLease
from app.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.integration.mail.conftest import make_message, other_client
from tests.live import fresh_postgres

ROOT = Path(__file__).resolve().parents[3]
COUNT = 1500


def _seed(settings: Settings, address: str, count: int, folder: str = "INBOX") -> None:
    client = other_client(settings, address)
    for first in range(0, count, 500):
        batch = [
            make_message(to=address, subject=f"bulk {n}", message_id=f"<bulk-{n}@example.org>")
            for n in range(first, min(count, first + 500))
        ]
        client.multiappend(folder, batch)
    client.logout()


def _two_processes(settings: Settings, address: str) -> list[dict[str, object]]:
    args = [settings.model_dump_json(), address, TEST_PASSWORD, "INBOX"]
    command = [sys.executable, "-m", "tests.integration.mail.sync_worker", *args]
    workers = [
        subprocess.Popen(
            command,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for worker in workers:  # both up and logged in ...
        assert worker.stdout is not None
        assert worker.stdout.readline() == b"ready\n", worker.communicate(timeout=60)
    for worker in workers:  # ... then off together
        assert worker.stdin is not None
        worker.stdin.write(b"go\n")
        worker.stdin.flush()
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err.decode()
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    return results


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_processes_syncing_one_folder_do_the_work_once(
    backend: str, migrated_settings: Settings, mailbox: str
) -> None:
    _seed(migrated_settings, mailbox, COUNT)
    if backend == "sqlite":
        results = _two_processes(migrated_settings, mailbox)
        _check(migrated_settings, results)
    else:
        with fresh_postgres(migrated_settings) as settings:
            results = _two_processes(settings, mailbox)
            _check(settings, results)


def _check(settings: Settings, results: list[dict[str, object]]) -> None:
    # Exactly one process fetched the envelopes; the other waited for it and then saw the
    # complete cache (without the lease both insert and one dies on the unique index).
    assert sorted(bool(r["synced"]) for r in results) == [False, True], results
    assert all(r["complete"] and r["cached"] == COUNT for r in results)
    engine = make_engine(settings)
    with Session(engine) as db:
        total = db.scalar(select(func.count()).select_from(MailEnvelope))
        distinct = db.scalar(select(func.count(func.distinct(MailEnvelope.uid))))
        assert total == distinct == COUNT
        assert db.scalar(select(func.count()).select_from(MailSyncLease)) == 0  # released
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_lease_is_exclusive_between_threads_and_taken_over_when_expired(
    backend: str, migrated_settings: Settings
) -> None:
    if backend == "sqlite":
        _contend(migrated_settings)
    else:
        with fresh_postgres(migrated_settings) as settings:
            _contend(settings)


def _contend(settings: Settings) -> None:
    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    winners: list[str] = []
    barrier = threading.Barrier(8)

    def contender(name: str) -> None:
        with sessions() as db:
            barrier.wait()
            if lease.acquire(db, owner="a@example.com", folder="INBOX", holder=name):
                winners.append(name)

    threads = [threading.Thread(target=contender, args=(f"h{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    with sessions() as db:
        # Another folder or owner is free; the same one is not, until the lease expires.
        assert lease.acquire(db, owner="a@example.com", folder="Sent", holder="x")
        assert not lease.acquire(db, owner="a@example.com", folder="INBOX", holder="late")
        assert lease.renew(db, holder=winners[0], seconds=-1)  # as if its holder had crashed
        assert lease.acquire(db, owner="a@example.com", folder="INBOX", holder="late")
        assert not lease.renew(db, holder=winners[0])  # the old holder learns it lost it
        lease.release(db, holder="late")
        assert lease.current(db, owner="a@example.com", folder="INBOX") is None
    engine.dispose()
