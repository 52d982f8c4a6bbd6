"""A real Hamkar served by uvicorn on a free loopback port, for protocol clients."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from sqlalchemy import create_engine, text

from app.settings import Settings
from tests.conftest import PG_ADMIN_URL, free_port


@contextmanager
def serve(settings: Settings, *, http: str = "h11") -> Iterator[str]:
    """Run the app in a thread; yields its base URL.

    ``http`` is uvicorn's HTTP implementation. h11 by default, as `hamkar serve` runs: it keeps
    a #fragment in the Request-URI for /webdav/ to refuse. Browser tests use "auto".
    """
    from app.main import create_app

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app = create_app(settings.model_copy(update={"base_url": base_url}))
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        http=http,
        timeout_graceful_shutdown=1,  # open live streams (SSE) would hold the shutdown otherwise
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def fresh_postgres(settings: Settings) -> Iterator[Settings]:
    """The settings over a new, migrated PostgreSQL database, dropped afterwards.

    Each test gets its own database: the session's shared one must stay empty for the
    migration test.
    """
    from app.migrate import upgrade

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"hamkar_files_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({exc}). Install and start it "
            "(`make deps`), or set HAMKAR_TEST_PG_ADMIN_URL.",
            pytrace=False,
        )
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    migrated = settings.model_copy(update={"database_url": url})
    try:
        upgrade(migrated)
        yield migrated
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
