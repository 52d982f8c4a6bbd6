"""Mail pages."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from app.web.deps import UserPageDep

router = APIRouter()


@router.get("/mail")
def mail_home(page: UserPageDep) -> Response:
    """The mail section of the app shell."""
    return page.render("mail/page.html", section="mail")
