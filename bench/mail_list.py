"""Benchmark: Hamkar's message list against a plain IMAP client, side by side, on one INBOX.

Starts its own mail stack on free ports, creates a fresh user, seeds the INBOX by IMAP
MULTIAPPEND, then prints figures (medians of repeated runs, milliseconds unless stated):

    PYTHONPATH=. .venv/bin/python bench/mail_list.py --messages 50000 --rounds 3

Seeding 50,000 messages takes minutes: ``--keep DIR`` keeps the mail stack's directory (and the
seeded mailbox in it) in DIR, and a later run with the same ``--keep DIR`` reuses the mailbox
instead of seeding again (Hamkar's database starts empty every run, so the first full sync is
measured each time; the server's full-text index is already built on a reused mailbox).

Nothing here is mocked: Dovecot with fts-xapian, SQLite for the cache, the real service code.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import socket
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.auth.imap_login import ImapEndpoint
from app.db import make_engine, make_session_factory
from app.mail import reader, service
from app.mail.imap import POOL, ImapConnection, MailAccount
from app.mailstack import MailStack
from app.migrate import upgrade
from app.settings import Settings

PASSWORD = "bench-Passw0rd!"
WORDS = [
    *("report", "budget", "meeting", "plan", "invoice", "travel", "project", "review"),
    *("قرارداد", "گزارش", "جلسه", "بودجه", "سفر", "پروژه", "team", "weekly", "notes"),
    *("launch", "design", "hiring", "offer"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_settings(root: Path) -> Settings:
    stack = root / "stack"
    return Settings(
        data_dir=root / "app",
        secret_key="bench-secret-key-0123456789abcdef",  # type: ignore[arg-type]
        imap_host="127.0.0.1",
        imap_port=free_port(),
        imap_timeout=300.0,
        smtp_port=free_port(),
        tls_ca_file=stack / "tls" / "cert.pem",
        mailstack_dir=stack,
        mailstack_imaps_port=free_port(),
        mailstack_lmtp_port=free_port(),
        mailstack_sieve_port=free_port(),
        mailstack_smtp_in_port=free_port(),
        mailstack_submissions_port=free_port(),
    )


def message(n: int, to: str, rng: random.Random) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Person {n % 997} <person{n % 997}@example.org>"
    msg["To"] = to
    msg["Subject"] = " ".join(rng.choice(WORDS) for _ in range(5)) + f" #{n}"
    msg["Message-ID"] = f"<bench-{n}@example.org>"
    msg.set_content(" ".join(rng.choice(WORDS) for _ in range(60)) + f" token{n}")
    return msg.as_bytes()


def seed(settings: Settings, address: str, count: int) -> float:
    client = ImapEndpoint.from_settings(settings).connect()
    client.login(address, PASSWORD)
    rng = random.Random(7)
    start = time.perf_counter()
    for first in range(0, count, 500):
        batch = [message(n, address, rng) for n in range(first, min(count, first + 500))]
        client.multiappend("INBOX", batch)
    client.logout()
    return time.perf_counter() - start


def timed(fn: Callable[[], Any], repeat: int = 1) -> float:
    """Median wall time of ``fn`` in milliseconds."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3, help="side-by-side rounds")
    parser.add_argument(
        "--keep", type=Path, help="keep the seeded mailbox in this directory; reuse it if there"
    )
    args = parser.parse_args()
    if args.keep:
        root = args.keep.resolve()
        root.mkdir(parents=True, exist_ok=True)
    else:
        root = Path(tempfile.mkdtemp(prefix="hamkar-bench-", dir="/tmp"))
    root.chmod(0o755)
    settings = make_settings(root)
    shutil.rmtree(settings.data_dir, ignore_errors=True)  # the cache starts empty every run
    stack = MailStack(settings)
    stack.start()
    try:
        address = seeded_mailbox(settings, stack, root if args.keep else None, args.messages)
        run(settings, address, args.rounds)
    finally:
        POOL.close_all()
        stack.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def seeded_mailbox(settings: Settings, stack: MailStack, keep: Path | None, count: int) -> str:
    """The address of a user whose INBOX was seeded with ``count`` messages: the one kept in
    ``keep`` when it has that many, else a new user, seeded now."""
    record = keep / "bench-mailbox.json" if keep else None
    if record is not None and record.exists():
        kept = json.loads(record.read_text())
        if kept["messages"] == count:
            print(f"reusing {kept['address']} with {kept['messages']} seeded messages")
            return str(kept["address"])
    address = f"bench{uuid.uuid4().hex[:6]}@example.com"
    stack.add_user(address, PASSWORD)
    print(f"seeding {count} messages by MULTIAPPEND: {seed(settings, address, count):.1f} s")
    if record is not None:
        record.write_text(json.dumps({"address": address, "messages": count}))
    return address


