"""The read-only ``directory/`` CardDAV book is the organization's global address list.

Real clients against a live server on SQLite and PostgreSQL: the `caldav` library's DAV client
(PROPFIND, addressbook-query, GET, a refused PUT) and a vdirsyncer one-way sync of the book into
a folder. People, groups, role mailboxes and rooms of alice's organization appear; disabled and
deleted accounts and anything of carol's organization never do.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import caldav
import pytest
import vobject
from caldav.lib import error
from lxml import etree
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.directory import accounts, groups
from app.directory import service as directory
from app.settings import Settings
from tests.conftest import TEST_PASSWORD
from tests.live import fresh_postgres, serve

BOOK = "/dav/addressbooks/alice@example.com/directory/"
VISIBLE = {
    "alice@example.com": "Alice Amini",
    "bob@example.com": "Bob Bahrami",
    "info@example.com": "Information",
    "room-alborz@example.com": "Alborz meeting room",
    "team@example.com": "The whole team",
}
HIDDEN = ("gone@example.com", "off@example.com", "carol@example.org", "others@example.org")


def _seed(settings: Settings) -> None:
    engine = create_engine(settings.effective_database_url)
    with Session(engine) as db:
        example = directory.create_organization(
            db, name="Example", slug="example", domains=["example.com"]
        )
        other = directory.create_organization(
            db, name="Other", slug="other", domains=["example.org"]
        )
        directory.create_account(
            db,
            email="alice@example.com",
            display_name="Alice Amini",
            job_title="Accountant",
            department="Finance",
            phone_work="+98 21 5555 0101",
        )
        directory.create_account(db, email="bob@example.com", display_name="Bob Bahrami")
        directory.create_account(
            db, email="info@example.com", display_name="Information", kind="role"
        )
        directory.create_account(
            db,
            email="room-alborz@example.com",
            display_name="Alborz meeting room",
            kind="room",
            location="Floor 3",
        )
        groups.create_group(
            db, organization_id=example.id, address="team@example.com", name="The whole team"
        )
        off = directory.create_account(db, email="off@example.com", display_name="Disabled Dara")
        accounts.set_enabled(db, account=off, enabled=False)
        gone = directory.create_account(db, email="gone@example.com", display_name="Deleted Dina")
        accounts.delete_account(db, account=gone, retention_days=30)
        directory.create_account(db, email="carol@example.org", display_name="Carol Other")
        groups.create_group(
            db, organization_id=other.id, address="others@example.org", name="Other people"
        )
        db.commit()
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def gal_server(
    request: pytest.FixtureRequest, migrated_settings: Settings
) -> Iterator[tuple[str, Settings]]:
    """A live server whose directory holds two organizations, over each database."""
    if request.param == "sqlite":
        _seed(migrated_settings)
        with serve(migrated_settings) as base_url:
            yield base_url, migrated_settings
        return
    with fresh_postgres(migrated_settings) as settings:
        _seed(settings)
        with serve(settings) as base_url:
            yield base_url, settings


def _client(url: str) -> caldav.DAVClient:
    return caldav.DAVClient(url=url, username="alice@example.com", password=TEST_PASSWORD)


def _cards(multistatus: str) -> dict[str, vobject.base.Component]:
    """The vCards of an addressbook-query answer, by e-mail address."""
    cards = {}
    for chunk in multistatus.split("BEGIN:VCARD")[1:]:
        text = "BEGIN:VCARD" + chunk.split("END:VCARD")[0] + "END:VCARD\r\n"
        card = vobject.readOne(text.replace("&#13;", "").replace("\r\n", "\n"))
        cards[card.email.value] = card
    return cards


QUERY = """<?xml version="1.0"?>
<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:prop><D:getetag/><C:address-data/></D:prop>
</C:addressbook-query>"""


def test_caldav_client_reads_the_global_address_list(gal_server: tuple[str, Settings]) -> None:
    server, _ = gal_server
    client = _client(server)
    book = server + BOOK
    found = client.request(book, "REPORT", QUERY, {"Depth": "1", "Content-Type": "application/xml"})
    assert found.status == 207
    cards = _cards(found.raw)
    assert {email: c.fn.value for email, c in cards.items()} == VISIBLE
    assert not any(hidden in found.raw for hidden in HIDDEN)
    kinds = {email: c.contents["kind"][0].value for email, c in cards.items()}
    assert kinds["team@example.com"] == "group" and kinds["info@example.com"] == "org"
    assert kinds["room-alborz@example.com"] == "location"
    alice = cards["alice@example.com"]
    assert alice.title.value == "Accountant" and alice.tel.value == "+98 21 5555 0101"

    listing = etree.fromstring(client.propfind(book, "", depth=1).raw.encode())
    hrefs = [h.text or "" for h in listing.iter("{DAV:}href")]
    card_hrefs = sorted(h for h in hrefs if h.endswith(".vcf"))
    assert len(card_hrefs) == len(VISIBLE)
    one = client.request(server + card_hrefs[0], "GET")
    assert one.status == 200 and "BEGIN:VCARD" in one.raw

    with pytest.raises(error.DAVError):
        client.request(book + "mine.vcf", "PUT", alice.serialize(), {"Content-Type": "text/vcard"})
    # carol reads her own organization's list, never alice's.
    carol = caldav.DAVClient(
        url=server, username="carol@example.org", password=TEST_PASSWORD
    ).request(
        server + "/dav/addressbooks/carol@example.org/directory/",
        "REPORT",
        QUERY,
        {"Depth": "1", "Content-Type": "application/xml"},
    )
    assert set(_cards(carol.raw)) == {"carol@example.org", "others@example.org"}


def _vdirsyncer() -> str:
    found = shutil.which("vdirsyncer") or str(Path(__file__).parents[2] / ".venv/bin/vdirsyncer")
    if not Path(found).exists():
        pytest.fail("vdirsyncer is missing: pip install -e '.[dev]'", pytrace=False)
    return found


def _sync(config: Path, *args: str) -> None:
    result = subprocess.run(
        [_vdirsyncer(), "-c", str(config), *args],
        input="y\n" * 5,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_vdirsyncer_mirrors_the_directory_book(
    gal_server: tuple[str, Settings], tmp_path: Path
) -> None:
    server, settings = gal_server
    config = tmp_path / "config"
    folder = tmp_path / "directory"
    folder.mkdir()
    config.write_text(
        f"""[general]
