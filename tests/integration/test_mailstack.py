"""The loopback mail stack, exercised with real clients over its real ports.

One stack for the module, in a fresh directory under /tmp with every port moved by +500 past
the suite's offset so it never meets a developer's stack or the main test stack.
Needs root and the Debian packages.
"""

from __future__ import annotations

import asyncio
import base64
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from app.mailstack import MailStack, MailStackError
from app.settings import Settings
from tests.conftest import PORT_OFFSET

OFFSET = PORT_OFFSET + 500
ALICE = "alice@example.com"
BOB = "bob@example.org"
PASSWORD = "s3cret-pass"
INSTALL_HINT = (
    "the mail stack needs Debian packages; as root run `scripts/mailstack.sh install-deps` or "
    "apt-get install dovecot-imapd dovecot-lmtpd dovecot-sieve dovecot-managesieved "
    "dovecot-fts-xapian dovecot-sqlite dovecot-pgsql postfix postfix-sqlite postfix-pgsql openssl "
    "sqlite3"
)


def stack_settings(directory: Path, offset: int) -> Settings:
    """Settings for a stack in ``directory`` with every default port moved by ``offset``."""
    return Settings(
        data_dir=directory,
        mailstack_dir=directory,
        imap_port=10143 + offset,
        smtp_port=10587 + offset,
        mailstack_imaps_port=10993 + offset,
        mailstack_lmtp_port=10024 + offset,
        mailstack_sieve_port=14190 + offset,
        mailstack_smtp_in_port=10025 + offset,
        mailstack_submissions_port=10465 + offset,
    )


def require_packages() -> None:
    missing = [b for b in ("dovecot", "doveadm", "postfix", "openssl") if not shutil.which(b)]
    if not Path("/usr/lib/dovecot/modules/lib21_fts_xapian_plugin.so").exists():
        missing.append("dovecot-fts-xapian")
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: {INSTALL_HINT}", pytrace=False)


def fresh_directory() -> Path:
    # not pytest's tmp_path: it is 0700, and Dovecot (user mail) and Postfix must traverse it
    directory = Path(tempfile.mkdtemp(prefix="hamkar-ms-", dir="/tmp"))
    directory.chmod(0o755)
    return directory


@dataclass
class Stack:
    mailstack: MailStack
    directory: Path

    @property
    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.mailstack.cert_file))

    def port(self, name: str) -> int:
        return self.mailstack.ports[name]


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    require_packages()
    directory = fresh_directory()
    mailstack = MailStack(stack_settings(directory, OFFSET))
    try:
        mailstack.start()
        mailstack.add_user(ALICE, PASSWORD)
        mailstack.add_user(BOB, PASSWORD, quota="50M")
        yield Stack(mailstack, directory)
    finally:
        mailstack.stop()
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def imap(
    stack: Stack, user: str, password: str = PASSWORD, *, implicit_tls: bool = False
) -> Iterator[IMAPClient]:
    if implicit_tls:
        client = IMAPClient("127.0.0.1", stack.port("imaps"), ssl=True, ssl_context=stack.tls)
    else:
        client = IMAPClient("127.0.0.1", stack.port("imap"), ssl=False, timeout=10)
        client.starttls(stack.tls)
    try:
        client.login(user, password)
        yield client
    finally:
        client.logout()


def subjects(client: IMAPClient, folder: str) -> list[str]:
    client.select_folder(folder, readonly=True)
    uids = client.search("ALL")
    if not uids:
        return []
    envelopes = client.fetch(list(uids), ["ENVELOPE"])
    return [(data[b"ENVELOPE"].subject or b"").decode() for data in envelopes.values()]


