"""The web file browser: spaces, folders, uploads, downloads, previews, trash and versions."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from app.errors import Invalid, NotFound, TooLarge
from app.files import archive, browse, locks, service, spaces, thumbnails, trash, versions
from app.files.models import FileNode
from app.files.storage import BlobStore, StoredBlob, store_for
from app.files.versions import Retention
from app.web.deps import Page, UserPageDep

router = APIRouter()

IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/avif"}
TEXT_PREVIEW_BYTES = 256 * 1024
# Raw bodies are never a document of our origin: no scripts, no plugins, no sniffing.
RAW_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def store_of(page: Page) -> BlobStore:
    """The blob store of this installation."""
    return store_for(page.state.settings)


def _email(page: Page) -> str:
    assert page.user is not None
    return page.user.email


def _access(page: Page, mount: str) -> spaces.Access:
    return spaces.open_space(
        page.db, settings=page.state.settings, email=_email(page), mount=mount or "home"
    )


def _location(mount: str, path: str = "", **extra: str) -> str:
    query = {"s": mount, **({"p": path} if path else {}), **extra}
    return "/files?" + urlencode(query)


def _done(page: Page, location: str) -> Response:
    """Commit, drop bodies nobody uses any more, and go back to the folder."""
    page.db.commit()
    _sweep(page)
    if page.request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def _sweep(page: Page) -> None:
    candidates = service.orphan_candidates(page.db)
    store = store_of(page)
    for sha in service.unreferenced(page.db, candidates=candidates):
        store.remove(sha)


@router.get("/files")
def files_home(
    page: UserPageDep,
    s: str = "home",
    p: str = "",
    q: str = "",
    sort: str = "name",
    order: str = "asc",
    view: str = "list",
) -> Response:
    """A folder of a space (or search results), as a list or a grid."""
    access = _access(page, s)
    folder = service.resolve(page.db, access=access, path=p)
    if not folder.is_dir:
        raise NotFound("No such folder.")
    if q:
        found = browse.search(page.db, access=access, query=q)
    else:
        found = browse.entries(
            page.db, access=access, folder=folder, sort=sort, descending=order == "desc"
        )
    context: dict[str, Any] = {
        "section": "files",
        "access": access,
        "spaces_list": spaces.accessible_spaces(
            page.db, settings=page.state.settings, email=_email(page)
        ),
        "folder": folder,
        "path": service.path_of(page.db, node=folder),
        "crumbs": browse.breadcrumbs(page.db, folder=folder),
        "entries": found,
        "query": q,
        "sort": sort,
        "order": order,
        "view": "grid" if view == "grid" else "list",
        "location": _location,
        "max_upload": page.state.settings.files_max_upload_bytes,
        "chunk_bytes": page.state.settings.files_upload_chunk_bytes,
        "thumb_types": thumbnails.THUMB_TYPES if thumbnails.available() else frozenset(),
    }
    template = (
        "files/_listing.html" if page.request.headers.get("hx-request") else "files/page.html"
    )
    return page.render(template, **context)


@router.post("/files/upload")
async def upload(request: Request, page: UserPageDep, s: str = "home", p: str = "") -> Response:
    """Store uploaded files: a raw body per file (the JS uploader) or a multipart form."""
    access = _access(page, s)
    access.require("write")
    folder = service.resolve(page.db, access=access, path=p)
    settings = page.state.settings
    limit = min(settings.files_max_upload_bytes, access.space.quota_bytes - access.space.used_bytes)
    store = store_of(page)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=1000)
        uploads = [f for f in form.getlist("files") if not isinstance(f, str)]
        for item in uploads:
            if not item.filename:
                continue
            blob = _store_or_refuse(store, item.file, limit, settings.files_max_upload_bytes)
            _save(page, access, folder, item.filename, blob, item.content_type, None)
        return _done(page, _location(s, p))
    relative = request.query_params.get("name", "")
    names = service.split_path(relative)
    if not names:
        raise Invalid("The file needs a name.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        _refuse(limit, settings.files_max_upload_bytes)
    writer = store.writer(max_bytes=max(limit, 0))
    try:
        async for chunk in request.stream():
            try:
                writer.write(chunk)
            except TooLarge:
                _refuse(limit, settings.files_max_upload_bytes)
        blob = writer.commit()
    finally:
        writer.discard()
    target = browse.ensure_folders(
        page.db, access=access, parent=folder, names=names[:-1], by=_email(page)
    )
    node, conflict = _save(
        page,
        access,
        target,
        names[-1],
        blob,
        request.headers.get("content-type"),
        request.headers.get("x-base-etag"),
    )
    page.db.commit()
    _sweep_new(page, blob)
    return Response(
        status_code=200 if not conflict else 409,
        headers={"ETag": f'"{node.etag}"'},
    )


def _refuse(limit: int, max_upload: int) -> None:
    if limit < max_upload:
        raise service.QuotaExceeded("There is not enough space left for this (quota reached).")
    raise TooLarge("The file is larger than the upload limit.")


def _store_or_refuse(store: BlobStore, source: object, limit: int, max_upload: int) -> StoredBlob:
    try:
        return store.put_file(source, max_bytes=max(limit, 0))  # type: ignore[arg-type]
    except TooLarge:
        _refuse(limit, max_upload)
        raise


def _save(
    page: Page,
    access: spaces.Access,
    folder: FileNode,
    name: str,
    blob: StoredBlob,
    content_type: str | None,
    base_etag: str | None,
) -> tuple[FileNode, bool]:
    """Write the file unless someone else holds a lock on it; returns (node, conflicted)."""
    path = service.path_of(page.db, node=folder)
    locks.ensure_unlocked(
        page.db, space_id=access.space.id, path=f"{path}/{name}".strip("/"), user=_email(page)
    )
    media = (content_type or "").split(";")[0].strip()
    if media in ("", "application/octet-stream", "application/x-www-form-urlencoded"):
        media = service.guess_type(name)
    existing = service.child(page.db, parent=folder, name=service.validate_name(name))
    node, _new = service.write_file(
        page.db,
        access=access,
        parent=folder,
        name=name,
        blob=blob,
        by=_email(page),
        content_type=media,
        base_etag=base_etag,
        keep=Retention.from_settings(page.state.settings),
    )
    conflicted = (
        existing is not None
        and base_etag is not None
        and base_etag.strip('"') != node.etag
        and node.blob != blob.sha256
    )
    return node, conflicted


def _sweep_new(page: Page, blob: StoredBlob) -> None:
    page.db.info.setdefault(service.ORPHANS, set()).add(blob.sha256)
    _sweep(page)


@router.post("/files/folder")
def new_folder(
    page: UserPageDep,
    name: Annotated[str, Form()],
    s: Annotated[str, Form()] = "home",
    p: Annotated[str, Form()] = "",
) -> Response:
    """Create a folder in the current folder."""
    access = _access(page, s)
    folder = service.resolve(page.db, access=access, path=p)
    service.make_folder(page.db, access=access, parent=folder, name=name.strip(), by=_email(page))
    return _done(page, _location(s, p))


@router.post("/files/rename")
def rename(
    page: UserPageDep,
    id: Annotated[int, Form()],
    name: Annotated[str, Form()],
    s: Annotated[str, Form()] = "home",
    p: Annotated[str, Form()] = "",
) -> Response:
    """Rename a file or folder in place."""
    access = _access(page, s)
    node = browse.node_by_id(page.db, access=access, node_id=id)
    _unlocked(page, access, node)
    parent = page.db.get(FileNode, node.parent_id) if node.parent_id else None
    if parent is None:
        raise Invalid("The top folder of a space cannot be renamed.")
    service.move(
        page.db,
        source=access,
        node=node,
        target=access,
        parent=parent,
        name=name.strip(),
        by=_email(page),
    )
    return _done(page, _location(s, p))


def _unlocked(page: Page, access: spaces.Access, node: FileNode) -> None:
    locks.ensure_unlocked(
        page.db,
        space_id=access.space.id,
        path=service.path_of(page.db, node=node),
        user=_email(page),
    )


@router.post("/files/transfer")
def transfer(
    page: UserPageDep,
    id: Annotated[list[int], Form()],
    op: Annotated[str, Form()],
    dest: Annotated[str, Form()],
    s: Annotated[str, Form()] = "home",
    p: Annotated[str, Form()] = "",
    dest_space: Annotated[str, Form()] = "",
) -> Response:
    """Move or copy the selected items into a folder (of this or another space)."""
    access = _access(page, s)
    target = _access(page, dest_space or s)
    parent = service.resolve(page.db, access=target, path=dest.strip("/"))
    for node_id in id:
        node = browse.node_by_id(page.db, access=access, node_id=node_id)
        if op == "copy":
            service.copy(
                page.db,
                source=access,
                node=node,
                target=target,
                parent=parent,
                name=node.name,
                by=_email(page),
            )
        else:
            _unlocked(page, access, node)
            service.move(
                page.db,
                source=access,
                node=node,
                target=target,
                parent=parent,
                name=node.name,
                by=_email(page),
            )
    return _done(page, _location(s, p))


@router.post("/files/delete")
def delete(
    page: UserPageDep,
    id: Annotated[list[int], Form()],
    s: Annotated[str, Form()] = "home",
    p: Annotated[str, Form()] = "",
) -> Response:
    """Move the selected items to the trash."""
    access = _access(page, s)
    for node_id in id:
        node = browse.node_by_id(page.db, access=access, node_id=node_id)
        _unlocked(page, access, node)
        trash.trash(page.db, access=access, node=node, by=_email(page))
    return _done(page, _location(s, p))


@router.get("/files/download")
def download(page: UserPageDep, id: Annotated[list[int], Query()], s: str = "home") -> Response:
    """One file as itself; folders or several items as one zip, streamed."""
    access = _access(page, s)
    nodes = [browse.node_by_id(page.db, access=access, node_id=i) for i in id[:1000]]
    if len(nodes) == 1 and not nodes[0].is_dir:
        return _file_response(page, nodes[0], inline=False)
    entries: list[tuple[str, FileNode]] = []
    for node in nodes:
        entries += archive.members(page.db, folder=node) if node.is_dir else [(node.name, node)]
    name = (nodes[0].name or access.space.name) if len(nodes) == 1 else "files"
    page.db.commit()
    return StreamingResponse(
        archive.stream_zip(store_of(page), entries),
        media_type="application/zip",
        headers=_disposition("attachment", f"{name}.zip"),
    )


def _disposition(kind: str, filename: str) -> dict[str, str]:
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    value = f"{kind}; filename=\"{ascii_name}\"; filename*=utf-8''{quote(filename)}"
    return {"Content-Disposition": value}


def _file_response(
    page: Page, node: FileNode, *, inline: bool, blob: str | None = None, media: str | None = None
) -> Response:
    """A file body with safe headers: inline only for images, PDF and plain text."""
    media = media or node.content_type
    sha = blob or node.blob
    assert sha is not None
    safe_inline = inline and (media in IMAGE_TYPES or media in ("application/pdf", "text/plain"))
    if media.startswith("text/") and media != "text/plain":
        media = "text/plain"  # never let an HTML (or other text) file run as our page
    if not safe_inline and (media in ("image/svg+xml",) or "html" in media or "xml" in media):
        media = "application/octet-stream"
    headers = {
        **_disposition("inline" if safe_inline else "attachment", node.name),
        "Content-Security-Policy": RAW_CSP + ("; frame-ancestors 'self'" if safe_inline else ""),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-cache",
    }
    if safe_inline and media == "application/pdf":
        # Chromium's PDF viewer does not run in a sandboxed document.
        headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
        headers["X-Frame-Options"] = "SAMEORIGIN"
    if media == "text/plain":
        media = "text/plain; charset=utf-8"
    return FileResponse(store_of(page).path(sha), media_type=media, headers=headers)


@router.get("/files/raw")
def raw(page: UserPageDep, id: int, s: str = "home", inline: int = 0) -> Response:
    """A file's body, for previews (inline) and plain downloads."""
    access = _access(page, s)
    node = browse.node_by_id(page.db, access=access, node_id=id)
    if node.is_dir:
        raise NotFound("No such file or folder.")
    return _file_response(page, node, inline=bool(inline))


