"""A hostile-input sweep for the DAV servers: a table of requests and the checks every answer
must pass ("bad input gets a clear error, never a 500, and nothing is lost").

Requests go over a raw socket, byte for byte: HTTP clients would normalise ``..``, re-encode a
bad ``%`` or refuse a ``#``, and those are exactly what the sweep sends.
"""

from __future__ import annotations

import base64
import logging
import re
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from tests.conftest import TEST_PASSWORD

ALICE = "alice@example.com"
BOB = "bob@example.com"
# What an answer must never show: a traceback, an exception's repr, a memory address.
LEAKS = re.compile(
    r"Traceback|Exception|Error\(|File \"|line \d+, in |object at 0x|<string>|Source exception"
)


@dataclass(frozen=True)
class Case:
    """One hostile request and the statuses that are a correct answer to it."""

    method: str
    target: str  # the Request-URI exactly as sent
    expect: frozenset[int]
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    user: str | None = ALICE  # None: no credentials at all

    def __str__(self) -> str:
        extra = " ".join(f"{k}: {v[:40]!r}" for k, v in self.headers.items())
        return f"{self.method} {self.target[:80]!r} {extra} body={len(self.body)}B"


def case(
    method: str,
    target: str,
    *expect: int,
    body: bytes | str = b"",
    user: str | None = ALICE,
    **headers: str,
) -> Case:
    """A case; header names use underscores for dashes (``If_Match``)."""
    data = body.encode() if isinstance(body, str) else body
    names = {k.replace("_", "-"): v for k, v in headers.items()}
    return Case(method, target, frozenset(expect), names, data, user)


@dataclass
class Answer:
    """What came back: status (0 for none), headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes


def send(base_url: str, hostile: Case, *, timeout: float = 30) -> Answer:
    """Send the case on a fresh connection and read the whole answer."""
    host, port = base_url.split("//", 1)[1].split(":")
    head = {"Host": f"{host}:{port}", "Connection": "close"}
    if hostile.user is not None:
        token = base64.b64encode(f"{hostile.user}:{TEST_PASSWORD}".encode()).decode()
        head["Authorization"] = f"Basic {token}"
    if hostile.body or hostile.method in ("PUT", "PROPPATCH", "LOCK", "REPORT"):
        head["Content-Length"] = str(len(hostile.body))
    head.update(hostile.headers)
    request = f"{hostile.method} {hostile.target} HTTP/1.1\r\n".encode("latin-1")
    request += b"".join(f"{k}: {v}\r\n".encode("latin-1") for k, v in head.items())
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        # refused before the body was all sent: the answer is still there
        with suppress(OSError):
            sock.sendall(request + b"\r\n" + hostile.body)
        return parse_answer(_read_all(sock))


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data


def parse_answer(data: bytes) -> Answer:
    """An HTTP/1.1 answer (after any ``100 Continue``), chunked bodies decoded."""
    while data.startswith(b"HTTP/1.1 100"):
        data = data.split(b"\r\n\r\n", 1)[1]
    if not data:
        return Answer(0, {}, b"")
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = _unchunk(body)
    return Answer(int(lines[0].split(" ")[1]), headers, body)


def _unchunk(body: bytes) -> bytes:
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2 :]
    return out


def problem(hostile: Case, answer: Answer) -> str | None:
    """Why the answer is wrong, or ``None``: never 5xx, an expected status, a plain reason."""
    text = answer.body.decode("utf-8", "replace")
    if answer.status == 0:
        return f"{hostile}: no answer"
    if answer.status >= 500 or answer.status not in hostile.expect:
        return f"{hostile}: {answer.status} (expected {sorted(hostile.expect)}) {text[:200]!r}"
    if LEAKS.search(text):
        return f"{hostile}: the body leaks internals: {text[:300]!r}"
    if answer.status == 405 and "allow" not in answer.headers:
        return f"{hostile}: 405 without an Allow header"
    if 400 <= answer.status < 500 and hostile.method != "HEAD" and not text.strip():
        return f"{hostile}: {answer.status} without a reason"
    return None


def sweep(base_url: str, cases: list[Case]) -> list[str]:
    """Every problem found across the cases (empty when all are answered correctly)."""
    found = []
    for hostile in cases:
        trouble = problem(hostile, send(base_url, hostile))
        if trouble:
            found.append(trouble)
    return found


def sweep_leaves_unchanged(
    base_url: str, cases: list[Case], snapshot: Callable[[], object]
) -> None:
    """Send the cases; fail on any wrong answer, any logged error or any change ``snapshot``
    (the owner's data, read back over HTTP) sees."""
    before = snapshot()
    with server_errors() as errors:
        problems = sweep(base_url, cases)
    assert not problems, "\n".join(problems)
    assert not errors, errors
    assert snapshot() == before


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def server_errors() -> Iterator[list[str]]:
    """The ERROR log lines written meanwhile (the app's crash guard, uvicorn, wsgidav)."""
    collect = _Collect()
    # uvicorn's and wsgidav's loggers do not propagate to the root logger
    loggers = [logging.getLogger(n) for n in ("", "uvicorn.error", "wsgidav")]
    for logger in loggers:
        logger.addHandler(collect)
    lines: list[str] = []
    try:
        yield lines
    finally:
        for logger in loggers:
            logger.removeHandler(collect)
        lines.extend(f"{r.name}: {r.getMessage()[:300]}" for r in collect.records)
