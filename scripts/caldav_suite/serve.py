"""Serve Hamkar for the caldav library's functional suite (see run.sh).

Starts the project's loopback mail stack (so wrong passwords are checked by IMAP), migrates a
fresh database, creates an app password for suite@example.com and runs uvicorn on a free port.
Writes "<port> <password>" to <workdir>/creds and uvicorn's pid to <workdir>/uvicorn.pid.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("HAMKAR_TEST_PORT_OFFSET", "6500")
sys.path.insert(0, str(ROOT))

from sqlalchemy.orm import Session  # noqa: E402

from app.auth import app_passwords  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.directory import service as directory  # noqa: E402
from app.mailstack import MailStack  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.models import import_all_models  # noqa: E402
from tests.conftest import TEST_PASSWORD, base_settings  # noqa: E402


def main(workdir: Path) -> None:
    """Run until uvicorn exits, then stop the mail stack."""
    data = Path(tempfile.mkdtemp(prefix="hamkar-caldav-suite-", dir="/tmp"))
    data.chmod(0o755)
    settings = base_settings(data / "app", data / "stack")
    stack = MailStack(settings)
    stack.start()
    try:
        stack.add_user("suite@example.com", TEST_PASSWORD)
        upgrade(settings)
        import_all_models()
        with Session(make_engine(settings)) as db:
            # as after a first sign-in on the web, where app passwords are made
            directory.account_for_login(db, email="suite@example.com")
            password = app_passwords.create(db, email="suite@example.com", name="suite").plaintext
            db.commit()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {
            **os.environ,
            "HAMKAR_DATA_DIR": str(settings.data_dir),
            "HAMKAR_SECRET_KEY": "suite-secret-0123456789abcdef0123",
            "HAMKAR_IMAP_PORT": str(settings.imap_port),
            "HAMKAR_TLS_CA_FILE": str(settings.tls_ca_file),
            "HAMKAR_MAILSTACK_DIR": str(settings.mailstack_dir),
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:create_app",
                "--factory",
                "--port",
                str(port),
                "--log-level",
                "warning",
                # as `hamkar serve` runs: h11 writes header names as the app spells them
                "--http",
                "h11",
            ],
            env=env,
            cwd=ROOT,
        )
        (workdir / "uvicorn.pid").write_text(str(server.pid))
        (workdir / "creds").write_text(f"{port} {password}\n")
        signal.signal(signal.SIGTERM, lambda *_: None)
        server.wait()
    finally:
        stack.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
