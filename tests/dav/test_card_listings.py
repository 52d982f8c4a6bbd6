"""Address book listings over a few hundred cards, against a live server (SQLite and
PostgreSQL): PROPFIND depth 1, sync-collection, addressbook-multiget and addressbook-query
are written from column rows (and queries narrowed in SQL); they must say exactly what the
member-by-member path says (asked for by adding a property or address-data with allprop),
and what the RFC 6352 filter says card by card. Changes show at once; the directory book
follows the organization's address list."""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy.orm import Session

from app.contacts.query import CardFilter, CardPropFilter, CardTextMatch, card_matches
from app.directory import service as directory
from tests.conftest import TEST_PASSWORD
from tests.dav.test_listings import _members, _responses

D, CARD = "{DAV:}", "{urn:ietf:params:xml:ns:carddav}"
BOOK = "/dav/addressbooks/alice@example.com/contacts/"
DIRECTORY = "/dav/addressbooks/alice@example.com/directory/"
ODD_NAMES = ["with space.vcf", "a&b.vcf", "ümlaut-تهران.vcf", "100%.vcf"]
PEOPLE = [("Ali", "علی"), ("Sara", "سارا"), ("Reza", "رضا"), ("Étienne", "اتین"), ("Karim", "كريم")]
NS = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"'
PLAIN, ALLPROP = "<C:address-data/>", "<C:address-data><C:allprop/></C:address-data>"


def _card(index: int, tag: str = "") -> str:
    latin, persian = PEOPLE[index % len(PEOPLE)]
    fn = f"{persian} {index}" if index % 3 == 0 else f"{latin} <Person> & {index}{tag}"
    version = "4.0" if index % 2 else "3.0"
    lines = [
        "BEGIN:VCARD",
        f"VERSION:{version}",
        f"UID:uid-{index}@hamkar.test",
        f"FN:{fn}",
        f"EMAIL;TYPE=work:{latin.lower()}.{index}@example.net",
    ]
    if index % 4 == 0:
        lines.append(f"EMAIL;TYPE=home:{latin.lower()}{index}@home.ir")
    if index % 5 == 0:
        lines.append(f"NICKNAME:{latin[:3]}")
    return "\r\n".join([*lines, "END:VCARD", ""])


def _name(index: int) -> str:
    return ODD_NAMES[index] if index < len(ODD_NAMES) else f"card-{index}.vcf"


def _fill(client: httpx.Client, count: int = 240) -> dict[str, str]:
    """Store ``count`` cards; their texts by href."""
    stored = {}
    for index in range(count):
        href = BOOK + quote(_name(index), safe="@+")
        answer = client.put(href, content=_card(index), headers={"Content-Type": "text/vcard"})
        assert answer.status_code == 201, answer.text
        stored[href] = _card(index)
    return stored


def _client(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, auth=("alice@example.com", TEST_PASSWORD), timeout=60)


def _report(client: httpx.Client, url: str, body: str) -> httpx.Response:
    return client.request("REPORT", url, content=body, headers={"Depth": "1"})


def _propfind(client: httpx.Client, url: str, props: str) -> dict[str, dict[str, dict[str, str]]]:
    body = f'<?xml version="1.0"?><D:propfind {NS}><D:prop>{props}</D:prop></D:propfind>'
    return _members(client.request("PROPFIND", url, content=body, headers={"Depth": "1"}), url)


def _sync(token: str, props: str) -> str:
    return (
        f'<?xml version="1.0"?><D:sync-collection {NS}><D:sync-token>{token}</D:sync-token>'
        f"<D:sync-level>1</D:sync-level><D:prop>{props}</D:prop></D:sync-collection>"
    )


def _query(filter_xml: str, data: str = PLAIN, limit: str = "") -> str:
    return (
        f'<?xml version="1.0"?><C:addressbook-query {NS}><D:prop><D:getetag/>{data}</D:prop>'
        f"<C:filter{filter_xml}</C:filter>{limit}</C:addressbook-query>"
    )


def _token(answer: httpx.Response) -> str:
    found = re.search(r"<d:sync-token>([^<]+)</d:sync-token>", answer.text)
    assert found is not None
    return found.group(1)


