"""What the running app holds: settings, database, secret and templates."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.auth.basic import CredentialCache
from app.settings import Settings


@dataclass
class AppState:
    """Long-lived objects shared by every request of one app instance."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    secret: bytes
    templates: Environment
    credentials: CredentialCache


def load_secret(settings: Settings) -> bytes:
    """The application secret: ``HAMKAR_SECRET_KEY``, else one generated once in the data dir."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    path: Path = settings.data_dir / "secret_key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(".tmp")
        temp.write_text(secrets.token_urlsafe(48))
        temp.chmod(0o600)
        temp.replace(path)
    return path.read_text().strip().encode()
