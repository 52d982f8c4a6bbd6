"""The files clean-up job: trash expiry in every space, one runner among several processes,
the app's own scheduler, and the grace period that keeps a body being written alive."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db import make_engine, make_session_factory, utcnow
from app.files import janitor, service, spaces
from app.files.models import FileNode, FileSpace
from app.files.storage import BlobStore, store_for
from app.settings import Settings
from tests.integration.files.test_web_files import Browser
from tests.live import serve


@pytest.fixture
def db(files_settings: Settings) -> Iterator[Session]:
    engine = make_engine(files_settings)
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()


def _age_trash(db: Session, name: str, days: int) -> None:
    db.execute(
        update(FileNode)
        .where(FileNode.name == name, FileNode.trashed_at.is_not(None))
        .values(trashed_at=utcnow() - timedelta(days=days))
    )
    db.commit()


def _used(db: Session, email: str) -> int:
    db.expire_all()
    used = db.scalar(select(FileSpace.used_bytes).where(FileSpace.slug == email))
    return int(used or 0)


def test_expired_trash_is_purged_in_every_space(
    files_settings: Settings, server: str, db: Session
) -> None:
    alice, bob = Browser(server, "alice@example.com"), Browser(server, "bob@example.com")
    alice.upload("old.txt", b"o" * 100)
    alice.upload("recent.txt", b"r" * 10)
    bob.upload("bobs-old.txt", b"b" * 50)
    for user, name in ((alice, "old.txt"), (alice, "recent.txt"), (bob, "bobs-old.txt")):
        user.post("/files/delete", s="home", id=user.node_id(name))
    _age_trash(db, "old.txt", 31)
    _age_trash(db, "bobs-old.txt", 31)
    used_before = _used(db, "alice@example.com")

    store = BlobStore(files_settings.data_dir / "files", grace=0)
    report = janitor.clean(db, settings=files_settings, store=store, now=utcnow())
    assert report.trashed == 2
    trash = alice.http.get("/files/trash").text
    assert "<bdi>old.txt</bdi>" not in trash and "<bdi>recent.txt</bdi>" in trash
    assert "deleted for good 30 days after" in trash
    assert "bobs-old.txt" not in bob.http.get("/files/trash").text
    assert _used(db, "alice@example.com") == used_before - 100
    assert not store.path(hashlib.sha256(b"o" * 100).hexdigest()).exists()
    assert store.path(hashlib.sha256(b"r" * 10).hexdigest()).exists()


def test_only_one_process_holds_the_lease(db: Session, files_settings: Settings) -> None:
    now = utcnow()
    hour = timedelta(hours=1)
    assert janitor.claim(db, holder="a", now=now, until=now + hour)
    assert not janitor.claim(db, holder="b", now=now, until=now + hour)
    janitor.finish(db, holder="a", now=now, next_due=now + hour)
    assert not janitor.claim(db, holder="b", now=now + timedelta(minutes=59), until=now + hour)
    assert janitor.claim(db, holder="b", now=now + timedelta(minutes=61), until=now + 2 * hour)

    # Several processes racing for a due lease: exactly one wins.
    later = now + timedelta(hours=5)
    engine = make_engine(files_settings)
    barrier, wins = threading.Barrier(4), []

    def contender(name: str) -> None:
        with make_session_factory(engine)() as own:
            barrier.wait()
            if janitor.claim(own, holder=name, now=later, until=later + hour):
                wins.append(name)

    threads = [threading.Thread(target=contender, args=(f"p{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    assert len(wins) == 1


def test_the_app_runs_the_clean_up_by_itself(files_settings: Settings) -> None:
    quick = files_settings.model_copy(
        update={"files_trash_days": 0, "files_janitor_interval_seconds": 1}
    )
    with serve(quick) as base_url:
        alice = Browser(base_url, "alice@example.com")
        alice.upload("gone-soon.txt", b"bye")
        alice.post("/files/delete", s="home", id=alice.node_id("gone-soon.txt"))
        deadline = time.monotonic() + 20
        while "gone-soon.txt" in alice.http.get("/files/trash").text:
            assert time.monotonic() < deadline, "the trash was never emptied"
            time.sleep(0.5)


def test_a_body_being_written_survives_a_concurrent_clean_up(
    files_settings: Settings, db: Session
) -> None:
    """The race: a body is on disk, its row not yet committed, while a delete of another file
    with the same content sweeps "unreferenced" bodies."""
    store = store_for(files_settings)
    home = spaces.Access(
        spaces.personal_space(db, settings=files_settings, email="alice@example.com"),
        "manage",
        "home",
    )
    top = service.root(db, space_id=home.space.id)
    body = b"the same content, twice"
    first = store.put_bytes(body, max_bytes=1000)
    node, _ = service.write_file(db, access=home, parent=top, name="a.txt", blob=first, by="a")
    db.commit()
    hour_ago = time.time() - 7200
    os.utime(store.path(first.sha256), (hour_ago, hour_ago))  # written long ago

    in_flight = store.put_bytes(body, max_bytes=1000)  # a second writer, not committed yet
    assert in_flight.sha256 == first.sha256
    service.purge(db, access=home, node=node)
    db.commit()
    for sha in service.unreferenced(db, candidates=service.orphan_candidates(db)):
        store.remove(sha)
    assert janitor.remove_orphans(db, store=store) == 0
    assert store.path(first.sha256).exists()

    service.write_file(db, access=home, parent=top, name="b.txt", blob=in_flight, by="b")
    db.commit()
    with store.open(in_flight.sha256) as saved:
        assert saved.read() == body


def test_orphans_older_than_the_grace_period_are_removed(
    files_settings: Settings, db: Session
) -> None:
    store = store_for(files_settings)
    fresh = store.put_bytes(b"just written, row coming", max_bytes=1000)
    stale = store.put_bytes(b"left behind by a crash", max_bytes=1000)
    past = time.time() - files_settings.files_blob_grace_seconds - 60
    os.utime(store.path(stale.sha256), (past, past))
    assert janitor.remove_orphans(db, store=store) == 1
    assert store.path(fresh.sha256).exists()
    assert not store.path(stale.sha256).exists()
