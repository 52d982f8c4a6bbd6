"""Files pages."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from app.web.deps import UserPageDep

router = APIRouter()


@router.get("/files")
def files_home(page: UserPageDep) -> Response:
    """The files section of the app shell."""
    return page.render("files/page.html", section="files")
