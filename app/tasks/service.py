"""The tasks domain: VTODOs kept on calendar storage (DESIGN.md), read as tasks with due date,
priority, progress, status and subtasks (RELATED-TO, RFC 5545 3.8.4.5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from app.calendar import service as calendars
from app.calendar.ical import parse_calendar, to_utc

STATUSES = ("NEEDS-ACTION", "IN-PROCESS", "COMPLETED", "CANCELLED")
_NEVER = datetime.max.replace(tzinfo=UTC)


@dataclass
class Task:
    """One task as the web pages show it."""

    uid: str
    summary: str
    list_name: str
    due: datetime | None = None
    priority: int = 0  # 1 highest .. 9 lowest, 0 undefined (RFC 5545 3.8.1.9)
    percent_complete: int = 0
    status: str = "NEEDS-ACTION"
    parent_uid: str | None = None
    subtasks: list[Task] = field(default_factory=list)

    @property
    def done(self) -> bool:
        """Completed or cancelled."""
        return self.status in ("COMPLETED", "CANCELLED")


def list_tasks(db: Session, *, email: str) -> list[Task]:
    """Top-level tasks of every task list the user can see, subtasks nested under their parent;
    open tasks first, by due date then priority."""
    found: dict[str, Task] = {}
    for access in calendars.list_calendars(db, email=email):
        if "VTODO" not in access.components:
            continue
        name = access.calendar.display_name or access.slug
        for obj in calendars.list_objects(db, calendar=access.calendar):
            if obj.component == "VTODO":
                task = _task(obj.ical, name)
                if task is not None:
                    found[task.uid] = task
    roots: list[Task] = []
    for task in found.values():
        parent = found.get(task.parent_uid or "")
        (parent.subtasks if parent is not None and parent is not task else roots).append(task)
    for task in found.values():
        task.subtasks.sort(key=_order)
    return sorted(roots, key=_order)


def _order(task: Task) -> tuple[bool, datetime, int]:
    return (
        task.done,
        task.due or _NEVER,
        task.priority or 10,
    )


def _task(text: str, list_name: str) -> Task | None:
    todo = next((c for c in parse_calendar(text).subcomponents if c.name == "VTODO"), None)
    if todo is None:
        return None
    due = todo.get("DUE")
    related = todo.get("RELATED-TO")
    if isinstance(related, list):
        related = next((r for r in related if r.params.get("RELTYPE", "PARENT") == "PARENT"), None)
    if related is not None and related.params.get("RELTYPE", "PARENT") != "PARENT":
        related = None
    return Task(
        uid=str(todo.get("UID")),
        summary=str(todo.get("SUMMARY", "")),
        list_name=list_name,
        due=to_utc(due.dt) if due is not None and isinstance(due.dt, date) else None,
        priority=_int(todo.get("PRIORITY")),
        percent_complete=_int(todo.get("PERCENT-COMPLETE")),
        status=str(todo.get("STATUS", "NEEDS-ACTION")).upper(),
        parent_uid=str(related) if related is not None else None,
    )


def _int(value: object) -> int:
    try:
        return int(str(value)) if value is not None else 0
    except ValueError:
        return 0
