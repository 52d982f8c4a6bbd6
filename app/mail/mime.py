"""Reading a message: headers, the text and HTML bodies, inline images and attachments.

Hostile or broken input never raises: unknown charsets decode with replacement characters,
malformed base64 yields what can be decoded, structures nested deeper than ``MAX_DEPTH`` are
cut off (and a message the parser itself cannot handle is shown as headers plus a notice).
"""

from __future__ import annotations

import email
import email.policy
import re
import unicodedata
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser

from app.mail.envelope import addresses, decode_words
from app.mail.spoof import SenderWarning, sender_warnings

MAX_DEPTH = 30
# Raster images only: an SVG or HTML "image" could carry script.
PREVIEW_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
PDF_TYPE = "application/pdf"
MAX_PARTS = 500
_BIDI_AND_CONTROL = re.compile(
    "[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]"
)


def N_(message: str) -> str:
    """Marks a message for translation; the template translates it when shown."""
    return message


@dataclass
class Attachment:
    """A part offered for download (or shown inline when it is an image)."""

    index: int  # position in the depth-first walk: the download route's part number
    filename: str
    content_type: str
    size: int
    content_id: str = ""
    inline: bool = False

    @property
    def preview(self) -> str:
        """How the message view may show it besides the download: ``"image"``, ``"pdf"``
        or ``""``. Mailers often label a PDF ``application/octet-stream``; its name says."""
        if self.content_type in PREVIEW_IMAGE_TYPES and not self.inline:
            return "image"
        if self.content_type == PDF_TYPE or (
            self.content_type == "application/octet-stream"
            and self.filename.lower().endswith(".pdf")
        ):
            return "pdf"
        return ""


def is_pdf(data: bytes) -> bool:
    """True when ``data`` starts like a PDF (the header may follow up to 1 KiB of junk)."""
    return b"%PDF-" in data[:1024]


@dataclass
class ParsedMessage:
    """What the message view shows."""

    subject: str
    sender: list[tuple[str, str]]
    on_behalf_of: list[tuple[str, str]]
    to: list[tuple[str, str]]
    cc: list[tuple[str, str]]
    reply_to: list[tuple[str, str]]
    date: str
    priority: str  # "high" | "low" | ""
    list_unsubscribe: list[str]
    text: str | None = None
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    problem: str = ""  # a notice for the reader when the structure could not be read
    sender_warnings: list[SenderWarning] = field(default_factory=list)


def safe_filename(name: str, fallback: str = "attachment") -> str:
    """A download name without bidi overrides, control characters or path separators."""
    cleaned = _BIDI_AND_CONTROL.sub("", unicodedata.normalize("NFC", name))
    cleaned = cleaned.replace("/", "_").replace("\\", "_").strip(" .")
    return cleaned[:200] or fallback


def parse(raw: bytes) -> ParsedMessage:
    """Read ``raw`` (RFC 5322 bytes) into the parts the message view needs."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
        parts = _walk(message)
    except RecursionError:
        headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
        parsed = _headers(headers)
        parsed.problem = N_("This message is nested too deeply to display. Download its source.")
        return parsed
    parsed = _headers(message)
    for index, part, depth in parts:
        _take_part(parsed, index, part, depth)
    return parsed


def part_payload(raw: bytes, index: int) -> tuple[Attachment, bytes] | None:
    """The decoded bytes of the part at ``index`` (as numbered by ``parse``), if any."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
        parts = _walk(message)
    except RecursionError:
        return None
    for position, part, _depth in parts:
        if position == index and not part.is_multipart():
            payload = _payload(part)
            return _attachment(position, part, len(payload)), payload
    return None


def _walk(message: Message) -> list[tuple[int, Message, int]]:
    """Depth-first parts with their index and depth, without recursion, bounded."""
    found: list[tuple[int, Message, int]] = []
    stack: list[tuple[Message, int]] = [(message, 0)]
    while stack and len(found) < MAX_PARTS:
        part, depth = stack.pop()
        found.append((len(found), part, depth))
        if part.is_multipart() and depth < MAX_DEPTH:
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend(
                    (child, depth + 1) for child in reversed(children) if isinstance(child, Message)
                )
    return found


def _headers(message: Message) -> ParsedMessage:
    sender = addresses(message.get("From"))
    actual = addresses(message.get("Sender"))
    on_behalf = actual if actual and sender and actual[0][1].lower() != sender[0][1].lower() else []
    reply_to = addresses(message.get("Reply-To"))
    return ParsedMessage(
        subject=decode_words(message.get("Subject")),
        sender=sender,
        on_behalf_of=on_behalf,
        to=addresses(message.get("To")),
        cc=addresses(message.get("Cc")),
        reply_to=reply_to,
        date=decode_words(message.get("Date")),
        priority=_priority(message),
        list_unsubscribe=_unsubscribe_links(message.get("List-Unsubscribe")),
        sender_warnings=sender_warnings(_raw_header(message, "From"), reply_to),
    )


def _raw_header(message: Message, name: str) -> str | None:
    value = message.get(name)
    return str(value) if value is not None else None


def _priority(message: Message) -> str:
    value = (message.get("X-Priority") or message.get("Importance") or "").strip().lower()
    if value.startswith(("1", "2", "high")):
        return "high"
    if value.startswith(("4", "5", "low")):
        return "low"
    return ""


def _unsubscribe_links(value: str | None) -> list[str]:
    links = re.findall(r"<([^>]+)>", value or "")
    return [link for link in links if link.lower().startswith(("https://", "mailto:"))][:2]


def _take_part(parsed: ParsedMessage, index: int, part: Message, depth: int) -> None:
    if part.is_multipart():
        return
    ctype = part.get_content_type()
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    is_attachment = disposition == "attachment" or bool(part.get_filename())
    if not is_attachment and ctype == "text/plain" and parsed.text is None:
        parsed.text = _text(part)
    elif not is_attachment and ctype == "text/html" and parsed.html is None:
        parsed.html = _text(part)
    elif ctype.startswith("text/") and not is_attachment and depth > 0:
        return  # an alternative body we do not show (text/enriched, a second HTML)
    else:
        payload = _payload(part)
        item = _attachment(index, part, len(payload))
        parsed.attachments.append(item)


def _attachment(index: int, part: Message, size: int) -> Attachment:
    ctype = part.get_content_type()
    name = decode_words(part.get_filename() or "") or _default_name(ctype, index)
    cid = (part.get("Content-ID") or "").strip().strip("<>")
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    return Attachment(
        index=index,
        filename=safe_filename(name),
        content_type=ctype
        if re.fullmatch(r"[\w.+-]+/[\w.+-]+", ctype)
        else "application/octet-stream",
        size=size,
        content_id=cid,
        inline=bool(cid) and disposition != "attachment" and ctype.startswith("image/"),
    )


def _default_name(ctype: str, index: int) -> str:
    subtype = ctype.split("/")[-1] if "/" in ctype else "bin"
    return f"part-{index}.{subtype[:10]}"


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)  # compat32 decodes what it can of bad base64
    except (ValueError, TypeError):
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "replace") if isinstance(raw, str) else b""


def _text(part: Message) -> str:
    data = _payload(part)
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:  # an unknown charset: UTF-8 is the likeliest, never fail
        return data.decode("utf-8", errors="replace")
