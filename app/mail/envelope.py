"""Turns the header fields fetched by the sync into envelope rows for the cache."""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from app.mail.encoded_words import decode_simple
from app.mail.search import normalize

HEADER_FIELDS = "FROM SENDER TO CC SUBJECT DATE MESSAGE-ID IN-REPLY-TO REFERENCES CONTENT-TYPE"
FETCH_ITEMS = (
    f"BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})]",
    "FLAGS",
    "RFC822.SIZE",
    "INTERNALDATE",
)
_PARSER = BytesHeaderParser(policy=compat32)
_ATOMS = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_ADDR_SPEC = rf"{_ATOMS}@{_ATOMS}"
# A display name of plain words (no specials of RFC 5322 3.2.3 but ".") and <addr>, or addr.
_MAILBOX = re.compile(
    rf"\s*(?:([^()<>@,;:\\\"\[\]\x00-\x1f]*?)\s*<({_ADDR_SPEC})>|({_ADDR_SPEC}))\s*"
)
_ODD_CONTROLS = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FIELD = re.compile(r"([!-9;-~]+):[ \t]*")
_KNOWN_FLAGS = {b"\\seen", b"\\flagged", b"\\answered", b"\\recent"}
_RE_PREFIX = ("re:", "fwd:", "fw:", "aw:", "sv:", "پاسخ:", "ارجاع:")


def decode_words(value: str | None) -> str:
    """An RFC 2047 header decoded to text; undecodable parts are replaced, never raised."""
    if not value:
        return ""
    if isinstance(value, str):  # (8-bit text comes as a Header object)
        # Unfolded first (RFC 5322 2.2.3): the email package would drop the space of a fold
        # between an encoded word and plain text ("=?..?= (x)" read as "x(x)").
        value = value.replace("\r\n", "").replace("\n", "")
        simple = value if "=?" not in value else decode_simple(value)
        if simple is not None:
            return " ".join(simple.split())
    try:
        text = str(make_header(decode_header(value)))
    except (LookupError, ValueError, UnicodeError, AssertionError):
        text = value.encode("ascii", "replace").decode("ascii")
    return " ".join(text.split())


def addresses(value: str | None) -> list[tuple[str, str]]:
    """(name, address) pairs of an address header, names decoded."""
    if not value:
        return []
    pairs = _simple_addresses(value)
    if pairs is None:
        pairs = email.utils.getaddresses([value])
    return [(decode_words(name), addr.strip()) for name, addr in pairs if addr or name]


def _simple_addresses(value: str) -> list[tuple[str, str]] | None:
    """What ``getaddresses`` gives for a list of plain ``Name <a@b>`` or ``a@b`` (most mail),
    read by a regular expression; None for anything else (quotes, comments, groups, 8-bit)."""
    if not isinstance(value, str) or not value.isascii():
        return None
    pairs = []
    for piece in value.split(","):
        found = _MAILBOX.fullmatch(piece)
        if found is None:
            return None
        name, angled, bare = found.groups()
        pairs.append((" ".join((name or "").split()), angled or bare))
    return pairs


def format_addresses(pairs: list[tuple[str, str]]) -> str:
    """One ``Name <address>`` per line (the cache's storage form)."""
    return "\n".join(f"{name} <{addr}>" if name else addr for name, addr in pairs)


def sort_subject(subject: str) -> str:
    """The subject without reply/forward prefixes, lower-cased (for sorting and threads)."""
    text = subject.strip()
    changed = True
    while changed:
        changed = False
        for prefix in _RE_PREFIX:
            if text.lower().startswith(prefix):
                text, changed = text[len(prefix) :].strip(), True
    return text.casefold()[:400]


