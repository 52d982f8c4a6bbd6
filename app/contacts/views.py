"""Contacts pages."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from app.web.deps import UserPageDep

router = APIRouter()


@router.get("/contacts")
def contacts_home(page: UserPageDep) -> Response:
    """The contacts section of the app shell."""
    return page.render("contacts/page.html", section="contacts")
