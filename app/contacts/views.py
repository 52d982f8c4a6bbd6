"""Contacts pages: the contacts section with address book sharing (like the calendar's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from starlette.responses import RedirectResponse, Response

from app.contacts import service as contacts
from app.contacts import sharing
from app.errors import DomainError
from app.web.deps import Page, UserPageDep

router = APIRouter()


@router.get("/contacts")
def contacts_home(page: UserPageDep) -> Response:
    """The contacts section: the user's address books and whom they are shared with."""
    return _contacts_page(page)


def _contacts_page(page: Page, *, error: str | None = None, status_code: int = 200) -> Response:
    assert page.user is not None
    email = page.user.email
    return page.render(
        "contacts/page.html",
        status_code=status_code,
        section="contacts",
        books=contacts.list_address_books(page.db, email=email),
        shared_with_me=sharing.shared_books(page.db, email=email),
        shares=sharing.list_book_shares(page.db, owner_email=email),
        error=error,
    )


@router.post("/contacts/shares")
def share_address_book(
    page: UserPageDep,
    book: Annotated[str, Form(max_length=100)],
    email: Annotated[str, Form(max_length=320)],
    access: Annotated[str, Form(max_length=16)] = "read",
) -> Response:
    """Share one of the user's address books with a colleague or a group of the organization."""
    assert page.user is not None
    try:
        sharing.share_address_book(
            page.db, owner_email=page.user.email, slug=book, grantee=email, access=access
        )
    except DomainError as exc:
        page.db.rollback()
        return _contacts_page(page, error=page._(exc.message, **exc.params), status_code=400)
    page.db.commit()
    return RedirectResponse("/contacts", status_code=303)


@router.post("/contacts/shares/{share_id}/delete")
def unshare_address_book(page: UserPageDep, share_id: int) -> Response:
    """Stop sharing (someone else's share is not found)."""
    assert page.user is not None
    try:
        sharing.unshare_address_book(page.db, owner_email=page.user.email, share_id=share_id)
    except DomainError as exc:
        page.db.rollback()
        return _contacts_page(page, error=page._(exc.message, **exc.params), status_code=404)
    page.db.commit()
    return RedirectResponse("/contacts", status_code=303)
