"""Calendar pages."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from app.web.deps import UserPageDep

router = APIRouter()


@router.get("/calendar")
def calendar_home(page: UserPageDep) -> Response:
    """The calendar section of the app shell."""
    return page.render("calendar/page.html", section="calendar")
