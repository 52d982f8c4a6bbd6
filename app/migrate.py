"""Runs Alembic migrations from code (the CLI, tests and app start-up use it)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str) -> Config:
    """An Alembic config for the repository's migrations and the given database."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["url"] = database_url
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the database up to ``revision`` (the newest by default)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings.effective_database_url), revision)


def downgrade(settings: Settings, revision: str) -> None:
    """Take the database down to ``revision`` ("base" removes every table)."""
    command.downgrade(alembic_config(settings.effective_database_url), revision)
