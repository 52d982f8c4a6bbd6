"""The WebDAV application mounted at /webdav/: wsgidav over our provider, through a2wsgi."""

from __future__ import annotations

from typing import Any

from a2wsgi import WSGIMiddleware
from wsgidav.wsgidav_app import WsgiDAVApp

from app.webdav.context import WebDavContext
from app.webdav.domain import HamkarDomainController
from app.webdav.fastpath import PutFastPath
from app.webdav.lock_storage import DatabaseLockStorage
from app.webdav.properties import DeadPropertyStore
from app.webdav.propfind import PropfindFastPath
from app.webdav.provider import SpacesProvider
from app.webdav.request import SessionMiddleware

MOUNT_PATH = "/webdav"


def wsgidav_config(context: WebDavContext) -> dict[str, Any]:
    """wsgidav's configuration: our provider, auth, locks and properties; no directory pages."""
    return {
        "provider_mapping": {"/": SpacesProvider()},
        "mount_path": MOUNT_PATH,
        "http_authenticator": {
            "domain_controller": HamkarDomainController,
            "accept_basic": True,
            "accept_digest": False,
            "default_to_digest": False,
            "trusted_auth_header": None,
        },
        "lock_storage": DatabaseLockStorage(context.sessions),
        "property_manager": DeadPropertyStore(),
        "dir_browser": {"enable": False},
        "cors": {"allow_origin": None},
        "add_header_MS_Author_Via": True,
        "block_size": 1024 * 1024,
        "verbose": 1,
        "logging": {"enable": False, "enable_loggers": []},
        "hamkar": context,
    }


def make_webdav_wsgi(context: WebDavContext) -> Any:
    """The WSGI app: wsgidav wrapped in our per-request database session."""
    return SessionMiddleware(WsgiDAVApp(wsgidav_config(context)), context)


def make_webdav_asgi(context: WebDavContext) -> Any:
    """The same, as an ASGI app to mount inside FastAPI."""
    wsgi = WSGIMiddleware(make_webdav_wsgi(context), workers=16)
    fast = PropfindFastPath(PutFastPath(wsgi, context, MOUNT_PATH), context, MOUNT_PATH)
    return FragmentGuard(fast)


class FragmentGuard:
    """Refuses a Request-URI with a ``#fragment`` (RFC 3986 section 3.5: never sent).

    Deleting ``coll/#frag`` must not delete ``coll/``; this needs a server that keeps the
    fragment in the path (uvicorn's h11 does, httptools drops it silently).
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and b"#" in scope.get("raw_path", b""):
            await send(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                }
            )
            await send({"type": "http.response.body", "body": b"Fragment in Request-URI."})
            return
        await self.app(scope, receive, send)
