"""Header names leave the server in their usual spelling (Content-Type, ETag, DAV).

Names are case-insensitive (RFC 9110 5.1), yet some clients and proxies look for them byte for
byte; `hamkar serve` runs uvicorn's h11, which writes names as the app spells them.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from app.settings import Settings
from tests.live import serve


def _raw_head(base_url: str, request: str) -> bytes:
    """The status line and headers exactly as they came over the socket."""
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(request.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n\r\n", 1)[0]


def test_header_names_are_spelled_as_usual_on_the_wire(migrated_settings: Settings) -> None:
    with serve(migrated_settings) as base_url:
        page = _raw_head(base_url, "GET /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        dav = _raw_head(base_url, "OPTIONS /dav/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert page.startswith(b"HTTP/1.1 200")
    assert b"\r\nContent-Type: text/html" in page
    assert b"\r\nContent-Security-Policy: " in page
    assert b"\r\nX-Content-Type-Options: nosniff" in page
    assert b"\r\ncontent-type:" not in page
    assert b"\r\nDAV: 1, 3, calendar-access" in dav and b"\r\nContent-Length: 0" in dav
    # a browser page gets the anonymous CSRF cookie; a DAV client, which never uses it, does not
    assert b"\r\nSet-Cookie: hamkar_csrf=" in page
    assert b"Set-Cookie" not in dav
