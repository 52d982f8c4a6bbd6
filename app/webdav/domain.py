"""wsgidav's domain controller over Hamkar's auth: HTTP Basic with the mail or an app password.

The session cookie is never looked at: a page that a browser loads cannot act on WebDAV with
the user's web session (no CSRF through /webdav/).
"""

from __future__ import annotations

import logging
from typing import Any

from wsgidav.dav_error import HTTP_SERVICE_UNAVAILABLE, DAVError
from wsgidav.dc.base_dc import BaseDomainController

from app.auth.basic import authenticate_basic
from app.errors import Throttled, Unauthorized, Unavailable
from app.webdav.context import WebDavContext

REALM = "Hamkar"
_log = logging.getLogger(__name__)


class HamkarDomainController(BaseDomainController):  # type: ignore[misc]
    """Every path needs a user; Basic credentials are checked by ``authenticate_basic``."""

    def __init__(self, wsgidav_app: Any, config: dict[str, Any]) -> None:
        super().__init__(wsgidav_app, config)
        self.context: WebDavContext = config["hamkar"]

    def __str__(self) -> str:
        return "HamkarDomainController"

    def get_domain_realm(self, path_info: str, environ: dict[str, Any]) -> str:
        """One realm for all of /webdav/."""
        return REALM

    def require_authentication(self, realm: str, environ: dict[str, Any]) -> bool:
        """Nothing is anonymous (share links are served by the web app, not here)."""
        return True

    def supports_http_digest_auth(self) -> bool:
        """Digest would need the password in clear on the server: no."""
        return False

    def basic_auth_user(
        self, realm: str, user_name: str, password: str, environ: dict[str, Any]
    ) -> bool:
        """Check the credentials; on success wsgidav records ``user_name`` for the request."""
        return bool(self.authenticate(user_name, password, environ))

    def authenticate(self, user_name: str, password: str, environ: dict[str, Any]) -> str | None:
        """The account's address, or ``None`` for wrong credentials."""
        context = self.context
        try:
            # authenticate_basic commits failure counts itself, so no transaction() here.
            with context.sessions() as db:
                email = authenticate_basic(
                    db,
                    settings=context.settings,
                    cache=context.credentials,
                    email=user_name,
                    password=password,
                    client_ip=environ.get("REMOTE_ADDR") or "",
                )
                db.commit()
        except Unauthorized:
            return None
        except (Throttled, Unavailable) as exc:
            _log.info("webdav login refused: %s", exc)
            raise DAVError(HTTP_SERVICE_UNAVAILABLE, context_info=str(exc)) from exc
        # wsgidav reports the name as typed; later checks use the normalized address.
        environ["hamkar.email"] = email
        return email