def envelope_row(uid: int, data: dict[bytes, Any], modseq: int) -> dict[str, Any]:
    """A ``MailEnvelope`` row (as a dict) from one FETCH response."""
    raw = next((v for k, v in data.items() if k.startswith(b"BODY[HEADER")), b"") or b""
    headers = _plain_headers(raw) or _PARSER.parsebytes(raw)
    sender = addresses(headers.get("From")) or addresses(headers.get("Sender"))
    name, addr = sender[0] if sender else ("", "")
    to, cc = addresses(headers.get("To")), addresses(headers.get("Cc"))
    subject = decode_words(headers.get("Subject"))
    content_type = (headers.get("Content-Type") or "").lower()
    when = data.get(b"INTERNALDATE")
    row = {
        "uid": uid,
        "modseq": modseq,
        "sender_name": name[:400],
        "sender_address": addr[:320],
        "sender_sort": (name or addr).casefold()[:400],
        "recipients": format_addresses(to),
        "cc": format_addresses(cc),
        "subject": subject,
        "subject_sort": sort_subject(subject),
        "date": _utc(when) if isinstance(when, datetime) else _header_date(headers.get("Date")),
        "size": int(data.get(b"RFC822.SIZE", 0)),
        "has_attachment": "multipart/mixed" in content_type
        or content_type.startswith("application/"),
        "message_id": (headers.get("Message-ID") or "").strip()[:998],
        "in_reply_to": (headers.get("In-Reply-To") or "").strip()[:998],
        "references": " ".join((headers.get("References") or "").split()),
        "search_text": normalize(
            " ".join([name, addr, format_addresses(to), format_addresses(cc), subject])
        ),
    }
    row["thread_root"] = thread_root(row, uid)
    row.update(flag_columns(data.get(b"FLAGS", ())))
    return row


def thread_root(row: dict[str, Any], uid: int) -> str:
    """The conversation key: the oldest ancestor named in References, else In-Reply-To, else
    the message itself."""
    ids: list[str] = re.findall(r"<[^<>\s]+>", str(row["references"]))
    ids = ids or re.findall(r"<[^<>\s]+>", str(row["in_reply_to"]))
    if ids:
        return ids[0][:998]
    own: str = row["message_id"]
    return own or f"uid:{uid}"


def flag_columns(flags: tuple[bytes, ...] | list[bytes]) -> dict[str, Any]:
    """The flag columns of a row from an IMAP flag list."""
    lowered = {f.lower() for f in flags}
    rest = [f.decode(errors="replace") for f in flags if f.lower() not in _KNOWN_FLAGS]
    return {
        "seen": b"\\seen" in lowered,
        "flagged": b"\\flagged" in lowered,
        "answered": b"\\answered" in lowered,
        "flags": " ".join(rest),
    }


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _header_date(value: str | None) -> datetime:
    try:
        parsed = email.utils.parsedate_to_datetime(value or "")
    except (TypeError, ValueError, IndexError):
        return datetime(1970, 1, 1, tzinfo=UTC)
    return _utc(parsed)


def _plain_headers(raw: bytes) -> dict[str, str] | None:
    """The fields of an all-ASCII header block, as ``compat32`` parsing gives them (the first
    of each name; folded lines kept), by name in lower case; None for anything else (8-bit
    text, a malformed line), which the email package's parser reads instead."""
    if not raw.isascii() or _ODD_CONTROLS.search(raw):  # (str.splitlines splits at more)
        return None
    fields: dict[str, str] = {}
    name, value = "", ""
    for line in raw.decode("ascii").splitlines(keepends=True):
        if line[:1] in (" ", "\t"):
            if not name:
                return None
            value += line
            continue
        if name and name not in fields:
            fields[name] = value.rstrip("\r\n")
        if not line.strip():
            name = ""
            break
        found = _FIELD.match(line)
        if found is None:
            return None
        name, value = found.group(1).lower(), line[found.end() :]
    if name and name not in fields:
        fields[name] = value.rstrip("\r\n")
    return _Fields(fields)


class _Fields(dict[str, str]):
    """Header fields looked up case-insensitively, like ``Message.get``."""

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)
