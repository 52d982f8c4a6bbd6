"""Turns errors into friendly pages: domain errors, HTTP errors and crashes alike.

A traceback is logged, never shown.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import DomainError, Throttled
from app.web.deps import LoginRequired, Page, app_state, build_page
from app.web.i18n import N_, DateFormatter, negotiate, translations

log = logging.getLogger("hamkar.web")

HTTP_MESSAGES = {
    400: N_("The request could not be understood."),
    401: N_("Please sign in."),
    403: N_("You may not open this page."),
    404: N_("There is nothing at this address."),
    405: N_("This action is not possible here."),
    413: N_("What you sent is too large."),
    415: N_("This kind of content is not accepted here."),
    422: N_("Some of what you entered is not valid."),
    429: N_("Too many requests. Please slow down."),
    500: N_("Something went wrong on our side. Nothing you entered was lost; please try again."),
    503: N_("A service Hamkar needs is unavailable right now. Please try again shortly."),
}


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on the app."""
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)


class CrashGuardMiddleware:
    """Answers an unhandled exception with the friendly 500 page.

    It sits inside the security-headers middleware (Starlette's own 500 handler sits outside
    every middleware, so its page would go out without them). The traceback is logged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            response = await _crash(Request(scope), exc)
            await response(scope, receive, send)


async def _login_required(request: Request, _exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = "/login?next=" + quote(target, safe="")
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": location})
    if request.headers.get("accept", "").startswith("application/json"):
        page = _page_for_error(request)
        message = page._("Your session has ended. Sign in again; nothing you typed is lost.")
        return JSONResponse({"error": message, "login": location}, status_code=401)
    return RedirectResponse(location, status_code=303)


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Throttled) else None
    return _error_page(request, exc.status_code, exc.message, exc.params, headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = HTTP_MESSAGES.get(exc.status_code, HTTP_MESSAGES[400])
    return _error_page(request, exc.status_code, message, {}, dict(exc.headers or {}))


async def _validation_error(request: Request, _exc: Exception) -> Response:
    return _error_page(request, 400, HTTP_MESSAGES[422], {}, None)


CSRF_REFUSED = N_(
    "This form has expired or did not come from Hamkar. Go back, reload the page and try again."
)


async def csrf_refusal_page(scope: Scope, receive: Receive, send: Send) -> None:
    """The translated 403 page for a request without a valid CSRF token."""
    response = _error_page(Request(scope), 403, CSRF_REFUSED, {}, None)
    await response(scope, receive, send)


async def _crash(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error_page(request, 500, HTTP_MESSAGES[500], {}, None)


def _error_page(
    request: Request,
    status: int,
    message: str,
    params: dict[str, object],
    headers: dict[str, str] | None,
) -> Response:
    page = _page_for_error(request)
    try:
        text = page._(message, **params)
        return page.render(
            "error.html", status_code=status, status=status, message=text, headers=headers
        )
    except Exception:  # the error page itself must never fail
        log.exception("error page failed")
        return HTMLResponse(
            f"<!doctype html><title>{status}</title><p>{status}</p>",
            status_code=status,
            headers=headers,
        )


def _page_for_error(request: Request) -> Page:
    """A page context, built without the database when the database is the problem."""
    state = app_state(request)
    try:
        with state.sessions() as db:
            return build_page(request, db)
    except Exception:
        lang = negotiate(request.headers.get("accept-language"), state.settings.default_language)
        return Page(
            request=request,
            db=state.sessions(),  # never queried: the database is what failed
            state=state,
            lang=lang,
            i18n=translations(lang),
            dates=DateFormatter(lang, "UTC", "gregorian"),
        )
