"""The one typed settings object, read from ``HAMKAR_*`` environment variables.

Build it once (``Settings()``) at start-up and pass it in; nothing below reads ``os.environ``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TlsMode = Literal["starttls", "tls", "none"]


class Settings(BaseSettings):
    """Everything Hamkar can be configured with; see README.md for the variables."""

    model_config = SettingsConfigDict(env_prefix="HAMKAR_", env_file=None, extra="ignore")

    data_dir: Path = Path("./var")
    database_url: str | None = None
    secret_key: SecretStr | None = None
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    debug: bool = False

    # The mail server (IMAP for login and mail, SMTP submission for sending).
    imap_host: str = "127.0.0.1"
    imap_port: int = 10143
    imap_tls: TlsMode = "starttls"
    imap_timeout: float = 10.0
    imap_search_timeout: float = 120.0  # full-text SEARCH: the server may build its index first
    mail_live_streams_per_user: int = 6  # open live-update streams (tabs) per user, all processes
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 10587
    smtp_tls: TlsMode = "starttls"
    tls_ca_file: Path | None = None
    tls_verify: bool = True

    # The project's own loopback mail stack (`hamkar mailstack ...`); ports are its listeners.
    mailstack_dir: Path | None = None
    mailstack_imaps_port: int = 10993
    mailstack_lmtp_port: int = 10024
    mailstack_sieve_port: int = 14190
    mailstack_smtp_in_port: int = 10025
    mailstack_submissions_port: int = 10465
    mailstack_external: Literal["sink", "discard", "hold"] = "sink"
    # SQLite file where Dovecot's last_login plugin records IMAP logins (read-only for Hamkar);
    # default: the mail stack's own (scripts/mailstack.sh writes it there).
    imap_last_login_store: Path | None = None

    # Sessions and login throttling.
    session_idle_minutes: int = 60 * 12
    session_max_days: int = 14
    login_max_failures_account: int = 5
    login_max_failures_ip: int = 20
    login_window_minutes: int = 15
    dav_auth_cache_seconds: int = 120
    trusted_proxies: list[str] = Field(default_factory=list)

    # Outgoing mail: the undo-send delay and the background worker that delivers the outbox.
    undo_send_seconds: int = 10
    max_attachment_bytes: int = 25 * 1024 * 1024
    outbox_worker: bool = True
    # Files: quotas, upload limit, how many and how old versions to keep, trash retention.
    files_quota_bytes: int = 10 * 1024**3
    files_team_quota_bytes: int = 50 * 1024**3
    files_max_upload_bytes: int = 5 * 1024**3
    files_versions_keep: int = 20
    files_versions_max_days: int = 90
    files_trash_days: int = 30
    # fsync each new body before it becomes visible (durable across power loss; slower PUTs;
    # README "File durability and PUT speed" has the measurements behind the default).
    files_fsync: bool = True
    # Browser uploads larger than this go in chunks of this size to a resumable upload session;
    # sessions without news for this many hours are dropped with their partial body.
    files_upload_chunk_bytes: int = 8 * 1024 * 1024
    files_upload_expire_hours: int = 24
    # The files clean-up job (expired trash, abandoned uploads, orphan bodies): how often it
    # runs, and how old an unreferenced body must be before it is deleted (a body being written
    # right now is not referenced yet and must survive).
    files_janitor: bool = True
    files_janitor_interval_seconds: int = 3600
    files_blob_grace_seconds: int = 3600
    # Thumbnails of images in the grid view: the longest side in pixels, and the largest image
    # (in pixels and bytes) that is decoded at all; bigger ones get no thumbnail.
    files_thumb_size: int = 256
    files_thumb_max_pixels: int = 40_000_000
    files_thumb_max_bytes: int = 50 * 1024 * 1024

    demo_password: SecretStr = SecretStr("hamkar-demo")
    default_language: Literal["en", "fa"] = "en"
    default_timezone: str = "UTC"

    @field_validator("data_dir", "mailstack_dir", mode="after")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value is not None else None

    @property
    def effective_database_url(self) -> str:
        """The SQLAlchemy URL: ``HAMKAR_DATABASE_URL`` or SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'hamkar.db'}"

    @property
    def effective_mailstack_dir(self) -> Path:
        """Where the loopback mail stack keeps its config, mail and logs."""
        return self.mailstack_dir or self.data_dir / "mailstack"

    @property
    def effective_imap_last_login_store(self) -> Path:
        """The SQLite file of Dovecot's last IMAP logins (see scripts/mailstack.sh)."""
        return (
            self.imap_last_login_store
            or self.effective_mailstack_dir / "last-login" / "last-login.db"
        )

    @property
    def effective_tls_ca_file(self) -> Path | None:
        """CA bundle for the mail server's certificate; the mail stack's own cert if present."""
        if self.tls_ca_file is not None:
            return self.tls_ca_file
        cert = self.effective_mailstack_dir / "tls" / "cert.pem"
        return cert if cert.exists() else None

    @property
    def secure_cookies(self) -> bool:
        """Cookies get the Secure flag when Hamkar is served over HTTPS."""
        return self.base_url.startswith("https://")
