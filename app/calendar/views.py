"""Calendar pages: the calendar section with sharing, and the devices page (app passwords and
the server addresses phones and desktop clients need)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from starlette.responses import Response

from app.auth import app_passwords
from app.calendar import service as calendars
from app.calendar import sharing
from app.errors import DomainError
from app.web.deps import Page, UserPageDep
from app.web.forms import save_or_redraw

router = APIRouter()


@router.get("/calendar")
def calendar_home(page: UserPageDep) -> Response:
    """The calendar section: the user's calendars and whom they are shared with."""
    return _calendar_page(page)


def _calendar_page(page: Page, *, error: str | None = None, status_code: int = 200) -> Response:
    assert page.user is not None
    email = page.user.email
    return page.render(
        "calendar/page.html",
        status_code=status_code,
        section="calendar",
        calendars=calendars.list_calendars(page.db, email=email),
        shares=sharing.list_shares(page.db, owner_email=email),
        error=error,
    )


@router.post("/calendar/shares")
def share_calendar(
    page: UserPageDep,
    calendar: Annotated[str, Form(max_length=100)],
    email: Annotated[str, Form(max_length=320)],
    access: Annotated[str, Form(max_length=16)] = "read",
) -> Response:
    """Share one of the user's calendars with a colleague."""
    assert page.user is not None
    owner = page.user.email
    return save_or_redraw(
        page,
        lambda: sharing.share_calendar(
            page.db, owner_email=owner, slug=calendar, grantee_email=email, access=access
        ),
        redirect_to="/calendar",
        redraw=_calendar_page,
        refused_status=400,
    )


@router.post("/calendar/shares/{share_id}/delete")
def unshare_calendar(page: UserPageDep, share_id: int) -> Response:
    """Stop sharing."""
    assert page.user is not None
    owner = page.user.email
    return save_or_redraw(
        page,
        lambda: sharing.unshare(page.db, owner_email=owner, share_id=share_id),
        redirect_to="/calendar",
        redraw=_calendar_page,
    )


@router.get("/settings/devices")
def devices_page(page: UserPageDep) -> Response:
    """App passwords and the addresses to type into DAVx5, iOS and Thunderbird."""
    return _devices_page(page)


def _devices_page(
    page: Page, *, created: str | None = None, error: str | None = None, status_code: int = 200
) -> Response:
    assert page.user is not None
    email = page.user.email
    base = page.state.settings.base_url.rstrip("/")
    return page.render(
        "calendar/devices.html",
        status_code=status_code,
        app_passwords=app_passwords.list_for(page.db, email=email),
        created=created,
        error=error,
        base_url=base,
        principal_url=f"{base}/dav/principals/{email}/",
        calendar_url=f"{base}/dav/calendars/{email}/personal/",
        tasks_url=f"{base}/dav/calendars/{email}/tasks/",
        contacts_url=f"{base}/dav/addressbooks/{email}/contacts/",
        host=base.split("://", 1)[-1].split("/", 1)[0],
    )


@router.post("/settings/devices")
def create_app_password(
    page: UserPageDep, name: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """Create an app password and show it this once."""
    assert page.user is not None
    try:
        created = app_passwords.create(page.db, email=page.user.email, name=name)
    except DomainError as exc:
        page.db.rollback()
        return _devices_page(page, error=page._(exc.message, **exc.params), status_code=400)
    page.db.commit()
    return _devices_page(page, created=created.plaintext)


@router.post("/settings/devices/{app_password_id}/revoke")
def revoke_app_password(page: UserPageDep, app_password_id: int) -> Response:
    """Revoke an app password; the device loses access at once."""
    assert page.user is not None
    email = page.user.email

    def revoke() -> None:
        app_passwords.revoke(page.db, email=email, app_password_id=app_password_id)
        # the device loses access at once: no cached sign-in outlives the password
        page.state.credentials.forget(email)

    return save_or_redraw(page, revoke, redirect_to="/settings/devices", redraw=_devices_page)
