"""The user's own settings page: language, time zone and calendar system."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from starlette.responses import RedirectResponse, Response

from app.directory import service as directory
from app.directory.address_list import search_address_list
from app.directory.models import Account
from app.errors import Invalid, NotFound
from app.web.deps import UserPageDep

router = APIRouter()


@router.get("/settings")
def settings_page(page: UserPageDep, saved: bool = False) -> Response:
    """Show the preferences form."""
    return page.render(
        "directory/settings.html",
        timezones=directory.common_timezones(),
        calendar_systems=directory.CALENDAR_SYSTEMS,
        error=None,
        saved=saved,
    )


@router.post("/settings")
def save_settings(
    page: UserPageDep,
    language: Annotated[str, Form(max_length=8)] = "",
    timezone: Annotated[str, Form(max_length=64)] = "",
    calendar_system: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Save the preferences; invalid values are shown back with the reason."""
    assert page.user is not None
    try:
        directory.update_preferences(
            page.db,
            account_id=page.user.id,
            language=language or None,
            timezone=timezone or None,
            calendar_system=calendar_system or None,
        )
    except Invalid as exc:
        page.db.rollback()
        return page.render(
            "directory/settings.html",
            status_code=400,
            timezones=directory.common_timezones(),
            calendar_systems=directory.CALENDAR_SYSTEMS,
            error=page._(exc.message, **exc.params),
            saved=False,
        )
    page.db.commit()
    return RedirectResponse("/settings?saved=1", status_code=303)


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