def wait_for(predicate: Callable[[], bool], *, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def message(sender: str, to: str, subject: str, body: str = "Hello.\n") -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg.set_content(body)
    return msg


def submit(stack: Stack, msg: EmailMessage, *, user: str = ALICE) -> None:
    """Send through Postfix submission with STARTTLS and AUTH, as Hamkar does."""
    asyncio.run(
        aiosmtplib.send(
            msg,
            hostname="127.0.0.1",
            port=stack.port("submission"),
            username=user,
            password=PASSWORD,
            start_tls=True,
            tls_context=stack.tls,
        )
    )


def unique(label: str) -> str:
    return f"{label} {uuid.uuid4().hex[:10]}"


class ManageSieve:
    """A minimal RFC 5804 client: STARTTLS, AUTHENTICATE PLAIN, PUTSCRIPT, SETACTIVE."""

    def __init__(self, port: int, tls: ssl.SSLContext) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")
        self.response()  # capabilities
        self.command(b"STARTTLS")
        self.sock = tls.wrap_socket(self.sock, server_hostname="127.0.0.1")
        self.file = self.sock.makefile("rb")
        self.response()  # capabilities again, now over TLS (RFC 5804 section 2.2)

    def response(self) -> bytes:
        """Read lines up to the final OK; raise on NO or BYE."""
        lines = []
        while line := self.file.readline():
            lines.append(line)
            if line.startswith((b"OK", b"NO", b"BYE")):
                break
        if not lines or not lines[-1].startswith(b"OK"):
            raise AssertionError(f"ManageSieve said {b''.join(lines)!r}")
        return b"".join(lines)

    def command(self, line: bytes, literal: bytes | None = None) -> bytes:
        data = line + b"\r\n" + (literal + b"\r\n" if literal is not None else b"")
        self.sock.sendall(data)
        return self.response()

    def login(self, user: str, password: str) -> None:
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        self.command(f'AUTHENTICATE "PLAIN" "{token}"'.encode())

    def put_active(self, name: str, script: str) -> None:
        body = script.encode()
        self.command(f'PUTSCRIPT "{name}" {{{len(body)}+}}'.encode(), body)
        self.command(f'SETACTIVE "{name}"'.encode())

    def close(self) -> None:
        self.command(b"LOGOUT")
        self.sock.close()


def test_imap_login_with_starttls(stack: Stack) -> None:
    with imap(stack, ALICE) as client:
        assert client.select_folder("INBOX")[b"UIDVALIDITY"]


def test_imaps_login(stack: Stack) -> None:
    with imap(stack, BOB, implicit_tls=True) as client:
        assert b"QUOTA" in client.capabilities()


def test_wrong_password_is_refused(stack: Stack) -> None:
    with pytest.raises(LoginError), imap(stack, ALICE, "not-the-password"):
        pass


def test_special_use_folders_exist(stack: Stack) -> None:
    with imap(stack, ALICE) as client:
        flags = {name: set(f) for f, _, name in client.list_folders()}
    for folder in ("Drafts", "Sent", "Trash", "Junk", "Archive"):
        assert f"\\{folder}".encode() in flags[folder]


def test_submission_delivers_to_the_other_user(stack: Stack) -> None:
    subject = unique("lunch")
    submit(stack, message(ALICE, BOB, subject))
    with imap(stack, BOB) as client:
        assert wait_for(lambda: subject in subjects(client, "INBOX"))


def test_external_mail_lands_in_the_sink_only(stack: Stack) -> None:
    subject = unique("outside")
    submit(stack, message(ALICE, "someone@elsewhere.test", subject))
    sink_user, sink_password = stack.mailstack.sink_credentials()
    with imap(stack, sink_user, sink_password) as client:
        assert wait_for(lambda: subject in subjects(client, "INBOX"))
    for user in (ALICE, BOB):
        with imap(stack, user) as client:
            assert subject not in subjects(client, "INBOX")


def test_sieve_script_files_mail_on_delivery(stack: Stack) -> None:
    sieve = ManageSieve(stack.port("sieve"), stack.tls)
    sieve.login(BOB, PASSWORD)
    sieve.put_active(
        "hamkar",
        'require ["fileinto", "mailbox"];\n'
        'if header :contains "subject" "[project-x]" { fileinto :create "Projects"; }\n',
    )
    sieve.close()
    subject = unique("[project-x] status")
    submit(stack, message(ALICE, BOB, subject))
    with imap(stack, BOB) as client:
        assert wait_for(lambda: client.folder_exists("Projects"))
        assert wait_for(lambda: subject in subjects(client, "Projects"))
        assert subject not in subjects(client, "INBOX")


def test_acl_grant_shares_the_inbox(stack: Stack) -> None:
    with imap(stack, BOB) as client:
        assert f"shared/{ALICE}/INBOX" not in {n for _, _, n in client.list_folders()}
    stack.mailstack.set_acl(ALICE, "INBOX", BOB, ["lookup", "read"])
    with imap(stack, BOB) as client:
        assert f"shared/{ALICE}/INBOX" in {n for _, _, n in client.list_folders()}
        client.select_folder(f"shared/{ALICE}/INBOX", readonly=True)
        assert client.search(["BODY", "nowhere-to-be-found"]) == []


def test_quota_is_reported(stack: Stack) -> None:
    with imap(stack, BOB) as client:
        _, quotas = client.get_quota_root("INBOX")
    storage = [q for q in quotas if q.resource == "STORAGE"]
    assert storage and storage[0].limit == 50 * 1024  # KiB


def test_body_search_uses_the_full_text_index(stack: Stack) -> None:
    subject = unique("orchard")
    body = "The kumquat harvest contract (قرارداد) is signed.\n"
    submit(stack, message(BOB, ALICE, subject, body), user=BOB)
    with imap(stack, ALICE) as client:
        assert wait_for(lambda: subject in subjects(client, "INBOX"))
        client.select_folder("INBOX")
        found = client.search(["BODY", "kumquat"])
        assert len(found) == 1
        assert client.search(["BODY", "قرارداد"], charset="UTF-8") == found
        assert client.search(["TEXT", "kumquat"]) == found
        assert client.search(["BODY", "rhubarb"]) == []
        # the index lives outside Maildir, where LAYOUT=fs would list it as a folder
        assert not [name for _, _, name in client.list_folders() if "xapian" in name]
    # The answer comes from Xapian: ask the FTS backend directly, and find its index on disk.
    conf = str(stack.directory / "dovecot.conf")
    lookup = subprocess.run(
        ["doveadm", "-c", conf, "fts", "lookup", "-u", ALICE, "body", "kumquat"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert lookup.stdout.split() == ["INBOX:", str(found[0])]
    assert (stack.directory / "mail/example.com/alice/index/xapian-indexes").is_dir()


def test_start_twice_is_idempotent(stack: Stack) -> None:
    stack.mailstack.start()
    assert stack.mailstack.status()
    with imap(stack, ALICE) as client:
        assert client.select_folder("INBOX")


def test_stop_stops_only_this_stack(stack: Stack) -> None:
    # A second stack in a long path: Dovecot's sockets live in /run, so the length of DIR
    # (here well past the 108-byte unix socket limit) does not matter.
    parent = fresh_directory()
    other = MailStack(stack_settings(parent / ("deep-" * 25 + "stack"), OFFSET + 100))
    try:
        other.start()
        assert other.status()
        other.stop()
        assert not other.status()
        assert "dovecot: stopped" in other.status_text()
    finally:
        other.stop()
        shutil.rmtree(parent, ignore_errors=True)
    assert stack.mailstack.status()
    with imap(stack, BOB) as client:
        assert client.select_folder("INBOX")


def test_failure_carries_the_scripts_message(stack: Stack) -> None:
    with pytest.raises(MailStackError, match="bad address"):
        stack.mailstack.add_user("not-an-address", PASSWORD)
