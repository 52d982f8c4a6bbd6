# ruff: noqa: E501  (a corpus of one-line hostile documents reads best unwrapped)
"""Hostile and broken messages: each tries to run script, leak a request or break the page."""

from __future__ import annotations

import base64
from email.message import EmailMessage

BEACON = "http://127.0.0.1:9/beacon"  # any request to it is a leak (the test records it)


def _html(to: str, subject: str, html: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Mallory <mallory@evil.example>", to, subject
    msg.set_content("plain part")
    msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


HTML_ATTACKS = {
    "script tag": f"<p>Hello corpus</p><script>alert(1);fetch('{BEACON}')</script>",
    "event handler": f"<img src=x onerror=\"alert(1);fetch('{BEACON}')\"><p onmouseover=alert(1)>hover</p>",
    "javascript url": '<a id=j href="javascript:alert(1)">click</a>',
    "data url": '<a href="data:text/html,<script>alert(1)</script>">d</a><iframe src="data:text/html,<script>alert(1)</script>"></iframe>',
    "svg script": f'<svg><script>alert(1)</script><image href="{BEACON}"/></svg><svg onload=alert(1)></svg>',
    "base tag": f'<base href="{BEACON}/"><a href="x">rel</a><img src="pixel.gif">',
    "meta refresh": f'<meta http-equiv="refresh" content="0;url={BEACON}">refresh',
    "form": f'<form action="{BEACON}" method=post><input name=p type=password><button>Log in</button></form>',
    "frames": f'<iframe src="{BEACON}"></iframe><frameset><frame src="{BEACON}"></frameset><object data="{BEACON}"></object><embed src="{BEACON}">',
    "css tricks": f'<style>@import url({BEACON}.css); body{{background:url({BEACON}.png)}}</style><div style="background-image:url(\'{BEACON}.jpg\')">css</div><link rel=stylesheet href="{BEACON}.css">',
    "remote image": f'<img src="{BEACON}.gif" width=1 height=1>tracked',
}


def deep_nesting(to: str, depth: int = 1000) -> bytes:
    head = f"From: deep@evil.example\r\nTo: {to}\r\nSubject: deep nesting\r\nMIME-Version: 1.0\r\n"
    body = "".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(depth)
    )
    body += "Content-Type: text/plain\r\n\r\nbottom\r\n"
    body += "".join(f"--b{i}--\r\n" for i in reversed(range(depth)))
    return (head + body).encode()


def malformed_base64(to: str) -> bytes:
    return (
        f"From: b64@evil.example\r\nTo: {to}\r\nSubject: malformed base64\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "SGVsbG8gd29y!!!bGQ=*=\r\n===\r\n"
    ).encode()


def unknown_charset(to: str) -> bytes:
    return (
        f"From: cs@evil.example\r\nTo: {to}\r\nSubject: =?x-unknown-42?Q?caf=E9?=\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=x-unknown-42\r\n\r\n"
        "<p>caf\xe9 <script>alert(1)</script></p>\r\n"
    ).encode("latin-1")


def spoofed_sender(to: str) -> bytes:
    spoof = base64.b64encode(b"ceo@example.com <ceo@example.com>").decode()
    return (
        f"From: =?utf-8?b?{spoof}?= <attacker@evil.example>\r\nTo: {to}\r\n"
        "Subject: encoded-word sender\r\n\r\nwire money\r\n"
    ).encode()


def bidi_filename(to: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "f@evil.example", to, "bidi filename"
    msg.set_content("see file")
    msg.add_attachment(
        b"MZ", maintype="application", subtype="octet-stream", filename="photo\u202egnp.exe"
    )
    return msg.as_bytes()


def corpus(to: str) -> list[tuple[str, bytes]]:
    """Every hostile message, with a name for failure messages."""
    items = [(name, _html(to, name, html)) for name, html in HTML_ATTACKS.items()]
    items += [
        ("deep nesting", deep_nesting(to)),
        ("malformed base64", malformed_base64(to)),
        ("unknown charset", unknown_charset(to)),
        ("spoofed sender", spoofed_sender(to)),
        ("bidi filename", bidi_filename(to)),
    ]
    return items
