"""vdirsyncer two-way sync of calendars and contacts with a local folder, edits on both sides."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_PASSWORD
from tests.dav.samples import card, event

AUTH = ("alice@example.com", TEST_PASSWORD)


def _vdirsyncer() -> str:
    found = shutil.which("vdirsyncer") or str(Path(__file__).parents[2] / ".venv/bin/vdirsyncer")
    if not Path(found).exists():
        pytest.fail("vdirsyncer is missing: pip install -e '.[dev]'", pytrace=False)
    return found


def _run(config: Path, *args: str) -> str:
    result = subprocess.run(
        [_vdirsyncer(), "-c", str(config), *args],
        input="y\n" * 20,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def _config(tmp: Path, server: str) -> Path:
    config = tmp / "config"
    config.write_text(
        f"""[general]
status_path = "{tmp}/status/"

[pair calendars]
a = "server_calendars"
b = "local_calendars"
collections = ["from a"]
conflict_resolution = "a wins"

[storage server_calendars]
type = "caldav"
url = "{server}/"
username = "{AUTH[0]}"
password = "{AUTH[1]}"

[storage local_calendars]
type = "filesystem"
path = "{tmp}/calendars/"
fileext = ".ics"

[pair contacts]
a = "server_contacts"
b = "local_contacts"
collections = ["from a"]
conflict_resolution = "a wins"

[storage server_contacts]
type = "carddav"
url = "{server}/"
username = "{AUTH[0]}"
password = "{AUTH[1]}"

[storage local_contacts]
type = "filesystem"
path = "{tmp}/contacts/"
fileext = ".vcf"
"""
    )
    return config


def test_two_way_sync_of_calendars_and_contacts(dav_server: str, tmp_path: Path) -> None:
    http = httpx.Client(base_url=dav_server, auth=AUTH)
    cal = "/dav/calendars/alice@example.com/personal/"
    book = "/dav/addressbooks/alice@example.com/contacts/"
    assert (
        http.put(cal + "server.ics", content=event("server-ev", summary="From server")).status_code
        == 201
    )
    assert http.put(book + "sara.vcf", content=card("sara", "Sara Karimi")).status_code == 201
    config = _config(tmp_path, dav_server)
    _run(config, "discover")
    _run(config, "sync")
    local_cal = tmp_path / "calendars" / "personal"
    local_book = tmp_path / "contacts" / "contacts"
    files = {p.name: p for p in local_cal.glob("*.ics")}
    assert any("From server" in p.read_text() for p in files.values())
    assert any("Sara Karimi" in p.read_text() for p in local_book.glob("*.vcf"))
    assert (tmp_path / "calendars" / "tasks").is_dir()

    # Edits on both sides: a local change and a new local event, a server change to a card.
    local_event = next(p for p in files.values() if "From server" in p.read_text())
    local_event.write_text(local_event.read_text().replace("From server", "Edited locally"))
    (local_cal / "local-new.ics").write_text(event("local-ev", summary="Made offline"))
    current = http.get(book + "sara.vcf")
    changed = current.text.replace("Sara Karimi", "Sara Karimi-Rad")
    assert (
        http.put(
            book + "sara.vcf", content=changed, headers={"If-Match": current.headers["ETag"]}
        ).status_code
        == 204
    )
    _run(config, "sync")

    assert "Edited locally" in http.get(cal + "server.ics").text
    listing = http.request("PROPFIND", cal, headers={"Depth": "1"}).text
    assert listing.count(".ics</d:href>") == 2
    assert any("Sara Karimi-Rad" in p.read_text() for p in local_book.glob("*.vcf"))

    # A deletion on the server reaches the folder.
    assert http.delete(cal + "server.ics").status_code == 204
    _run(config, "sync")
    assert not any("Edited locally" in p.read_text() for p in local_cal.glob("*.ics"))
    assert any("Made offline" in p.read_text() for p in local_cal.glob("*.ics"))
