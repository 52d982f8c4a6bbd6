"""The /webdav/ request guard and error-body cleaner, without a server."""

from __future__ import annotations

import pytest

from app.webdav.errors import clean_reason
from app.webdav.guard import Refusal, check_destination, check_path

WSGIDAV_PAGE = (
    b"<html><body><h1>400 Bad Request</h1><p>400 Bad Request: Invalid XML format.\n"
    b"    Source exception: XMLSyntaxError(&#x27;line 1&#x27;)</p></body></html>"
)


def test_clean_reason_drops_the_exception_repr() -> None:
    assert clean_reason(400, WSGIDAV_PAGE) == "400 Bad Request: Invalid XML format."
    fault = clean_reason(500, b"<p>500: KeyError('x')</p>")
    assert "KeyError" not in fault and fault.startswith("500 Internal Server Error")


@pytest.mark.parametrize(
    "path",
    [
        "/webdav/%zz",
        "/webdav/%",
        "/webdav/%c0%af",
        "/webdav/%ff",
        "/webdav/a%00",
        "/webdav/%0d",
        "/webdav/a/../b",
        "/webdav/%2e%2e/b",
        "/webdav/a%2fb",
        "/webdav/a%5cb",
        "/webdav/a#b",
    ],
)
def test_bad_paths_are_refused(path: str) -> None:
    with pytest.raises(Refusal) as refused:
        check_path(path)
    assert refused.value.status == 400


def test_good_paths_pass_unchanged() -> None:
    for path in ("/webdav/home/a b.txt", "/webdav/home/%E2%9C%93.txt", "/webdav//home/"):
        check_path(path)


@pytest.mark.parametrize(
    ("destination", "status"),
    [
        ("http://evil.example/webdav/home/x", 403),
        ("http://proxy.example/webdav/home/x", None),
        ("http://host:80/webdav/home/x", None),
        ("/webdav/home/x", None),
        ("/elsewhere/x", 403),
        ("/webdav/team/", 403),
        ("garbage", 400),
        ("/webdav/home/x?y=1", 400),
        ("/webdav/home/x#y", 400),
        ("", 400),
        ("ftp://host:80/webdav/home/x", 400),
        ("http://host:80/webdav/home/%ff", 400),
    ],
)
def test_destinations(destination: str, status: int | None) -> None:
    headers = {"host": "host:80", "x-forwarded-host": "proxy.example", "destination": destination}
    if status is None:
        check_destination(headers, "/webdav")
        return
    with pytest.raises(Refusal) as refused:
        check_destination(headers, "/webdav")
    assert refused.value.status == status
