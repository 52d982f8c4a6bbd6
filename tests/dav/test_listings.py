"""Large listings and minimal answers over HTTP against a live server (SQLite and PostgreSQL).

PROPFIND depth 1, sync-collection and plain calendar-query answers for the common item
properties are written straight from a column-only listing; they must say exactly what the
property registry says. ``Prefer: return=minimal`` (RFC 8144 2.1, RFC 7240) leaves out the
propstats of missing properties and says so in ``Preference-Applied``.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from app.dav.xml import parse
from tests.conftest import TEST_PASSWORD
from tests.dav.samples import event

D, C = "{DAV:}", "{urn:ietf:params:xml:ns:caldav}"
CALENDAR = "/dav/calendars/alice@example.com/personal/"
TASKS = "/dav/calendars/alice@example.com/tasks/"
# Plain names, and names that must be percent-encoded in an href (space, &, non-ASCII, %).
NAMES = ["plain.ics", "with space.ics", "a&b.ics", "ümlaut-تهران.ics", "100%.ics"]
TODO = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Hamkar tests//EN\r\nBEGIN:VTODO\r\n"
    "UID:todo-1@hamkar.test\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:A <task> & more\r\n"
    "END:VTODO\r\nEND:VCALENDAR\r\n"
)


def _client(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, auth=("alice@example.com", TEST_PASSWORD), timeout=30)


def _fill(client: httpx.Client) -> None:
    for i, name in enumerate(NAMES):
        summary = 'Planning <b> & "quotes"' if i == 1 else f"Event {i}"
        answer = client.put(
            CALENDAR + quote(name, safe="@+"),
            content=event(f"uid-{i}@hamkar.test", summary=summary),
            headers={"Content-Type": "text/calendar"},
        )
        assert answer.status_code == 201, answer.text
    answer = client.put(TASKS + "todo.ics", content=TODO)
    assert answer.status_code == 201


def _propfind(props: str) -> str:
    return (
        '<?xml version="1.0"?><D:propfind xmlns:D="DAV:" '
        f'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>{props}</D:prop></D:propfind>'
    )


def _responses(body: bytes) -> dict[str, dict[str, dict[str, str]]]:
    """href -> status -> property name -> its content as text (children serialized)."""
    root = parse(body)
    assert root is not None and root.tag == f"{D}multistatus"
    found: dict[str, dict[str, dict[str, str]]] = {}
    for response in root.findall(f"{D}response"):
        href = response.findtext(f"{D}href") or ""
        assert href not in found, "one response per resource"
        statuses = found.setdefault(href, {})
        for propstat in response.findall(f"{D}propstat"):
            status = (propstat.findtext(f"{D}status") or "").split(" ")[1]
            prop = propstat.find(f"{D}prop")
            assert prop is not None
            statuses[status] = {
                p.tag: (p.text or "") + "".join(str(c.tag) for c in p) for p in prop
            }
        if response.find(f"{D}status") is not None:
            statuses[(response.findtext(f"{D}status") or "").split(" ")[1]] = {}
    return found


def _members(answer: httpx.Response, collection: str) -> dict[str, dict[str, dict[str, str]]]:
    assert answer.status_code == 207, answer.text
    return {h: v for h, v in _responses(answer.content).items() if h != collection}


def test_listings_say_what_the_property_registry_says(dav_server: str) -> None:
    client = _client(dav_server)
    _fill(client)
    common = "<D:getetag/><D:getcontenttype/><D:resourcetype/>"
    fast = _members(
        client.request("PROPFIND", CALENDAR, content=_propfind(common), headers={"Depth": "1"}),
        CALENDAR,
    )
    # One more property sends the same listing through the registry, member by member.
    general = _members(
        client.request(
            "PROPFIND",
            CALENDAR,
            content=_propfind(common + "<D:getcontentlength/>"),
            headers={"Depth": "1"},
        ),
        CALENDAR,
    )
    assert sorted(fast) == sorted(CALENDAR + quote(n, safe="@+") for n in NAMES)
    for href, statuses in fast.items():
        expected = {k: v for k, v in general[href]["200"].items() if k != f"{D}getcontentlength"}
        assert statuses == {"200": expected}
        assert expected[f"{D}getcontenttype"] == "text/calendar; charset=utf-8; component=vevent"
        assert expected[f"{D}resourcetype"] == ""
        # The href leads back to the item, whose entity tag is the listed one.
        item = client.get(href)
        assert item.status_code == 200 and item.headers["etag"] == expected[f"{D}getetag"]
    todo = _members(
        client.request("PROPFIND", TASKS, content=_propfind(common), headers={"Depth": "1"}),
        TASKS,
    )
    assert todo[TASKS + "todo.ics"]["200"][f"{D}getcontenttype"].endswith("component=vtodo")

    # An initial sync lists the same members and entity tags.
    sync = (
        '<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/>'
        "<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"
    )
    synced = _members(client.request("REPORT", CALENDAR, content=sync), CALENDAR)
    assert {h: s["200"] for h, s in synced.items()} == {
        h: {f"{D}getetag": s["200"][f"{D}getetag"]} for h, s in fast.items()
    }


def test_plain_calendar_data_is_the_stored_text_escaped(dav_server: str) -> None:
    client = _client(dav_server)
    _fill(client)
    query = (
        '<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" '
        'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/>'
        '</D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/>'
        "</C:comp-filter></C:filter></C:calendar-query>"
    )
    answer = client.request("REPORT", CALENDAR, content=query, headers={"Depth": "1"})
    assert answer.status_code == 207
    root = parse(answer.content)
    assert root is not None
    texts = {
        r.findtext(f"{D}href"): r.findtext(f".//{C}calendar-data")
        for r in root.findall(f"{D}response")
    }
    assert len(texts) == len(NAMES)
    for href, text in texts.items():
        assert text == client.get(href or "").text  # byte for byte, \r\n and markup kept


def _minimal(**extra: str) -> dict[str, str]:
    return {"Depth": "1", "Prefer": "return=minimal", **extra}


@pytest.mark.parametrize(
    "headers",
    [{"Prefer": "return=minimal"}, {"Prefer": 'wait=10, return="minimal"'}, {"Brief": "t"}],
)
def test_prefer_return_minimal_leaves_out_missing_properties(
    dav_server: str, headers: dict[str, str]
) -> None:
    client = _client(dav_server)
    _fill(client)
    # Items have no displayname: a 404 propstat each, unless the client asks for minimal.
    body = _propfind("<D:getetag/><D:displayname/>")
    full = client.request("PROPFIND", CALENDAR, content=body, headers={"Depth": "1"})
    assert "Preference-Applied" not in full.headers
    assert all("404" in s for h, s in _members(full, CALENDAR).items())
    minimal = client.request("PROPFIND", CALENDAR, content=body, headers={"Depth": "1", **headers})
    assert minimal.status_code == 207
    assert minimal.headers["Preference-Applied"] == "return=minimal"
    assert "Prefer" in minimal.headers["Vary"]
    listed = _responses(minimal.content)
    assert listed[CALENDAR]["200"][f"{D}displayname"]  # the calendar has one
    for href, statuses in listed.items():
        assert list(statuses) == ["200"], href
    # Nothing found at all still leaves a (valid) empty 200 propstat.
    nothing = client.request(
        "PROPFIND",
        CALENDAR,
        content=_propfind("<D:quota-used-bytes/>"),
        headers={"Depth": "0", **headers},
    )
    assert _responses(nothing.content) == {CALENDAR: {"200": {}}}


def test_minimal_reports_keep_missing_resources_and_deletions(dav_server: str) -> None:
    client = _client(dav_server)
    _fill(client)
    multiget = (
        '<?xml version="1.0"?><C:calendar-multiget xmlns:D="DAV:" '
        'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><D:displayname/>'
        f"</D:prop><D:href>{CALENDAR}plain.ics</D:href><D:href>{CALENDAR}gone.ics</D:href>"
        "</C:calendar-multiget>"
    )
    full = _responses(client.request("REPORT", CALENDAR, content=multiget).content)
    assert set(full[CALENDAR + "plain.ics"]) == {"200", "404"}
    answer = client.request("REPORT", CALENDAR, content=multiget, headers=_minimal())
    assert answer.headers["Preference-Applied"] == "return=minimal"
    minimal = _responses(answer.content)
    assert list(minimal[CALENDAR + "plain.ics"]) == ["200"]
    assert minimal[CALENDAR + "gone.ics"] == {"404": {}}  # a missing resource, not a property

    sync = (
        '<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>{}</D:sync-token>'
        "<D:sync-level>1</D:sync-level><D:prop><D:getetag/><D:displayname/></D:prop>"
        "</D:sync-collection>"
    )
    first = client.request("REPORT", CALENDAR, content=sync.format(""), headers=_minimal())
    root = parse(first.content)
    assert root is not None
    token = root.findtext(f"{D}sync-token")
    assert all(list(s) == ["200"] for s in _responses(first.content).values())
    assert client.delete(CALENDAR + "plain.ics").status_code == 204
    later = client.request("REPORT", CALENDAR, content=sync.format(token), headers=_minimal())
    assert _responses(later.content) == {CALENDAR + "plain.ics": {"404": {}}}


def test_put_with_prefer_minimal_says_it_was_applied(dav_server: str) -> None:
    client = _client(dav_server)
    created = client.put(
        CALENDAR + "m.ics", content=event("m@hamkar.test"), headers={"Prefer": "return=minimal"}
    )
    assert created.status_code == 201 and created.content == b""
    assert created.headers["Preference-Applied"] == "return=minimal"
    assert created.headers["etag"]
    plain = client.put(CALENDAR + "m.ics", content=event("m@hamkar.test", summary="Moved"))
    assert plain.status_code == 204 and "Preference-Applied" not in plain.headers


def test_proppatch_with_prefer_minimal_answers_200_only_when_all_succeeded(
    dav_server: str,
) -> None:
    client = _client(dav_server)
    patch = (
        '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'
        "<D:displayname>{}</D:displayname>{}</D:prop></D:set></D:propertyupdate>"
    )
    done = client.request(
        "PROPPATCH", CALENDAR, content=patch.format("Minimal", ""), headers=_minimal()
    )
    assert done.status_code == 200 and done.content == b""  # RFC 8144 2.2
    assert done.headers["Preference-Applied"] == "return=minimal"
    depth0 = {"Depth": "0"}
    names = client.request(
        "PROPFIND", CALENDAR, content=_propfind("<D:displayname/>"), headers=depth0
    )
    assert _display_name(names) == "Minimal"
    # a refused property (protected DAV:getetag) keeps the full multistatus: nothing changed
    refused = client.request(
        "PROPPATCH",
        CALENDAR,
        content=patch.format("Not stored", "<D:getetag>x</D:getetag>"),
        headers=_minimal(),
    )
    assert refused.status_code == 207 and "Preference-Applied" not in refused.headers
    statuses = _responses(refused.content)[CALENDAR]
    assert set(statuses) == {"403", "424"}
    names = client.request(
        "PROPFIND", CALENDAR, content=_propfind("<D:displayname/>"), headers=depth0
    )
    assert _display_name(names) == "Minimal"


def _display_name(answer: httpx.Response) -> str | None:
    root = parse(answer.content)
    assert root is not None, answer.text
    return root.findtext(f".//{D}displayname")
