"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.auth.imap_login import ImapEndpoint, ping
from app.errors import Unavailable
from app.web.deps import app_state

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
async def healthz() -> JSONResponse:
    """The process is up and serving."""
    return JSONResponse({"status": "ok"})


@router.get("/readyz", include_in_schema=False)
async def readyz(request: Request) -> JSONResponse:
    """Ready when the database and the IMAP server both answer."""
    state = app_state(request)
    checks: dict[str, str] = {}
    try:
        await asyncio.to_thread(_check_database, state)
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready"; the reason is reported
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        await asyncio.to_thread(ping, ImapEndpoint.from_settings(state.settings))
        checks["imap"] = "ok"
    except Unavailable as exc:
        checks["imap"] = f"error: {exc.message}"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


def _check_database(state: object) -> None:
    with state.engine.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(text("SELECT 1"))
