"""Every migration goes up and down on SQLite and on PostgreSQL, and matches the models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from app.migrate import alembic_config
from app.models import import_all_models


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[str]:
    """An empty database of each supported kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{data_dir / 'migrations.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _schema(url: str) -> set[str]:
    """Tables, their columns and their indexes: what a revision may change."""
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        shape: set[str] = set()
        for table in set(inspector.get_table_names()) - {"alembic_version"}:
            shape.add(table)
            shape.update(f"{table}.{column['name']}" for column in inspector.get_columns(table))
            shape.update(f"{table}#{index['name']}" for index in inspector.get_indexes(table))
        return shape
    finally:
        engine.dispose()


def test_every_revision_upgrades_and_downgrades_one_by_one(database_url: str) -> None:
    config = alembic_config(database_url)
    revisions = list(reversed(list(ScriptDirectory.from_config(config).walk_revisions())))
    assert revisions, "no migrations found"
    seen: list[set[str]] = [set()]
    for revision in revisions:
        command.upgrade(config, revision.revision)
        seen.append(_schema(database_url))
        assert seen[-1] != seen[-2], f"{revision.revision} changed no table, column or index"
    for revision, schema_before in zip(reversed(revisions), reversed(seen[:-1]), strict=True):
        command.downgrade(config, revision.down_revision or "base")
        assert _schema(database_url) == schema_before, revision.revision
    assert _tables(database_url) == set()


def test_head_matches_the_models(database_url: str) -> None:
    import_all_models()
    config = alembic_config(database_url)
    command.upgrade(config, "head")
    command.check(config)  # raises when the models and the migrations disagree
    expected = {"organization", "domain", "account", "preferences", "web_session", "login_throttle"}
    assert expected <= _tables(database_url)
    command.downgrade(config, "base")


def test_the_app_works_on_postgresql(postgres_url: str, settings: object) -> None:
    from starlette.testclient import TestClient

    from app.main import create_app
    from app.migrate import upgrade
    from tests.helpers import login

    pg_settings = settings.model_copy(update={"database_url": postgres_url})  # type: ignore[attr-defined]
    upgrade(pg_settings)
    try:
        with TestClient(create_app(pg_settings)) as client:
            assert login(client).status_code == 303  # type: ignore[attr-defined]
            assert client.get("/settings").status_code == 200
    finally:
        command.downgrade(alembic_config(postgres_url), "base")


def test_upgrading_a_database_that_holds_data(database_url: str) -> None:
    """Real installations upgrade with rows in place (SQLite rebuilds tables in batch mode)."""
    from sqlalchemy import text

    config = alembic_config(database_url)
    command.upgrade(config, "0003")
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organization (id, name, slug, created_at) "
                "VALUES (1, 'Org', 'org', CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO domain (id, organization_id, name, created_at) "
                "VALUES (1, 1, 'example.com', CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO account (id, organization_id, domain_id, email, "
                "display_name, kind, enabled, created_at) VALUES (1, 1, 1, "
                "'alice@example.com', 'Alice', 'person', true, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO preferences (account_id, language, timezone, "
                "calendar_system) VALUES (1, 'fa', 'Asia/Tehran', 'jalali')"
            )
        )
    command.upgrade(config, "head")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT email FROM account")).scalar_one() == "alice@example.com"
        assert conn.execute(text("SELECT name FROM domain")).scalar_one() == "example.com"
        language = conn.execute(text("SELECT language FROM preferences")).scalar_one()
        assert language == "fa"
    engine.dispose()
    command.downgrade(config, "base")