@router.get("/files/thumb")
def thumb(page: UserPageDep, id: int, s: str = "home") -> Response:
    """A small picture of an image for the grid view (404 when there is none)."""
    access = _access(page, s)
    node = browse.node_by_id(page.db, access=access, node_id=id)
    if node.is_dir or node.blob is None or node.content_type not in thumbnails.THUMB_TYPES:
        raise NotFound("There is no preview of this file.")
    settings = page.state.settings
    limits = thumbnails.Limits(
        size=settings.files_thumb_size,
        max_pixels=settings.files_thumb_max_pixels,
        max_bytes=settings.files_thumb_max_bytes,
    )
    made = thumbnails.thumbnail(store_of(page), sha256=node.blob, limits=limits)
    # The URL names the body (v=), so the browser may keep the picture.
    headers = {
        "Cache-Control": "private, max-age=86400",
        "Content-Security-Policy": RAW_CSP,
        "X-Content-Type-Options": "nosniff",
    }
    return FileResponse(made.path, media_type=made.media_type, headers=headers)


@router.get("/files/preview")
def preview(page: UserPageDep, id: int, s: str = "home") -> Response:
    """A page showing an image, a PDF or the beginning of a text file, with its versions."""
    access = _access(page, s)
    node = browse.node_by_id(page.db, access=access, node_id=id)
    if node.is_dir:
        raise NotFound("No such file or folder.")
    kind, text = "none", ""
    if node.content_type in IMAGE_TYPES:
        kind = "image"
    elif node.content_type == "application/pdf":
        kind = "pdf"
    elif node.content_type.startswith("text/") or node.content_type in (
        "application/json",
        "application/xml",
        "image/svg+xml",
    ):
        kind = "text"
        assert node.blob is not None
        with store_of(page).open(node.blob) as body:
            text = body.read(TEXT_PREVIEW_BYTES).decode("utf-8", "replace")
    path = service.path_of(page.db, node=node)
    held = locks.in_space(page.db, space_id=access.space.id).get(
        locks.lock_root(access.space.id, path)
    )
    return page.render(
        "files/preview.html",
        section="files",
        access=access,
        node=node,
        kind=kind,
        text=text,
        path=path,
        parent_path=path.rpartition("/")[0],
        location=_location,
        versions=versions.of(page.db, node=node),
        locked_by=held["principal"] if held else None,
    )


