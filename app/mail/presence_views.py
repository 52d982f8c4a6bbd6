"""The "bob is replying" endpoints: the compose page's heartbeat, and who replies in a folder.

Both answer JSON to static/js/replying.js. A folder the signed-in person does not work as a
role-mailbox member answers as if nobody were replying (never a hint of what others do).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query
from starlette.responses import JSONResponse, Response

from app.mail import presence
from app.web.deps import UserPageDep

router = APIRouter()

Folder = Annotated[str, Form(max_length=1000)]


@router.post("/mail/-/replying")
def replying_heartbeat(
    page: UserPageDep,
    folder: Folder,
    uid: Annotated[int, Form(ge=1, le=2**32)],
    state: Annotated[str, Form(max_length=3)] = "on",
) -> Response:
    """``state=on``: I am (still) replying to that message; ``off``: I sent it or gave up."""
    assert page.user is not None
    if state == "off":
        presence.stop_replying(page.db, account=page.user, folder=folder, uid=uid)
        shared = True
    else:
        shared = presence.start_replying(page.db, account=page.user, folder=folder, uid=uid)
    return JSONResponse({"shared": shared, "renew_seconds": presence.HEARTBEAT_SECONDS})


@router.get("/mail/-/replying")
def replying_in_folder(
    page: UserPageDep, folder: Annotated[str, Query(max_length=1000)]
) -> Response:
    """The other members replying to messages of ``folder``: ``{"replying": {uid: [names]}}``."""
    assert page.user is not None
    found = presence.replying_in_folder(page.db, account=page.user, folder=folder)
    return JSONResponse(
        {"replying": {str(uid): names for uid, names in found.items()}},
        headers={"Cache-Control": "no-store"},
    )
