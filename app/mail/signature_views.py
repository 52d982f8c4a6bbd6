"""The signatures settings page: one signature per From identity, and where replies put it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.mail.identities import identities_for
from app.mail.signatures import (
    own_signatures,
    save_signature,
    set_signature_position,
    signature_above_quote,
)
from app.web.deps import Page, UserPageDep
from app.web.forms import save_or_redraw

router = APIRouter()


def _render(
    page: Page, *, error: str | None = None, saved: bool = False, status_code: int = 200
) -> Response:
    assert page.user is not None
    return page.render(
        "mail/signatures.html",
        status_code=status_code,
        section="mail",
        identities=identities_for(page.db, account=page.user),
        signatures=own_signatures(page.db, email=page.user.email),
        above_quote=signature_above_quote(page.db, email=page.user.email),
        error=error,
        saved=saved,
    )


@router.get("/mail/signatures")
def signatures_page(page: UserPageDep, saved: bool = False) -> Response:
    """Show each identity's signature."""
    return _render(page, saved=saved)


@router.post("/mail/signatures")
async def save_signatures(page: UserPageDep, request: Request) -> Response:
    """Save every identity's signature and the position; all or nothing."""
    assert page.user is not None
    form = await request.form(max_files=0, max_fields=100)
    user = page.user

    def save() -> None:
        for identity in identities_for(page.db, account=user):
            markup = str(form.get(f"signature:{identity.address}", ""))
            save_signature(page.db, email=user.email, identity=identity.address, markup=markup)
        set_signature_position(
            page.db, email=user.email, above_quote=form.get("position") == "above"
        )

    return save_or_redraw(page, save, redirect_to="/mail/signatures?saved=1", redraw=_render)