@router.get("/files/version")
def version_download(page: UserPageDep, id: int, v: int, s: str = "home") -> Response:
    """Download an earlier version of a file."""
    access = _access(page, s)
    node = browse.node_by_id(page.db, access=access, node_id=id)
    version = versions.get(page.db, node=node, version_id=v)
    return _file_response(page, node, inline=False, blob=version.blob, media=version.content_type)


@router.post("/files/version/restore")
def version_restore(
    page: UserPageDep,
    id: Annotated[int, Form()],
    v: Annotated[int, Form()],
    s: Annotated[str, Form()] = "home",
) -> Response:
    """Make an earlier version current (the current one is kept as a version)."""
    access = _access(page, s)
    node = browse.node_by_id(page.db, access=access, node_id=id)
    _unlocked(page, access, node)
    service.restore_version(page.db, access=access, node=node, version_id=v, by=_email(page))
    return _done(page, "/files/preview?" + urlencode({"s": s, "id": id}))


@router.get("/files/trash")
def trash_page(page: UserPageDep, s: str = "home") -> Response:
    """What was deleted from a space, restorable."""
    access = _access(page, s)
    # Expired items are purged by the clean-up job (app/files/janitor.py).
    return page.render(
        "files/trash.html",
        section="files",
        access=access,
        items=trash.items(page.db, access=access),
        trash_days=page.state.settings.files_trash_days,
        location=_location,
        spaces_list=spaces.accessible_spaces(
            page.db, settings=page.state.settings, email=_email(page)
        ),
    )


@router.post("/files/trash/restore")
def trash_restore(
    page: UserPageDep, id: Annotated[int, Form()], s: Annotated[str, Form()] = "home"
) -> Response:
    """Put a deleted item back where it was."""
    access = _access(page, s)
    trash.restore(page.db, access=access, node_id=id, by=_email(page))
    return _done(page, "/files/trash?" + urlencode({"s": s}))


@router.post("/files/trash/purge")
def trash_purge(
    page: UserPageDep, id: Annotated[int, Form()], s: Annotated[str, Form()] = "home"
) -> Response:
    """Delete an item from the trash for good."""
    access = _access(page, s)
    service.purge(page.db, access=access, node=trash.get(page.db, access=access, node_id=id))
    return _done(page, "/files/trash?" + urlencode({"s": s}))
