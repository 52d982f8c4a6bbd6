"""Tasks pages."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from app.tasks import service as tasks
from app.web.deps import UserPageDep

router = APIRouter()


@router.get("/tasks")
def tasks_home(page: UserPageDep) -> Response:
    """The tasks section: every task the user's devices synced, subtasks under their parent."""
    assert page.user is not None
    return page.render(
        "tasks/page.html", section="tasks", tasks=tasks.list_tasks(page.db, email=page.user.email)
    )
