"""Compose helpers beside the editor: files attached from Files, inline images shown in the
editor, and directory groups expanded into their members.

Mail and files are sibling domains: this view (web level) orchestrates both, neither service
imports the other.
"""

from __future__ import annotations

from email.utils import getaddresses
from typing import Annotated

from fastapi import APIRouter, Form, Query
from starlette.responses import JSONResponse, Response

from app.errors import NotFound, TooLarge
from app.files.attachments import find_attachable, read_attachable
from app.files.storage import store_for
from app.mail.compose_views import max_upload_bytes, my_address, upload_store
from app.mail.inline_images import IMAGE_TYPES
from app.mail.recipients import expand_groups
from app.mail.submit import human_size
from app.web.deps import UserPageDep

router = APIRouter()
MAX_FILE_RESULTS = 50


@router.get("/mail/compose/files")
def attachable_files(
    page: UserPageDep, q: Annotated[str, Query(max_length=200)] = ""
) -> JSONResponse:
    """Files of the user's spaces (personal and team) whose name contains ``q``."""
    limit = max_upload_bytes(page)
    found = find_attachable(page.db, settings=page.state.settings, email=my_address(page), query=q)
    return JSONResponse(
        [
            {
                "mount": item.mount,
                "node_id": item.node_id,
                "path": item.path,
                "size": item.size,
                "size_label": human_size(item.size),
                "too_large": item.size > limit,
            }
            for item in found[:MAX_FILE_RESULTS]
        ]
    )


@router.post("/mail/compose/files")
def attach_file(
    page: UserPageDep,
    mount: Annotated[str, Form(max_length=300)],
    node_id: Annotated[int, Form(gt=0)],
) -> JSONResponse:
    """Copy a file the user may read into the message's attachments (within the size limit)."""
    limit = max_upload_bytes(page)
    try:
        name, content_type, chunks = read_attachable(
            page.db,
            settings=page.state.settings,
            store=store_for(page.state.settings),
            email=my_address(page),
            mount=mount,
            node_id=node_id,
        )
        upload = upload_store(page).save(
            my_address(page),
            filename=name,
            content_type=content_type,
            chunks=chunks,
            max_bytes=limit,
        )
    except (NotFound, TooLarge) as exc:
        message = page._(exc.message, **exc.params)
        return JSONResponse({"error": message}, status_code=exc.status_code)
    return JSONResponse(
        {
            "id": upload.id,
            "filename": upload.filename,
            "size": upload.size,
            "content_type": upload.content_type,
        }
    )


@router.get("/mail/compose/attachments/{upload_id}/view")
def inline_image(page: UserPageDep, upload_id: str) -> Response:
    """An uploaded image, for the editor (the account's own uploads only, raster only)."""
    upload, data = upload_store(page).get(my_address(page), upload_id)
    if upload.content_type not in IMAGE_TYPES:
        raise NotFound("No such attachment.")
    return Response(
        data,
        media_type=upload.content_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=3600",
        },
    )


@router.get("/mail/compose/groups")
def recipient_groups(
    page: UserPageDep, addresses: Annotated[str, Query(max_length=20000)] = ""
) -> JSONResponse:
    """The directory groups among the typed recipients, with their members (to expand them)."""
    assert page.user is not None
    # Only group addresses matter here; invalid entries are flagged when sending.
    parsed = [address for _name, address in getaddresses([addresses])][:500]
    groups = expand_groups(page.db, organization_id=page.user.organization_id, addresses=parsed)
    return JSONResponse(
        [
            {
                "address": group.address,
                "name": group.name,
                "members": [
                    {"address": m.address, "name": m.name, "kind": m.kind, "label": m.label}
                    for m in group.members
                ],
            }
            for group in groups
        ]
    )
