"""TLS client contexts for the mail server connections (IMAP, SMTP, ManageSieve)."""

from __future__ import annotations

import ssl
from pathlib import Path


def client_context(ca_file: Path | None, *, verify: bool = True) -> ssl.SSLContext:
    """A verifying client context trusting ``ca_file`` (else the system's CAs).

    ``verify=False`` is for servers with certificates nobody can check; it is never the default.
    """
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
