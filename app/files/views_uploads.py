"""Resumable uploads from the browser: open a session, send chunks, ask the offset, complete.

The protocol (used by static/js/files.js for files larger than one chunk):

- ``POST /files/uploads?s=&p=&name=&size=`` opens a session: ``{"id", "offset": 0, "chunk"}``;
- ``POST /files/uploads/<id>?offset=N`` appends the request body at ``N``: ``{"offset"}``;
  a wrong ``N`` answers 409 with the server's offset, so the browser resumes from there;
- ``GET /files/uploads/<id>`` tells the received offset after a dropped connection;
- ``POST /files/uploads/<id>/complete`` makes the file (200, or 409 when it became a
  conflict version), ``POST /files/uploads/<id>/cancel`` drops it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, Response

from app.errors import Invalid, TooLarge
from app.files import service, uploads
from app.files.models import UploadSession
from app.files.versions import Retention
from app.files.views import _access, _email, _sweep, store_of
from app.web.deps import UserPageDep

router = APIRouter()


def _state(upload: UploadSession, **extra: Any) -> dict[str, Any]:
    return {"id": upload.id, "offset": upload.received, "size": upload.size, **extra}


@router.post("/files/uploads")
def start_upload(
    request: Request, page: UserPageDep, name: str, size: int, s: str = "home", p: str = ""
) -> Response:
    """Open an upload session for a file of ``size`` bytes (quota and size checked now)."""
    access = _access(page, s)
    folder = service.resolve(page.db, access=access, path=p)
    settings = page.state.settings
    upload = uploads.start(
        page.db,
        access=access,
        parent=folder,
        name=name,
        size=size,
        by=_email(page),
        max_upload=settings.files_max_upload_bytes,
        content_type=request.headers.get("x-upload-type", ""),
        base_etag=request.headers.get("x-base-etag"),
    )
    page.db.commit()
    store_of(page).append_partial(upload.id, offset=0).close()
    return JSONResponse(_state(upload, chunk=settings.files_upload_chunk_bytes), status_code=201)


@router.get("/files/uploads/{upload_id}")
def upload_status(page: UserPageDep, upload_id: str) -> Response:
    """How many bytes of the upload the server holds: the browser resumes from there."""
    upload = uploads.get(page.db, upload_id=upload_id, by=_email(page))
    return JSONResponse(_state(upload), headers={"Cache-Control": "no-store"})


@router.post("/files/uploads/{upload_id}")
async def upload_chunk(
    request: Request, page: UserPageDep, upload_id: str, offset: int
) -> Response:
    """Append the request body at ``offset``; bytes that arrived before a dropped connection
    are kept and counted, so nothing is sent twice."""
    upload = uploads.get(page.db, upload_id=upload_id, by=_email(page))
    if offset != upload.received:
        return JSONResponse(_state(upload), status_code=409)
    size = upload.size
    page.db.commit()  # no transaction stays open while the body streams in
    store = store_of(page)
    handle = store.append_partial(upload_id, offset=offset)
    written, gone = 0, False
    try:
        async for chunk in request.stream():
            if offset + written + len(chunk) > size:
                raise Invalid("More data arrived than the file's announced size.")
            handle.write(chunk)
            written += len(chunk)
    except ClientDisconnect:
        gone = True
    finally:
        store.sync(handle)
        handle.close()
    uploads.record(page.db, upload=upload, offset=offset, received=offset + written)
    page.db.commit()
    if gone:
        return Response(status_code=400)  # nobody reads it; the offset is saved
    return JSONResponse(_state(upload))


@router.post("/files/uploads/{upload_id}/complete")
def complete_upload(page: UserPageDep, upload_id: str, s: str = "home") -> Response:
    """Make the file from a session with every byte in."""
    access = _access(page, s)
    upload = uploads.get(page.db, upload_id=upload_id, by=_email(page))
    try:
        node, conflicted = uploads.complete(
            page.db,
            access=access,
            upload=upload,
            store=store_of(page),
            by=_email(page),
            retention=Retention.from_settings(page.state.settings),
        )
    except TooLarge:
        # Over quota at the end: retrying cannot help, so the session and its body go.
        page.db.rollback()
        uploads.cancel(page.db, upload=upload, store=store_of(page))
        page.db.commit()
        raise
    etag = node.etag
    page.db.commit()
    _sweep(page)
    return Response(status_code=409 if conflicted else 200, headers={"ETag": f'"{etag}"'})


@router.post("/files/uploads/{upload_id}/cancel")
def cancel_upload(page: UserPageDep, upload_id: str) -> Response:
    """Give up an upload: the session and its partial body go."""
    upload = uploads.get(page.db, upload_id=upload_id, by=_email(page))
    uploads.cancel(page.db, upload=upload, store=store_of(page))
    page.db.commit()
    return Response(status_code=204)
