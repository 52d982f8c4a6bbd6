"""A real Hamkar served by uvicorn on a free loopback port, for protocol clients."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import Engine, create_engine, text

from app.settings import Settings
from tests.conftest import PG_ADMIN_URL, free_port, migrated_sqlite


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
    with fresh_postgres_url(settings) as url:
        yield settings.model_copy(update={"database_url": url})


@contextmanager
def fresh_postgres_url(settings: Settings) -> Iterator[str]:
    """The URL of a new PostgreSQL database with every migration applied, dropped afterwards.

    It is a copy (CREATE DATABASE ... TEMPLATE) of a template migrated once per test process:
    the schema `upgrade` makes, in a fraction of the time.
    """
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"hamkar_files_{uuid.uuid4().hex[:12]}"
    try:
        template = _postgres_template(admin, settings)
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    except Exception as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({exc}). Install and start it "
            "(`make deps`), or set HAMKAR_TEST_PG_ADMIN_URL.",
            pytrace=False,
        )
    finally:
        admin.dispose()
    try:
        yield _url(name)
    finally:
        # DROP DATABASE waits for a checkpoint (up to seconds): the next test need not wait too
        _DROPS.submit(_drop, name)


@contextmanager
def migrated_database(kind: str, data_dir: Path) -> Iterator[str]:
    """The URL of a fresh database of ``kind`` ("sqlite" or "postgresql"), fully migrated."""
    if kind == "sqlite":
        migrated_sqlite(data_dir / "hamkar.db")
        yield f"sqlite:///{data_dir / 'hamkar.db'}"
        return
    with fresh_postgres_url(Settings(data_dir=data_dir, database_url=None)) as url:
        yield url


_DROPS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-test-database")


def _drop(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_PG_TEMPLATE: list[str] = []  # this process's migrated template database, made on first use


def _url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _postgres_template(admin: Engine, settings: Settings) -> str:
    """The name of a PostgreSQL database with every migration applied, and nobody connected."""
    if _PG_TEMPLATE:
        return _PG_TEMPLATE[0]
    from app.migrate import upgrade

    name = f"hamkar_template_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    _PG_TEMPLATE.append(name)
    upgrade(settings.model_copy(update={"database_url": _url(name)}))  # disposes its engine
    return name


def drop_postgres_databases() -> None:
    """Wait for the test databases' drops, then drop this process's template, if it made one."""
    _DROPS.shutdown(wait=True)
    if _PG_TEMPLATE:
        _drop(_PG_TEMPLATE.pop())
