"""Language negotiation, catalogs, Jalali dates and Persian digits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.web.i18n import DateFormatter, localize_digits, negotiate, text_direction, translations


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fa-IR,fa;q=0.9,en;q=0.8", "fa"),
        ("en-US,en;q=0.9", "en"),
        ("de-DE,de;q=0.9,fa;q=0.5", "fa"),
        ("de", "en"),
        ("", "en"),
        ("en;q=0.1,fa;q=0.9", "fa"),
        ("fa;q=0", "en"),
        ("fa;q=garbage,en", "en"),
    ],
)
def test_negotiate(header: str, expected: str) -> None:
    assert negotiate(header, "en") == expected


def test_persian_catalog_translates_and_english_is_identity() -> None:
    assert translations("fa").gettext("Sign in") == "ورود"
    assert translations("en").gettext("Sign in") == "Sign in"


def test_every_persian_message_keeps_its_placeholders() -> None:
    import re
    from pathlib import Path

    from babel.messages.pofile import read_po

    po = Path("app/translations/fa/LC_MESSAGES/messages.po")
    catalog = read_po(po.open("rb"))
    for message in catalog:
        if message.id and message.string:
            placeholders = set(re.findall(r"%\(\w+\)s", str(message.id)))
            assert placeholders == set(re.findall(r"%\(\w+\)s", str(message.string))), message.id
        elif message.id:
            pytest.fail(f"untranslated: {message.id}")


def test_jalali_date_in_persian() -> None:
    moment = datetime(2026, 3, 20, 22, 0, tzinfo=UTC)  # 21 March 01:30 in Tehran: Nowruz 1405
    formatter = DateFormatter("fa", "Asia/Tehran", "jalali")
    assert formatter.date(moment) == "۱ فروردین ۱۴۰۵"
    assert formatter.datetime(moment) == "۱ فروردین ۱۴۰۵ ۰۱:۳۰"


def test_jalali_in_english_and_gregorian_in_persian() -> None:
    moment = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert DateFormatter("en", "UTC", "jalali").date(moment) == "6 Azar 1405"
    assert DateFormatter("en", "UTC", "gregorian").date(moment) == "27 November 2026"
    assert DateFormatter("fa", "UTC", "gregorian").date(moment) == "۲۷ نوامبر ۲۰۲۶"


def test_unknown_zone_falls_back_to_utc() -> None:
    moment = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)
    assert DateFormatter("en", "Not/AZone", "gregorian").date(moment) == "27 November 2026"


def test_direction_and_digits() -> None:
    assert text_direction("fa") == "rtl" and text_direction("en") == "ltr"
    assert localize_digits("2026-11", "fa") == "۲۰۲۶-۱۱"
    assert localize_digits("2026", "en") == "2026"
