"""One shape for a form post that changes data: commit and redirect, or roll back and redraw.

A refusal (a ``DomainError``) leaves nothing half-done: the transaction is rolled back and the
same page is drawn again with the reason, in the reader's language, under the error's status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from starlette.responses import RedirectResponse, Response

from app.errors import DomainError
from app.web.deps import Page


class Redraw(Protocol):
    """Draws a form's page again with an error message."""

    def __call__(self, page: Page, *, error: str, status_code: int) -> Response: ...


def save_or_redraw(
    page: Page,
    change: Callable[[], object],
    *,
    redirect_to: str,
    redraw: Redraw,
    refused_status: int | None = None,
) -> Response:
    """Run ``change``; commit and redirect (303) when it succeeds, else roll back and redraw.

    The redrawn page has the error's own status unless ``refused_status`` is given: a form
    naming someone unknown is a bad form (400), not a missing page.
    """
    try:
        change()
    except DomainError as exc:
        page.db.rollback()
        status = refused_status or exc.status_code
        return redraw(page, error=page._(exc.message, **exc.params), status_code=status)
    page.db.commit()
    return RedirectResponse(redirect_to, status_code=303)
