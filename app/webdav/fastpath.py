"""A fast path for plain PUTs: the body streams from the ASGI server straight into the blob
store, skipping the WSGI bridge's thread hand-off for every chunk.

Only the simplest case is taken here: valid Basic credentials, an existing folder the user may
write, a valid name, no conditional or lock headers and no lock anywhere on the way. Everything
else (and every other method) goes to wsgidav unchanged, so the protocol stays wsgidav's.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import unquote

from anyio import to_thread

from app.auth.basic import authenticate_basic, parse_basic_authorization
from app.errors import Conflict, DomainError, Locked, TooLarge
from app.files import locks, service, spaces
from app.files.models import FileNode
from app.files.storage import BlobWriter, StoredBlob
from app.files.versions import Retention
from app.webdav.context import WebDavContext
from app.webdav.lock_urls import href, refusal

_SKIP_HEADERS = {
    b"if",
    b"if-match",
    b"if-none-match",
    b"if-unmodified-since",
    b"if-modified-since",
    b"content-range",
    b"content-encoding",  # wsgidav refuses an encoded body (501); never store it as it came
}
BATCH = 1024 * 1024


class PutFastPath:
    """Takes plain PUTs itself; passes everything else to ``app``."""

    def __init__(self, app: Any, context: WebDavContext, mount_path: str) -> None:
        self.app = app
        self.context = context
        self.mount_path = mount_path

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "PUT":
            await self.app(scope, receive, send)
            return
        plan = await to_thread.run_sync(self._plan, scope)
        if plan is None:
            await self.app(scope, receive, send)
            return
        await self._put(plan, receive, send)

    def _plan(self, scope: Any) -> dict[str, Any] | None:
        """What to write where, or ``None`` to let wsgidav handle the request."""
        headers = dict(scope["headers"])
        if _SKIP_HEADERS & set(headers) or b"#" in scope.get("raw_path", b""):
            return None
        # curl and most clients send "Expect: 100-continue" with a large body; the ASGI
        # server answers it when the body is first read (RFC 9110 section 10.1.1).
        if headers.get(b"expect", b"100-continue").lower() != b"100-continue":
            return None
        credentials = parse_basic_authorization(
            headers.get(b"authorization", b"").decode("latin-1")
        )
        if credentials is None:
            return None
        path = scope["path"]
        if not path.startswith(self.mount_path + "/"):
            return None
        parts = [unquote(p) for p in path[len(self.mount_path) :].split("/") if p]
        if len(parts) < 2 or parts[0] not in ("home", "team") or path.endswith("/"):
            return None
        mount, names = (
            ("home", parts[1:]) if parts[0] == "home" else (f"team/{parts[1]}", parts[2:])
        )
        if not names:
            return None
        try:
            return self._resolve(scope, credentials, mount, names, headers)
        except DomainError:
            return None

    def _resolve(
        self,
        scope: Any,
        credentials: tuple[str, str],
        mount: str,
        names: list[str],
        headers: dict[bytes, bytes],
    ) -> dict[str, Any] | None:
        context = self.context
        with context.sessions() as db:
            email = authenticate_basic(
                db,
                settings=context.settings,
                cache=context.credentials,
                email=credentials[0],
                password=credentials[1],
                client_ip=(scope.get("client") or ("", 0))[0],
            )
            access = spaces.open_space(db, settings=context.settings, email=email, mount=mount)
            if not access.can("write"):
                return None
            rel = "/".join(service.split_path("/".join(names)))
            parent = service.resolve(db, access=access, path=rel.rpartition("/")[0])
            existing = service.child(db, parent=parent, name=names[-1])
            if not parent.is_dir or (existing is not None and existing.is_dir):
                return None
            if locks.on_path(db, space_id=access.space.id, path=rel):
                return None  # wsgidav checks the lock tokens (or answers 423)
            declared = headers.get(b"content-length", b"")
            free = access.space.quota_bytes - access.space.used_bytes
            limit = min(context.settings.files_max_upload_bytes, free)
            if declared.isdigit() and int(declared) > limit:
                return None  # wsgidav answers 413 or 507 with its error body
            db.commit()
        return {
            "email": email,
            "mount": mount,
            "path": rel,
            "parent_id": parent.id,
            "name": names[-1],
            "limit": limit,
            "declared": int(declared) if declared.isdigit() else None,
            "new": existing is None,
            "type": headers.get(b"content-type", b"").decode("latin-1"),
        }

    async def _put(self, plan: dict[str, Any], receive: Any, send: Any) -> None:
        writer = self.context.store.writer(
            max_bytes=max(plan["limit"], 0), expected=plan["declared"]
        )
        try:
            outcome = await self._receive_into(writer, receive)
            if outcome != "ok":
                if outcome == "full":
                    await _respond(send, 507, b"Insufficient Storage")
                return  # the client went away: nothing was stored, nothing changed
            blob = await to_thread.run_sync(writer.commit)
        finally:
            writer.discard()
        try:
            etag = await to_thread.run_sync(self._save, plan, blob)
        except DomainError as exc:
            if await to_thread.run_sync(self._unused, blob):
                self.context.store.remove(blob.sha256)
            if isinstance(exc, LockedBy):  # locked while the body was arriving
                await _respond(send, 423, exc.body, content_type=exc.content_type)
                return
            # 507 over quota, 409 when the folder went away (RFC 4918 section 9.7.1).
            await _respond(send, exc.status_code, str(exc).encode())
            return
        await _respond(send, 201 if plan["new"] else 204, b"", etag=etag)

    async def _receive_into(self, writer: BlobWriter, receive: Any) -> str:
        """Stream the body into ``writer``; "ok", "full" (over the limit) or "gone".

        One batch is written (hashed and put on disk, in a worker thread) while the next one
        is received, so the network and the disk work at the same time; at most two batches
        are in memory.
        """
        loop = asyncio.get_running_loop()
        writing: asyncio.Future[int] | None = None
        pending: list[bytes] = []
        size = 0
        more = True
        try:
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return "gone"
                pending.append(message.get("body", b""))
                size += len(pending[-1])
                more = message.get("more_body", False)
                if size >= BATCH or not more:
                    data, pending, size = b"".join(pending), [], 0
                    if writing is not None:
                        await writing
                    writing = loop.run_in_executor(None, writer.write, data)
            if writing is not None:
                await writing
                writing = None
        except TooLarge:
            return "full"
        finally:
            if writing is not None:  # never leave a write running on a writer being discarded
                await asyncio.gather(writing, return_exceptions=True)
        return "ok"

    def _save(self, plan: dict[str, Any], blob: StoredBlob) -> str:
        context = self.context
        with context.sessions() as db:
            access = spaces.open_space(
                db, settings=context.settings, email=plan["email"], mount=plan["mount"]
            )
            parent = db.get(FileNode, plan["parent_id"])
            if parent is None or parent.trashed_at is not None:
                raise Conflict("No such folder.")
            # Checked again now that the body is in: a lock may have been taken meanwhile.
            held = locks.on_path(db, space_id=access.space.id, path=plan["path"])
            if held:
                raise LockedBy(self._hrefs(plan, held))
            node, _new = service.write_file(
                db,
                access=access,
                parent=parent,
                name=plan["name"],
                blob=blob,
                by=plan["email"],
                content_type=_media(plan["type"], plan["name"]),
                keep=Retention.from_settings(context.settings),
            )
            etag = node.etag
            db.commit()
            orphans = service.orphan_candidates(db)
            for sha in service.unreferenced(db, candidates=orphans):
                context.store.remove(sha)
        return etag

    def _hrefs(self, plan: dict[str, Any], held: list[dict[str, Any]]) -> list[str]:
        """The URLs of the locks in the way, nearest first, as wsgidav lists them."""
        paths = sorted((locks.path_of_root(lock["root"]) for lock in held), key=len, reverse=True)
        mount = plan["mount"]
        return [href(self.mount_path, mount, p, collection=p != plan["path"]) for p in paths]

    def _unused(self, blob: StoredBlob) -> bool:
        with self.context.sessions() as db:
            return bool(service.unreferenced(db, candidates={blob.sha256}))


def _media(declared: str, name: str) -> str:
    media = declared.split(";")[0].strip().lower()
    if not media or media in ("application/octet-stream", "application/x-www-form-urlencoded"):
        return service.guess_type(name)
    return media


class LockedBy(Locked):
    """A write refused by locks whose tokens it lacks; carries wsgidav's 423 answer."""

    def __init__(self, hrefs: list[str]) -> None:
        super().__init__("Locked.")
        self.content_type, self.body = refusal(hrefs)


async def _respond(
    send: Any,
    status: int,
    body: bytes,
    etag: str | None = None,
    content_type: str = "text/plain",
) -> None:
    headers = [
        (b"content-length", str(len(body)).encode()),
        (b"content-type", content_type.encode()),
    ]
    if etag:
        headers.append((b"etag", f'"{etag}"'.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
