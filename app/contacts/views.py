"""Contacts pages: the contacts section with address book sharing (like the calendar's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from starlette.responses import Response

from app.contacts import service as contacts
from app.contacts import sharing
from app.web.deps import Page, UserPageDep
from app.web.forms import save_or_redraw

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
    owner = page.user.email
    return save_or_redraw(
        page,
        lambda: sharing.share_address_book(
            page.db, owner_email=owner, slug=book, grantee=email, access=access
        ),
        redirect_to="/contacts",
        redraw=_contacts_page,
        refused_status=400,
    )


@router.post("/contacts/shares/{share_id}/delete")
def unshare_address_book(page: UserPageDep, share_id: int) -> Response:
    """Stop sharing (someone else's share is not found)."""
    assert page.user is not None
    owner = page.user.email
    return save_or_redraw(
        page,
        lambda: sharing.unshare_address_book(page.db, owner_email=owner, share_id=share_id),
        redirect_to="/contacts",
        redraw=_contacts_page,
    )
