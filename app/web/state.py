"""What the running app holds: settings, database, secret and templates."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
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
    # Called with the session id when a session signs out, so the domains above auth can
    # let go of what they hold for it (the mail domain's pooled IMAP connections).
    sign_out_hooks: list[Callable[[str], None]] = field(default_factory=list)

    def session_ended(self, session_id: str) -> None:
        """Tell every registered domain that ``session_id`` signed out."""
        for hook in self.sign_out_hooks:
            hook(session_id)


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
