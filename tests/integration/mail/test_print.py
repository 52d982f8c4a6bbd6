"""The print view: headers and the sanitized body on a clean page, no inline script."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from app.settings import Settings
from tests.integration.mail.conftest import deliver, make_message, other_client
from tests.integration.mail.test_pages import _signed_in

HOSTILE = (
    "<style>.print-headers{display:none}</style>"
    '<div class="print-headers" style="position:fixed;top:0">From: the CEO</div>'
    '<p onclick="x()">Total: <b>42</b><script>alert(1)</script></p>'
    '<img src="https://tracker.example/p.gif"><a href="javascript:alert(1)">x</a>'
)


def test_print_view_is_clean_and_safe(client: TestClient, mailbox: str, settings: Settings) -> None:
    deliver(
        settings,
        mailbox,
        make_message(
            to=mailbox, subject="فاکتور March", sender="Sara <sara@example.org>", html=HOSTILE
        ),
    )
    _signed_in(client, mailbox)
    opened = client.get("/mail/INBOX/1").text
    link = re.search(r'<a href="(/mail/-/print\?[^"]+)" target="_blank"', opened)
    assert link is not None
    page = client.get(link.group(1).replace("&amp;", "&"))
    assert page.status_code == 200
    text = page.text
    assert "<title>فاکتور March · Hamkar</title>" in text
    assert 'class="topbar"' not in text  # no app shell
    assert "<bdi>Sara</bdi> &lt;<bdi>sara@example.org</bdi>&gt;" in text
    body = text[text.index('<div class="print-body"') :]
    assert "<b>42</b>" in body
    for banned in (
        "<style",
        "style=",
        'class="print-headers"',
        "onclick",
        "<script",
        "tracker.example",
        "javascript:",
    ):
        assert banned not in body, banned
    # Script only from our static module; the page keeps the app's strict policy.
    assert re.findall(r"<script[^>]*>", text) == [
        '<script src="/static/vendor/htmx-2.0.11.min.js" defer>',
        '<script src="/static/js/app.js" defer>',
        '<script src="/static/js/mail-print.js" defer>',
    ]
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert '<link rel="stylesheet" href="/static/css/mail-print.css">' in text


def test_print_view_of_plain_text_does_not_mark_read(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    deliver(
        settings,
        mailbox,
        make_message(to=mailbox, subject="plain", body="line one\nhttps://example.org/x"),
    )
    _signed_in(client, mailbox)
    client.get("/mail/INBOX")
    page = client.get("/mail/-/print?folder=INBOX&uid=1").text
    assert '<div class="print-body print-text" dir="auto">line one' in page
    assert '<a href="https://example.org/x"' in page
    checker = other_client(settings, mailbox)
    checker.select_folder("INBOX", readonly=True)
    assert b"\\Seen" not in checker.get_flags([1])[1]
    checker.logout()
    assert client.get("/mail/-/print?folder=INBOX&uid=77").status_code == 404
