"""Compose beyond plain attachments: inline images (multipart/related, cid:), files attached
from Files (rights and size limit), directory groups expanded into their members."""

from __future__ import annotations

import base64
import re
import struct
import uuid
import zlib
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.db import make_engine
from app.settings import Settings
from tests.helpers import csrf_token, login
from tests.integration.mail.test_compose_views import _deliver, _post
from tests.integration.mail.test_send import _imap, _wait_for


def _png(seed: int = 0) -> bytes:
    """A real 2x1 PNG (distinct per seed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    pixels = zlib.compress(b"\x00" + bytes([seed % 256, 0, 0, 0, 255, 0]))
    header = struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture
def compose_settings(migrated_settings: Settings) -> Settings:
    return migrated_settings.model_copy(
        update={"outbox_worker": False, "undo_send_seconds": 0, "max_attachment_bytes": 1024 * 1024}
    )


def _client(settings: Settings, email: str = "alice@example.com") -> TestClient:
    from app.main import create_app

    client = TestClient(create_app(settings))
    assert login(client, email=email).status_code == 303  # type: ignore[attr-defined]
    return client


@pytest.fixture
def alice(compose_settings: Settings) -> TestClient:
    return _client(compose_settings)


@pytest.fixture
def db(compose_settings: Settings) -> Iterator[Session]:
    engine = make_engine(compose_settings)
    with Session(engine) as session:
        yield session
    engine.dispose()


def _upload(client: TestClient, name: str, data: bytes, content_type: str) -> str:
    token = csrf_token(client, "/mail/compose")
    response = client.post(
        "/mail/compose/attachments",
        headers={"X-CSRF-Token": token},
        files={"file": (name, data, content_type)},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def _img(upload_id: str) -> str:
    return f'<img src="/mail/compose/attachments/{upload_id}/view" alt="chart">'


def test_inline_image_is_sent_as_multipart_related_with_cid(
    alice: TestClient, compose_settings: Settings
) -> None:
    png = _png(1)
    upload_id = _upload(alice, "chart.png", png, "image/png")
    shown = alice.get(f"/mail/compose/attachments/{upload_id}/view")
    assert shown.status_code == 200 and shown.content == png
    assert shown.headers["content-type"] == "image/png"
    assert (
        _client(compose_settings, "bob@example.com")
        .get(f"/mail/compose/attachments/{upload_id}/view")
        .status_code
        == 404
    )  # another account's upload is not found
    marker = uuid.uuid4().hex[:8]
    response = _post(
        alice,
        action="send",
        to="bob@example.com",
        subject=f"chart {marker}",
        html=f"<p>Numbers:</p><p>{_img(upload_id)}</p>",
        rich="1",
    )
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    assert _deliver(compose_settings) == 1
    received = _wait_for(compose_settings, "bob@example.com", marker)
    assert received is not None
    html = received.get_body(("html",))
    assert html is not None
    related = next(p for p in received.walk() if p.get_content_type() == "multipart/related")
    html_part, image = related.get_payload()  # type: ignore[misc]
    assert html_part.get_content_type() == "text/html"
    assert f'src="cid:{upload_id}@inline.hamkar"' in html.get_content()
    assert image["Content-ID"] == f"<{upload_id}@inline.hamkar>"
    assert image.get_content_type() == "image/png" and image.get_content() == png
    assert list(received.iter_attachments()) == []  # not also a separate attachment
    plain = received.get_body(("plain",))
    assert plain is not None and "Numbers:" in plain.get_content()


def test_draft_keeps_inline_images_and_reopens_them(
    alice: TestClient, compose_settings: Settings
) -> None:
    png = _png(2)
    upload_id = _upload(alice, "photo.png", png, "image/png")
    marker = uuid.uuid4().hex[:8]
    token = csrf_token(alice, "/mail/compose")
    saved = alice.post(
        "/mail/compose",
        data={
            "csrf_token": token,
            "action": "save",
            "subject": f"with photo {marker}",
            "html": f"<p>Look</p>{_img(upload_id)}",
            "rich": "1",
        },
        headers={"Accept": "application/json"},
    )
    assert saved.status_code == 200, saved.text
    draft_uid = saved.json()["draft_uid"]
    stored = _wait_for(compose_settings, "alice@example.com", marker, folder="Drafts")
    assert stored is not None
    assert any(p.get_content_type() == "multipart/related" for p in stored.walk())
    # Still uploaded: the draft reopens showing the same upload.
    page = alice.get(f"/mail/compose?draft={draft_uid}").text
    assert f"/mail/compose/attachments/{upload_id}/view" in page
    # Uploads cleaned away (or another server): the image comes back from the draft itself.
    headers = {"X-CSRF-Token": token}
    assert alice.post(f"/mail/compose/attachments/{upload_id}/delete", headers=headers).status_code
    page = alice.get(f"/mail/compose?draft={draft_uid}").text
    ids = re.findall(r"/mail/compose/attachments/([0-9a-f]{32})/view", page)
    assert ids and upload_id not in ids
    assert alice.get(f"/mail/compose/attachments/{ids[0]}/view").content == png


def _with_cid_image(marker: str, png: bytes) -> bytes:
    """A message as another client writes it: HTML with a cid: image in multipart/related."""
    head = (
        f"From: bob@example.com\r\nTo: alice@example.com\r\nSubject: logo {marker}\r\n"
        f"Message-ID: <l-{marker}@example.com>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/related; boundary=RR\r\n\r\n--RR\r\n"
        'Content-Type: text/html; charset=utf-8\r\n\r\n<p>hi <img src="cid:logo@tb"></p>\r\n'
        "--RR\r\nContent-Type: image/png\r\nContent-ID: <logo@tb>\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
    )
    return head.encode() + base64.encodebytes(png).replace(b"\n", b"\r\n") + b"--RR--\r\n"


def _shown_images(client: TestClient, page: str) -> list[bytes]:
    ids = dict.fromkeys(re.findall(r"/mail/compose/attachments/([0-9a-f]{32})/view", page))
    return [client.get(f"/mail/compose/attachments/{i}/view").content for i in ids]


def test_another_clients_draft_with_cid_images_reopens_with_them(
    alice: TestClient, compose_settings: Settings
) -> None:
    png, marker = _png(3), uuid.uuid4().hex[:8]
    with _imap(compose_settings, "alice@example.com") as client:
        client.append("Drafts", _with_cid_image(marker, png), flags=[b"\\Draft"])
        client.select_folder("Drafts")
        uid = client.search(["SUBJECT", marker])[0]
    page = alice.get(f"/mail/compose?draft={uid}").text
    assert "cid:logo@tb" not in page
    assert _shown_images(alice, page) == [png]


@pytest.mark.parametrize("mode", ["forward", "reply"])
def test_quoted_inline_images_come_along(
    alice: TestClient, compose_settings: Settings, mode: str
) -> None:
    png, marker = _png(4), uuid.uuid4().hex[:8]
    with _imap(compose_settings, "alice@example.com") as client:
        client.append("INBOX", _with_cid_image(marker, png))
        client.select_folder("INBOX")
        uid = client.search(["SUBJECT", f"logo {marker}"])[0]
    page = alice.get(f"/mail/compose?mode={mode}&folder=INBOX&uid={uid}").text
    assert _shown_images(alice, page) == [png]


def test_a_non_image_upload_cannot_be_shown_inline(alice: TestClient) -> None:
    upload_id = _upload(alice, "page.svg", b"<svg onload='x'/>", "image/svg+xml")
    assert alice.get(f"/mail/compose/attachments/{upload_id}/view").status_code == 404


def _file(settings: Settings, email: str, name: str, data: bytes) -> tuple[str, int]:
    from app.files.attachments import save_attachment
    from app.files.storage import store_for

    engine = make_engine(settings)
    with Session(engine) as db, db.begin():
        node = save_attachment(
            db,
            settings=settings,
            store=store_for(settings),
            email=email,
            filename=name,
            data=data,
            content_type="application/pdf",
            folder="Reports",
        )
        node_id = node.id
    engine.dispose()
    return "home", node_id


def test_attach_from_files_sends_the_file(alice: TestClient, compose_settings: Settings) -> None:
    marker = uuid.uuid4().hex[:8]
    mount, node_id = _file(compose_settings, "alice@example.com", f"report-{marker}.pdf", b"%PDF")
    found = alice.get(f"/mail/compose/files?q=report-{marker}").json()
    assert [(f["mount"], f["node_id"], f["path"]) for f in found] == [
        (mount, node_id, f"Reports/report-{marker}.pdf")
    ]
    assert found[0]["too_large"] is False
    token = csrf_token(alice, "/mail/compose")
    attached = alice.post(
        "/mail/compose/files",
        data={"mount": mount, "node_id": str(node_id)},
        headers={"X-CSRF-Token": token},
    )
    assert attached.status_code == 200, attached.text
    upload = attached.json()
    assert upload["filename"] == f"report-{marker}.pdf" and upload["size"] == 4
    response = _post(
        alice,
        action="send",
        to="bob@example.com",
        subject=f"files {marker}",
        text="attached",
        rich="0",
        attachment_ids=upload["id"],
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert _deliver(compose_settings) == 1
    received = _wait_for(compose_settings, "bob@example.com", marker)
    assert received is not None
    part = next(received.iter_attachments())
    assert part.get_filename() == f"report-{marker}.pdf" and part.get_content() == b"%PDF"


def test_another_users_file_can_never_be_attached(compose_settings: Settings) -> None:
    marker = uuid.uuid4().hex[:8]
    mount, node_id = _file(compose_settings, "alice@example.com", f"secret-{marker}.pdf", b"%PDF")
    bob = _client(compose_settings, "bob@example.com")
    assert bob.get(f"/mail/compose/files?q=secret-{marker}").json() == []
    token = csrf_token(bob, "/mail/compose")
    for space in (mount, "team/anything"):
        stolen = bob.post(
            "/mail/compose/files",
            data={"mount": space, "node_id": str(node_id)},
            headers={"X-CSRF-Token": token},
        )
        assert stolen.status_code == 404
    assert not any((compose_settings.data_dir / "uploads").glob("*/*.bin"))


def test_a_file_over_the_limit_is_refused_with_the_limit(
    alice: TestClient, compose_settings: Settings
) -> None:
    marker = uuid.uuid4().hex[:8]
    big = b"x" * (1024 * 1024 + 1)
    mount, node_id = _file(compose_settings, "alice@example.com", f"big-{marker}.pdf", big)
    [found] = alice.get(f"/mail/compose/files?q=big-{marker}").json()
    assert found["too_large"] is True and found["size_label"] == "1.0 MB"
    token = csrf_token(alice, "/mail/compose")
    refused = alice.post(
        "/mail/compose/files",
        data={"mount": mount, "node_id": str(node_id)},
        headers={"X-CSRF-Token": token},
    )
    assert refused.status_code == 413
    assert "1.0 MB" in refused.json()["error"]
    assert not any((compose_settings.data_dir / "uploads").glob("*/*.bin"))


def test_groups_expand_into_their_members_within_the_organization(
    alice: TestClient, compose_settings: Settings, db: Session
) -> None:
    from app.directory import groups
    from app.directory import service as directory

    _client(compose_settings, "bob@example.com")  # bob signs in once: he is in the directory

    me = directory.find_account(db, email="alice@example.com")
    assert me is not None
    marker = uuid.uuid4().hex[:8]
    team = groups.create_group(
        db, organization_id=me.organization_id, address=f"team-{marker}@example.com", name="Team"
    )
    inner = groups.create_group(
        db, organization_id=me.organization_id, address=f"inner-{marker}@example.com", name="In"
    )
    groups.add_member(db, group=team, address="bob@example.com")
    groups.add_member(db, group=team, address=inner.address)
    groups.add_member(db, group=team, address="partner@outside.example")
    other = directory.create_organization(
        db, name="Other", slug=f"other-{marker}", domains=[f"other-{marker}.example"]
    )
    foreign = groups.create_group(
        db, organization_id=other.id, address=f"all@other-{marker}.example", name="All"
    )
    groups.add_member(db, group=foreign, address="ceo@somewhere.example")
    db.commit()

    typed = f"Team <{team.address}>, bob@example.com, {foreign.address}, not an address"
    found = alice.get("/mail/compose/groups", params={"addresses": typed}).json()
    assert [g["address"] for g in found] == [team.address]  # not the other organization's
    members = {(m["address"], m["kind"]) for m in found[0]["members"]}
    assert members == {
        ("bob@example.com", "person"),
        (inner.address, "group"),
        ("partner@outside.example", "external"),
    }
    page = alice.get("/mail/compose").text
    assert 'id="to-groups"' in page and "/static/js/compose-groups.js" in page
