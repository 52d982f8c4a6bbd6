"""CalDAV benchmark: Hamkar (SQLite and PostgreSQL) against Radicale and Xandikos.

10,000 events in one calendar, a fifth of them weekly recurring without end, in Asia/Tehran
and Europe/Berlin. Measured over HTTP against a real server process on a free port:
a one-month calendar-query REPORT, PROPFIND depth 1, an initial sync-collection, a 100-item
calendar-multiget and the median of single PUTs. Prints every figure and the ratios.

    .venv/bin/python bench/caldav.py [--events 10000] [--targets sqlite,postgresql,radicale]

Radicale and Xandikos are installed from PyPI into their own virtualenvs
(/tmp/hamkar-bench-radicale, /tmp/hamkar-bench-xandikos) on first use; Xandikos needs ``git``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
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
    served,
    timed,
    venv_with,
)

TZ_BLOCKS = {
    "Asia/Tehran": (
        "BEGIN:VTIMEZONE\r\nTZID:Asia/Tehran\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
        "TZOFFSETFROM:+0330\r\nTZOFFSETTO:+0330\r\nTZNAME:+0330\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    ),
    "Europe/Berlin": (
        "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\n"
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
        "TZNAME:CEST\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n"
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
        "TZNAME:CET\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    ),
}
MONTH = ("20260301T000000Z", "20260401T000000Z")


def make_event(index: int, rng: random.Random) -> tuple[str, str]:
    """One event: a fifth weekly recurring (open-ended), spread over 2025-2026."""
    zone = "Asia/Tehran" if index % 2 else "Europe/Berlin"
    recurring = index % 5 == 0
    day = rng.randrange(0, 700 if not recurring else 365)
    start = time.gmtime(time.mktime((2025, 1, 1, 0, 0, 0, 0, 0, 0)) + day * 86400)
    hour = 8 + rng.randrange(0, 9)
    stamp = f"{start.tm_year:04d}{start.tm_mon:02d}{start.tm_mday:02d}T{hour:02d}0000"
    uid = f"bench-{index}@hamkar.test"
    rule = "RRULE:FREQ=WEEKLY\r\n" if recurring else ""
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Hamkar bench//EN\r\n"
        + TZ_BLOCKS[zone]
        + f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20250101T000000Z\r\n"
        f"DTSTART;TZID={zone}:{stamp}\r\nDURATION:PT1H\r\n{rule}"
        f"SUMMARY:Event {index}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    return f"event-{index}.ics", text


def make_events(count: int) -> list[tuple[str, str]]:
    """The benchmark's data set (deterministic)."""
    rng = random.Random(42)
    return [make_event(i, rng) for i in range(count)]


