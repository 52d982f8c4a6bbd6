"""Team spaces in the web app: create one, see and manage its members."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form
from starlette.responses import Response

from app.files import spaces
from app.files.views import _access, _done, _email, _location
from app.web.deps import UserPageDep

router = APIRouter()


@router.post("/files/spaces")
def create_space(
    page: UserPageDep, name: Annotated[str, Form()], slug: Annotated[str, Form()]
) -> Response:
    """A new team space; its creator manages it."""
    space = spaces.create_team_space(
        page.db, settings=page.state.settings, creator=_email(page), slug=slug, name=name
    )
    return _done(page, _location(f"team/{space.slug}"))


@router.get("/files/members")
def members_page(page: UserPageDep, s: str) -> Response:
    """Who may use a team space, and with which right."""
    access = _access(page, s)
    return page.render(
        "files/members.html",
        section="files",
        access=access,
        location=_location,
        members=spaces.list_members(page.db, access=access) if access.space.kind == "team" else [],
        rights=spaces.RIGHTS,
    )


@router.post("/files/members")
def set_member(
    page: UserPageDep,
    s: Annotated[str, Form()],
    email: Annotated[str, Form()],
    right: Annotated[str, Form()],
) -> Response:
    """Add a person, change their right, or remove them ("none")."""
    access = _access(page, s)
    spaces.set_member(page.db, access=access, email=email, right=None if right == "none" else right)
    return _done(page, "/files/members?" + urlencode({"s": s}))