status_path = "{tmp_path}/status/"

[pair directory]
a = "server_directory"
b = "local_directory"
collections = null
conflict_resolution = "a wins"

[storage server_directory]
type = "carddav"
url = "{server}{BOOK}"
username = "alice@example.com"
password = "{TEST_PASSWORD}"
read_only = true

[storage local_directory]
type = "filesystem"
path = "{folder}/"
fileext = ".vcf"
"""
    )
    _sync(config, "discover")
    _sync(config, "sync")
    assert _local(folder) == VISIBLE
    assert not any(hidden in p.read_text() for p in folder.glob("*.vcf") for hidden in HIDDEN)

    # The directory changes: a newcomer appears, a disabled colleague leaves, a rename follows.
    engine = create_engine(settings.effective_database_url)
    with Session(engine) as db:
        directory.create_account(db, email="dave@example.com", display_name="Dave Dehghan")
        bob = directory.find_account(db, email="bob@example.com")
        assert bob is not None
        accounts.set_enabled(db, account=bob, enabled=False)
        info = directory.find_account(db, email="info@example.com")
        assert info is not None
        info.display_name = "Front desk"
        db.commit()
    engine.dispose()
    _sync(config, "sync")
    expected = {k: v for k, v in VISIBLE.items() if k != "bob@example.com"}
    expected |= {"dave@example.com": "Dave Dehghan", "info@example.com": "Front desk"}
    assert _local(folder) == expected


def _local(folder: Path) -> dict[str, str]:
    """Address -> name of the cards vdirsyncer wrote into the folder."""
    cards = [vobject.readOne(p.read_text()) for p in folder.glob("*.vcf")]
    return {c.email.value: c.fn.value for c in cards}
