"""CardDAV benchmark: Hamkar (SQLite and PostgreSQL) against Radicale.

5,000 vCards in one address book: vCard 3.0 and 4.0 mixed, Persian and English names, several
emails and phones each, one in ten with a PHOTO. Measured over HTTP against a real server
process: PROPFIND depth 1, an initial sync-collection, a sync-collection after 10 changes, a
100-card addressbook-multiget, addressbook-query text-matches (a prefix of FN and an EMAIL
substring with a few matches, one matching nothing), PROPFIND depth 1 and a query of Hamkar's
read-only ``directory/`` book (2,000 colleagues) and the median of single PUTs. Prints medians
and ratios.

    .venv/bin/python bench/carddav.py [--cards 5000] [--users 2000]
        [--targets sqlite,postgresql,radicale]

Radicale is installed from PyPI into its own virtualenv (/tmp/hamkar-bench-radicale).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dav_servers import (  # noqa: E402
    USER,
    Target,
    hamkar_data,
    hamkar_served,
    postgres_url,
    radicale_served,
    report,
    timed,
)

GIVEN = [
    ("Dariush", "داریوش"), ("Maryam", "مریم"), ("Reza", "رضا"), ("Sara", "سارا"),
    ("Kourosh", "کوروش"), ("Leila", "لیلا"), ("Ali", "علی"), ("Niloufar", "نیلوفر"),
    ("Hamid", "حمید"), ("Shirin", "شیرین"), ("Babak", "بابک"), ("Parisa", "پریسا"),
    ("John", "جان"), ("Emma", "اما"), ("Oliver", "الیور"), ("Sophia", "سوفیا"),
    ("Arash", "آرش"), ("Yasaman", "یاسمن"), ("Omid", "امید"), ("Zahra", "زهرا"),
]  # fmt: skip
FAMILY = [
    ("Ahmadi", "احمدی"), ("Hosseini", "حسینی"), ("Karimi", "کریمی"), ("Rahimi", "رحیمی"),
    ("Moradi", "مرادی"), ("Jafari", "جعفری"), ("Smith", "اسمیت"), ("Miller", "میلر"),
    ("Tehrani", "تهرانی"), ("Shirazi", "شیرازی"), ("Esfahani", "اصفهانی"), ("Tabrizi", "تبریزی"),
    ("Brown", "براون"), ("Wilson", "ویلسون"), ("Kazemi", "کاظمی"), ("Sadeghi", "صادقی"),
    ("Nazari", "نظری"), ("Ghasemi", "قاسمی"), ("Mousavi", "موسوی"), ("Zand", "زند"),
]  # fmt: skip
DOMAINS = ["example.net", "mail.test", "company.ir", "univ.ac.ir"]
PHOTO = "/9j/4AAQSkZJRgABAQEASABIAAD" + "A" * 2400 + "//2Q=="


def make_card(index: int, rng: random.Random) -> tuple[str, str]:
    """One realistic vCard; even indexes are vCard 4.0, odd ones 3.0; a third are Persian."""
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    persian = index % 3 == 0
    fn = f"{given[1]} {family[1]}" if persian else f"{given[0]} {family[0]}"
    n = f"{family[1]};{given[1]};;;" if persian else f"{family[0]};{given[0]};;;"
    local = f"{given[0].lower()}.{family[0].lower()}.{index}"
    emails = [f"{local}@{DOMAINS[index % 4]}"] + [
        f"{local[:1]}{index}.{k}@{rng.choice(DOMAINS)}" for k in range(rng.randrange(0, 3))
    ]
    phones = [f"+98 912 {rng.randrange(1000000, 9999999)}" for _ in range(rng.randrange(1, 4))]
    v4 = index % 2 == 0
    lines = ["BEGIN:VCARD", f"VERSION:{'4.0' if v4 else '3.0'}", f"UID:card-{index}@bench.test"]
    lines += [f"FN:{fn}", f"N:{n}", f"ORG:{family[0]} & Co."]
    for k, email in enumerate(emails):
        kind = ("work", "home", "other")[k % 3]
        lines.append(f"EMAIL;TYPE={kind}:{email}" if v4 else f"EMAIL;TYPE=INTERNET,{kind}:{email}")
    for k, phone in enumerate(phones):
        kind = ("cell", "work", "home")[k % 3]
        lines.append(f"TEL;TYPE={kind}:{phone}" if v4 else f"TEL;TYPE={kind.upper()}:{phone}")
    if index % 10 == 0:
        lines.append(
            f"PHOTO:data:image/jpeg;base64,{PHOTO}" if v4 else f"PHOTO;ENCODING=b;TYPE=JPEG:{PHOTO}"
        )
    lines += ["NOTE:Met at the Tehran conference\\, 2025", "END:VCARD"]
    return f"card-{index}.vcf", _fold("\r\n".join(lines) + "\r\n")


def _fold(text: str) -> str:
    """Fold lines longer than 75 octets (RFC 6350 3.2), as clients write them."""
    out = []
    for line in text.split("\r\n"):
        while len(line.encode()) > 75:
            cut = 75
            while len(line[:cut].encode()) > 75:
                cut -= 1
            out.append(line[:cut])
            line = " " + line[cut:]
        out.append(line)
    return "\r\n".join(out)


def make_cards(count: int) -> list[tuple[str, str]]:
    """The benchmark's data set (deterministic)."""
    rng = random.Random(42)
    return [make_card(i, rng) for i in range(count)]


