"""The read-receipt question of the message view: asked, then answered by the reader only.

The message view includes ``mail/_receipt_request.html``, which loads the question from here
(so the message view itself does not fetch anything for it); the reader's answer posts back.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from app.errors import DomainError, NotFound
from app.mail import receipts, submit
from app.mail.identities import identities_for
from app.mail.views import account_of, mail_url
from app.web.deps import Page, UserPageDep

router = APIRouter()
TEMPLATE = "mail/_receipt_request.html"


@router.get("/mail/-/receipt")
def receipt_question(
    page: UserPageDep,
    folder: Annotated[str, Query(max_length=1000)],
    uid: Annotated[int, Query(gt=0)],
) -> Response:
    """The banner asking whether to send the receipt; empty when there is nothing to ask."""
    found = receipts.receipt_request(
        account_of(page), folder=folder, uid=uid, own_addresses=_own_addresses(page)
    )
    return _banner(page, folder, uid, found)


@router.post("/mail/-/receipt")
async def answer_receipt(
    page: UserPageDep,
    request: Request,
    folder: Annotated[str, Form(max_length=1000)],
    uid: Annotated[int, Form(gt=0)],
    answer: Annotated[Literal["send", "ignore"], Form()],
) -> Response:
    """Send the receipt or ignore the request; either way it is not asked again."""
    account = account_of(page)
    found: receipts.ReceiptRequest | None = None
    try:
        found = await run_in_threadpool(receipts.receipt_request, account, folder=folder, uid=uid)
        if found is None:
            raise NotFound("This message has no read receipt request to answer.")
        if answer == "send":
            outgoing = receipts.build_receipt(found, reader=account.email, translate=page._)
            await submit.send(
                submit.SmtpEndpoint.from_settings(page.state.settings),
                username=account.email,
                password=account.password,
                outgoing=outgoing,
            )
        await run_in_threadpool(receipts.mark_answered, account, folder=folder, uid=uid)
    except DomainError as exc:
        if not request.headers.get("hx-request"):
            raise
        message = page._(exc.message, **exc.params)
        return _banner(page, folder, uid, found, error=message)
    if not request.headers.get("hx-request"):
        return RedirectResponse(mail_url(folder, uid), status_code=303)
    done = page._("The read receipt was sent.") if answer == "send" else ""
    return _banner(page, folder, uid, None, notice=done)


def _own_addresses(page: Page) -> frozenset[str]:
    """The reader's identities (aliases, role mailboxes): never asked to notify themselves."""
    assert page.user is not None
    return frozenset(i.address.lower() for i in identities_for(page.db, account=page.user))


def _banner(
    page: Page,
    folder: str,
    uid: int,
    found: receipts.ReceiptRequest | None,
    *,
    error: str = "",
    notice: str = "",
) -> Response:
    return page.render(
        TEMPLATE,
        receipt_request=found,
        receipt_folder=folder,
        receipt_uid=uid,
        receipt_error=error,
        receipt_notice=notice,
    )
