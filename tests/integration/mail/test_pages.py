"""Mail pages through the real app: folders, lists, bulk actions, message view, search."""

from __future__ import annotations

import re
import uuid

from starlette.testclient import TestClient

from app.settings import Settings
from tests.conftest import TEST_PASSWORD, MailStackInfo
from tests.helpers import csrf_token, login
from tests.integration.mail.conftest import deliver, make_message, other_client


def _signed_in(client: TestClient, address: str) -> None:
    response = login(client, address, TEST_PASSWORD)
    assert response.status_code == 303  # type: ignore[attr-defined]


def _subjects(html: str) -> list[str]:
    return re.findall(r'class="subject"><a href="[^"]+"><bdi>([^<]*)</bdi>', html)


def test_mail_opens_the_inbox_with_folders_in_order(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    deliver(settings, mailbox, make_message(to=mailbox, subject="سلام دنیا"))
    _signed_in(client, mailbox)
    response = client.get("/mail", follow_redirects=False)
    assert response.headers["location"] == "/mail/INBOX"
    page = client.get("/mail/INBOX")
    assert page.status_code == 200
    assert _subjects(page.text) == ["سلام دنیا"]
    labels = re.findall(r'<li class="depth-0 role-(\w+)"', page.text)
    assert labels == ["inbox", "drafts", "sent", "archive", "junk", "trash"]
    assert "<title>(1) Mail" in page.text  # unread count in the tab title


def test_paging_sorting_and_filters(client: TestClient, mailbox: str, settings: Settings) -> None:
    other = other_client(settings, mailbox)
    for n in range(55):
        flags = [b"\\Seen"] if n % 2 else []
        other.append("INBOX", make_message(to=mailbox, subject=f"msg {n:02d}"), flags=flags)
    other.logout()
    _signed_in(client, mailbox)
    first = _subjects(client.get("/mail/INBOX").text)
    assert len(first) == 50 and first[0] == "msg 54"
    second = _subjects(client.get("/mail/INBOX?page=2").text)
    assert second == ["msg 04", "msg 03", "msg 02", "msg 01", "msg 00"]
    by_subject = _subjects(client.get("/mail/INBOX?sort=subject&order=asc").text)
    assert by_subject[:3] == ["msg 00", "msg 01", "msg 02"]
    unread = _subjects(client.get("/mail/INBOX?show=unread").text)
    assert len(unread) == 28 and all(int(s[-2:]) % 2 == 0 for s in unread)


def _act(client: TestClient, folder: str, uids: list[int], action: str, target: str = "") -> object:
    token = csrf_token(client, "/mail/" + folder)
    data: dict[str, object] = {"csrf_token": token, "folder": folder, "action": action}
    data["uid"] = [str(u) for u in uids]
    if target:
        data["target"] = target
    return client.post("/mail/-/actions", data=data, follow_redirects=True)


def test_every_bulk_action_reaches_the_server(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    for n in range(6):
        deliver(settings, mailbox, make_message(to=mailbox, subject=f"m{n}"))
    _signed_in(client, mailbox)
    client.get("/mail/INBOX")
    checker = other_client(settings, mailbox)
    checker.select_folder("INBOX", readonly=True)

    response = _act(client, "INBOX", [1, 2], "read")
    assert "Marked as read: 2." in response.text  # type: ignore[attr-defined]
    assert {u: f for u, f in checker.get_flags([1, 2]).items()} == {
        1: (b"\\Seen",),
        2: (b"\\Seen",),
    }
    _act(client, "INBOX", [2], "unread")
    _act(client, "INBOX", [3], "flag")
    flags = checker.get_flags([2, 3])
    assert b"\\Seen" not in flags[2] and b"\\Flagged" in flags[3]
    _act(client, "INBOX", [3], "unflag")
    assert b"\\Flagged" not in checker.get_flags([3])[3]

    _act(client, "INBOX", [1], "archive")
    _act(client, "INBOX", [2], "spam")
    _act(client, "INBOX", [3], "delete")
    _act(client, "INBOX", [4], "copy", target="Drafts")
    _act(client, "INBOX", [5], "move", target="Sent")
    checker.logout()
    checker = other_client(settings, mailbox)
    counts = {
        name: checker.folder_status(name, ["MESSAGES"])[b"MESSAGES"]
        for name in ("INBOX", "Archive", "Junk", "Trash", "Drafts", "Sent")
    }
    assert counts == {"INBOX": 2, "Archive": 1, "Junk": 1, "Trash": 1, "Drafts": 1, "Sent": 1}
    assert _subjects(client.get("/mail/INBOX").text) == ["m5", "m3"]

    # Deleting in Trash removes for good.
    response = _act(client, "Trash", [1], "delete")
    assert "Deleted for good: 1." in response.text  # type: ignore[attr-defined]
    assert checker.folder_status("Trash", ["MESSAGES"])[b"MESSAGES"] == 0
    checker.logout()


def test_a_failed_move_leaves_the_message_and_says_so(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    deliver(settings, mailbox, make_message(to=mailbox, subject="keep me"))
    _signed_in(client, mailbox)
    client.get("/mail/INBOX")
    response = _act(client, "INBOX", [1], "move", target="Nowhere")
    assert response.status_code == 409  # type: ignore[attr-defined]
    assert "does not exist; nothing was moved" in response.text  # type: ignore[attr-defined]
    assert _subjects(response.text) == ["keep me"]  # type: ignore[attr-defined]


def test_shared_folder_via_acl(
    client: TestClient, mailbox: str, settings: Settings, mailstack: MailStackInfo
) -> None:
    deliver(settings, "info@example.com", make_message(to="info@example.com", subject="role mail"))
    mailstack.stack.set_acl("info@example.com", "INBOX", mailbox, ["lookup", "read", "write-seen"])
    _signed_in(client, mailbox)
    page = client.get("/mail/INBOX")
    assert "Shared with me" in page.text and "info@example.com" in page.text
    shared = client.get("/mail/shared/info@example.com/INBOX")
    assert shared.status_code == 200 and "role mail" in _subjects(shared.text)


def test_unknown_folder_is_404_and_server_down_is_a_page(client: TestClient, mailbox: str) -> None:
    _signed_in(client, mailbox)
    assert client.get("/mail/NoSuchFolder").status_code == 404
    assert client.get("/mail/INBOX/999").status_code == 404


def test_other_users_cannot_read_my_mail_by_url(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    deliver(settings, mailbox, make_message(to=mailbox, subject="private"))
    _signed_in(client, mailbox)
    client.get("/mail/INBOX")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/mail/INBOX")})
    _signed_in(client, "carol@example.org")
    assert client.get(f"/mail/shared/{mailbox}/INBOX").status_code == 404
    assert ">private</bdi>" not in client.get("/mail/search?q=private").text


def test_select_all_in_folder_acts_on_messages_not_shown(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    other = other_client(settings, mailbox)
    for n in range(60):
        other.append("INBOX", make_message(to=mailbox, subject=f"bulk {n}"))
    _signed_in(client, mailbox)
    assert "All messages in this folder (60)" in client.get("/mail/INBOX").text
    token = csrf_token(client, "/mail/INBOX")
    data = {"csrf_token": token, "folder": "INBOX", "action": "read", "everything": "1"}
    response = client.post("/mail/-/actions", data=data, follow_redirects=True)
    assert "Marked as read: 60." in response.text
    other.select_folder("INBOX", readonly=True)
    assert other.search("UNSEEN") == []
    other.logout()


def test_newer_and_older_links_in_the_message_view(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    for n in range(3):
        deliver(settings, mailbox, make_message(to=mailbox, subject=f"n{n}"))
    _signed_in(client, mailbox)
    client.get("/mail/INBOX")
    middle = client.get("/mail/INBOX/2").text
    assert 'href="/mail/INBOX/3">Newer' in middle and 'href="/mail/INBOX/1">Older' in middle


def test_conversation_view_groups_replies(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    root = "<root-1@example.org>"
    deliver(settings, mailbox, make_message(to=mailbox, subject="plan", message_id=root))
    deliver(settings, mailbox, make_message(to=mailbox, subject="unrelated"))
    reply = make_message(to=mailbox, subject="Re: plan").replace(
        b"Subject: Re: plan",
        b"Subject: Re: plan\nIn-Reply-To: <root-1@example.org>\nReferences: <root-1@example.org>",
    )
    deliver(settings, mailbox, reply)
    _signed_in(client, mailbox)
    assert _subjects(client.get("/mail/INBOX").text) == ["Re: plan", "unrelated", "plan"]
    grouped = client.get("/mail/INBOX?threads=1").text
    assert _subjects(grouped) == ["Re: plan", "unrelated"]
    assert '<span class="thread-size"' in grouped
    opened = client.get("/mail/INBOX/3").text
    assert "Messages in this conversation" in opened and 'href="/mail/INBOX/1"' in opened


def test_quota_bar_shows_usage(
    client: TestClient, mailstack: MailStackInfo, settings: Settings
) -> None:
    address = f"quota{uuid.uuid4().hex[:8]}@example.com"
    mailstack.stack.add_user(address, TEST_PASSWORD, quota="10M")
    deliver(settings, address, make_message(to=address, body="x" * 2_000_000))
    _signed_in(client, address)
    page = client.get("/mail/INBOX").text
    meter = re.search(r'<meter min="0" max="(\d+)" value="(\d+)">', page)
    assert meter is not None
    assert int(meter.group(1)) == 10 * 1024 and int(meter.group(2)) >= 1900
    assert "1 MB of 10 MB used" in page
