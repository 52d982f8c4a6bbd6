"""Parsing broken mail never raises; Persian search normalisation; envelope rows."""

from __future__ import annotations

from app.mail import mime
from app.mail.envelope import envelope_row, sort_subject
from app.mail.search import normalize, query_terms
from tests.e2e.mail.corpus import bidi_filename, deep_nesting, malformed_base64, unknown_charset


def test_deep_nesting_is_cut_off_not_crashing() -> None:
    parsed = mime.parse(deep_nesting("a@example.com", depth=1000))
    assert parsed.subject == "deep nesting"
    assert parsed.problem or parsed.text is None  # shown with a notice, the page still renders


def test_moderate_nesting_still_finds_the_text() -> None:
    parsed = mime.parse(deep_nesting("a@example.com", depth=20))
    assert parsed.text is not None and "bottom" in parsed.text


def test_malformed_base64_and_unknown_charset_decode_with_replacements() -> None:
    assert "Hello" in (mime.parse(malformed_base64("a@example.com")).text or "")
    parsed = mime.parse(unknown_charset("a@example.com"))
    assert parsed.html is not None and "caf" in parsed.html


def test_bidi_override_is_removed_from_file_names() -> None:
    parsed = mime.parse(bidi_filename("a@example.com"))
    assert [a.filename for a in parsed.attachments] == ["photognp.exe"]
    assert mime.safe_filename("../../etc/passwd\x00") == "_.._etc_passwd"


def test_persian_normalisation_unifies_yeh_kaf_and_zwnj() -> None:
    assert normalize("كتاب\u200cهاي عربي") == normalize("کتابهای عربی")
    assert query_terms("  ReportS   يك ") == ["reports", "یک"]


def test_envelope_row_decodes_headers() -> None:
    raw = (
        b"From: =?utf-8?b?2LPYp9ix2Kc=?= <sara@example.org>\r\n"
        b"Subject: Re: =?utf-8?q?caf=C3=A9?=\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
    )
    row = envelope_row(7, {b"BODY[HEADER.FIELDS (FROM)]": raw, b"FLAGS": (b"\\Seen", b"$Work")}, 3)
    assert row["sender_name"] == "سارا" and row["subject"] == "Re: café"
    assert row["has_attachment"] and row["seen"] and row["flags"] == "$Work"
    assert sort_subject("RE: Fwd: Plan") == "plan"
