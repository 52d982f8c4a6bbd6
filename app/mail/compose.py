"""Builds outgoing messages (RFC 5322 + MIME) from what the user composed.

Headers are encoded by the ``email`` package (RFC 2047 words, RFC 2231 filenames); nothing the
user typed can add a header: line breaks and control characters are refused or folded away first.
A message to or from an internationalized address (a non-ASCII local part) has UTF-8 headers
(RFC 6532) and can only travel over SMTPUTF8 (RFC 6531).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo

import nh3

from app.errors import Invalid
from app.mail.addresses import is_international, parse_address_list

Priority = Literal["high", "normal", "low"]
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_BIDI_CONTROLS_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")
_MSGID_RE = re.compile(r"^<[^<>\s]{1,900}>$")
MAX_SUBJECT = 998


@dataclass(frozen=True)
class Attachment:
    """A file to attach; with ``content_id`` it is an inline image of the HTML body."""

    filename: str
    content_type: str
    data: bytes
    content_id: str | None = None


@dataclass(frozen=True)
class Draft:
    """Everything the compose form holds."""

    sender: str
    to: list[str]
    subject: str
    text: str
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    reply_to: str | None = None
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    priority: Priority = "normal"
    request_read_receipt: bool = False


@dataclass(frozen=True)
class Outgoing:
    """A built message and its SMTP envelope (Bcc recipients are only in the envelope).

    ``raw``, when given, is the exact text to send (a queued message goes out byte for byte).
    """

    message: EmailMessage
    envelope_from: str
    recipients: list[str]
    raw: bytes | None = None

    def as_bytes(self) -> bytes:
        """The message as it goes over the wire (CRLF line ends)."""
        if self.raw is not None:
            return self.raw
        return self._built

    @cached_property
    def _built(self) -> bytes:
        return self.message.as_bytes(policy=self.message.policy)

    @property
    def smtputf8(self) -> bool:
        """Whether it needs SMTPUTF8: UTF-8 in an envelope address or in the header."""
        header = self.as_bytes().split(b"\r\n\r\n", 1)[0]
        envelope = [self.envelope_from, *self.recipients]
        return not header.isascii() or any(is_international(a) for a in envelope)


def clean_html(markup: str) -> str:
    """Rich text as it may be sent or edited: nh3's safe subset, keeping signature blocks and
    ``cid:`` references to inline images (RFC 2392)."""
    return nh3.clean(
        markup,
        allowed_classes={"div": {"signature"}},
        url_schemes=nh3.ALLOWED_URL_SCHEMES | {"cid"},
    )


def clean_subject(subject: str) -> str:
    """One line: line breaks become spaces, other control characters go."""
    subject = re.sub(r"[ \t]*[\r\n]+[ \t]*", " ", subject)
    subject = _CONTROL_RE.sub("", subject).strip()
    if len(subject) > MAX_SUBJECT:
        raise Invalid("The subject is longer than %(count)s characters.", count=MAX_SUBJECT)
    return subject


def clean_filename(name: str) -> str:
    """A filename without path parts, control or bidi-override characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _BIDI_CONTROLS_RE.sub("", _CONTROL_RE.sub("", name.replace("\n", " "))).strip()
    return name[:200] or "attachment"


def build_message(
    draft: Draft, *, timezone: str, now: datetime | None = None, require_recipients: bool = True
) -> Outgoing:
    """The message to send. Raises ``Invalid`` for bad addresses or headers."""
    sender = parse_address_list([draft.sender])
    if len(sender) != 1:
        raise Invalid("Choose one sender address.")
    to, cc, bcc = (parse_address_list(v) for v in (draft.to, draft.cc, draft.bcc))
    if require_recipients and not (to or cc or bcc):
        raise Invalid("Add at least one recipient.")
    everyone = [*sender, *to, *cc, *bcc, *parse_address_list([draft.reply_to or ""])]
    international = any(is_international(a.addr_spec) for a in everyone)
    # RFC 2047 cannot encode a local part: those messages carry UTF-8 headers (RFC 6532).
    message = EmailMessage(policy=policy.SMTPUTF8 if international else policy.SMTP)
    _set_headers(message, draft, sender[0], to, cc, timezone, now or datetime.now(UTC))
    _set_body(message, draft)
    recipients = [a.addr_spec for a in (*to, *cc, *bcc)]
    return Outgoing(message=message, envelope_from=sender[0].addr_spec, recipients=recipients)


def _set_headers(
    message: EmailMessage,
    draft: Draft,
    sender: Address,
    to: list[Address],
    cc: list[Address],
    timezone: str,
    now: datetime,
) -> None:
    message["From"] = sender
    if to:
        message["To"] = to
    if cc:
        message["Cc"] = cc
    if draft.reply_to:
        message["Reply-To"] = parse_address_list([draft.reply_to])
    message["Subject"] = clean_subject(draft.subject)
    message["Date"] = format_datetime(now.astimezone(_zone(timezone)))
    message["Message-ID"] = make_msgid(domain=sender.domain)
    references = [r for r in draft.references if _MSGID_RE.match(r)][-50:]
    if draft.in_reply_to and _MSGID_RE.match(draft.in_reply_to):
        message["In-Reply-To"] = draft.in_reply_to
        if draft.in_reply_to not in references:
            references.append(draft.in_reply_to)
    if references:
        message["References"] = " ".join(references)
    if draft.priority != "normal":
        message["X-Priority"] = "1 (Highest)" if draft.priority == "high" else "5 (Lowest)"
        message["Importance"] = draft.priority
    if draft.request_read_receipt:
        message["Disposition-Notification-To"] = sender.addr_spec
    message["MIME-Version"] = "1.0"
    message["User-Agent"] = "Hamkar"


def _set_body(message: EmailMessage, draft: Draft) -> None:
    message.set_content(draft.text.replace("\r\n", "\n"), cte="quoted-printable")
    if draft.html is not None:
        message.add_alternative(clean_html(draft.html), subtype="html", cte="quoted-printable")
        html_part = _html_part(message)
        for item in draft.attachments:
            if item.content_id:
                maintype, _, subtype = item.content_type.partition("/")
                html_part.add_related(
                    item.data,
                    maintype,
                    subtype or "octet-stream",
                    cid=f"<{item.content_id}>",
                    filename=clean_filename(item.filename),
                )
    for item in draft.attachments:
        if item.content_id and draft.html is not None:
            continue
        maintype, _, subtype = item.content_type.partition("/")
        if not maintype or not subtype or "\n" in item.content_type:
            maintype, subtype = "application", "octet-stream"
        if (maintype, subtype) == ("message", "rfc822"):
            # A forwarded message travels whole, as message/rfc822 (RFC 2046 5.2.1).
            embedded = message_from_bytes(item.data, policy=policy.default)
            message.add_attachment(embedded, filename=clean_filename(item.filename))
            continue
        message.add_attachment(
            item.data, maintype=maintype, subtype=subtype, filename=clean_filename(item.filename)
        )


def _html_part(message: EmailMessage) -> EmailMessage:
    for part in message.walk():
        if isinstance(part, EmailMessage) and part.get_content_type() == "text/html":
            return part
    raise AssertionError("an HTML alternative was just added")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")
