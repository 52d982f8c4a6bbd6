"""The compose form: what it holds, how it becomes a message or a draft, and how replies,
forwards and reopened drafts fill it in."""

from __future__ import annotations

import base64
import html
import json
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Literal
from zoneinfo import ZoneInfo

import nh3

from app.mail.addresses import parse_address_list
from app.mail.compose import Attachment, Draft, Outgoing, Priority, build_message, clean_html
from app.mail.inline_images import to_cid_html

ReplyMode = Literal["reply", "reply_all", "forward", "forward_attachment", "edit_as_new"]
DRAFT_HEADER = "X-Hamkar-Draft"
_BLOCK_END_RE = re.compile(r"(?i)<br\s*/?>|</(p|div|li|h[1-6]|blockquote|tr)>")


@dataclass
class ComposeForm:
    """Every field of the compose page, as typed (addresses are still text)."""

    to: str = ""
    cc: str = ""
    bcc: str = ""
    subject: str = ""
    text: str = ""
    html: str = ""
    rich: bool = True
    priority: Priority = "normal"
    receipt: bool = False
    in_reply_to: str = ""
    references: str = ""
    reply_folder: str = ""
    reply_uid: int | None = None
    forwarded: bool = False
    draft_uid: int | None = None
    attachment_ids: list[str] = field(default_factory=list)
    send_at: str = ""
    identity: str = ""

    def body_text(self) -> str:
        """The plain-text body: typed directly, or derived from the rich text."""
        return html_to_text(self.html) if self.rich else self.text