XML = {"Content-Type": "application/xml; charset=utf-8", "Depth": "1"}
PROPFIND = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:getcontenttype/></D:prop></D:propfind>"""
SYNC = """<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token>
<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"""
QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
<D:prop><D:getetag/><C:address-data/></D:prop>
<C:filter><C:prop-filter name="{prop}"><C:text-match collation="i;unicode-casemap"
 match-type="{match}">{text}</C:text-match></C:prop-filter></C:filter></C:addressbook-query>"""
QUERIES = {
    "query FN starts-with (few)": ("FN", "starts-with", "Kourosh Tehr"),
    "query EMAIL contains (few)": ("EMAIL", "contains", ".123"),
    "query FN contains (no match)": ("FN", "contains", "zzqx"),
}


def multiget_body(target: Target) -> str:
    """An addressbook-multiget of 100 cards spread over the book."""
    path = "/" + target.calendar_url.split("://", 1)[1].split("/", 1)[1]
    step = max(1, len(target.names) // 100)
    hrefs = "".join(f"<D:href>{path}{n}</D:href>" for n in target.names[::step][:100])
    return (
        '<?xml version="1.0" encoding="utf-8"?><C:addressbook-multiget xmlns:D="DAV:" '
        'xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><C:address-data/>'
        f"</D:prop>{hrefs}</C:addressbook-multiget>"
    )


def measure(target: Target, directory_url: str | None, *, repeat: int) -> dict[str, float]:
    """Every figure for one server: the median of ``repeat`` runs after one warm-up."""
    client = httpx.Client(auth=target.auth, timeout=600)
    url = target.calendar_url

    def report_(body: str) -> Callable[[], httpx.Response]:
        return lambda: client.request("REPORT", url, content=body, headers=XML)

    cases: dict[str, Callable[[], httpx.Response]] = {
        "PROPFIND depth 1": lambda: client.request("PROPFIND", url, content=PROPFIND, headers=XML),
        "initial sync-collection": report_(SYNC.format(token="")),
        "multiget 100": report_(multiget_body(target)),
    }
    for label, (prop, match, text) in QUERIES.items():
        cases[label] = report_(QUERY.format(prop=prop, match=match, text=text))
    if directory_url is not None:
        cases["PROPFIND directory/ depth 1"] = lambda: client.request(
            "PROPFIND", directory_url, content=PROPFIND, headers=XML
        )
        colleagues = QUERY.format(prop="FN", match="contains", text="tehrani")
        cases["query directory/ FN contains"] = lambda: client.request(
            "REPORT", directory_url, content=colleagues, headers=XML
        )
    figures: dict[str, float] = {}
    for name, action in cases.items():
        _first, response = timed(action, 207)
        figures[name] = statistics.median(timed(action, 207)[0] for _ in range(repeat))
        if name.startswith(("query", "PROPFIND")):  # what was answered, to compare
            figures[f"{name} items"] = response.text.count("getetag>") / 2
    figures["sync after 10 changes"] = _sync_after_changes(client, target, repeat)
    puts = []
    rng = random.Random(7)
    for i in range(30):
        name, text = make_card(100_000 + i, rng)
        elapsed, _ = timed(
            lambda n=name, t=text: client.put(  # type: ignore[misc]
                url + n, content=t, headers={"Content-Type": "text/vcard"}
            ),
            201,
        )
        puts.append(elapsed)
    figures["single PUT median"] = statistics.median(puts)
    client.close()
    return figures


def _sync_after_changes(client: httpx.Client, target: Target, repeat: int) -> float:
    url = target.calendar_url
    _t, first = timed(
        lambda: client.request("REPORT", url, content=SYNC.format(token=""), headers=XML), 207
    )
    found = re.search(r"<(?:\w+:)?sync-token>([^<]+)<", first.text)
    if found is None:
        raise RuntimeError("no sync-token in the answer")
    token = found.group(1)
    rng = random.Random(11)
    for i in range(10):
        index = i * 97
        name, text = make_card(index, rng)
        response = client.put(url + name, content=text, headers={"Content-Type": "text/vcard"})
        if response.status_code not in (201, 204):
            raise RuntimeError(f"PUT answered {response.status_code}")
    body = SYNC.format(token=token)
    action = lambda: client.request("REPORT", url, content=body, headers=XML)  # noqa: E731
    _t, response = timed(action, 207)
    changed = response.text.count("getetag>") / 2
    if changed != 10:
        raise RuntimeError(f"the sync after 10 changes reported {changed} items")
    return statistics.median(timed(action, 207)[0] for _ in range(repeat))


@contextmanager
def hamkar(database_url: str | None, cards: list[tuple[str, str]], users: int) -> Iterator[Target]:
    """Hamkar served by uvicorn in its own process, data loaded through the services."""
    from sqlalchemy.orm import Session

    from app.auth import app_passwords
    from app.contacts import service as contacts
    from app.db import make_engine
    from app.directory import service as directory

    with hamkar_data(database_url) as data:
        engine = make_engine(data.settings)
        loaded = time.perf_counter()
        with Session(engine) as db:
            directory.create_organization(db, name="Bench", slug="bench", domains=["example.com"])
            directory.create_account(db, email=USER, display_name="Bench")
            for i in range(users):
                directory.create_account(
                    db,
                    email=f"user{i}@example.com",
                    display_name=f"{GIVEN[i % 20][i % 2]} {FAMILY[i // 20 % 20][i % 2]}",
                    department=f"Dept {i % 40}",
                    phone_work=f"+98 21 {8000000 + i}",
                )
            password = app_passwords.create(db, email=USER, name="bench").plaintext
            contacts.ensure_defaults(db, email=USER)
            book = contacts.find_address_book(db, email=USER, slug="contacts")
            assert book is not None
            for count, (name, text) in enumerate(cards, 1):
                contacts.put_card(db, book=book, name=name, text=text)
                if count % 500 == 0:
                    db.commit()
            db.commit()
        engine.dispose()
        print(f"  loaded {len(cards)} cards in {time.perf_counter() - loaded:.1f} s", flush=True)
        with hamkar_served(data, password) as base:
            url = f"{base}/dav/addressbooks/{USER}/contacts/"
            yield Target("Hamkar", url, (USER, password), [n for n, _ in cards])


def radicale(cards: list[tuple[str, str]]) -> AbstractContextManager[Target]:
    """Radicale from PyPI in its own virtualenv, its address book folder written directly."""
    return radicale_served("contacts", "VADDRESSBOOK", cards)


def _directory_url(target: Target) -> str:
    return target.calendar_url.rsplit("/contacts/", 1)[0] + "/directory/"


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=5_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--targets", default="sqlite,postgresql,radicale", help="sqlite, postgresql, radicale"
    )
    args = parser.parse_args()
    cards = make_cards(args.cards)
    results: dict[str, dict[str, float]] = {}
    for key in (k.strip() for k in args.targets.split(",")):
        label = {"sqlite": "Hamkar SQLite", "postgresql": "Hamkar PostgreSQL"}.get(key, "Radicale")
        print(label, flush=True)
        try:
            with _start(key, cards, args.users) as target:
                directory = _directory_url(target) if key != "radicale" else None
                repeat = args.repeat if key != "radicale" else 3
                results[label] = measure(target, directory, repeat=repeat)
        except Exception as exc:  # one failing server must not lose the others' figures
            print(f"  {label} failed: {exc}", flush=True)
            continue
        report({label: results[label]})
    if len(results) > 1:
        report(results)


@contextmanager
def _start(key: str, cards: list[tuple[str, str]], users: int) -> Iterator[Target]:
    if key == "radicale":
        with radicale(cards) as target:
            yield target
    elif key == "postgresql":
        with postgres_url() as url, hamkar(url, cards, users) as target:
            yield target
    else:
        with hamkar(None, cards, users) as target:
            yield target


if __name__ == "__main__":
    main()
