"""Who is calling: HTTP Basic only (RFC 7617). The web session cookie is never accepted here,
so a page on another site cannot make the browser write to someone's calendar."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.auth.basic import authenticate_basic, parse_basic_authorization
from app.dav.errors import DavError
from app.errors import Throttled, Unauthorized

REALM = 'Basic realm="Hamkar", charset="UTF-8"'


def authenticate(db: Session, *, state: Any, authorization: str | None, client_ip: str) -> str:
    """The caller's address, or a 401 that asks for Basic credentials."""
    credentials = parse_basic_authorization(authorization)
    if credentials is None:
        raise DavError(401, "Sign in with your email address and password or an app password.")
    try:
        return authenticate_basic(
            db,
            settings=state.settings,
            cache=state.credentials,
            email=credentials[0],
            password=credentials[1],
            client_ip=client_ip,
        )
    except Throttled as exc:
        raise DavError(429, exc.message % exc.params if exc.params else exc.message) from exc
    except Unauthorized as exc:
        raise DavError(401, exc.message) from exc
