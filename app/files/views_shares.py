"""Share links: made and revoked by signed-in users, opened by anyone holding the link."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from app.errors import Invalid, NotFound, TooLarge
from app.files import archive, browse, service, shares, trash
from app.files.models import FileNode
from app.files.views import (
    _access,
    _disposition,
    _done,
    _email,
    _file_response,
    _location,
    _refuse,
    store_of,
)
from app.web.deps import Page, PageDep, UserPageDep

router = APIRouter()


@router.get("/files/share")
def share_page(page: UserPageDep, id: int, s: str = "home") -> Response:
    """The links of a file or folder, and a form to make one."""
    access = _access(page, s)
    node = browse.node_by_id(page.db, access=access, node_id=id)
    return _render_share(page, access, node, new_url=None)


def _render_share(page: Page, access: object, node: FileNode, new_url: str | None) -> Response:
    from app.files.spaces import Access

    assert isinstance(access, Access)
    return page.render(
        "files/share.html",
        section="files",
        access=access,
        node=node,
        new_url=new_url,
        links=shares.of_node(page.db, access=access, node=node),
        location=_location,
        path=service.path_of(page.db, node=node),
    )


@router.post("/files/share")
def share_create(
    page: UserPageDep,
    id: Annotated[int, Form()],
    mode: Annotated[str, Form()],
    s: Annotated[str, Form()] = "home",
    expires: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """Make a link; its address is shown once."""
    access = _access(page, s)
    node = browse.node_by_id(page.db, access=access, node_id=id)
    expires_at = None
    if expires:
        try:
            day = datetime.strptime(expires, "%Y-%m-%d").date()
        except ValueError as exc:
            raise Invalid("The expiry date must be in the future.") from exc
        expires_at = datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
    _share, token = shares.create(
        page.db,
        access=access,
        node=node,
        by=_email(page),
        mode=mode,
        expires_at=expires_at,
        password=password or None,
    )
    page.db.commit()
    return _render_share(page, access, node, new_url=f"{page.state.settings.base_url}/s/{token}")


@router.post("/files/share/revoke")
def share_revoke(
    page: UserPageDep,
    share: Annotated[int, Form()],
    id: Annotated[int, Form()],
    s: Annotated[str, Form()] = "home",
) -> Response:
    """Switch a link off."""
    access = _access(page, s)
    shares.revoke(page.db, access=access, share_id=share, by=_email(page))
    return _done(page, "/files/share?" + urlencode({"s": s, "id": id}))


def _cookie_name(shared: shares.Shared) -> str:
    return f"hamkar_share_{shared.share.id}"


def _proof(page: Page, shared: shares.Shared) -> str:
    material = f"{shared.share.id}:{shared.share.password_hash}".encode()
    return hmac.new(page.state.secret, material, hashlib.sha256).hexdigest()


def _open(page: Page, token: str, *, require_unlocked: bool = True) -> shares.Shared:
    shared = shares.open_link(page.db, settings=page.state.settings, token=token)
    if require_unlocked and shared.needs_password:
        cookie = page.request.cookies.get(_cookie_name(shared), "")
        if not hmac.compare_digest(cookie, _proof(page, shared)):
            raise NotFound("This link does not exist or has expired.")
    return shared


@router.get("/s/{token}")
def public_page(page: PageDep, token: str, p: str = "") -> Response:
    """What a link shows: a password form, a folder, a file, or an upload form."""
    shared = _open(page, token, require_unlocked=False)
    unlocked = not shared.needs_password or hmac.compare_digest(
        page.request.cookies.get(_cookie_name(shared), ""), _proof(page, shared)
    )
    context: dict[str, Any] = {"shared": shared, "token": token, "unlocked": unlocked, "p": p}
    if unlocked and shared.share.mode == "read":
        node = shares.resolve_inside(page.db, shared=shared, path=p)
        context["node"] = node
        context["children"] = service.list_children(page.db, folder=node) if node.is_dir else []
    return page.render("files/public.html", **context)


@router.post("/s/{token}/unlock")
def public_unlock(page: PageDep, token: str, password: Annotated[str, Form()]) -> Response:
    """Check a link's password; remember it in a cookie for this link only."""
    shared = _open(page, token, require_unlocked=False)
    shares.check_password(shared, password)
    response = RedirectResponse(f"/s/{token}", status_code=303)
    response.set_cookie(
        _cookie_name(shared),
        _proof(page, shared),
        path=f"/s/{token}",
        httponly=True,
        samesite="lax",
        secure=page.state.settings.secure_cookies,
        max_age=12 * 3600,
    )
    return response


@router.get("/s/{token}/download")
def public_download(page: PageDep, token: str, p: str = "") -> Response:
    """A shared file, or a shared folder as a zip; counted."""
    shared = _open(page, token)
    if shared.share.mode != "read":
        raise NotFound("No such file or folder.")
    node = shares.resolve_inside(page.db, shared=shared, path=p)
    shares.count_download(page.db, shared=shared)
    page.db.commit()
    if not node.is_dir:
        return _file_response(page, node, inline=False)
    entries = archive.members(page.db, folder=node)
    return StreamingResponse(
        archive.stream_zip(store_of(page), entries),
        media_type="application/zip",
        headers=_disposition("attachment", f"{node.name or 'files'}.zip"),
    )


@router.post("/s/{token}/upload")
async def public_upload(request: Request, page: PageDep, token: str) -> Response:
    """Files dropped through an upload-only link land in the shared folder, never replacing."""
    shared = _open(page, token)
    if shared.share.mode != "upload":
        raise NotFound("No such file or folder.")
    access, folder = shared.access, shared.node
    settings = page.state.settings
    limit = min(settings.files_max_upload_bytes, access.space.quota_bytes - access.space.used_bytes)
    form = await request.form(max_files=100)
    store = store_of(page)
    for item in form.getlist("files"):
        if isinstance(item, str) or not item.filename:
            continue
        try:
            blob = store.put_file(item.file, max_bytes=max(limit, 0))
        except TooLarge:
            _refuse(limit, settings.files_max_upload_bytes)
            raise
        name = trash.free_name(page.db, parent=folder, name=service.validate_name(item.filename))
        service.write_file(
            page.db,
            access=access,
            parent=folder,
            name=name,
            blob=blob,
            by=f"link:{shared.share.created_by}",
            content_type=item.content_type,
        )
        page.db.info.setdefault(service.ORPHANS, set()).add(blob.sha256)
        limit -= blob.size
    return _done(page, f"/s/{token}?uploaded=1")