def test_0820_drops_orphan_group_rights_and_cascades_from_then_on(database_url: str) -> None:
    """Rights of groups deleted before 0820 go; those of live groups and people stay."""
    from sqlalchemy import event, text

    config = alembic_config(database_url)
    command.upgrade(config, "0610")
    engine = create_engine(database_url)
    if database_url.startswith("sqlite"):
        event.listen(
            engine, "connect", lambda conn, _record: conn.execute("PRAGMA foreign_keys=ON")
        )
    statements = [
        "INSERT INTO organization (id, name, slug, created_at) "
        "VALUES (1, 'Org', 'org', CURRENT_TIMESTAMP)",
        "INSERT INTO domain (id, organization_id, name, created_at) "
        "VALUES (1, 1, 'example.com', CURRENT_TIMESTAMP)",
        "INSERT INTO mail_group (id, organization_id, domain_id, address, name, description, "
        "send_policy, created_at) VALUES (5, 1, 1, 'team@example.com', 'Team', '', "
        "'organization', CURRENT_TIMESTAMP)",
        "INSERT INTO file_space (id, kind, organization_id, slug, name, quota_bytes, "
        "used_bytes, created_at) VALUES (1, 'team', 1, 'crew', 'Crew', 100, 0, "
        "CURRENT_TIMESTAMP)",
        'INSERT INTO file_space_member (space_id, email, "right", group_id) VALUES '
        "(1, 'alice@example.com', 'manage', NULL), (1, 'team@example.com', 'read', 5), "
        "(1, 'gone@example.com', 'write', 77)",
    ]
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    command.upgrade(config, "0820")
    members = "SELECT email FROM file_space_member ORDER BY email"
    with engine.begin() as conn:
        assert conn.execute(text(members)).scalars().all() == [
            "alice@example.com",
            "team@example.com",
        ]
        conn.execute(text("DELETE FROM mail_group WHERE id = 5"))
    with engine.connect() as conn:
        assert conn.execute(text(members)).scalars().all() == ["alice@example.com"]
    engine.dispose()
    command.downgrade(config, "base")


def test_0840_indexes_the_envelopes_cached_before_it(database_url: str) -> None:
    """The substring index covers the rows already cached, not only those synced later."""
    from datetime import UTC, datetime

    from sqlalchemy import insert, text

    from app.mail.models import MailEnvelope, MailFolderState

    config = alembic_config(database_url)
    command.upgrade(config, "0830")
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            insert(MailFolderState.__table__).values(
                id=1, owner="a@example.com", name="INBOX", uidvalidity=1
            )
        )
        conn.execute(
            insert(MailEnvelope.__table__).values(
                folder_id=1,
                owner="a@example.com",
                uid=7,
                date=datetime(2026, 1, 1, tzinfo=UTC),
                search_text="quarterly budgetary review",
            )
        )
    command.upgrade(config, "0840")
    sqlite = database_url.startswith("sqlite")
    found = (
        "SELECT rowid FROM mail_envelope_fts WHERE mail_envelope_fts MATCH '\"dge\"'"
        if sqlite
        else "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_mail_envelope_search_trgm'"
    )
    with engine.connect() as conn:
        assert conn.execute(text(found)).scalars().all() == [1]
    engine.dispose()
    command.downgrade(config, "base")


def test_0880_fills_the_search_column_of_cards_stored_before_it(database_url: str) -> None:
    """Cards stored before 0880 get their search column; an unreadable one keeps none."""
    from sqlalchemy import text

    config = alembic_config(database_url)
    command.upgrade(config, "0870")
    engine = create_engine(database_url)
    good = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:u1\r\nFN:Sara Ahmadi\r\nEND:VCARD\r\n"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO address_book (id, owner_email, slug, display_name, description, "
                "revision, created_at) VALUES (1, 'a@example.com', 'contacts', '', '', 2, "
                "CURRENT_TIMESTAMP)"
            )
        )
        for card_id, body in ((1, good), (2, "not a vcard")):
            conn.execute(
                text(
                    "INSERT INTO card (id, address_book_id, name, uid, vcard, etag, revision, "
                    "full_name, emails, size, modified_at) VALUES (:id, 1, :name, :uid, :body, "
                    "'\"e\"', 1, '', '', 1, CURRENT_TIMESTAMP)"
                ),
                {"id": card_id, "name": f"{card_id}.vcf", "uid": f"u{card_id}", "body": body},
            )
    command.upgrade(config, "0880")
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, search FROM card ORDER BY id")).all())
    assert rows[1] is not None and "\x1fSARA AHMADI\x1e" in rows[1]
    assert rows[2] is None
    engine.dispose()
    command.downgrade(config, "base")