def first_sync(db: Session, account: MailAccount, count: int) -> None:
    """Open the never-synced folder: the newest page comes at once, the rest in the background."""
    start = time.perf_counter()
    listing = service.open_folder(db, account=account, folder="INBOX")
    db.commit()
    shown = (time.perf_counter() - start) * 1000
    progress = [listing.syncing.done if listing.syncing else count]
    while (found := service.sync_progress(db, account=account, folder="INBOX")) is not None:
        progress.append(found.done)
        time.sleep(0.5)
    done = time.perf_counter() - start
    print(f"first open of the never-synced folder: newest page shown after {shown:.0f} ms")
    print(
        f"first full sync into the cache (background, progress polled): {done:.1f} s;"
        f" progress seen: {progress[0]} -> {progress[len(progress) // 2]} -> {progress[-1]}"
        f" of {count}"
    )
    state = service.refresh_folder(db, account=account, folder="INBOX")
    db.commit()
    assert state.complete, "the background sync did not finish"


def side_by_side(
    db: Session,
    account: MailAccount,
    raw: Any,
    newest: list[int],
    items: list[str],
    round_no: int,
) -> None:
    """The raw FETCH and Hamkar's folder open alternate, so both see the same machine load
    (the machine is shared)."""
    cases: list[tuple[str, dict[str, Any]]] = [
        ("first page of 50 (warm, freshness checked)", {}),
        ("filter unread, first page", {"filters": ("unread",)}),
    ]
    for label, kwargs in cases:
        raw_runs, open_runs = [], []
        for _ in range(21):
            raw_runs.append(timed(lambda: raw.fetch(newest, items)))
            open_runs.append(
                timed(
                    lambda kw=kwargs: service.open_folder(  # type: ignore[misc]
                        db, account=account, folder="INBOX", **kw
                    )
                )
            )
        raw_50, open_ms = statistics.median(raw_runs), statistics.median(open_runs)
        print(
            f"round {round_no}: open folder, {label}: {open_ms:.1f} ms"
            f" vs raw FETCH of the newest 50 in the same loop: {raw_50:.1f} ms"
            f" ({raw_50 / open_ms:.1f}x faster)"
        )


