"""The app factory: builds the FastAPI application for a given Settings."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from functools import partial
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response

from app.admin import views as admin_views
from app.admin import views_account as admin_account_views
from app.admin import views_org as admin_org_views
from app.auth import views as auth_views
from app.auth.basic import CredentialCache
from app.auth.last_login import LastLoginRecorder
from app.calendar import views as calendar_views
from app.calendar.horizon import run_horizon_worker
from app.contacts import views as contacts_views
from app.dav.app import (
    WELL_KNOWN_METHODS,
    WELL_KNOWN_PATHS,
    DavApp,
    ServerRootDiscovery,
    well_known,
)
from app.db import make_engine, make_session_factory
from app.directory import views as directory_views
from app.directory.service import record_login
from app.files import views as files_views
from app.files import views_shares as files_share_views
from app.files import views_spaces as files_space_views
from app.files import views_uploads as files_upload_views
from app.files.janitor import run_janitor
from app.files.storage import store_for
from app.mail import (
    compose_files_views,
    compose_views,
    presence_views,
    receipt_views,
    signature_views,
)
from app.mail import views as mail_views
from app.mail.outbox_worker import run_outbox_worker
from app.models import import_all_models
from app.settings import Settings
from app.tasks import views as tasks_views
from app.web import health
from app.web.csrf import CSRFMiddleware
from app.web.errors import CrashGuardMiddleware, csrf_refusal_page, install_error_handlers
from app.web.exit_signals import end_live_streams_on_exit
from app.web.header_case import HeaderCaseMiddleware
from app.web.heap import settle_heap
from app.web.ids import ids_in_range
from app.web.locale import LanguageSwitchMiddleware
from app.web.security import SecurityHeadersMiddleware
from app.web.state import AppState, load_secret
from app.web.templating import make_environment
from app.webdav.app import MOUNT_PATH, make_webdav_asgi
from app.webdav.context import WebDavContext

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Background work for the app's lifetime: the outbox worker, the files clean-up and the
    calendar horizon."""
    state: AppState = app.state.hamkar
    end_live_streams_on_exit(asyncio.get_running_loop())
    settle_heap()
    workers = [asyncio.create_task(run_horizon_worker(state.sessions))]
    if state.settings.outbox_worker:
        workers.append(
            asyncio.create_task(
                run_outbox_worker(state.sessions, settings=state.settings, secret=state.secret)
            )
        )
    if state.settings.files_janitor:
        workers.append(
            asyncio.create_task(
                run_janitor(
                    state.sessions, settings=state.settings, store=store_for(state.settings)
                )
            )
        )
    try:
        yield
    finally:
        for worker in workers:
            worker.cancel()
            with suppress(asyncio.CancelledError):
                await worker
        state.engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application: routers, static files, middleware and error pages."""
    settings = settings or Settings()
    import_all_models()
    engine = make_engine(settings)
    state = AppState(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        secret=load_secret(settings),
        templates=make_environment(),
        credentials=CredentialCache(
            settings.dav_auth_cache_seconds, logins=LastLoginRecorder(record_login)
        ),
    )
    app = FastAPI(
        title="Hamkar",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        debug=False,
        lifespan=_lifespan,
        # Every route: an integer beyond 64 bits is refused before it reaches the database.
        dependencies=[Depends(ids_in_range)],
    )
    app.state.hamkar = state
    state.sign_out_hooks.append(partial(mail_views.end_session, sessions=state.sessions))
    for module in (
        health,
        auth_views,
        directory_views,
        # Compose, outbox and signatures before mail_views, whose /mail/{path} takes the rest.
        compose_views,
        compose_files_views,
        receipt_views,
        signature_views,
        presence_views,
        mail_views,
        calendar_views,
        contacts_views,
        tasks_views,
        files_views,
        files_share_views,
        files_space_views,
        files_upload_views,
        admin_views,
        admin_account_views,  # after admin_views: /accounts/import before /accounts/{id}
        admin_org_views,
    ):
        app.include_router(module.router)
    app.add_api_route("/", _home, methods=["GET"], include_in_schema=False)
    dav = DavApp()
    for path in WELL_KNOWN_PATHS:
        app.add_route(path, well_known, methods=WELL_KNOWN_METHODS, include_in_schema=False)
    app.mount("/dav", dav)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    webdav = WebDavContext(
        settings=settings,
        sessions=state.sessions,
        credentials=state.credentials,
        store=store_for(settings),
    )
    app.mount(MOUNT_PATH, make_webdav_asgi(webdav), name="webdav")
    install_error_handlers(app)
    # Added last = outermost: security headers wrap even CSRF refusals and crash pages.
    app.add_middleware(CrashGuardMiddleware)
    app.add_middleware(LanguageSwitchMiddleware, secure_cookies=settings.secure_cookies)
    app.add_middleware(
        CSRFMiddleware,
        secret=state.secret,
        secure_cookies=settings.secure_cookies,
        refusal=csrf_refusal_page,
    )
    app.add_middleware(SecurityHeadersMiddleware, https=settings.secure_cookies)
    app.add_middleware(ServerRootDiscovery, bare_mounts=("/dav", MOUNT_PATH))
    app.add_middleware(HeaderCaseMiddleware)  # outermost: the names as they leave
    return app


def _home() -> Response:
    return RedirectResponse("/mail", status_code=303)
