"""htmx navigation: an htmx request gets the main area, the folder tree (out of band) and the
title; a history restore and a plain request get the whole page."""

from __future__ import annotations

from starlette.testclient import TestClient

from app.settings import Settings
from tests.integration.mail.conftest import deliver, make_message
from tests.integration.mail.test_pages import _signed_in

HTMX = {
    "HX-Request": "true",
    "HX-Boosted": "true",
    "HX-Current-URL": "http://testserver/mail/INBOX",
}


def test_htmx_gets_the_main_area_and_full_loads_get_the_page(
    client: TestClient, mailbox: str, settings: Settings
) -> None:
    for subject in ("one", "two"):
        deliver(settings, mailbox, make_message(to=mailbox, subject=subject))
    _signed_in(client, mailbox)
    full = client.get("/mail/INBOX")
    assert full.text.startswith("<!doctype html>") and 'class="topbar"' in full.text
    assert 'hx-boost="true" hx-target="#mail-main"' in full.text
    assert 'hx-history="false"' in full.text  # mail is never kept in the browser's storage
    assert full.headers["vary"] == "HX-Request" and "hx-push-url" not in full.headers

    partial = client.get("/mail/INBOX/1", headers=HTMX)
    assert partial.status_code == 200
    text = partial.text
    assert "<!doctype" not in text and 'class="topbar"' not in text
    assert text.lstrip().startswith("<title>(1) one · Hamkar</title>")  # counted after reading
    assert (
        '<nav class="mail-folders" id="mail-folders" aria-label="Folders" hx-swap-oob="true">'
        in text
    )
    assert '<section class="mail-main" id="mail-main"' in text
    assert '<h1 class="message-subject"><bdi>one</bdi>' in text

    listing = client.get("/mail/INBOX", headers=HTMX).text
    assert 'data-live-folder="INBOX"' in listing and "<title>(1) Mail · Hamkar</title>" in listing
    found = client.get("/mail/search?q=two", headers=HTMX)
    assert "<title>(1) Search · Hamkar</title>" in found.text
    assert found.headers["hx-push-url"] == "/mail/search?q=two"  # with the query
    # The search form as a browser sends it: every field, the empty dates included.
    form = client.get("/mail/search?q=two&text=&folder=&since=&until=", headers=HTMX)
    assert form.status_code == 200 and "<bdi>two</bdi></a>" in form.text

    restore = client.get("/mail/INBOX/2", headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert restore.text.startswith("<!doctype html>") and 'class="topbar"' in restore.text
