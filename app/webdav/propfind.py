"""A fast path for the listings file managers ask for all the time: PROPFIND with Depth 0 or 1
for the standard live properties (RFC 4918 section 15) or ``allprop``.

The multistatus body is rendered from one query per folder instead of wsgidav's per-property
calls. Anything beyond that (dead properties, locks in the listing, ``propname``, unknown or
custom property names, Depth infinity, If headers) is replayed to wsgidav unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape

from anyio import to_thread
from defusedxml import ElementTree

from app.auth.basic import authenticate_basic, parse_basic_authorization
from app.errors import DomainError
from app.files import locks, service, spaces
from app.webdav.context import WebDavContext

DAV = "{DAV:}"
LIVE = {
    "resourcetype",
    "creationdate",
    "getcontentlength",
    "getcontenttype",
    "getlastmodified",
    "displayname",
    "getetag",
    "lockdiscovery",
    "supportedlock",
    "quota-used-bytes",
    "quota-available-bytes",
}
MAX_BODY = 64 * 1024
SAFE = "/!*'(),$-_|."
ALLPROP: frozenset[str] = frozenset()
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SUPPORTED_LOCK = (
    "<D:supportedlock><D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype>"
    "<D:write/></D:locktype></D:lockentry><D:lockentry><D:lockscope><D:shared/></D:lockscope>"
    "<D:locktype><D:write/></D:locktype></D:lockentry></D:supportedlock>"
)


class PropfindFastPath:
    """Answers simple PROPFINDs itself; replays everything else to ``app``."""

    def __init__(self, app: Any, context: WebDavContext, mount_path: str) -> None:
        self.app = app
        self.context = context
        self.mount_path = mount_path

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        headers = dict(scope.get("headers") or [])
        if (
            scope["type"] != "http"
            or scope["method"] != "PROPFIND"
            or parse_basic_authorization(headers.get(b"authorization", b"").decode("latin-1"))
            is None
        ):
            # Without credentials the body is never read: the 401 goes out before it is sent.
            await self.app(scope, receive, send)
            return
        body, complete = await _read_body(receive)
        replay = _replayer(body, receive, more=not complete)
        wanted = _wanted(body) if complete else None
        depth = headers.get(b"depth", b"infinity").decode("latin-1").strip()
        if wanted is None or depth not in ("0", "1") or b"if" in headers:
            await self.app(scope, replay, send)
            return
        xml = await to_thread.run_sync(self._render, scope, headers, depth, wanted)
        if xml is None:
            await self.app(scope, replay, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 207,
                "headers": [
                    (b"content-type", b"application/xml; charset=utf-8"),
                    (b"content-length", str(len(xml)).encode()),
                    (b"dav", b"1, 2"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": xml})

    def _render(
        self, scope: Any, headers: dict[bytes, bytes], depth: str, wanted: frozenset[str]
    ) -> bytes | None:
        credentials = parse_basic_authorization(
            headers.get(b"authorization", b"").decode("latin-1")
        )
        path = scope["path"]
        if credentials is None or not path.startswith(self.mount_path + "/"):
            return None
        parts = [unquote(p) for p in path[len(self.mount_path) :].split("/") if p]
        if not parts or parts[0] not in ("home", "team") or (parts[0] == "team" and len(parts) < 2):
            return None
        mount, names = (
            ("home", parts[1:]) if parts[0] == "home" else (f"team/{parts[1]}", parts[2:])
        )
        try:
            return self._multistatus(scope, credentials, mount, names, depth, wanted)
        except DomainError:
            return None

    def _multistatus(
        self,
        scope: Any,
        credentials: tuple[str, str],
        mount: str,
        names: list[str],
        depth: str,
        wanted: frozenset[str],
    ) -> bytes | None:
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
            rel = "/".join(service.split_path("/".join(names)))
            node = service.resolve(db, access=access, path=rel)
            listed = depth == "1" and node.is_dir
            if service.has_dead_properties(db, node=node, members=listed):
                return None  # dead properties: wsgidav renders them
            if _locked(db, access.space.id, rel):
                return None
            members = service.listing(db, folder=node) if listed else []
            db.commit()
        base = f"{self.mount_path}/{mount}/{rel}".rstrip("/")
        out = ['<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">']
        out.append(_response(base, service.ListedNode.of(node), access, wanted))
        for member in members:
            out.append(_response(f"{base}/{member.name}", member, access, wanted))
        out.append("</D:multistatus>")
        return "".join(out).encode()


def _locked(db: Any, space_id: int, rel: str) -> bool:
    held = locks.in_space(db, space_id=space_id)
    if not held:
        return False
    root = locks.lock_root(space_id, rel)
    return any(r == root or r.startswith(root + "/") or root.startswith(r + "/") for r in held)


def _response(
    href: str, node: service.ListedNode, access: spaces.Access, wanted: frozenset[str]
) -> str:
    found, missing = [], []
    values = _live(node, access)
    for name in sorted(wanted or values):
        if name in values:
            found.append(values[name])
        else:
            missing.append(f"<D:{name}/>")
    link = quote(href + ("/" if node.is_dir else ""), safe=SAFE)
    parts = [f"<D:response><D:href>{link}</D:href>"]
    if found:
        parts.append(
            f"<D:propstat><D:prop>{''.join(found)}</D:prop>"
            "<D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
        )
    if missing:
        parts.append(
            f"<D:propstat><D:prop>{''.join(missing)}</D:prop>"
            "<D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>"
        )
    parts.append("</D:response>")
    return "".join(parts)


def _live(node: service.ListedNode, access: spaces.Access) -> dict[str, str]:
    """The live properties a resource has (the same set wsgidav reports for our resources)."""
    values = {
        "resourcetype": "<D:resourcetype><D:collection/></D:resourcetype>"
        if node.is_dir
        else "<D:resourcetype/>",
        "creationdate": f"<D:creationdate>{_iso(node.created_at)}</D:creationdate>",
        "getlastmodified": f"<D:getlastmodified>{_http_date(node.modified_at)}</D:getlastmodified>",
        "displayname": f"<D:displayname>{escape(node.name or access.space.name)}</D:displayname>",
        # Unquoted, as wsgidav renders it, so both paths give clients the same value.
        "getetag": f"<D:getetag>{escape(node.etag)}</D:getetag>",
        "lockdiscovery": "<D:lockdiscovery/>",
        "supportedlock": SUPPORTED_LOCK,
    }
    if not node.is_dir:
        values["getcontentlength"] = f"<D:getcontentlength>{node.size}</D:getcontentlength>"
        values["getcontenttype"] = (
            f"<D:getcontenttype>{escape(node.content_type)}</D:getcontenttype>"
        )
    else:
        space = access.space
        values["quota-used-bytes"] = f"<D:quota-used-bytes>{space.used_bytes}</D:quota-used-bytes>"
        free = max(0, space.quota_bytes - space.used_bytes)
        values["quota-available-bytes"] = (
            f"<D:quota-available-bytes>{free}</D:quota-available-bytes>"
        )
    return values


def _iso(moment: datetime) -> str:
    """RFC 3339 in UTC, to the second (as wsgidav renders ``creationdate``)."""
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"
    )


def _http_date(moment: datetime) -> str:
    """An IMF-fixdate (RFC 9110 section 5.6.7), without ``email.utils``' slower path."""
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    return (
        f"{_DAYS[utc.weekday()]}, {utc.day:02d} {_MONTHS[utc.month - 1]} {utc.year:04d} "
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d} GMT"
    )


async def _read_body(receive: Any) -> tuple[bytes, bool]:
    """The request body, up to ``MAX_BODY``; ``complete`` is False when there is more."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > MAX_BODY:
            return b"".join(chunks), False


def _replayer(body: bytes, receive: Any, *, more: bool) -> Any:
    """A ``receive`` that first hands back what was already read (``more``: the rest follows)."""
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replay


def _wanted(body: bytes) -> frozenset[str] | None:
    """The property names asked for (``ALLPROP``, empty, for allprop), or ``None`` when the
    request is not one this path answers."""
    if not body.strip():
        return ALLPROP
    try:
        root = ElementTree.fromstring(body)
    except Exception:  # malformed XML: wsgidav answers with its 400
        return None
    if root.tag != f"{DAV}propfind" or len(root) != 1:
        return None
    child = root[0]
    if child.tag == f"{DAV}allprop":
        return ALLPROP
    if child.tag != f"{DAV}prop" or not len(child):
        return None
    names: set[str] = set()
    for prop in child:
        if not prop.tag.startswith(DAV) or prop.tag[len(DAV) :] not in LIVE or len(prop):
            return None
        names.add(prop.tag[len(DAV) :])
    return frozenset(names)
