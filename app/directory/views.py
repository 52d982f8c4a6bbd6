"""The user's own settings page: language, time zone, calendar system and reading mail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from starlette.responses import Response

from app.directory import service as directory
from app.directory.address_list import search_address_list
from app.directory.models import Account
from app.errors import Invalid, NotFound
from app.web.deps import Page, UserPageDep
from app.web.forms import save_or_redraw

router = APIRouter()


def _settings_form(
    page: Page, *, error: str | None = None, saved: bool = False, status_code: int = 200
) -> Response:
    return page.render(
        "directory/settings.html",
        status_code=status_code,
        timezones=directory.common_timezones(),
        calendar_systems=directory.CALENDAR_SYSTEMS,
        mark_read_modes=directory.MARK_READ_MODES,
        max_mark_read_delay=directory.MAX_MARK_READ_DELAY,
        error=error,
        saved=saved,
    )


@router.get("/settings")
def settings_page(page: UserPageDep, saved: bool = False) -> Response:
    """Show the preferences form."""
    return _settings_form(page, saved=saved)


@router.post("/settings")
def save_settings(
    page: UserPageDep,
    language: Annotated[str, Form(max_length=8)] = "",
    timezone: Annotated[str, Form(max_length=64)] = "",
    calendar_system: Annotated[str, Form(max_length=16)] = "",
    mail_reading: Annotated[str, Form(max_length=1)] = "",
    mark_read: Annotated[str, Form(max_length=16)] = "",
    mark_read_delay: Annotated[str, Form(max_length=6)] = "",
    subscribed_only: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """Save the preferences; invalid values are shown back with the reason."""
    assert page.user is not None
    account_id = page.user.id

    def save() -> None:
        directory.update_preferences(
            page.db,
            account_id=account_id,
            language=language or None,
            timezone=timezone or None,
            calendar_system=calendar_system or None,
        )
        if mail_reading:  # the form has the reading-mail fieldset (a checkbox sends nothing)
            directory.update_mail_reading(
                page.db,
                account_id=account_id,
                mark_read=mark_read or None,
                mark_read_delay=_seconds(mark_read_delay),
                subscribed_folders_only=subscribed_only == "1",
            )

    return save_or_redraw(page, save, redirect_to="/settings?saved=1", redraw=_settings_form)


def _seconds(value: str) -> int | None:
    if not value.strip():
        return None
    if not value.strip().isdigit():
        raise Invalid(
            "The delay must be between 1 and %(max)s seconds.", max=directory.MAX_MARK_READ_DELAY
        )
    return int(value)


@router.get("/directory/photos/{account_id}")
def account_photo(page: UserPageDep, account_id: int) -> Response:
    """A colleague's photo; people of other organizations get 404."""
    assert page.user is not None
    account = page.db.get(Account, account_id)
    if (
        account is None
        or account.organization_id != page.user.organization_id
        or not account.photo
        or account.deleted_at is not None
    ):
        raise NotFound("No such object.")
    return Response(
        account.photo,
        media_type=account.photo_type,
        headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/directory")
def address_list_page(page: UserPageDep, q: str = "") -> Response:
    """The global address list of the user's own organization."""
    assert page.user is not None
    entries = search_address_list(
        page.db, organization_id=page.user.organization_id, query=q[:200], limit=200
    )
    return page.render("directory/address_list.html", q=q, entries=entries)