def _only(found: dict[str, dict[str, dict[str, str]]], *names: str) -> dict[str, dict[str, str]]:
    """href -> the listed properties of the 200 propstat."""
    return {h: {n: s.get("200", {}).get(n, "") for n in names} for h, s in found.items()}


def test_propfind_and_sync_say_what_the_member_path_says(dav_server: str) -> None:
    client = _client(dav_server)
    stored = _fill(client)
    names = (f"{D}getetag", f"{D}getcontenttype")
    fast = _propfind(client, BOOK, "<D:getetag/><D:getcontenttype/>")
    slow = _propfind(client, BOOK, "<D:getetag/><D:getcontenttype/><D:getcontentlength/>")
    assert set(fast) == set(stored)
    assert _only(fast, *names) == _only(slow, *names)
    assert {v[f"{D}getcontenttype"] for v in _only(fast, *names).values()} == {
        "text/vcard; charset=utf-8"
    }
    sync_fast = _members(_report(client, BOOK, _sync("", "<D:getetag/>")), BOOK)
    sync_slow = _members(_report(client, BOOK, _sync("", "<D:getetag/><D:getlastmodified/>")), BOOK)
    assert _only(sync_fast, f"{D}getetag") == _only(fast, f"{D}getetag")
    assert _only(sync_slow, f"{D}getetag") == _only(fast, f"{D}getetag")
    with_data = _members(_report(client, BOOK, _sync("", "<D:getetag/>" + PLAIN)), BOOK)
    assert {h: v["200"][f"{CARD}address-data"] for h, v in with_data.items()} == stored


def test_multiget_says_what_the_member_path_says(dav_server: str) -> None:
    client = _client(dav_server)
    stored = _fill(client, 120)
    hrefs = [*list(stored)[::3], BOOK + "missing.vcf"]
    body = "".join(f"<D:href>{h}</D:href>" for h in hrefs)

    def multiget(data: str) -> httpx.Response:
        return _report(
            client,
            BOOK,
            f'<?xml version="1.0"?><C:addressbook-multiget {NS}><D:prop><D:getetag/>{data}'
            f"</D:prop>{body}</C:addressbook-multiget>",
        )

    fast, slow = _responses(multiget(PLAIN).content), _responses(multiget(ALLPROP).content)
    assert fast == slow
    assert list(fast) == hrefs
    assert fast[BOOK + "missing.vcf"] == {"404": {}}
    assert fast[hrefs[0]]["200"][f"{CARD}address-data"] == stored[hrefs[0]]


FILTERS = [
    '><C:prop-filter name="FN"><C:text-match match-type="starts-with">ALI</C:text-match>'
    "</C:prop-filter>",
    '><C:prop-filter name="FN"><C:text-match>علی</C:text-match></C:prop-filter>',
    '><C:prop-filter name="EMAIL"><C:text-match>HOME.IR</C:text-match></C:prop-filter>',
    '><C:prop-filter name="FN"><C:text-match match-type="ends-with">&amp; 7</C:text-match>'
    "</C:prop-filter>",
    '><C:prop-filter name="FN"><C:text-match match-type="equals">Étienne &lt;person&gt; '
    "&amp; 3</C:text-match></C:prop-filter>",
    ' test="allof"><C:prop-filter name="NICKNAME"/><C:prop-filter name="EMAIL">'
    "<C:text-match>ali</C:text-match></C:prop-filter>",
    '><C:prop-filter name="NICKNAME"><C:is-not-defined/></C:prop-filter>',
    '><C:prop-filter name="FN"><C:text-match negate-condition="yes">a</C:text-match>'
    "</C:prop-filter>",
    '><C:prop-filter name="EMAIL"><C:param-filter name="TYPE"><C:text-match '
    'match-type="equals">home</C:text-match></C:param-filter></C:prop-filter>',
    '><C:prop-filter name="FN"><C:text-match>zzqx</C:text-match></C:prop-filter>',
]
EXPECTED_FILTERS = {
    0: CardFilter(
        [CardPropFilter("FN", text_matches=[CardTextMatch("ALI", match_type="starts-with")])]
    ),
    1: CardFilter([CardPropFilter("FN", text_matches=[CardTextMatch("علی")])]),
    2: CardFilter([CardPropFilter("EMAIL", text_matches=[CardTextMatch("HOME.IR")])]),
    9: CardFilter([CardPropFilter("FN", text_matches=[CardTextMatch("zzqx")])]),
}


