"""The WebDAV application mounted at /webdav/: wsgidav over our provider, through a2wsgi."""

from __future__ import annotations

from typing import Any

from a2wsgi import WSGIMiddleware
from wsgidav.dir_browser import WsgiDavDirBrowser
from wsgidav.error_printer import ErrorPrinter
from wsgidav.http_authenticator import HTTPAuthenticator
from wsgidav.mw.cors import Cors
from wsgidav.request_resolver import RequestResolver
from wsgidav.wsgidav_app import WsgiDAVApp

from app.webdav.context import WebDavContext
from app.webdav.domain import HamkarDomainController
from app.webdav.errors import CleanErrors
from app.webdav.fastpath import PutFastPath
from app.webdav.finite_depth import FiniteDepth
from app.webdav.guard import RequestGuard
from app.webdav.lock_storage import DatabaseLockStorage
from app.webdav.properties import DeadPropertyStore
from app.webdav.propfind import PropfindFastPath
from app.webdav.provider import SpacesProvider
from app.webdav.request import SessionMiddleware
from app.webdav.xml_body import XmlBodyCheck

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
        # wsgidav's own stack; Depth and the XML body are checked once the caller is known
        "middleware_stack": [
            Cors,
            ErrorPrinter,
            HTTPAuthenticator,
            FiniteDepth,
            XmlBodyCheck,
            WsgiDavDirBrowser,
            RequestResolver,
        ],
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
    return SessionMiddleware(CleanErrors(WsgiDAVApp(wsgidav_config(context))), context)


def make_webdav_asgi(context: WebDavContext) -> Any:
    """The same, as an ASGI app to mount inside FastAPI."""
    wsgi = WSGIMiddleware(make_webdav_wsgi(context), workers=16)
    fast = PropfindFastPath(PutFastPath(wsgi, context, MOUNT_PATH), context, MOUNT_PATH)
    return RequestGuard(fast, MOUNT_PATH)
