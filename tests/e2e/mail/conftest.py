"""Mail fixtures for browser tests (shared with the integration tests)."""

from tests.integration.mail.conftest import account, db, mailbox

__all__ = ["account", "db", "mailbox"]
