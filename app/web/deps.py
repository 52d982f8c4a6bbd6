"""Request dependencies: the database session and the page context (who, language, dates)."""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse

from app.auth import service as auth
from app.db import utcnow
from app.directory import service as directory
from app.directory.models import Account, Preferences
from app.web.csrf import SESSION_COOKIE
from app.web.i18n import (
    LANGUAGE_NAMES,
    DateFormatter,
    negotiate,
    text_direction,
    translations,
)
from app.web.locale import LANG_COOKIE
from app.web.state import AppState
from app.web.templating import render_html


class LoginRequired(Exception):
    """Raised by pages that need a signed-in user; answered with a redirect to /login."""


def app_state(request: Request) -> AppState:
    """The running app's shared state."""
    state: AppState = request.app.state.hamkar
    return state


def get_db(request: Request) -> Iterator[Session]:
    """A database session for this request; committed when the request succeeds."""
    with app_state(request).sessions() as db:
        try:
            yield db
            db.commit()
        except Exception:
            db.rollback()
            raise


DbDep = Annotated[Session, Depends(get_db)]


@dataclass
class Page:
    """Everything a page needs to render: request, user, language and formatters."""

    request: Request
    db: Session
    state: AppState
    lang: str
    i18n: gettext.NullTranslations
    dates: DateFormatter
    user: Account | None = None
    signed_in: auth.SignedIn | None = None
    preferences: Preferences | None = None
    flash: list[str] = field(default_factory=list)

    def _(self, message: str, **params: object) -> str:
        """Translate a message id and fill its ``%(name)s`` placeholders."""
        text = self.i18n.gettext(message)
        return text % params if params else text

    def render(
        self,
        template: str,
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """Render a template with the shell's context (user, language, CSRF token)."""
        return render_html(
            self.state.templates,
            template,
            {**self.base_context(), **context},
            status_code=status_code,
            headers=headers,
        )

    def base_context(self) -> dict[str, Any]:
        """Variables every template can use."""
        return {
            "request": self.request,
            "page": self,
            "user": self.user,
            "i18n": self.i18n,
            "lang": self.lang,
            "dir": text_direction(self.lang),
            "languages": LANGUAGE_NAMES,
            "csrf_token": self.request.scope.get("state", {}).get("csrf_token") or "",
            "dates": self.dates,
            "now": utcnow(),
        }


def build_page(request: Request, db: Session) -> Page:
    """Resolve the signed-in user (if any) and the page language."""
    state = app_state(request)
    signed_in, account, prefs = _resolve_user(request, db, state)
    override = request.scope.get("state", {}).get("lang_override")
    if override and prefs is not None and prefs.language != override:
        directory.update_preferences(db, account_id=prefs.account_id, language=override)
    lang = (
        override
        or (prefs.language if prefs else None)
        or _cookie_language(request)
        or negotiate(request.headers.get("accept-language"), state.settings.default_language)
    )
    dates = DateFormatter(
        language=lang,
        timezone=prefs.timezone if prefs else state.settings.default_timezone,
        calendar_system=prefs.calendar_system if prefs else "gregorian",
    )
    return Page(
        request=request,
        db=db,
        state=state,
        lang=lang,
        i18n=translations(lang),
        dates=dates,
        user=account,
        signed_in=signed_in,
        preferences=prefs,
    )


def _resolve_user(
    request: Request, db: Session, state: AppState
) -> tuple[auth.SignedIn | None, Account | None, Preferences | None]:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None, None, None
    signed_in = auth.resume(db, settings=state.settings, cookie=cookie)
    if signed_in is None:
        return None, None, None
    account = directory.find_account(db, email=signed_in.email)
    if account is None or not account.enabled:
        auth.sign_out(db, cookie=cookie)
        db.commit()  # the page may still fail (login required); the session must stay gone
        state.session_ended(signed_in.session.id)
        return None, None, None
    return signed_in, account, directory.get_preferences(db, account_id=account.id)


def _cookie_language(request: Request) -> str | None:
    value = request.cookies.get(LANG_COOKIE)
    return value if value in LANGUAGE_NAMES else None


def get_page(request: Request, db: DbDep) -> Page:
    """The page context; the user may be anonymous."""
    return build_page(request, db)


def get_user_page(page: Annotated[Page, Depends(get_page)]) -> Page:
    """The page context of a signed-in user; anonymous visitors are sent to /login."""
    if page.user is None:
        raise LoginRequired()
    return page


PageDep = Annotated[Page, Depends(get_page)]
UserPageDep = Annotated[Page, Depends(get_user_page)]
