"""A read receipt speaks the reader's language; its machine-readable part never changes."""

from __future__ import annotations

from email.message import EmailMessage

from app.mail.receipts import ReceiptRequest, build_receipt
from app.web.i18n import translations

REQUEST = ReceiptRequest(
    folder="INBOX",
    uid=7,
    notify="bob@example.com",
    subject="قرارداد contract",
    message_id="<c-1@example.com>",
    date="Fri, 27 Nov 2026 10:00:00 +0000",
    original_recipient="",
)


def _persian(message: str, **params: object) -> str:
    text = translations("fa").gettext(message)
    return text % params if params else text


def _parts(receipt: EmailMessage) -> tuple[str, str]:
    human, machine = (p for p in receipt.iter_parts())
    assert isinstance(human, EmailMessage)
    return human.get_content(), machine.as_string()


def test_receipt_in_english_by_default() -> None:
    receipt = build_receipt(REQUEST, reader="alice@example.com").message
    human, machine = _parts(receipt)
    assert receipt["Subject"] == "Read: قرارداد contract"
    assert "This is a read receipt" in human and "alice@example.com" in human
    assert "Disposition: manual-action/MDN-sent-manually; displayed" in machine


def test_receipt_in_persian_for_a_persian_reader() -> None:
    receipt = build_receipt(REQUEST, reader="alice@example.com", translate=_persian).message
    human, machine = _parts(receipt)
    assert not receipt["Subject"].startswith("Read:")
    assert receipt["Subject"].endswith("قرارداد contract")
    assert "This is a read receipt" not in human
    assert "alice@example.com" in human and REQUEST.date in human
    # the report itself is RFC 8098 vocabulary in every language
    assert "Disposition: manual-action/MDN-sent-manually; displayed" in machine
    assert "Final-Recipient: rfc822;alice@example.com" in machine