@pytest.mark.parametrize("index", range(len(FILTERS)))
def test_query_says_what_the_filter_says(dav_server: str, index: int) -> None:
    client = _client(dav_server)
    stored = _fill(client, 150)
    fast = _responses(_report(client, BOOK, _query(FILTERS[index])).content)
    slow = _responses(_report(client, BOOK, _query(FILTERS[index], ALLPROP)).content)
    assert fast == slow
    if index in EXPECTED_FILTERS:
        expected = {h for h, t in stored.items() if card_matches(t, EXPECTED_FILTERS[index])}
        assert set(fast) == expected
        assert index == 9 or expected
    for href, statuses in fast.items():
        assert statuses["200"][f"{CARD}address-data"] == stored[href]


def test_limit_truncates_with_507_on_the_request_uri(dav_server: str) -> None:
    client = _client(dav_server)
    _fill(client, 30)
    limit = "<C:limit><C:nresults>2</C:nresults></C:limit>"
    every = '><C:prop-filter name="EMAIL"><C:text-match>example.net</C:text-match></C:prop-filter>'
    answer = _responses(_report(client, BOOK, _query(every, limit=limit)).content)
    assert len(answer) == 3
    assert answer[BOOK] == {"507": {}}
    enough = "<C:limit><C:nresults>30</C:nresults></C:limit>"
    answer = _responses(_report(client, BOOK, _query(every, limit=enough)).content)
    assert len(answer) == 30 and BOOK not in answer


def test_edits_and_deletions_show_in_sync_and_query_at_once(dav_server: str) -> None:
    client = _client(dav_server)
    stored = _fill(client, 40)
    token = _token(_report(client, BOOK, _sync("", "<D:getetag/>")))
    edited, deleted = BOOK + "card-10.vcf", BOOK + "card-11.vcf"
    renamed = _card(10).replace("FN:", "FN:Zoltan ")
    assert client.put(edited, content=renamed).status_code == 204
    assert client.delete(deleted).status_code == 204
    since = _responses(_report(client, BOOK, _sync(token, "<D:getetag/>" + PLAIN)).content)
    assert since[deleted] == {"404": {}}
    assert since[edited]["200"][f"{CARD}address-data"] == renamed
    assert len(since) == 2
    zoltan = '><C:prop-filter name="FN"><C:text-match>zoltan</C:text-match></C:prop-filter>'
    assert set(_responses(_report(client, BOOK, _query(zoltan)).content)) == {edited}
    gone = _card(11).split("FN:")[1].split("\r\n")[0]
    by_name = f'><C:prop-filter name="FN"><C:text-match match-type="equals">{gone}'
    by_name = by_name.replace("&", "&amp;").replace("<P", "&lt;P").replace("n>", "n&gt;")
    answer = _responses(
        _report(client, BOOK, _query(by_name + "</C:text-match></C:prop-filter>")).content
    )
    assert deleted not in answer
    assert len(stored) == 40


def test_directory_book_follows_the_address_list(live_directory: tuple[str, Session]) -> None:
    url, db = live_directory
    client = _client(url)
    names = (f"{D}getetag", f"{D}getcontenttype")
    before = _propfind(client, DIRECTORY, "<D:getetag/><D:getcontenttype/>")
    slow = _propfind(client, DIRECTORY, "<D:getetag/><D:getcontenttype/><D:getcontentlength/>")
    assert _only(before, *names) == _only(slow, *names)
    directory.create_account(db, email="dana@example.com", display_name="Dana Dehghan")
    db.commit()
    after = _propfind(client, DIRECTORY, "<D:getetag/><D:getcontenttype/>")
    assert len(after) == len(before) + 1 and set(before) < set(after)
    (new,) = set(after) - set(before)
    dana = '><C:prop-filter name="FN"><C:text-match>dehghan</C:text-match></C:prop-filter>'
    found = _responses(_report(client, DIRECTORY, _query(dana)).content)
    assert list(found) == [new]
    assert "Dana Dehghan" in found[new]["200"][f"{CARD}address-data"]