def html_to_text(markup: str) -> str:
    """Readable plain text from HTML (for the text/plain alternative and quoting)."""
    text = nh3.clean(_BLOCK_END_RE.sub("\n", markup), tags=set())
    lines = [line.rstrip() for line in html.unescape(text).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def to_draft(form: ComposeForm, *, sender: str, attachments: list[Attachment]) -> Draft:
    """The message the form describes (recipients must be valid)."""
    return Draft(
        sender=sender,
        to=[form.to],
        cc=[form.cc],
        bcc=[form.bcc],
        subject=form.subject,
        text=form.body_text(),
        html=to_cid_html(form.html) if form.rich else None,
        attachments=attachments,
        in_reply_to=form.in_reply_to or None,
        references=form.references.split(),
        priority=form.priority,
        request_read_receipt=form.receipt,
    )


def draft_message(
    form: ComposeForm, *, sender: str, timezone: str, attachments: list[Attachment]
) -> Outgoing:
    """A message for the Drafts folder: whatever was typed, valid or not, can be reopened.

    Recipients that do not parse stay out of the headers, but the whole form travels in an
    ``X-Hamkar-Draft`` header so reopening restores it exactly.
    """
    lenient = replace(
        form, to=_valid_only(form.to), cc=_valid_only(form.cc), bcc=_valid_only(form.bcc)
    )
    outgoing = build_message(
        to_draft(lenient, sender=sender, attachments=attachments),
        timezone=timezone,
        require_recipients=False,
    )
    state = {k: v for k, v in asdict(form).items() if k != "draft_uid"}
    encoded = base64.b64encode(json.dumps(state).encode()).decode()
    outgoing.message[DRAFT_HEADER] = encoded
    return outgoing


def _valid_only(text: str) -> str:
    valid: list[str] = []
    for chunk in text.split(","):
        try:
            valid.extend(a.addr_spec for a in parse_address_list([chunk]))
        except Exception:  # noqa: S112 - a draft keeps what does not parse in its own header
            continue
    return ", ".join(valid)


def form_from_draft(raw: bytes, uid: int) -> ComposeForm:
    """Reopen a draft: ours exactly as left, another client's from its headers and body."""
    message = _parse(raw)
    state = message.get(DRAFT_HEADER)
    if state:
        try:
            values = json.loads(base64.b64decode(str(state)))
            form = ComposeForm(
                **{k: v for k, v in values.items() if k in ComposeForm.__dataclass_fields__}
            )
            form.draft_uid = uid
            return form
        except (ValueError, TypeError):
            pass
    text, markup = _bodies(message)
    return ComposeForm(
        to=_header_text(message, "To"),
        cc=_header_text(message, "Cc"),
        bcc=_header_text(message, "Bcc"),
        subject=str(message["Subject"] or ""),
        text=text,
        html=markup or _text_to_html(text),
        draft_uid=uid,
        in_reply_to=str(message["In-Reply-To"] or ""),
        references=str(message["References"] or ""),
    )


def reply_form(
    raw: bytes, *, mode: ReplyMode, me: str, folder: str, uid: int, timezone: str
) -> tuple[ComposeForm, list[Attachment]]:
    """The form for a reply, reply-all or forward, and the attachments a forward keeps."""
    original = _parse(raw)
    subject = str(original["Subject"] or "")
    text, markup = _bodies(original)
    quoted_html = markup or _text_to_html(text)
    when = _date(original, timezone)
    sender = _header_text(original, "From")
    forwarding = mode in ("forward", "forward_attachment")
    form = ComposeForm(reply_folder=folder, reply_uid=uid, forwarded=forwarding)
    if mode == "edit_as_new":
        # The same message again, as a new one: no threading, nothing flagged afterwards.
        new = ComposeForm(
            to=_header_text(original, "To"),
            cc=_header_text(original, "Cc"),
            subject=subject,
            html=markup or _text_to_html(text),
        )
        return new, _attachments_of(original)
    if mode == "forward_attachment":
        form.subject = _prefixed("Fwd: ", subject)
        name = (re.sub(r"[^\w\s.-]", "", subject).strip() or "message")[:80] + ".eml"
        return form, [Attachment(name, "message/rfc822", raw)]
    if mode == "forward":
        form.subject = _prefixed("Fwd: ", subject)
        form.html = (
            f"<p><br></p><p>---------- Forwarded message ----------<br>From: "
            f"{html.escape(sender)}<br>Date: {html.escape(when)}<br>Subject: "
            f"{html.escape(subject)}</p>{clean_html(quoted_html)}"
        )
        return form, _attachments_of(original)
    form.subject = _prefixed("Re: ", subject)
    form.to, form.cc = _reply_recipients(original, me=me, everyone=mode == "reply_all")
    message_id = str(original["Message-ID"] or "").strip()
    form.in_reply_to = message_id
    form.references = " ".join([*str(original["References"] or "").split(), message_id]).strip()
    form.html = (
        f"<p><br></p><p>On {html.escape(when)}, {html.escape(sender)} wrote:</p>"
        f"<blockquote>{clean_html(quoted_html)}</blockquote>"
    )
    return form, []


def _reply_recipients(original: EmailMessage, *, me: str, everyone: bool) -> tuple[str, str]:
    reply_to = _header_text(original, "Reply-To") or _header_text(original, "From")
    if not everyone:
        return reply_to, ""
    seen = {me.lower()} | {a.lower() for _, a in getaddresses([reply_to])}
    others = []
    for _name, address in getaddresses(
        [_header_text(original, "To"), _header_text(original, "Cc")]
    ):
        if address and address.lower() not in seen:
            seen.add(address.lower())
            others.append(address)
    return reply_to, ", ".join(others)


def _prefixed(prefix: str, subject: str) -> str:
    return subject if subject.lower().startswith(prefix.lower()) else prefix + subject


def _parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _header_text(message: EmailMessage, name: str) -> str:
    try:
        return str(message.get(name, "") or "")
    except (ValueError, TypeError, IndexError):
        return ""


def _bodies(message: EmailMessage) -> tuple[str, str]:
    text_part = message.get_body(("plain",))
    html_part = message.get_body(("html",))
    text = _content(text_part) if text_part is not None else ""
    markup = _content(html_part) if html_part is not None else ""
    return (text or (html_to_text(markup) if markup else "")), markup


def _content(part: object) -> str:
    try:
        return str(part.get_content())  # type: ignore[attr-defined]
    except (LookupError, ValueError, AttributeError):
        return ""


def _text_to_html(text: str) -> str:
    return "".join(f"<p>{html.escape(line) or '<br>'}</p>" for line in text.splitlines())


def _attachments_of(message: EmailMessage) -> list[Attachment]:
    found = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            found.append(
                Attachment(part.get_filename() or "attachment", part.get_content_type(), payload)
            )
    return found


def _date(message: EmailMessage, timezone: str) -> str:
    try:
        moment = message["Date"].datetime
    except (AttributeError, TypeError, ValueError):
        return ""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.strftime(moment.astimezone(zone), "%Y-%m-%d %H:%M")
