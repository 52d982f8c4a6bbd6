"""Read receipts someone asked us for (RFC 8098 Message Disposition Notifications).

A message with ``Disposition-Notification-To`` is answered only when its reader says so, never
automatically. Answering ("send") submits an MDN; either answer, "send" or "ignore", sets the
``$MDNSent`` keyword (RFC 3503) so the question is never asked again, on any device.
"""

from __future__ import annotations

import email
import email.errors
import email.header
import email.policy
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import format_datetime, getaddresses, make_msgid
from typing import Protocol

from imapclient.exceptions import IMAPClientError

from app.errors import Invalid, NotFound
from app.mail.addresses import parse_address
from app.mail.compose import Outgoing, clean_subject
from app.mail.imap import POOL, ImapConnection, MailAccount

MDN_SENT = b"$MDNSent"
DISPOSITION = "manual-action/MDN-sent-manually; displayed"


@dataclass(frozen=True)
class ReceiptRequest:
    """A request for a read receipt that the reader has not answered yet."""

    folder: str
    uid: int
    notify: str  # where the receipt would go (Disposition-Notification-To)
    subject: str
    message_id: str
    date: str
    original_recipient: str


def receipt_request(
    account: MailAccount, *, folder: str, uid: int, own_addresses: frozenset[str] = frozenset()
) -> ReceiptRequest | None:
    """The open request on this message, or ``None`` (none asked, already answered, a draft,
    an MDN itself, or a request to one of the reader's own addresses, e.g. in Sent)."""
    flags, header = _flags_and_header(account, folder=folder, uid=uid)
    if MDN_SENT in flags or b"\\Draft" in flags:
        return None
    original = email.message_from_bytes(header, policy=email.policy.compat32)
    if original.get_content_type() == "multipart/report":
        return None  # never answer a report with a report (RFC 8098 section 2.1)
    notify = _notify_address(original)
    if notify is None or notify.lower() in {account.email.lower(), *own_addresses}:
        return None
    return ReceiptRequest(
        folder=folder,
        uid=uid,
        notify=notify,
        subject=_text(original, "Subject"),
        message_id=_text(original, "Message-ID").strip(),
        date=_text(original, "Date"),
        original_recipient=_text(original, "Original-Recipient"),
    )


class Translate(Protocol):
    """A message catalogue's lookup that fills ``%(name)s`` placeholders (the page's ``_``)."""

    def __call__(self, message: str, **params: object) -> str: ...


def _english(message: str, **params: object) -> str:
    return message % params if params else message


def build_receipt(
    request: ReceiptRequest,
    *,
    reader: str,
    now: datetime | None = None,
    translate: Translate = _english,
) -> Outgoing:
    """The MDN (multipart/report; report-type=disposition-notification, RFC 8098 section 3).

    Its envelope sender is null (``MAIL FROM:<>``) so that nothing ever answers it. The subject
    and the human-readable part are in the reader's language (``translate``); the machine part
    is the RFC's fixed vocabulary.
    """
    _ = translate
    reader_address = parse_address(reader)
    report = EmailMessage(policy=email.policy.SMTP)
    report["From"] = reader_address
    report["To"] = parse_address(request.notify)
    report["Subject"] = clean_subject(_("Read: %(subject)s", subject=request.subject)[:900])
    report["Date"] = format_datetime(now or datetime.now(UTC))
    report["Message-ID"] = make_msgid(domain=reader_address.domain)
    if request.message_id:
        report["In-Reply-To"] = request.message_id
        report["References"] = request.message_id
    report["Auto-Submitted"] = "auto-replied"
    report["MIME-Version"] = "1.0"
    report.set_content(_human_text(request, reader_address.addr_spec, _))
    report.make_mixed()
    report.set_type("multipart/report")
    report.set_param("report-type", "disposition-notification")
    report.attach(_disposition_part(request, reader_address))
    return Outgoing(message=report, envelope_from="", recipients=[request.notify])


def _human_text(request: ReceiptRequest, reader: str, _: Translate) -> str:
    about = _(
        "This is a read receipt for the message sent on %(date)s to %(reader)s "
        "with the subject “%(subject)s”.",
        date=request.date or "?",
        reader=reader,
        subject=request.subject,
    )
    shown = _(
        "The message has been displayed. This is no guarantee that it has been read or understood."
    )
    return f"{about}\n\n{shown}\n"


def _disposition_part(request: ReceiptRequest, reader: Address) -> EmailMessage:
    fields = [f"Reporting-UA: {reader.domain}; Hamkar"]
    if request.original_recipient:
        fields.append(f"Original-Recipient: {_one_line(request.original_recipient)}")
    fields.append(f"Final-Recipient: rfc822;{reader.addr_spec}")
    if request.message_id:
        fields.append(f"Original-Message-ID: {_one_line(request.message_id)}")
    fields.append(f"Disposition: {DISPOSITION}")
    part = EmailMessage(policy=email.policy.SMTP)
    part["Content-Type"] = "message/disposition-notification"
    # The generator writes a message/* payload as given: CRLF line ends here.
    part.set_payload("\r\n".join(fields) + "\r\n")
    return part


def mark_answered(account: MailAccount, *, folder: str, uid: int) -> None:
    """Set ``$MDNSent`` so the question is not asked again."""

    def work(conn: ImapConnection) -> None:
        conn.select(folder)
        conn.client.add_flags([uid], [MDN_SENT], silent=True)

    try:
        POOL.run(account, work)
    except IMAPClientError as exc:
        raise Invalid("Your answer could not be recorded in this folder.") from exc


def _flags_and_header(account: MailAccount, *, folder: str, uid: int) -> tuple[set[bytes], bytes]:
    def work(conn: ImapConnection) -> tuple[set[bytes], bytes] | None:
        conn.select(folder, readonly=True)
        data = conn.client.fetch([uid], ["FLAGS", "BODY.PEEK[HEADER]"]).get(uid)
        if not data:
            return None
        header = next((v for k, v in data.items() if k.startswith(b"BODY[")), b"")
        return set(data.get(b"FLAGS", ())), bytes(header)

    try:
        found = POOL.run(account, work)
    except IMAPClientError as exc:
        raise NotFound("This message does not exist any more.") from exc
    if found is None:
        raise NotFound("This message does not exist any more.")
    return found


def _notify_address(original: Message) -> str | None:
    pairs = getaddresses([_text(original, "Disposition-Notification-To")])
    if len(pairs) != 1 or not pairs[0][1]:
        return None
    try:
        return parse_address(pairs[0][1]).addr_spec
    except Invalid:
        return None


def _text(message: Message, name: str) -> str:
    value = message.get(name)
    if value is None:
        return ""
    try:
        decoded = str(email.header.make_header(email.header.decode_header(str(value))))
    except (LookupError, UnicodeError, email.errors.HeaderParseError):
        decoded = str(value)
    return _one_line(decoded)


def _one_line(value: str) -> str:
    return " ".join(value.split())[:900]
