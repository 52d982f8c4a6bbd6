"""Subscribing to folders (IMAP SUBSCRIBE/UNSUBSCRIBE) and a tree of subscribed folders only."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from app.settings import Settings
from tests.conftest import MailStackInfo
from tests.helpers import csrf_token
from tests.integration.mail.conftest import deliver, make_message, other_client
from tests.integration.mail.test_pages import _signed_in


def _tree(html: str) -> list[str]:
    nav = html[
        html.index('id="mail-folders"') : html.index("</nav>", html.index('id="mail-folders"'))
    ]
    return re.findall(r'data-folder="([^"]+)"', nav)


def _post(client: TestClient, path: str, **fields: str) -> object:
    data = {"csrf_token": csrf_token(client, "/mail/INBOX"), **fields}
    return client.post(path, data=data, follow_redirects=False)


def _subscriptions(settings: Settings, address: str) -> set[str]:
    other = other_client(settings, address)
    names = {name for _flags, _sep, name in other.list_sub_folders()}
    other.logout()
    return names


def test_unsubscribe_and_subscribe_reach_the_server(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    other = other_client(settings, mailbox)
    other.create_folder("Projects")  # made by another client: not subscribed
    other.create_folder("Projects/Old")
    other.subscribe_folder("Projects/Old")
    other.logout()
    _signed_in(client, mailbox)
    page = client.get("/mail/Projects").text
    assert '<input type="hidden" name="op" value="subscribe">' in page
    assert re.search(r'<li class="depth-0 unsubscribed">\s*<a href="/mail/Projects"', page)

    _post(client, "/mail/-/folders", op="subscribe", folder="Projects")
    assert "Projects" in _subscriptions(settings, mailbox)
    assert (
        '<input type="hidden" name="op" value="unsubscribe">' in client.get("/mail/Projects").text
    )
    moved = _post(client, "/mail/-/folders", op="unsubscribe", folder="Projects/Old")
    assert moved.headers["location"] == "/mail/Projects/Old"  # type: ignore[attr-defined]
    assert "Projects/Old" not in _subscriptions(settings, mailbox)


def test_the_tree_can_list_subscribed_folders_only(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    other = other_client(settings, mailbox)
    other.create_folder("Hidden")
    other.create_folder("Parent")
    other.create_folder("Parent/Child")
    other.subscribe_folder("Parent/Child")
    other.unsubscribe_folder("Parent")
    other.logout()
    _signed_in(client, mailbox)
    everything = _tree(client.get("/mail/INBOX").text)
    assert {"Hidden", "Parent", "Parent/Child"} <= set(everything)

    toggled = _post(client, "/mail/-/folder-list", subscribed_only="1", folder="INBOX")
    assert toggled.headers["location"] == "/mail/INBOX"  # type: ignore[attr-defined]
    page = client.get("/mail/INBOX").text
    shown = _tree(page)
    assert "Hidden" not in shown and "Trash" in shown  # special folders are subscribed
    assert "Parent/Child" in shown and "Parent" in shown  # the way to a subscribed folder
    assert "INBOX" in shown and "Show all folders" in page
    assert 'name="subscribed_folders_only"' not in page
    # The open folder is always listed, so it can be subscribed to from its settings.
    assert "Hidden" in _tree(client.get("/mail/Hidden").text)
    # The choice is a saved preference, shown on the settings page too.
    assert 'name="subscribed_only" value="1" checked' in client.get("/settings").text
    _post(client, "/mail/-/folder-list", subscribed_only="0", folder="INBOX")
    assert "Hidden" in _tree(client.get("/mail/INBOX").text)


def test_shared_folders_follow_the_subscription_too(
    client: TestClient, mailbox: str, settings: Settings, mailstack: MailStackInfo
) -> None:
    deliver(settings, "info@example.com", make_message(to="info@example.com", subject="role"))
    mailstack.stack.set_acl("info@example.com", "INBOX", mailbox, ["lookup", "read"])
    _signed_in(client, mailbox)
    _post(client, "/mail/-/folder-list", subscribed_only="1")
    shared = "shared/info@example.com/INBOX"
    assert shared not in _tree(client.get("/mail/INBOX").text)
    _post(client, "/mail/-/folders", op="subscribe", folder=shared)
    assert shared in _subscriptions(settings, mailbox)
    assert shared in _tree(client.get("/mail/INBOX").text)