def run(settings: Settings, address: str, rounds: int) -> None:
    upgrade(settings)
    db = make_session_factory(make_engine(settings))()
    account = MailAccount(
        key="bench", email=address, password=PASSWORD, endpoint=ImapEndpoint.from_settings(settings)
    )
    raw = ImapEndpoint.from_settings(settings).connect()
    raw.login(address, PASSWORD)
    raw.select_folder("INBOX")
    uids = sorted(raw.search("ALL"))
    count = len(uids)  # a reused mailbox also holds the new messages of earlier runs
    newest = uids[-50:]
    items = ["ENVELOPE", "FLAGS", "RFC822.SIZE"]
    print("\n-- a plain IMAP client (imapclient) --")
    raw_50 = timed(lambda: raw.fetch(newest, items), repeat=11)
    print(f"raw FETCH newest 50 envelopes (warm): {raw_50:.1f} ms")
    # imapclient's fetch() cannot take "1:*" (and 50,000 single UIDs are too long a command),
    # so the full fetch goes through the same imapclient parser via our range workaround.
    whole = ImapConnection(account)
    whole.select("INBOX", readonly=True)
    full = timed(lambda: whole.fetch_range("1:*", items))
    whole.close()
    print(f"raw FETCH all {count} envelopes (imapclient parser): {full / 1000:.1f} s")
    # Building the full-text index of a big folder can take minutes on a loaded machine.
    raw.socket().settimeout(3600)
    build = timed(lambda: raw.search(["TEXT", "token4241"]))
    raw.socket().settimeout(settings.imap_timeout)
    print(f"raw SEARCH TEXT, first (the server builds its index): {build / 1000:.1f} s")
    search_ms = timed(lambda: raw.search(["TEXT", "token4242"]), 3)
    print(f"raw SEARCH TEXT (indexed): {search_ms:.1f} ms")

    print("\n-- Hamkar --")
    first_sync(db, account, count)
    for round_no in range(1, rounds + 1):
        side_by_side(db, account, raw, newest, items, round_no)
    last_page = max(1, count // 50)
    for label, kwargs in (
        ("page 2", {"page": 2}),
        (f"page {last_page // 2}", {"page": last_page // 2}),
        (f"last page ({last_page})", {"page": last_page}),
        ("sort by sender", {"sort": "sender"}),
        ("sort by subject", {"sort": "subject"}),
        ("sort by size, ascending", {"sort": "size", "descending": False}),
        ("filter unread", {"filters": ("unread",)}),
    ):
        ms = timed(
            lambda kw=kwargs: service.open_folder(  # type: ignore[misc]
                db, account=account, folder="INBOX", **kw
            ),
            repeat=11,
        )
        print(f"open folder, {label}: {ms:.1f} ms")
    unopened = [
        timed(lambda u=u: reader.open_message(db, account=account, folder="INBOX", uid=u))  # type: ignore[misc]
        for u in uids[-20:-9]
    ]
    print(
        "open a message not opened before (fetched, marked read; median of 11):"
        f" {statistics.median(unopened):.1f} ms"
    )
    uid = uids[-3]
    reader.open_message(db, account=account, folder="INBOX", uid=uid)
    seen = timed(lambda: reader.open_message(db, account=account, folder="INBOX", uid=uid), 21)
    print(f"open a message seen before: {seen:.1f} ms")
    rng = random.Random(99)
    incremental_runs = []
    for attempt in range(3):
        first_new = count + 10 * attempt
        raw.multiappend("INBOX", [message(first_new + n, address, rng) for n in range(10)])
        incremental_runs.append(
            timed(
                lambda: (service.refresh_folder(db, account=account, folder="INBOX"), db.commit())
            )
        )
    incremental = statistics.median(incremental_runs)
    print(f"incremental sync after 10 new messages (median of 3): {incremental:.1f} ms")
    header = timed(lambda: service.quick_search(db, account=account, query="person42"), repeat=11)
    print(f"header search (cache, 'person42'): {header:.1f} ms")
    persian = timed(lambda: service.quick_search(db, account=account, query="گزارش"), repeat=11)
    print(f"header search (cache, Persian word): {persian:.1f} ms")
    nothing = timed(lambda: service.quick_search(db, account=account, query="zqxjvw"), repeat=11)
    print(f"quick search, word matching nothing: {nothing:.1f} ms")
    common = timed(lambda: service.quick_search(db, account=account, query="report"), repeat=11)
    print(f"quick search, word in a fifth of the messages ('report'): {common:.1f} ms")
    body = timed(
        lambda: service.body_search(db, account=account, folder="INBOX", query="token4243"), 5
    )
    print(f"body search via the server's full-text index: {body:.1f} ms")
    before = rss_mb()
    for page_no in range(1, last_page + 2):
        service.open_folder(db, account=account, folder="INBOX", page=page_no)
        db.expunge_all()
    after = rss_mb()
    print(f"memory while paging through all {last_page + 1} pages: {before:.0f} -> {after:.0f} MB")
    raw.logout()
    db.close()


if __name__ == "__main__":
    main()
