"""vCard 3.0 and 4.0 (RFC 6352 6.2.2, 6.3.2.2 and 10.4) over HTTP against a live server:
cards are stored as sent, and served in the version a client asks for."""

from __future__ import annotations

import caldav
import httpx
import vobject

from app.dav.xml import parse
from tests.conftest import TEST_PASSWORD

AUTH = ("alice@example.com", TEST_PASSWORD)
BOOK = "/dav/addressbooks/alice@example.com/contacts/"
NS = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"'

# As iOS writes them: grouped properties, TYPE=INTERNET and PREF, an inline photo.
VCARD3 = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iOS 17.0//EN\r\n"
    "N:Rahimi;Mina;;;\r\nFN:Mina Rahimi\r\nUID:mina@hamkar.test\r\n"
    "item1.EMAIL;type=INTERNET;type=pref:mina@example.net\r\nitem1.X-ABLabel:_$!<Other>!$_\r\n"
    "TEL;type=CELL;type=VOICE:+98 912 000 0000\r\n"
    "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/\r\n"
    "NOTE:Likes tea\\, not coffee\r\nEND:VCARD\r\n"
)
# As DAVx5 writes vCard 4: a data: URI photo, KIND, PREF and a tel: URI.
VCARD4 = (
    "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1\r\n"
    "FN:Jonas Becker\r\nKIND:individual\r\nEMAIL;TYPE=work;PREF=1:jonas@example.de\r\n"
    "TEL;VALUE=uri;TYPE=cell:tel:+49-30-1234567\r\nANNIVERSARY:20100612\r\n"
    "PHOTO:data:image/png;base64,iVBORw0KGgo=\r\nEND:VCARD\r\n"
)


def _get(base: str, path: str, accept: str | None = None) -> httpx.Response:
    headers = {"Accept": accept} if accept else {}
    answer = httpx.get(base + path, headers=headers, auth=AUTH)
    assert answer.status_code == 200, answer.text
    return answer


def _store_both(base: str) -> None:
    for name, text in (("mina.vcf", VCARD3), ("jonas.vcf", VCARD4)):
        answer = httpx.put(
            base + BOOK + name,
            content=text.encode(),
            headers={"Content-Type": "text/vcard", "If-None-Match": "*"},
            auth=AUTH,
        )
        assert answer.status_code == 201, answer.text


def test_both_versions_are_advertised_and_stored_as_sent(dav_server: str) -> None:
    client = caldav.DAVClient(url=dav_server, username=AUTH[0], password=AUTH[1])
    listing = client.propfind(
        dav_server + BOOK,
        f"<D:propfind {NS}><D:prop><C:supported-address-data/></D:prop></D:propfind>",
        depth=0,
    )
    root = parse(listing.raw.encode() if isinstance(listing.raw, str) else listing.raw)
    assert root is not None
    versions = sorted(
        (t.get("content-type"), t.get("version"))
        for t in root.iter("{urn:ietf:params:xml:ns:carddav}address-data-type")
    )
    assert versions == [("text/vcard", "3.0"), ("text/vcard", "4.0")]
    _store_both(dav_server)
    assert _get(dav_server, BOOK + "mina.vcf").text == VCARD3
    assert _get(dav_server, BOOK + "jonas.vcf").text == VCARD4
    # Accept without a version, or anything else, leaves the card as stored.
    assert _get(dav_server, BOOK + "mina.vcf", "text/vcard, */*;q=0.1").text == VCARD3


def test_get_with_accept_converts_3_to_4_and_4_to_3(dav_server: str) -> None:
    _store_both(dav_server)
    as_v4 = _get(dav_server, BOOK + "mina.vcf", "text/vcard; version=4.0")
    assert as_v4.headers["ETag"] == _get(dav_server, BOOK + "mina.vcf").headers["ETag"]
    card = vobject.readOne(as_v4.text)
    assert card.version.value == "4.0"
    assert card.email.value == "mina@example.net" and card.email.params["PREF"] == ["1"]
    assert "INTERNET" not in as_v4.text.upper()
    assert "PHOTO:data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/" in as_v4.text
    assert "item1.X-ABLabel" in as_v4.text and "Likes tea\\, not coffee" in as_v4.text
    as_v3 = _get(dav_server, BOOK + "jonas.vcf", "text/vcard;version=3.0, text/vcard;q=0.5")
    card = vobject.readOne(as_v3.text)
    assert card.version.value == "3.0"
    assert card.n.value.family == "Jonas Becker"  # N is required in vCard 3
    assert card.tel.value == "+49-30-1234567"
    assert "KIND" not in as_v3.text and "X-ANNIVERSARY:20100612" in as_v3.text
    assert "PHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgo=" in as_v3.text
    assert sorted(card.email.params["TYPE"]) == ["PREF", "WORK"]


def test_address_data_version_in_reports(dav_server: str) -> None:
    _store_both(dav_server)
    client = caldav.DAVClient(url=dav_server, username=AUTH[0], password=AUTH[1])
    multiget = f"""<C:addressbook-multiget {NS}><D:prop><D:getetag/>
      <C:address-data content-type="text/vcard" version="4.0"/></D:prop>
      <D:href>{BOOK}mina.vcf</D:href><D:href>{BOOK}jonas.vcf</D:href>
    </C:addressbook-multiget>"""
    answer = client.report(dav_server + BOOK, multiget, depth=1)
    assert answer.status == 207
    cards = _cards(answer.raw)
    assert {c.version.value for c in cards.values()} == {"4.0"}
    assert cards[BOOK + "jonas.vcf"].serialize().count("ANNIVERSARY") == 1
    query = f"""<C:addressbook-query {NS}><D:prop>
      <C:address-data content-type="text/vcard" version="3.0"><C:prop name="FN"/>
      <C:prop name="EMAIL"/></C:address-data></D:prop></C:addressbook-query>"""
    answer = client.report(dav_server + BOOK, query, depth=1)
    cards = _cards(answer.raw)
    assert {c.version.value for c in cards.values()} == {"3.0"}
    assert cards[BOOK + "jonas.vcf"].fn.value == "Jonas Becker"
    assert "TEL" not in answer.raw and "PHOTO" not in answer.raw
    # The directory book (vCard 4 cards) in vCard 3 for older clients.
    directory = "/dav/addressbooks/alice@example.com/directory/"
    answer = client.report(
        dav_server + directory,
        f"""<C:addressbook-query {NS}><D:prop>
        <C:address-data version="3.0"/></D:prop></C:addressbook-query>""",
        depth=1,
    )
    assert answer.status == 207 and "VERSION:4.0" not in answer.raw


def test_an_unknown_version_is_refused(dav_server: str) -> None:
    answer = httpx.request(
        "REPORT",
        dav_server + BOOK,
        content=f"""<C:addressbook-query {NS}><D:prop>
        <C:address-data content-type="text/vcard" version="2.1"/></D:prop>
        </C:addressbook-query>""".encode(),
        headers={"Depth": "1"},
        auth=AUTH,
    )
    assert answer.status_code == 403 and "supported-address-data" in answer.text


def _cards(raw: str | bytes) -> dict[str, vobject.base.Component]:
    root = parse(raw.encode() if isinstance(raw, str) else raw)
    assert root is not None
    found = {}
    for response in root.iter("{DAV:}response"):
        data = response.find(".//{urn:ietf:params:xml:ns:carddav}address-data")
        if data is not None and data.text:
            found[response.findtext("{DAV:}href") or ""] = vobject.readOne(data.text)
    return found
