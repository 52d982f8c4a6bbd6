"""Tasks pages."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from app.web.deps import UserPageDep

router = APIRouter()


@router.get("/tasks")
def tasks_home(page: UserPageDep) -> Response:
    """The tasks section of the app shell."""
    return page.render("tasks/page.html", section="tasks")
