"""The app shell: navigation, language switching, preferences."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from app.settings import Settings
from tests.helpers import csrf_token, login


def test_shell_has_every_section_and_the_user_menu(client: TestClient) -> None:
    login(client)
    html = client.get("/calendar").text
    for section in ("/mail", "/calendar", "/contacts", "/tasks", "/files"):
        assert f'href="{section}"' in html
    assert 'href="/calendar" class="section-link section-calendar" aria-current="page"' in html
    assert 'href="/settings"' in html and 'action="/logout"' in html
    assert "/static/vendor/htmx-2.0.11.min.js" in html


def test_language_follows_accept_language_then_query_then_saved_choice(client: TestClient) -> None:
    html = client.get("/login", headers={"Accept-Language": "fa-IR,fa;q=0.9"}).text
    assert '<html lang="fa" dir="rtl">' in html
    assert "ورود به همکار" in html
    html = client.get("/login?lang=en", headers={"Accept-Language": "fa"}).text
    assert '<html lang="en" dir="ltr">' in html
    # Remembered by cookie without the query parameter.
    html = client.get("/login", headers={"Accept-Language": "fa"}).text
    assert '<html lang="en" dir="ltr">' in html


def test_switching_language_signed_in_is_saved_to_preferences(client: TestClient) -> None:
    login(client)
    client.get("/mail?lang=fa")
    client.cookies.delete("hamkar_lang")
    html = client.get("/mail", headers={"Accept-Language": "en"}).text
    assert '<html lang="fa" dir="rtl">' in html
    assert "نامه‌ها" in html


def test_preferences_change_the_calendar_system(client: TestClient, settings: Settings) -> None:
    from tests.integration.mail.conftest import deliver, make_message

    deliver(settings, "alice@example.com", make_message(to="alice@example.com", subject="date"))
    login(client)
    token = csrf_token(client, "/settings")
    client.post(
        "/settings",
        data={
            "csrf_token": token,
            "language": "fa",
            "timezone": "Asia/Tehran",
            "calendar_system": "jalali",
        },
    )
    html = client.get("/mail/INBOX").text
    # A Jalali date in Persian digits, e.g. "۶ آذر ۱۴۰۵".
    assert re.search(
        r"[۰-۹]+ (فروردین|اردیبهشت|خرداد|تیر|مرداد|شهریور|مهر|آبان|آذر|دی|بهمن|اسفند)"
        r" ۱۴[۰-۹]{2}",
        html,
    )
    token = csrf_token(client, "/settings")
    client.post(
        "/settings", data={"csrf_token": token, "language": "en", "calendar_system": "gregorian"}
    )
    html = client.get("/mail").text
    assert re.search(
        r"\d{1,2} (January|February|March|April|May|June|July|August|September"
        r"|October|November|December) 20\d\d",
        html,
    )


def test_home_redirects_to_mail(client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/mail"
