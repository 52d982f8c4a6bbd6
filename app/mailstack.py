"""The project's own loopback mail stack (Dovecot + Postfix), run by ``scripts/mailstack.sh``.

The contract: ``MailStack(settings)`` runs one stack whose directory and ports come from
``Settings``; ``start()`` is idempotent (a running stack is reloaded), ``stop()`` stops only the
daemons started for that directory, and every failure raises ``MailStackError`` carrying the
script's error output. The script needs root (Postfix's master must start as root) and detaches
both daemons from our pipes, so capturing its output cannot hang.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from app.settings import Settings

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "mailstack.sh"
POLICYD = Path(__file__).resolve().parent / "directory" / "policyd.py"

# Installing the Debian packages may take minutes; every other command takes seconds.
_INSTALL_TIMEOUT = 1800.0
_COMMAND_TIMEOUT = 120.0


def database_environment(url: str) -> dict[str, str]:
    """The script's MAILSTACK_DB_* variables for Hamkar's database (managed mode).

    SQLite is read through its file, PostgreSQL through a connection; any other database
    leaves the stack on its passwd-file only.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return {"MAILSTACK_DB_DRIVER": "sqlite", "MAILSTACK_DB_PATH": str(parsed.database)}
    if backend == "postgresql":
        return {
            "MAILSTACK_DB_DRIVER": "pgsql",
            "MAILSTACK_DB_HOST": parsed.host or "127.0.0.1",
            "MAILSTACK_DB_PORT": str(parsed.port or 5432),
            "MAILSTACK_DB_NAME": parsed.database or "",
            "MAILSTACK_DB_USER": parsed.username or "",
            "MAILSTACK_DB_PASSWORD": parsed.password or "",
        }
    return {"MAILSTACK_DB_DRIVER": "none"}


class MailStackError(RuntimeError):
    """The mail stack script failed; the message is its error output."""


class MailStack:
    """One loopback mail stack: IMAP, LMTP, ManageSieve and SMTP on 127.0.0.1."""

    def __init__(self, settings: Settings) -> None:
        self.directory = settings.effective_mailstack_dir
        self.external = settings.mailstack_external
        self.database = database_environment(settings.effective_database_url)
        self._ports = {
            "imap": settings.imap_port,
            "imaps": settings.mailstack_imaps_port,
            "lmtp": settings.mailstack_lmtp_port,
            "sieve": settings.mailstack_sieve_port,
            "smtp_in": settings.mailstack_smtp_in_port,
            "submission": settings.smtp_port,
            "submissions": settings.mailstack_submissions_port,
        }

    @property
    def ports(self) -> dict[str, int]:
        """Listener ports by service: imap, imaps, lmtp, sieve, smtp_in, submission, submissions."""
        return dict(self._ports)

    @property
    def cert_file(self) -> Path:
        """The stack's self-signed certificate; clients use it as their CA."""
        return self.directory / "tls" / "cert.pem"

    def start(self) -> str:
        """Write the configuration and start both daemons, or reload them when running.

        Returns the script's report (PIDs, ports, where the logs are).
        """
        return self._run("start", timeout=_INSTALL_TIMEOUT)

    def stop(self) -> None:
        """Stop this stack's daemons (by PID); other stacks keep running."""
        self._run("stop")

    def status(self) -> bool:
        """True when both daemons run and every port listens."""
        return self._status().returncode == 0

    def status_text(self) -> str:
        """A human-readable report: daemons, ports and users."""
        return self._status().stdout

    def add_user(self, email: str, password: str, *, quota: str | None = None) -> None:
        """Add or update a mailbox; ``quota`` is a storage limit such as ``"100M"``."""
        extra = [f"userdb_quota_rule=*:storage={quota}"] if quota else []
        self._run("adduser", email, password, *extra)

    def set_acl(self, owner: str, folder: str, grantee: str, rights: list[str]) -> None:
        """Grant ``grantee`` (an address or a Dovecot ACL id) ``rights`` on ``owner``'s folder."""
        self._run("acl-set", owner, folder, grantee, *rights)

    def delete_acl(self, owner: str, folder: str, grantee: str) -> None:
        """Remove every right ``grantee`` has on ``owner``'s folder."""
        self._run("acl-delete", owner, folder, grantee)

    def quota_usage(self, email: str) -> tuple[int, int | None]:
        """Storage used and its limit in KiB (limit None: unlimited), as Dovecot counts it."""
        result = self._invoke("quota-get", email, timeout=_COMMAND_TIMEOUT)
        if result.returncode != 0:
            raise MailStackError(f"mailstack quota-get failed: {result.stderr.strip()}")
        for line in result.stdout.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == "STORAGE" and parts[1].isdigit():
                return int(parts[1]), int(parts[2]) if parts[2].isdigit() else None
        raise MailStackError(f"mailstack quota-get: no storage quota for {email}")

    def purge_mail(self, email: str) -> None:
        """Remove the mail directory of a deleted user for good."""
        self._run("purge-mail", email)

    def install_deps(self) -> None:
        """Install the Debian packages the stack needs (as root, with apt-get)."""
        self._run("install-deps", timeout=_INSTALL_TIMEOUT)

    def sink_credentials(self) -> tuple[str, str]:
        """Address and password of the mailbox that receives mail for other domains."""
        values = dict(
            line.split("=", 1)
            for line in (self.directory / "ports.env").read_text().splitlines()
            if "=" in line and not line.startswith("#")
        )
        password = Path(values["SINK_PASSWORD_FILE"]).read_text().strip()
        return values["SINK_USER"], password

    def _environment(self) -> dict[str, str]:
        # Only what the settings say: stray MAILSTACK_* variables of the caller are dropped.
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAILSTACK_")}
        env["MAILSTACK_DIR"] = str(self.directory)
        env["MAILSTACK_EXTERNAL"] = self.external
        env.update(self.database)
        # the group send-policy service Postfix spawns (standard library + psycopg only)
        env["MAILSTACK_POLICYD"] = str(POLICYD)
        for name, port in self._ports.items():
            env[f"MAILSTACK_{name.upper()}_PORT"] = str(port)
        return env

    def _status(self) -> subprocess.CompletedProcess[str]:
        return self._invoke("status", timeout=_COMMAND_TIMEOUT)

    def _run(self, *args: str, timeout: float = _COMMAND_TIMEOUT) -> str:
        result = self._invoke(*args, timeout=timeout)
        if result.returncode != 0:
            detail = result.stderr.strip() or result.stdout.strip()
            raise MailStackError(f"mailstack {args[0]} failed: {detail}")
        return result.stdout

    def _invoke(self, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                ["bash", str(SCRIPT), *args],
                env=self._environment(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise MailStackError(f"mailstack {args[0]} timed out after {timeout:.0f} s") from exc
