"""What the WebDAV layer needs from the running app, handed over once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from app.auth.basic import CredentialCache
from app.files.storage import BlobStore
from app.settings import Settings


@dataclass
class WebDavContext:
    """Settings, database sessions, credential cache and the blob store."""

    settings: Settings
    sessions: sessionmaker[Session]
    credentials: CredentialCache
    store: BlobStore