REPORT_MONTH = f"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{MONTH[0]}" end="{MONTH[1]}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""
REPORT_MONTH_ETAGS = REPORT_MONTH.replace("<C:calendar-data/>", "")
PROPFIND = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:getcontenttype/><D:resourcetype/></D:prop>
</D:propfind>"""
SYNC = """<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level>
<D:prop><D:getetag/></D:prop></D:sync-collection>"""


def multiget_body(target: Target) -> str:
    """A calendar-multiget of 100 items spread over the calendar."""
    path = "/" + target.calendar_url.split("://", 1)[1].split("/", 1)[1]
    step = max(1, len(target.names) // 100)
    hrefs = "".join(f"<D:href>{path}{n}</D:href>" for n in target.names[::step][:100])
    return (
        '<?xml version="1.0" encoding="utf-8"?><C:calendar-multiget xmlns:D="DAV:" '
        'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/>'
        f"</D:prop>{hrefs}</C:calendar-multiget>"
    )


def measure(target: Target, *, repeat: int = 3) -> dict[str, float]:
    """Every figure for one server: first (cold) and best of the following runs."""
    client = httpx.Client(auth=target.auth, timeout=600)
    url = target.calendar_url
    xml = {"Content-Type": "application/xml; charset=utf-8"}
    cases: dict[str, tuple[Callable[[], httpx.Response], int]] = {
        "month REPORT": (
            lambda: client.request(
                "REPORT", url, content=REPORT_MONTH, headers={**xml, "Depth": "1"}
            ),
            207,
        ),
        "month REPORT (etags)": (
            lambda: client.request(
                "REPORT", url, content=REPORT_MONTH_ETAGS, headers={**xml, "Depth": "1"}
            ),
            207,
        ),
        "PROPFIND depth 1": (
            lambda: client.request(
                "PROPFIND", url, content=PROPFIND, headers={**xml, "Depth": "1"}
            ),
            207,
        ),
        "initial sync-collection": (
            lambda: client.request("REPORT", url, content=SYNC, headers={**xml, "Depth": "1"}),
            207,
        ),
        "multiget 100": (
            lambda: client.request(
                "REPORT", url, content=multiget_body(target), headers={**xml, "Depth": "1"}
            ),
            207,
        ),
    }
    figures: dict[str, float] = {}
    for name, (action, expect) in cases.items():
        first, response = timed(action, expect)
        runs = [timed(action, expect)[0] for _ in range(repeat)]
        figures[name] = min(runs)
        figures[name + " (first)"] = first
        if name == "month REPORT":
            figures["month REPORT items"] = response.text.count("getetag>") / 2
    puts = []
    rng = random.Random(7)
    for i in range(30):
        name, text = make_event(100_000 + i, rng)
        text = text.replace("RRULE:FREQ=WEEKLY\r\n", "")
        elapsed, _ = timed(
            lambda n=name, t=text: client.put(  # type: ignore[misc]
                url + n, content=t, headers={"Content-Type": "text/calendar"}
            ),
            201,
        )
        puts.append(elapsed)
    figures["single PUT median"] = statistics.median(puts)
    client.close()
    return figures


@contextmanager
def hamkar(database_url: str | None, events: list[tuple[str, str]]) -> Iterator[Target]:
    """Hamkar served by uvicorn in its own process, data loaded through the services."""
    from sqlalchemy.orm import Session

    from app.auth import app_passwords
    from app.calendar import bulk
    from app.calendar import service as calendars
    from app.db import make_engine

    with hamkar_data(database_url) as data:
        engine = make_engine(data.settings)
        loaded = time.perf_counter()
        with Session(engine) as db:
            password = app_passwords.create(db, email=USER, name="bench").plaintext
            calendars.ensure_defaults(db, email=USER)
            access = calendars.find_calendar(db, email=USER, home=USER, slug="personal")
            assert access is not None
            for first in range(0, len(events), 1000):  # as an import would: 1,000 at a time
                bulk.create_objects(db, access=access, items=events[first : first + 1000])
                db.commit()
        engine.dispose()
        print(f"  loaded {len(events)} events in {time.perf_counter() - loaded:.1f} s", flush=True)
        with hamkar_served(data, password) as base:
            url = f"{base}/dav/calendars/{USER}/personal/"
            yield Target("Hamkar", url, (USER, password), [n for n, _ in events])


def radicale(events: list[tuple[str, str]]) -> AbstractContextManager[Target]:
    """Radicale from PyPI in its own virtualenv, its calendar folder written directly."""
    return radicale_served("personal", "VCALENDAR", events)


@contextmanager
def xandikos(events: list[tuple[str, str]]) -> Iterator[Target]:
    """Xandikos from PyPI in its own virtualenv; its calendar is a Git repository, so the
    events are written into the working tree and committed in one go (as a sync would)."""
    python = venv_with("xandikos", Path("/tmp/hamkar-bench-xandikos"))
    storage = Path(tempfile.mkdtemp(prefix="xandikos-bench-"))
    calendars_dir = storage / "user" / "calendars"
    calendars_dir.mkdir(parents=True)
    subprocess.run(
        [
            str(python),
            "-m",
            "xandikos",
            "create-collection",
            "-d",
            str(calendars_dir),
            "--type",
            "calendar",
            "--name",
            "personal",
        ],
        check=True,
    )
    calendar = calendars_dir / "personal"
    for name, text in events:
        (calendar / name).write_text(text)
    git = ["git", "-C", str(calendar), "-c", "user.name=bench", "-c", "user.email=bench@test"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "bench data"], check=True)
    command = [str(python), "-m", "xandikos", "serve", "-d", str(storage), "-l", "127.0.0.1"]
    command += ["-p", "{port}", "--current-user-principal", "/user/"]
    try:
        with served(command, "/", None, stderr=subprocess.DEVNULL) as base:
            url = f"{base}/user/calendars/personal/"
            yield Target("Xandikos", url, None, [n for n, _ in events])
    finally:
        shutil.rmtree(storage, ignore_errors=True)


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument(
        "--targets",
        default="sqlite,postgresql,radicale",
        help="comma-separated: sqlite, postgresql, radicale, xandikos",
    )
    args = parser.parse_args()
    events = make_events(args.events)
    results: dict[str, dict[str, float]] = {}
    runners = {
        "sqlite": ("Hamkar SQLite", lambda: hamkar(None, events)),
        "postgresql": ("Hamkar PostgreSQL", lambda: _postgres_hamkar(events)),
        "radicale": ("Radicale", lambda: radicale(events)),
        "xandikos": ("Xandikos", lambda: xandikos(events)),
    }
    for key in args.targets.split(","):
        label, start = runners[key.strip()]
        print(label, flush=True)
        try:
            with start() as target:
                results[label] = measure(
                    target, repeat=3 if key.startswith(("sqlite", "postgres")) else 1
                )
        except Exception as exc:  # one failing server must not lose the others' figures
            print(f"  {label} failed: {exc}", flush=True)
            continue
        report({label: results[label]})
    if len(results) > 1:
        report(results)


@contextmanager
def _postgres_hamkar(events: list[tuple[str, str]]) -> Iterator[Target]:
    with postgres_url() as url, hamkar(url, events) as target:
        yield target


if __name__ == "__main__":
    main()
