"""Languages, translation catalogs and locale-aware formatting (Jalali dates, Persian digits).

Catalogs are the Babel ``.po`` files under ``app/translations/<lang>/LC_MESSAGES/``, one per
area (``messages.po`` for the shell, ``mail.po``, ``calendar.po`` ...), merged and compiled in
memory at start-up, so there is no build step to forget.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import jdatetime
from babel import Locale
from babel.dates import format_datetime as babel_format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app.directory.service import SUPPORTED_LANGUAGES
from app.errors import N_

__all__ = ["N_"]

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
RTL_LANGUAGES = frozenset({"fa", "ar", "he", "ur"})
LANGUAGE_NAMES = {"en": "English", "fa": "فارسی"}
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
JALALI_MONTHS_FA = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)
JALALI_MONTHS_EN = (
    "Farvardin",
    "Ordibehesht",
    "Khordad",
    "Tir",
    "Mordad",
    "Shahrivar",
    "Mehr",
    "Aban",
    "Azar",
    "Dey",
    "Bahman",
    "Esfand",
)


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of a language (English is the source language)."""
    po_files = sorted((TRANSLATIONS_DIR / language / "LC_MESSAGES").glob("*.po"))
    if not po_files:
        return gettext.NullTranslations()
    catalog = load_catalog(po_files, language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def load_catalog(po_files: list[Path], language: str) -> Catalog:
    """All of a language's ``.po`` files merged into one catalog."""
    merged = Catalog(locale=language)
    for po_file in po_files:
        with po_file.open("rb") as handle:
            part = read_po(handle, locale=language)
        if not merged.mime_headers or po_file.name == "messages.po":
            merged.mime_headers = part.mime_headers
        for message in part:
            if message.id and message.string:
                merged[message.id] = message
    return merged


def negotiate(accept_language: str | None, default: str) -> str:
    """The best supported language for an Accept-Language header (RFC 9110 12.5.4)."""
    if not accept_language:
        return default
    weighted: list[tuple[float, int, str]] = []
    for index, item in enumerate(accept_language.split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        weighted.append((-quality, index, tag.strip().lower()))
    for neg_quality, _, tag in sorted(weighted):
        primary = tag.split("-")[0]
        if neg_quality < 0 and primary in SUPPORTED_LANGUAGES:
            return primary
    return default


def text_direction(language: str) -> str:
    """ "rtl" or "ltr" for the language."""
    return "rtl" if language in RTL_LANGUAGES else "ltr"


def localize_digits(text: str, language: str) -> str:
    """Persian digits in Persian, Latin digits otherwise."""
    return text.translate(_PERSIAN_DIGITS) if language == "fa" else text


@dataclass(frozen=True)
class DateFormatter:
    """Formats moments in the user's language, time zone and calendar system."""

    language: str
    timezone: str
    calendar_system: str

    @property
    def zone(self) -> tzinfo:
        """The user's time zone."""
        try:
            return ZoneInfo(self.timezone)
        except (KeyError, ValueError):
            return ZoneInfo("UTC")

    def date(self, moment: datetime) -> str:
        """A long date: "27 November 2026" or "۶ آذر ۱۴۰۵"."""
        local = moment.astimezone(self.zone)
        if self.calendar_system == "jalali":
            jalali = jdatetime.date.fromgregorian(date=local.date())
            months = JALALI_MONTHS_FA if self.language == "fa" else JALALI_MONTHS_EN
            text = f"{jalali.day} {months[jalali.month - 1]} {jalali.year}"
            return localize_digits(text, self.language)
        locale = Locale.parse(self.language)
        text = babel_format_datetime(local, "d MMMM y", locale=locale)
        return localize_digits(text, self.language)

    def datetime(self, moment: datetime) -> str:
        """A date with the time of day, 24-hour."""
        local = moment.astimezone(self.zone)
        return f"{self.date(moment)} {localize_digits(local.strftime('%H:%M'), self.language)}"
