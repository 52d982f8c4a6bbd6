"""Opening messages: headers, text with links, safe HTML body, attachments, search."""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.errors import NotFound
from app.mail import reader, service
from app.mail.imap import MailAccount
from app.settings import Settings
from tests.integration.mail.conftest import deliver, make_message, other_client
from tests.integration.mail.test_pages import _signed_in


def test_open_plain_text_marks_read_and_links_urls(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    body = "See https://example.org/report?id=1 and <script>alert(1)</script>"
    deliver(settings, mailbox, make_message(to=mailbox, subject="report", body=body))
    _signed_in(client, mailbox)
    page = client.get("/mail/INBOX/1")
    assert page.status_code == 200
    assert '<a href="https://example.org/report?id=1"' in page.text
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;" in page.text
    checker = other_client(settings, mailbox)
    checker.select_folder("INBOX", readonly=True)
    assert b"\\Seen" in checker.get_flags([1])[1]
    checker.logout()


def test_html_body_is_sanitized_and_served_with_its_own_policy(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    html = (
        '<p onclick="x()">Hi<script>alert(1)</script><img src="https://tracker.example/p.gif"></p>'
    )
    deliver(settings, mailbox, make_message(to=mailbox, subject="html", html=html))
    _signed_in(client, mailbox)
    page = client.get("/mail/INBOX/1")
    frame = re.search(r'<iframe[^>]+sandbox="([^"]*)"[^>]+src="([^"]+)"', page.text)
    assert frame is not None
    assert "allow-scripts" not in frame.group(1) and "allow-same-origin" not in frame.group(1)
    body = client.get(frame.group(2).replace("&amp;", "&"))
    csp = body.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'none'" in csp and "https:" not in csp
    assert "alert" not in body.text and "onclick" not in body.text
    assert "tracker.example" not in body.text
    allowed = client.get(frame.group(2).replace("&amp;", "&").replace("remote=0", "remote=1"))
    assert (
        "tracker.example" in allowed.text and "https:" in allowed.headers["content-security-policy"]
    )


def test_attachment_download_is_safe(client: TestClient, mailbox: str, settings: Settings) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@example.org", mailbox, "files"
    msg.set_content("see attached")
    evil = "invoice\u202egpj.exe"
    msg.add_attachment(
        b"<html><script>alert(1)</script>", maintype="text", subtype="html", filename=evil
    )
    msg.add_attachment(
        "گزارش".encode(), maintype="application", subtype="pdf", filename="گزارش.pdf"
    )
    deliver(settings, mailbox, msg.as_bytes())
    _signed_in(client, mailbox)
    page = client.get("/mail/INBOX/1")
    links = re.findall(r'href="(/mail/-/part[^"]+)"', page.text)
    assert len(links) == 2 and "\u202e" not in page.text
    first = client.get(links[0].replace("&amp;", "&"))
    disposition = first.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "\u202e" not in disposition
    assert "invoicegpj.exe" in disposition
    assert first.headers["x-content-type-options"] == "nosniff"
    second = client.get(links[1].replace("&amp;", "&"))
    assert (
        "filename*=UTF-8''%DA%AF%D8%B2%D8%A7%D8%B1%D8%B4.pdf"
        in second.headers["content-disposition"]
    )


def test_quick_search_normalises_persian_and_body_search_uses_the_index(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    deliver(settings, mailbox, make_message(to=mailbox, subject="گزارش\u200cهای یک‌ساله"))
    deliver(settings, mailbox, make_message(to=mailbox, subject="other", body="the zebrafish data"))
    _signed_in(client, mailbox)
    client.get("/mail/INBOX")
    arabic_spelling = "\u064a\u0643\u0633\u0627\u0644\u0647"  # يكساله: Arabic yeh and kaf, no ZWNJ
    found = client.get("/mail/search", params={"q": arabic_spelling})
    assert "گزارش\u200cهای یک‌ساله" in found.text
    assert (
        "zebrafish"
        not in client.get("/mail/search", params={"q": "zebrafish"}).text.split("found")[1]
    )
    body = client.get("/mail/search", params={"q": "zebrafish", "body": "1", "folder": "INBOX"})
    assert ">other</bdi>" in body.text


def test_always_show_remote_images_from_a_sender(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    html = '<p>news</p><img src="https://cdn.example/banner.png">'
    for _ in range(2):
        deliver(settings, mailbox, make_message(to=mailbox, subject="news", html=html))
    _signed_in(client, mailbox)
    first = client.get("/mail/INBOX/1").text
    assert "remote=0" in first and "Always show them from sara@example.org" in first
    token = re.search(r'name="csrf_token" value="([^"]+)"', first)
    assert token is not None
    client.post(
        "/mail/-/trust-sender", data={"csrf_token": token.group(1), "folder": "INBOX", "uid": "1"}
    )
    second = client.get("/mail/INBOX/2").text  # another message from the same sender
    assert "remote=1" in second and "remote=0" not in second
    frame = re.search(r'src="(/mail/-/body[^"]+)"', second)
    assert frame is not None
    assert "cdn.example/banner.png" in client.get(frame.group(1).replace("&amp;", "&")).text


def test_image_attachments_preview_inline_but_svg_never(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@example.org", mailbox, "pictures"
    msg.set_content("two pictures")
    msg.add_attachment(b"\x89PNG\r\n\x1a\n", maintype="image", subtype="png", filename="a.png")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    msg.add_attachment(svg, maintype="image", subtype="svg+xml", filename="b.svg")
    deliver(settings, mailbox, msg.as_bytes())
    _signed_in(client, mailbox)
    page = client.get("/mail/INBOX/1").text
    previews = re.findall(r'class="attachment-preview"[^>]+src="([^"]+)"', page)
    assert len(previews) == 1
    png = client.get(previews[0].replace("&amp;", "&"))
    assert png.headers["content-disposition"].startswith("inline;")
    svg_link = re.findall(r'href="(/mail/-/part[^"]+)"', page)[1].replace("&amp;", "&")
    forced = client.get(svg_link + "&preview=1")
    assert forced.headers["content-disposition"].startswith("attachment;")


def test_a_message_expunged_by_another_client_is_gone_even_when_read_before(
    db: Session, account: MailAccount, settings: Settings
) -> None:
    """The in-memory copy of a message read before must not outlive the message."""
    for subject in ("keep", "doomed"):
        deliver(settings, account.email, make_message(to=account.email, subject=subject))
    service.open_folder(db, account=account, folder="INBOX")
    opened = reader.open_message(db, account=account, folder="INBOX", uid=2)
    db.commit()
    assert opened.parsed.subject == "doomed"
    assert reader.open_message(db, account=account, folder="INBOX", uid=2).envelope.uid == 2
    other = other_client(settings, account.email)
    other.select_folder("INBOX")
    other.delete_messages([2])
    other.expunge()
    other.logout()
    with pytest.raises(NotFound):
        reader.open_message(db, account=account, folder="INBOX", uid=2)
    with pytest.raises(NotFound):
        reader.message_source(db, account=account, folder="INBOX", uid=2)
    db.commit()
    assert service.cached_envelope(db, account=account, folder="INBOX", uid=2) is None
    listing = service.open_folder(db, account=account, folder="INBOX")
    assert [row.subject for row in listing.rows] == ["keep"]
    assert reader.open_message(db, account=account, folder="INBOX", uid=1).parsed.subject == "keep"


def test_a_message_read_before_in_a_folder_not_selected_is_checked_too(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    deliver(settings, mailbox, make_message(to=mailbox, subject="doomed"))
    _signed_in(client, mailbox)
    assert client.get("/mail/INBOX/1").status_code == 200
    assert client.get("/mail/Trash").status_code == 200  # the pooled connection leaves INBOX
    other = other_client(settings, mailbox)
    other.select_folder("INBOX")
    other.delete_messages([1])
    other.expunge()
    other.logout()
    gone = client.get("/mail/INBOX/1")
    assert gone.status_code == 404 and "does not exist any more" in gone.text
    assert "doomed" not in gone.text
