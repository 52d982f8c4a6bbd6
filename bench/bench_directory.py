"""Directory figures: address list search over many accounts, and managed-mode sign-in cost.

Run: .venv/bin/python bench/bench_directory.py [ACCOUNTS]   (root; starts its own mail stack
on ports 10143+HAMKAR_BENCH_PORT_OFFSET.., default offset 3900, and removes it afterwards).
Prints the median and 95th percentile of each measured operation.
"""

from __future__ import annotations

import os
import shutil
import ssl
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from imapclient import IMAPClient

from app.contacts.directory_book import (
    card_name,
    directory_card,
    directory_cards,
    directory_ctag,
)
from app.db import make_engine, make_session_factory
from app.directory import service
from app.directory.address_list import search_address_list
from app.directory.passwords import hash_password, verify_password
from app.mailstack import MailStack
from app.migrate import upgrade
from app.settings import Settings

OFFSET = int(os.environ.get("HAMKAR_BENCH_PORT_OFFSET", "3900"))
PASSWORD = "Bench-pass-123"


def timed(label: str, runs: int, action: Callable[[], object]) -> None:
    """Run ``action`` ``runs`` times and print median and p95 in milliseconds, and the median
    CPU time of this process (steadier than wall time on a loaded machine)."""
    samples, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    print(
        f"{label:<58} median {statistics.median(samples):8.2f} ms   p95 {p95:8.2f} ms"
        f"   cpu {statistics.median(cpu):8.2f} ms"
    )


def main(count: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="hamkar-bench-dir-", dir="/tmp"))
    root.chmod(0o755)
    settings = Settings(
        data_dir=root / "app",
        mailstack_dir=root / "stack",
        imap_port=10143 + OFFSET,
        smtp_port=10587 + OFFSET,
        mailstack_imaps_port=10993 + OFFSET,
        mailstack_lmtp_port=10024 + OFFSET,
        mailstack_sieve_port=14190 + OFFSET,
        mailstack_smtp_in_port=10025 + OFFSET,
        mailstack_submissions_port=10465 + OFFSET,
        tls_ca_file=root / "stack" / "tls" / "cert.pem",
    )
    upgrade(settings)
    engine = make_engine(settings)
    stack = MailStack(settings)
    try:
        with make_session_factory(engine)() as db:
            org = service.create_organization(db, name="Bench", slug="bench", domains=[])
            service.add_domain(db, organization=org, name="bench.test", role_mailboxes=True)
            service.create_account(
                db, email="managed@bench.test", organization_id=org.id, password=PASSWORD
            )
            for i in range(count):
                service.create_account(
                    db,
                    email=f"user{i}@bench.test",
                    organization_id=org.id,
                    display_name=f"Person {i}",
                    department=f"Dept {i % 40}",
                )
            db.commit()
            print(f"{count} accounts in one organization (SQLite)")
            timed(
                "search_address_list('person 12', limit 20)",
                200,
                lambda: search_address_list(
                    db, organization_id=org.id, query="person 12", limit=20
                ),
            )
            timed(
                "search_address_list('dept 7', limit 50)",
                200,
                lambda: search_address_list(db, organization_id=org.id, query="dept 7", limit=50),
            )
            # The read-only CardDAV directory/ book: every entry of the address list as vCards.
            timed(
                f"CardDAV directory book: directory_cards ({count + 5} cards)",
                10,
                lambda: directory_cards(db, email="managed@bench.test"),
            )
            # One card GET and the ctag: one entry and two aggregates, not the whole book.
            one = card_name(f"user{count // 2}@bench.test")
            timed(
                "CardDAV directory book: one card (directory_card)",
                200,
                lambda: directory_card(db, email="managed@bench.test", name=one),
            )
            timed(
                "CardDAV directory book: ctag (directory_ctag)",
                200,
                lambda: directory_ctag(db, email="managed@bench.test"),
            )
        stored = hash_password(PASSWORD)
        timed(
            "ARGON2ID hash (argon2-cffi, m=19 MiB, t=2, p=1)", 20, lambda: hash_password(PASSWORD)
        )
        timed("ARGON2ID verify", 20, lambda: verify_password(stored, PASSWORD))

        stack.start()
        stack.add_user("file@bench.test", PASSWORD)
        context = ssl.create_default_context(cafile=str(stack.cert_file))

        def login(user: str) -> None:
            client = IMAPClient("127.0.0.1", settings.imap_port, ssl=False, timeout=10)
            client.starttls(context)
            client.login(user, PASSWORD)
            client.logout()

        login("managed@bench.test")
        timed(
            "IMAP STARTTLS+LOGIN+LOGOUT, managed (SQL view, ARGON2ID)",
            30,
            lambda: login("managed@bench.test"),
        )
        timed(
            "IMAP STARTTLS+LOGIN+LOGOUT, passwd-file (SHA512-CRYPT)",
            30,
            lambda: login("file@bench.test"),
        )
    finally:
        engine.dispose()
        stack.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
