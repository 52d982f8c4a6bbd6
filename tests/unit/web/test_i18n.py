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


KEYWORDS = {
    "_": None,
    "N_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "Invalid": None,
    "Unauthorized": None,
    "Forbidden": None,
    "NotFound": None,
    "Conflict": None,
    "TooLarge": None,
    "Throttled": None,
    "Unavailable": None,
    "DomainError": None,
}


def _source_messages() -> set[str]:
    """Every translatable message in app/ and templates/, as `make messages` extracts them."""
    from babel.messages.extract import extract_from_dir

    found: set[str] = set()
    for directory, method in (("app", "python"), ("templates", "jinja2")):
        options = {"**.html": {"extensions": "jinja2.ext.i18n"}} if method == "jinja2" else {}
        pattern = "**.py" if method == "python" else "**.html"
        for _file, _line, message, _comments, _context in extract_from_dir(
            directory, method_map=[(pattern, method)], options_map=options, keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_in_the_source_has_a_persian_translation() -> None:
    from app.web.i18n import TRANSLATIONS_DIR, load_catalog

    catalog = load_catalog(sorted((TRANSLATIONS_DIR / "fa" / "LC_MESSAGES").glob("*.po")), "fa")
    missing = sorted(m for m in _source_messages() if m and not catalog.get(m))
    assert missing == [], f"add these to a .po under app/translations/fa/LC_MESSAGES: {missing}"


def test_every_persian_message_keeps_its_placeholders() -> None:
    import re

    from app.web.i18n import TRANSLATIONS_DIR, load_catalog

    catalog = load_catalog(sorted((TRANSLATIONS_DIR / "fa" / "LC_MESSAGES").glob("*.po")), "fa")
    for message in catalog:
        if message.id and message.string:
            source = message.id if isinstance(message.id, str) else message.id[0]
            target = message.string if isinstance(message.string, str) else message.string[0]
            pattern = r"%\(\w+\)s"
            assert set(re.findall(pattern, source)) == set(re.findall(pattern, target)), source


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
