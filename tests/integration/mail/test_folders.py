"""Folder management through the pages, checked on the server with another client."""

from __future__ import annotations

from starlette.testclient import TestClient

from app.settings import Settings
from tests.helpers import csrf_token
from tests.integration.mail.conftest import other_client
from tests.integration.mail.test_pages import _signed_in


def _folder_op(client: TestClient, **fields: str) -> object:
    data = {"csrf_token": csrf_token(client, "/mail/INBOX"), **fields}
    return client.post("/mail/-/folders", data=data, follow_redirects=False)


def test_create_rename_and_delete_with_confirmation(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    _signed_in(client, mailbox)
    created = _folder_op(client, op="create", name="پروژه‌ها", folder="")
    assert (
        created.headers["location"] == "/mail/%D9%BE%D8%B1%D9%88%DA%98%D9%87%E2%80%8C%D9%87%D8%A7"
    )  # type: ignore[attr-defined]
    _folder_op(client, op="create", name="2026", folder="پروژه‌ها")
    other = other_client(settings, mailbox)
    names = {name for _flags, _sep, name in other.list_folders()}
    assert {"پروژه‌ها", "پروژه‌ها/2026"} <= names
    assert "پروژه‌ها/2026" in {name for _f, _s, name in other.list_sub_folders()}

    page = client.get("/mail/پروژه‌ها/2026")
    assert page.status_code == 200  # a folder whose name is digits is still a folder
    _folder_op(client, op="rename", folder="پروژه‌ها/2026", name="Archive-2026")
    unconfirmed = _folder_op(client, op="delete", folder="Archive-2026")
    assert unconfirmed.status_code == 400  # type: ignore[attr-defined]
    assert other.folder_exists("Archive-2026")
    _folder_op(client, op="delete", folder="Archive-2026", confirm="1")
    assert not other.folder_exists("Archive-2026")
    refused = _folder_op(client, op="delete", folder="Trash", confirm="1")
    assert refused.status_code == 400 and other.folder_exists("Trash")  # type: ignore[attr-defined]
    other.logout()
