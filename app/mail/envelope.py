"""Turns the header fields fetched by the sync into envelope rows for the cache."""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from app.mail.search import normalize

HEADER_FIELDS = "FROM SENDER TO CC SUBJECT DATE MESSAGE-ID IN-REPLY-TO REFERENCES CONTENT-TYPE"
FETCH_ITEMS = (
    f"BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})]",
    "FLAGS",
    "RFC822.SIZE",
    "INTERNALDATE",
)
_PARSER = BytesHeaderParser(policy=compat32)
_KNOWN_FLAGS = {b"\\seen", b"\\flagged", b"\\answered", b"\\recent"}
_RE_PREFIX = ("re:", "fwd:", "fw:", "aw:", "sv:", "پاسخ:", "ارجاع:")


def decode_words(value: str | None) -> str:
    """An RFC 2047 header decoded to text; undecodable parts are replaced, never raised."""
    if not value:
        return ""
    try:
        text = str(make_header(decode_header(value)))
    except (LookupError, ValueError, UnicodeError, AssertionError):
        text = value.encode("ascii", "replace").decode("ascii")
    return " ".join(text.split())


def addresses(value: str | None) -> list[tuple[str, str]]:
    """(name, address) pairs of an address header, names decoded."""
    if not value:
        return []
    pairs = email.utils.getaddresses([value])
    return [(decode_words(name), addr.strip()) for name, addr in pairs if addr or name]


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
    headers = _PARSER.parsebytes(raw)
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
