"""Sign in and sign out pages."""

from __future__ import annotations

import ipaddress
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from app.auth import service as auth
from app.directory import service as directory
from app.errors import DomainError, Throttled
from app.web.csrf import SESSION_COOKIE
from app.web.deps import PageDep

router = APIRouter()
DEFAULT_AFTER_LOGIN = "/mail"


def safe_next(target: str | None) -> str:
    """Only a local path may follow login: no scheme, host, backslash or protocol-relative URL."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return DEFAULT_AFTER_LOGIN
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return DEFAULT_AFTER_LOGIN
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith(("/login", "/logout")):
        return DEFAULT_AFTER_LOGIN
    return target


def client_ip(request: Request, trusted_proxies: list[str]) -> str:
    """The client's address; X-Forwarded-For is believed only from a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded and _is_trusted(peer, trusted_proxies):
        candidate = forwarded.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            return peer
    return peer


def _is_trusted(peer: str, trusted: list[str]) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in trusted)


@router.get("/login")
def login_form(page: PageDep, next: str | None = None) -> Response:
    """The sign-in form (already signed-in users go straight on)."""
    if page.user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return page.render("auth/login.html", next=safe_next(next), email="", error=None)


@router.post("/login")
def login(
    page: PageDep,
    request: Request,
    email: Annotated[str, Form(max_length=400)] = "",
    password: Annotated[str, Form(max_length=2000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Check the credentials with the mail server and open a session."""
    settings = page.state.settings
    try:
        signed_in = _sign_in(
            page,
            email,
            password,
            client_ip(request, settings.trusted_proxies),
            request.headers.get("user-agent", ""),
        )
    except DomainError as exc:
        page.db.rollback()  # no session for a refused login; failure counters are committed
        status = 429 if isinstance(exc, Throttled) else exc.status_code
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Throttled) else None
        return page.render(
            "auth/login.html",
            status_code=status,
            headers=headers,
            next=safe_next(next),
            email=email[:320],
            error=page._(exc.message, **exc.params),
        )
    page.db.commit()
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signed_in.token.cookie_value,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
        max_age=settings.session_max_days * 86400,
    )
    return response


def _sign_in(page: PageDep, email: str, password: str, ip: str, agent: str) -> auth.SignedIn:
    signed_in = auth.sign_in(
        page.db,
        settings=page.state.settings,
        email=email,
        password=password,
        client_ip=ip,
        user_agent=agent,
    )
    directory.account_for_login(page.db, email=signed_in.email)
    return signed_in


@router.post("/logout")
def logout(page: PageDep, request: Request) -> Response:
    """Destroy the session server-side and forget the cookie."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        auth.sign_out(page.db, cookie=cookie)
        page.db.commit()
    if page.signed_in is not None:
        page.state.session_ended(page.signed_in.session.id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
