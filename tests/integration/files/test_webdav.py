"""WebDAV over real HTTP: basic methods, cross-user isolation, path tricks, quota, locks."""

from __future__ import annotations

import httpx


def test_put_get_folder_roundtrip(alice: httpx.Client) -> None:
    assert alice.request("MKCOL", "/home/docs/").status_code == 201
    assert alice.put("/home/docs/a.txt", content=b"hello").status_code == 201
    response = alice.get("/home/docs/a.txt")
    assert response.status_code == 200
    assert response.content == b"hello"
