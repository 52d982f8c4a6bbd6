"""Compose in Chromium, beyond the basics: a pasted and a dropped inline image, a file attached
from Files, a group chip expanded, and a read-receipt request answered from the message view."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from app.db import make_engine
from app.settings import Settings
from tests.e2e.test_compose import _sign_in
from tests.integration.mail.conftest import deliver
from tests.integration.mail.test_compose_attach import _png
from tests.integration.mail.test_send import _imap, _wait_for


@pytest.fixture
def migrated_settings(migrated_settings: Settings) -> Iterator[Settings]:
    yield migrated_settings.model_copy(update={"undo_send_seconds": 1})


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context()
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(str(exc)))
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    _sign_in(tab, live_server)
    yield tab
    assert problems == [], problems
    context.close()


def _image_event(page: Any, kind: str, png: bytes, name: str, *, with_text: bool = False) -> None:
    """Paste or drop a PNG file (and a text file) into the editor, as the browser delivers it."""
    page.evaluate(
        """([kind, bytes, name, withText]) => {
             const file = new File([new Uint8Array(bytes)], name, {type: "image/png"});
             const data = new DataTransfer();
             data.items.add(file);
             if (withText) data.items.add(new File(["minutes"], "notes.txt", {type: "text/plain"}));
             const editor = document.getElementById("editor");
             const box = editor.getBoundingClientRect();
             const event = kind === "paste"
               ? new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true})
               : new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true,
                                        clientX: box.left + 5, clientY: box.top + 5});
             editor.dispatchEvent(event);
           }""",
        [kind, list(png), name, with_text],
    )


# The width of an image once the browser has loaded and decoded it (fails if it cannot).
DECODED_WIDTH = "img => img.decode().then(() => img.naturalWidth)"


def _wait_sent(page: Any, live_server: str) -> None:
    page.click("#send-button")
    page.wait_for_url(f"{live_server}/mail/outbox?queued=*")


def test_pasted_and_dropped_images_are_sent_inline(
    page: Any, live_server: str, migrated_settings: Settings
) -> None:
    marker = uuid.uuid4().hex[:8]
    page.goto(f"{live_server}/mail/compose")
    page.fill("#to", "bob@example.com")
    page.fill("#subject", f"images {marker}")
    page.click("#editor")
    page.keyboard.type("Before ")
    pasted, dropped = _png(10), _png(20)
    _image_event(page, "paste", pasted, "pasted.png")
    page.wait_for_selector("#editor img[src$='/view']")
    # A dropped image goes inline; a file dropped with it becomes an ordinary attachment.
    _image_event(page, "drop", dropped, "dropped.png", with_text=True)
    page.wait_for_selector("#editor img[src$='/view'] >> nth=1")
    page.wait_for_selector("#attachment-list li[data-id]")
    images = page.locator("#editor img")
    assert images.count() == 2
    assert page.locator("#attachment-list .attachment-name").inner_text() == "notes.txt"
    # The editor shows them from the upload (they loaded: the browser decoded real pixels).
    assert all(images.nth(i).evaluate(DECODED_WIDTH) == 2 for i in range(2))
    _wait_sent(page, live_server)

    received = _wait_for(migrated_settings, "bob@example.com", marker, timeout=60)
    assert received is not None, "the message never reached bob"
    related = next(p for p in received.walk() if p.get_content_type() == "multipart/related")
    parts = related.get_payload()
    assert isinstance(parts, list)
    html = parts[0].get_content()
    assert "Before" in html and html.count('src="cid:') == 2
    assert sorted(p.get_content() for p in parts[1:]) == sorted([pasted, dropped])
    for part in parts[1:]:
        assert f'src="cid:{part["Content-ID"].strip("<>")}"' in html
    # The images are inline only; the text file is the one attachment.
    assert [a.get_filename() for a in received.iter_attachments()] == ["notes.txt"]


def _alice_file(settings: Settings, name: str, data: bytes) -> None:
    from app.files.attachments import save_attachment
    from app.files.storage import store_for

    engine = make_engine(settings)
    with Session(engine) as db, db.begin():
        save_attachment(
            db,
            settings=settings,
            store=store_for(settings),
            email="alice@example.com",
            filename=name,
            data=data,
            content_type="text/plain",
            folder="Projects",
        )
    engine.dispose()


def test_attach_a_file_from_files(page: Any, live_server: str, migrated_settings: Settings) -> None:
    marker = uuid.uuid4().hex[:8]
    _alice_file(migrated_settings, f"plan-{marker}.txt", b"the plan")
    page.goto(f"{live_server}/mail/compose")
    page.fill("#to", "bob@example.com")
    page.fill("#subject", f"from files {marker}")
    page.click("#files-open")
    page.fill("#files-query", f"plan-{marker}")
    page.wait_for_selector("#files-results button.attach-file")
    assert f"Projects/plan-{marker}.txt" in page.locator("#files-results").inner_text()
    page.click("#files-results button.attach-file")
    page.wait_for_selector("#attachment-list li[data-id]")
    assert page.locator("#attachment-list .attachment-name").inner_text() == f"plan-{marker}.txt"
    _wait_sent(page, live_server)
    received = _wait_for(migrated_settings, "bob@example.com", marker, timeout=60)
    assert received is not None
    part = next(received.iter_attachments())
    assert part.get_filename() == f"plan-{marker}.txt"
    assert part.get_content().strip() == "the plan"


def test_a_group_chip_expands_into_its_members(
    page: Any, live_server: str, migrated_settings: Settings
) -> None:
    from app.directory import groups
    from app.directory import service as directory

    marker = uuid.uuid4().hex[:8]
    engine = make_engine(migrated_settings)
    with Session(engine) as db, db.begin():
        alice = directory.find_account(db, email="alice@example.com")
        assert alice is not None
        if directory.find_account(db, email="bob@example.com") is None:
            directory.create_account(db, email="bob@example.com", display_name="Bob", managed=False)
        team = groups.create_group(
            db,
            organization_id=alice.organization_id,
            address=f"team-{marker}@example.com",
            name="Project team",
        )
        groups.add_member(db, group=team, address="bob@example.com")
        groups.add_member(db, group=team, address="partner@outside.example")
    engine.dispose()
    page.goto(f"{live_server}/mail/compose")
    page.fill("#to", f"carol@example.org, team-{marker}@example.com")
    chip = page.wait_for_selector("#to-groups .group-chip")
    assert "Project team" in chip.inner_text()
    page.click("#to-groups .expand-group")
    value = page.input_value("#to")
    assert f"team-{marker}@example.com" not in value
    assert value.startswith("carol@example.org, ")
    assert "Bob <bob@example.com>" in value and "partner@outside.example" in value
    expect(page.locator("#to-groups .group-chip")).to_have_count(0)


def test_a_read_receipt_is_sent_only_when_the_reader_says_so(
    page: Any, live_server: str, migrated_settings: Settings
) -> None:
    marker = uuid.uuid4().hex[:8]
    message = EmailMessage()
    message["From"] = "bob@example.com"
    message["To"] = "alice@example.com"
    message["Subject"] = f"please confirm {marker}"
    message["Message-ID"] = f"<p-{marker}@example.com>"
    message["Disposition-Notification-To"] = "Bob <bob@example.com>"
    message.set_content("Did you get this?")
    deliver(migrated_settings, "alice@example.com", message.as_bytes())
    with _imap(migrated_settings, "alice@example.com") as client:
        client.select_folder("INBOX", readonly=True)
        uid = client.search(["SUBJECT", f"please confirm {marker}"])[0]
    page.goto(f"{live_server}/mail/INBOX/{uid}")
    banner = page.wait_for_selector("#receipt-request")
    assert "bob@example.com" in banner.inner_text()
    assert (
        _wait_for(migrated_settings, "bob@example.com", f"Read: please confirm {marker}", timeout=1)
        is None
    )
    page.click("#receipt-request .receipt-send")
    page.wait_for_selector(".receipt-done")
    receipt = _wait_for(
        migrated_settings, "bob@example.com", f"Read: please confirm {marker}", timeout=60
    )
    assert receipt is not None and receipt.get_content_type() == "multipart/report"
    page.reload()
    # The slot is replaced by the server's answer: the question would be there by now.
    page.wait_for_selector(".receipt-request-slot", state="detached")
    assert page.locator("#receipt-request").count() == 0


def test_a_reopened_draft_shows_its_inline_image(
    page: Any, live_server: str, migrated_settings: Settings
) -> None:
    marker = uuid.uuid4().hex[:8]
    page.goto(f"{live_server}/mail/compose")
    page.fill("#subject", f"draft image {marker}")
    page.click("#editor")
    page.keyboard.type("See the picture")
    _image_event(page, "paste", _png(30), "shot.png")
    page.wait_for_selector("#editor img[src$='/view']")
    # Autosave runs every 5 s, maybe once before the image was in: "Draft saved" means the
    # saved draft has everything the editor shows.
    expect(page.locator("#autosave-status")).to_have_text("Draft saved", timeout=30_000)
    draft_uid = page.input_value("input[name=draft_uid]")
    assert draft_uid.isdigit()
    page.goto(f"{live_server}/mail/compose?draft={draft_uid}")
    image = page.wait_for_selector("#editor img")
    assert image.evaluate(DECODED_WIDTH) == 2
    assert "See the picture" in page.inner_text("#editor")
