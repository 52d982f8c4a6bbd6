"""Inline images of rich text.

In the editor an image points at its compose upload (``/mail/compose/attachments/<id>/view``);
in the message it points at a part of the multipart/related body by Content-ID (RFC 2392
``cid:`` URLs, RFC 2387). Reopening a draft turns the parts back into uploads, so a draft shows
its images on any device and after the uploads were cleaned away.
"""

from __future__ import annotations

import html
import re
from email import message_from_bytes, policy
from email.message import EmailMessage

from app.errors import NotFound, TooLarge
from app.mail.compose import Attachment
from app.mail.uploads import UploadStore

EDITOR_SRC = "/mail/compose/attachments/{id}/view"
# Raster images only: an SVG could carry script into the editor.
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_EDITOR_SRC_RE = re.compile(r'src="/mail/compose/attachments/([0-9a-f]{32})/view"')
_CID_SRC_RE = re.compile(r'src="cid:([^"]{1,300})"', re.IGNORECASE)
CID_DOMAIN = "inline.hamkar"


def content_id(upload_id: str) -> str:
    """The Content-ID (without brackets) of an uploaded inline image."""
    return f"{upload_id}@{CID_DOMAIN}"


def upload_ids(markup: str) -> list[str]:
    """The uploads the editor's HTML shows, in order, each once."""
    return list(dict.fromkeys(_EDITOR_SRC_RE.findall(markup)))


def to_cid_html(markup: str) -> str:
    """The HTML as sent: each uploaded image refers to its MIME part."""
    return _EDITOR_SRC_RE.sub(lambda m: f'src="cid:{content_id(m[1])}"', markup)


def inline_attachments(store: UploadStore, owner: str, markup: str) -> list[Attachment]:
    """The images the HTML shows, as related parts (``NotFound`` when one is gone)."""
    found = []
    for upload_id in upload_ids(markup):
        upload, data = store.get(owner, upload_id)
        if upload.content_type not in IMAGE_TYPES:
            raise NotFound("No such attachment.")
        found.append(Attachment(upload.filename, upload.content_type, data, content_id(upload_id)))
    return found


def restore(markup: str, raw: bytes, *, store: UploadStore, owner: str, max_bytes: int) -> str:
    """The editor's HTML of a reopened draft (or a quoted message), every image shown from an
    upload of ``owner``.

    Uploads still there are kept; missing ones, and ``cid:`` images of other clients' drafts or
    of the message quoted, are made again from the message's own parts.
    """
    parts = _image_parts(raw)

    def upload(part: Attachment | None, original: str) -> str:
        if part is None:
            return original
        try:
            saved = store.save(
                owner,
                filename=part.filename,
                content_type=part.content_type,
                chunks=[part.data],
                max_bytes=max_bytes,
            )
        except TooLarge:
            return original  # over the limit: left out, as an attachment would be
        return f'src="{EDITOR_SRC.format(id=saved.id)}"'

    def editor_src(match: re.Match[str]) -> str:
        try:
            store.get(owner, match[1])
            return match[0]
        except NotFound:
            return upload(parts.get(content_id(match[1])), match[0])

    def cid_src(match: re.Match[str]) -> str:
        return upload(parts.get(html.unescape(match[1]).strip("<>")), match[0])

    return _CID_SRC_RE.sub(cid_src, _EDITOR_SRC_RE.sub(editor_src, markup))


def _image_parts(raw: bytes) -> dict[str, Attachment]:
    message = message_from_bytes(raw, policy=policy.default)
    found: dict[str, Attachment] = {}
    for part in message.walk():
        cid = str(part.get("Content-ID", "") or "").strip().strip("<>")
        if not cid or not isinstance(part, EmailMessage):
            continue
        if part.get_content_type() not in IMAGE_TYPES:
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            found[cid] = Attachment(
                part.get_filename() or "image", part.get_content_type(), payload, cid
            )
    return found
