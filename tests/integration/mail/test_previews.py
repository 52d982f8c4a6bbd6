"""Inline previews of attachments: PDFs as their own sandboxed document, never as a page."""

from __future__ import annotations

import re
from email.message import EmailMessage

from starlette.testclient import TestClient

from app.settings import Settings
from tests.integration.mail.conftest import deliver
from tests.integration.mail.pdf import tiny_pdf
from tests.integration.mail.test_pages import _signed_in


def pdf_message(to: str) -> bytes:
    """A message with a real PDF, a PDF labelled octet-stream, and HTML pretending to be one."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Sara <sara@example.org>", to, "contract"
    msg.set_content("the contract is attached")
    msg.add_attachment(tiny_pdf(), maintype="application", subtype="pdf", filename="contract.pdf")
    msg.add_attachment(
        tiny_pdf("labelled badly"),
        maintype="application",
        subtype="octet-stream",
        filename="scan.PDF",
    )
    msg.add_attachment(
        b"<html><script>alert(document.cookie)</script></html>",
        maintype="application",
        subtype="pdf",
        filename="fake.pdf",
    )
    return msg.as_bytes()


def _previews(html: str) -> dict[str, str]:
    found = re.findall(r'<iframe class="attachment-pdf" title="([^"]+)"[^>]+src="([^"]+)"', html)
    return {title: src.replace("&amp;", "&") for title, src in found}


def test_pdf_attachments_are_previewed_in_a_sandbox(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    deliver(settings, mailbox, pdf_message(mailbox))
    _signed_in(client, mailbox)
    page = client.get("/mail/INBOX/1").text
    previews = _previews(page)
    assert set(previews) == {"contract.pdf", "scan.PDF", "fake.pdf"}
    # No sandbox attribute on the frame (Chromium would refuse to run its viewer); the
    # document sandboxes itself with its CSP instead.
    assert re.search(r'<iframe class="attachment-pdf"[^>]*\bsandbox', page) is None

    for name in ("contract.pdf", "scan.PDF"):
        shown = client.get(previews[name])
        assert shown.status_code == 200
        assert shown.headers["content-type"] == "application/pdf"
        assert shown.headers["content-disposition"].startswith("inline;")
        assert shown.headers["x-content-type-options"] == "nosniff"
        csp = shown.headers["content-security-policy"]
        assert "sandbox" in csp.split("; ") and "default-src 'none'" in csp
        assert "allow-same-origin" not in csp and "allow-scripts" not in csp
        assert "frame-ancestors 'self'" in csp
        assert shown.headers["x-frame-options"] == "SAMEORIGIN"
        assert shown.content.startswith(b"%PDF-1.4")

    # Bytes that are not a PDF are never shown inline, whatever their label says.
    fake = client.get(previews["fake.pdf"])
    assert fake.headers["content-disposition"].startswith("attachment;")
    assert fake.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in fake.headers["content-security-policy"]

    # Without ``preview`` a PDF is a download like any attachment.
    download = client.get(previews["contract.pdf"].replace("&preview=1", ""))
    assert download.headers["content-disposition"].startswith("attachment;")
