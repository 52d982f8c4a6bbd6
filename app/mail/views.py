"""Mail pages: folder lists, the message view and its sandboxed body, search, bulk actions.

URLs a person can bookmark: ``/mail/<folder path>`` lists a folder, ``/mail/<folder>/<uid>``
opens a message, ``/mail/search?q=`` searches. Helper routes live under ``/mail/-/`` (a
folder path never starts with ``-/`` on our servers' namespaces).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable
from datetime import date
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import anyio
import anyio.to_thread
from fastapi import APIRouter, Form, Query, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from app.auth import service as auth
from app.directory import service as directory
from app.errors import DomainError, Invalid, NotFound
from app.mail import actions, finder, folders, live, live_leases, reader, service
from app.mail.imap import MailAccount
from app.mail.mime import PDF_TYPE, is_pdf, safe_filename
from app.mail.sanitize import body_csp, body_document, linkify_text
from app.web.deps import LoginRequired, Page, UserPageDep
from app.web.i18n import N_

logger = logging.getLogger(__name__)
router = APIRouter()
LIVE_WAIT_SECONDS = 10.0
LIVE_STREAMS = anyio.CapacityLimiter(200)
# A previewed PDF is its own sandboxed document (opaque origin: never same-origin script);
# Chromium's viewer works under the CSP ``sandbox`` directive (not in an iframe ``sandbox``).
PDF_PREVIEW_CSP = "default-src 'none'; frame-ancestors 'self'; base-uri 'none'; sandbox"

ROLE_LABELS = {
    "inbox": N_("Inbox"),
    "drafts": N_("Drafts"),
    "sent": N_("Sent"),
    "archive": N_("Archive"),
    "junk": N_("Junk"),
    "trash": N_("Trash"),
}
SORT_LABELS = {
    "date": N_("Date"),
    "sender": N_("Sender"),
    "subject": N_("Subject"),
    "size": N_("Size"),
}
FILTER_LABELS = {
    "unread": N_("Unread"),
    "flagged": N_("Flagged"),
    "attachments": N_("With attachments"),
}
DONE_MESSAGES = {
    "read": N_("Marked as read: %(count)s."),
    "unread": N_("Marked as unread: %(count)s."),
    "flag": N_("Flagged: %(count)s."),
    "unflag": N_("Flag removed: %(count)s."),
    "move": N_("Moved to %(folder)s: %(count)s."),
    "copy": N_("Copied to %(folder)s: %(count)s."),
    "delete": N_("Moved to %(folder)s: %(count)s."),
    "archive": N_("Archived: %(count)s."),
    "spam": N_("Reported as spam: %(count)s."),
    "destroy": N_("Deleted for good: %(count)s."),
}


def mail_url(folder: str, uid: int | None = None) -> str:
    """The bookmarkable address of a folder or a message."""
    path = "/mail/" + quote(folder, safe="/@")
    return f"{path}/{uid}" if uid is not None else path


def end_session(session_id: str, *, sessions: sessionmaker[Session]) -> None:
    """Sign-out: log out the session's pooled IMAP connections and end its live streams
    (here at once; in other app processes when they next renew their leases)."""
    service.sign_out(key=session_id)
    live.STREAMS.end_session(session_id)
    with sessions() as db:
        live_leases.end_session(db, session_id)


def account_of(page: Page) -> MailAccount:
    """The IMAP identity of the signed-in session."""
    signed_in = page.signed_in
    password = auth.mail_password(signed_in) if signed_in else None
    if signed_in is None or password is None:
        raise LoginRequired()
    return service.mail_account(
        settings=page.state.settings,
        key=signed_in.session.id,
        email=signed_in.email,
        password=password,
    )


@router.get("/mail")
def mail_home(page: UserPageDep) -> Response:
    """The inbox is the start page of mail."""
    return RedirectResponse("/mail/INBOX", status_code=303)


@router.get("/mail/search")
def search(
    page: UserPageDep,
    q: Annotated[str, Query(max_length=500)] = "",
    text: Annotated[str, Query(max_length=500)] = "",
    body: Annotated[str, Query(max_length=10)] = "",
    folder: Annotated[str, Query(max_length=1000)] = "",
    since: Annotated[str, Query(max_length=20)] = "",
    until: Annotated[str, Query(max_length=20)] = "",
    attachments: Annotated[str, Query(max_length=5)] = "",
    unread: Annotated[str, Query(max_length=5)] = "",
    flagged: Annotated[str, Query(max_length=5)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> Response:
    """Search: words in sender, recipients and subject from the cache; text in the body via
    the server's full-text index (``text``, or ``q`` with ``body=1``); dates, flags,
    attachments; one folder or all."""
    account = account_of(page)
    tree = service.folder_tree(account=account)
    criteria = finder.SearchCriteria(
        words="" if body else q,
        body=text or (q if body else ""),
        folder=folder if tree.find(folder) else "",
        since=_day(since),
        until=_day(until),
        attachments=bool(attachments),
        unread=bool(unread),
        flagged=bool(flagged),
        page=page_number,
    )
    notice, status = "", 200
    try:
        found = finder.search(page.db, account=account, criteria=criteria)
    except DomainError as exc:  # e.g. the server still indexing a folder for text search
        page.db.rollback()
        found = finder.SearchPage(hits=[], page=criteria.page, more=False)
        notice, status = page._(exc.message, **exc.params), exc.status_code
    query = page.request.url.query
    return _render(
        page,
        "mail/page.html",
        status_code=status,
        tree=tree,
        hits=found.hits,
        found=found,
        criteria=criteria,
        query=q,
        body_search=bool(body),
        current=criteria.folder or "INBOX",
        page_query=re.sub(r"(^|&)page=\d+", "", query).lstrip("&"),
        notice=notice,
        notice_kind="error",
    )


def _day(value: str) -> date | None:
    """A date field of the search form: left empty (the form always sends it) means none."""
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise Invalid("Enter dates as year-month-day, like 2026-03-21.") from exc


@router.post("/mail/-/actions")
def bulk_action(
    page: UserPageDep,
    folder: Annotated[str, Form(max_length=1000)],
    action: Annotated[str, Form(max_length=20)],
    uid: Annotated[list[int] | None, Form()] = None,
    target: Annotated[str, Form(max_length=1000)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
    everything: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Apply a bulk action, then go back to the list with a message saying what happened.

    A refused action answers with the folder and the reason (status 409); nothing moved.
    """
    account = account_of(page)
    try:
        done = actions.apply_action(
            page.db,
            account=account,
            folder=folder,
            uids=uid or [],
            action=action,
            target=target,
            whole_folder=everything == "1",
        )
    except DomainError as exc:
        page.db.rollback()
        tree = service.folder_tree(account=account)
        listing = service.open_folder(page.db, account=account, folder=folder)
        page.db.commit()
        return _render(
            page,
            "mail/page.html",
            tree=tree,
            listing=listing,
            current=folder,
            notice=page._(exc.message, **exc.params),
            notice_kind="error",
            status_code=exc.status_code,
        )
    page.db.commit()
    destination = (
        back if back.startswith("/mail/") and not back.startswith("//") else mail_url(folder)
    )
    separator = "&" if "?" in destination else "?"
    query = urlencode({"done": done.action, "n": done.count, "to": done.target})
    return RedirectResponse(destination + separator + query, status_code=303)


@router.post("/mail/-/folders")
def manage_folder(
    page: UserPageDep,
    op: Annotated[str, Form(max_length=20)],
    folder: Annotated[str, Form(max_length=1000)] = "",
    name: Annotated[str, Form(max_length=1000)] = "",
    confirm: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Create, rename, delete or (un)subscribe a folder; refusals come back as a page message."""
    account = account_of(page)
    try:
        if op == "create":
            destination = folders.create_folder(account=account, name=name, parent=folder)
        elif op == "rename":
            destination = folders.rename_folder(
                page.db, account=account, folder=folder, new_name=name
            )
        elif op == "delete":
            folders.delete_folder(page.db, account=account, folder=folder, confirmed=confirm == "1")
            destination = "INBOX"
        elif op in {"subscribe", "unsubscribe"}:
            folders.set_subscribed(account=account, folder=folder, subscribed=op == "subscribe")
            destination = folder
        else:
            raise Invalid("Unknown action.")
    except DomainError as exc:
        page.db.rollback()
        tree = service.folder_tree(account=account)
        return _render(
            page,
            "mail/page.html",
            tree=tree,
            current=folder,
            notice=page._(exc.message, **exc.params),
            notice_kind="error",
            status_code=exc.status_code,
        )
    page.db.commit()
    return RedirectResponse(mail_url(destination), status_code=303)


@router.post("/mail/-/folder-list")
def folder_list_mode(
    page: UserPageDep,
    subscribed_only: Annotated[str, Form(max_length=1)],
    folder: Annotated[str, Form(max_length=1000)] = "INBOX",
) -> Response:
    """Show only subscribed folders in the tree, or all of them (a saved preference)."""
    assert page.user is not None
    directory.update_mail_reading(
        page.db, account_id=page.user.id, subscribed_folders_only=subscribed_only == "1"
    )
    page.db.commit()
    return RedirectResponse(mail_url(folder or "INBOX"), status_code=303)


@router.post("/mail/-/trust-sender")
def trust_sender(
    page: UserPageDep,
    folder: Annotated[str, Form(max_length=1000)],
    uid: Annotated[int, Form(gt=0)],
) -> Response:
    """Always show remote images from this message's sender, then show the message again."""
    account = account_of(page)
    envelope = service.cached_envelope(page.db, account=account, folder=folder, uid=uid)
    if envelope is None:
        raise NotFound("This message does not exist any more.")
    service.trust_sender(page.db, account=account, sender=envelope.sender_address)
    page.db.commit()
    return RedirectResponse(mail_url(folder, uid), status_code=303)


@router.post("/mail/-/seen")
def mark_seen(
    page: UserPageDep,
    folder: Annotated[str, Form(max_length=1000)],
    uid: Annotated[int, Form(gt=0)],
) -> Response:
    """Mark one message read (the "after N seconds of viewing" setting); answers with the
    folder tree and the title, whose unread counts changed."""
    account = account_of(page)
    envelope = service.cached_envelope(page.db, account=account, folder=folder, uid=uid)
    if envelope is None:
        raise NotFound("This message does not exist any more.")
    if not envelope.seen:
        reader.mark_as_read(page.db, account=account, envelope=envelope)
    page.db.commit()
    tree = service.folder_tree(account=account)
    return _render(
        page, "mail/_seen.html", tree=tree, current=folder, seen_subject=envelope.subject
    )


@router.get("/mail/-/events")
async def live_events(
    request: Request, page: UserPageDep, folder: Annotated[str, Query(max_length=1000)] = "INBOX"
) -> Response:
    """Server-Sent Events for one folder: ``changed`` when mail arrives, flags change or
    messages go away, ``unread`` with the inbox's unread count (fed by IMAP IDLE)."""
    account = account_of(page)
    per_user = page.state.settings.mail_live_streams_per_user
    sessions = page.state.sessions

    def leased(fn: Callable[..., Any], *args: Any) -> Any:
        with sessions() as db:
            return fn(db, *args)

    admit = partial(live_leases.admit, email=account.email, session=account.key, per_user=per_user)
    lease = await anyio.to_thread.run_sync(leased, admit)
    ticket = live.STREAMS.admit(email=account.email, session=account.key, per_user=per_user)
    if lease is None or ticket is None:
        if lease is not None:
            await anyio.to_thread.run_sync(leased, live_leases.release, lease)
        # EventSource does not retry after an error status: the extra tab just stays static.
        message = page._("Too many live mail views are open; close another tab and reload.")
        return Response(message, status_code=429, headers={"Retry-After": "60"})

    async def run(fn: Callable[..., Any], *args: Any) -> Any:
        # Each stream parks a thread in IDLE: a limiter of its own keeps them from starving
        # the worker threads every other request needs.
        return await anyio.to_thread.run_sync(fn, *args, limiter=LIVE_STREAMS)

    async def end() -> None:
        live.STREAMS.leave(ticket)
        await anyio.to_thread.run_sync(leased, live_leases.release, lease)

    try:
        watcher = await run(live.FolderWatcher, account, folder)
    except BaseException:
        with anyio.CancelScope(shield=True):
            await end()
        raise

    ticket.on_end(watcher.interrupt)  # sign-out or server shutdown: stop waiting at once

    async def stream() -> AsyncIterator[str]:
        try:
            yield f"retry: 5000\nevent: unread\ndata: {await run(watcher.unread)}\n\n"
            while not ticket.ended.is_set() and not await request.is_disconnected():
                if await run(watcher.wait, LIVE_WAIT_SECONDS):
                    unread = await run(watcher.unread)
                    yield f"event: changed\ndata: {unread}\n\nevent: unread\ndata: {unread}\n\n"
                else:
                    yield ": still here\n\n"
                if not await anyio.to_thread.run_sync(leased, live_leases.renew, lease):
                    break  # signed out through another app process
        except live.CONNECTION_LOST:
            # The mail server went away, or the stream was cut to end it: the browser's
            # EventSource comes back after the retry delay and finds out which.
            logger.info("live mail stream of %s ended: IMAP connection lost", account.email)
        finally:
            # A closed tab cancels this task: the clean-up must still run to the end, or the
            # lease and the IMAP connection would stay held.
            with anyio.CancelScope(shield=True):
                await end()
                await run(watcher.close)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


@router.get("/mail/-/sync-progress")
def sync_progress(page: UserPageDep, folder: Annotated[str, Query(max_length=1000)]) -> Response:
    """How far the first sync of ``folder`` got (polled by htmx); once it is done, htmx is
    told to reload the page, which then lists the whole folder."""
    progress = service.sync_progress(page.db, account=account_of(page), folder=folder)
    headers = {"Cache-Control": "no-store"}
    if progress is None:
        headers["HX-Refresh"] = "true"
    return page.render(
        "mail/_sync_progress.html",
        headers=headers,
        progress=progress,
        progress_folder=folder,
        mail_url=mail_url,
    )


@router.get("/mail/-/body")
def message_body(
    page: UserPageDep,
    folder: Annotated[str, Query(max_length=1000)],
    uid: Annotated[int, Query(gt=0)],
    remote: int = 0,
) -> Response:
    """The sanitized HTML body, for the sandboxed iframe, with its own strict CSP."""
    clean = reader.message_body(
        page.db, account=account_of(page), folder=folder, uid=uid, allow_remote=bool(remote)
    )
    headers = {
        "Content-Security-Policy": body_csp(allow_remote=bool(remote)),
        "X-Frame-Options": "SAMEORIGIN",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "private, no-store",
    }
    return HTMLResponse(body_document(clean.html), headers=headers)


@router.get("/mail/-/print")
def print_view(
    page: UserPageDep,
    folder: Annotated[str, Query(max_length=1000)],
    uid: Annotated[int, Query(gt=0)],
) -> Response:
    """A clean page to print: the headers and the sanitized body, no app shell; a static
    script opens the print dialog. Opening it does not mark the message read."""
    account = account_of(page)
    opened = reader.open_message(page.db, account=account, folder=folder, uid=uid, mark_read=False)
    body_html = ""
    if opened.parsed.html is not None and not opened.too_large:
        body_html = reader.message_body(
            page.db, account=account, folder=folder, uid=uid, allow_remote=False, for_page=True
        ).html
    text_html = linkify_text(opened.parsed.text) if opened.parsed.text else ""
    return _render(page, "mail/print.html", opened=opened, body_html=body_html, text_html=text_html)


@router.get("/mail/-/part")
def download_part(
    page: UserPageDep,
    folder: Annotated[str, Query(max_length=1000)],
    uid: Annotated[int, Query(gt=0)],
    part: Annotated[int, Query(ge=0, lt=1000)],
    preview: int = 0,
) -> Response:
    """An attachment as a download; raster images and PDFs may be shown inline as a preview."""
    item, data = reader.attachment(
        page.db, account=account_of(page), folder=folder, uid=uid, index=part
    )
    if preview and item.preview == "pdf" and is_pdf(data):
        return _pdf_preview(data, item.filename)
    inline = bool(preview) and item.preview == "image"
    return _download(data, item.filename, item.content_type, inline=inline)


def _pdf_preview(data: bytes, filename: str) -> Response:
    response = _download(data, filename, PDF_TYPE, inline=True)
    response.headers["Content-Security-Policy"] = PDF_PREVIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@router.get("/mail/-/source")
def download_source(
    page: UserPageDep,
    folder: Annotated[str, Query(max_length=1000)],
    uid: Annotated[int, Query(gt=0)],
) -> Response:
    """The message as stored on the server (an .eml download)."""
    raw = reader.message_source(page.db, account=account_of(page), folder=folder, uid=uid)
    return _download(raw, f"message-{uid}.eml", "message/rfc822")


def _download(data: bytes, filename: str, content_type: str, *, inline: bool = False) -> Response:
    name = safe_filename(filename)
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    kind = "inline" if inline else "attachment"
    disposition = f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
    return Response(
        data,
        media_type=content_type,
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/mail/{path:path}")
def folder_or_message(
    page: UserPageDep,
    path: str,
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    sort: str = "date",
    order: str = "desc",
    show: Annotated[list[str] | None, Query()] = None,
    done: Annotated[str, Query(max_length=20)] = "",
    n: Annotated[int, Query(ge=0)] = 0,
    to: Annotated[str, Query(max_length=1000)] = "",
    remote: int = 0,
    threads: int = 0,
) -> Response:
    """``/mail/<folder>`` lists a folder; ``/mail/<folder>/<uid>`` opens a message."""
    account = account_of(page)
    tree = service.folder_tree(account=account)
    folder, _, last = path.rstrip("/").rpartition("/")
    notice = page._(DONE_MESSAGES[done], count=n, folder=to) if done in DONE_MESSAGES else ""
    context: dict[str, Any] = {"tree": tree, "notice": notice, "notice_kind": "ok"}
    if tree.find(path.rstrip("/")) is None and last.isdigit() and tree.find(folder):
        mode = page.preferences.mark_read if page.preferences else "now"
        opened = reader.open_message(
            page.db, account=account, folder=folder, uid=int(last), mark_read=mode == "now"
        )
        page.db.commit()
        if opened.marked_read:
            tree.count_read(folder)
        if mode == "delay" and not opened.envelope.seen and page.preferences:
            context["mark_read_after"] = page.preferences.mark_read_delay
        text_html = linkify_text(opened.parsed.text) if opened.parsed.text else ""
        context["neighbours"] = service.neighbours(
            page.db, account=account, folder=folder, envelope=opened.envelope
        )
        trusted = service.sender_trusted(
            page.db, account=account, sender=opened.envelope.sender_address
        )
        context["trusted_sender"] = trusted
        remote = remote or int(trusted)
        context["thread"] = service.conversation(page.db, account=account, envelope=opened.envelope)
        return _render(
            page,
            "mail/page.html",
            opened=opened,
            current=folder,
            text_html=text_html,
            remote=bool(remote),
            **context,
        )
    folder = path.rstrip("/")
    if tree.find(folder) is None:
        raise NotFound("There is no folder called %(folder)s.", folder=folder)
    listing = service.open_folder(
        page.db,
        account=account,
        folder=folder,
        page=page_number,
        sort=sort if sort in service.SORT_COLUMNS else "date",  # type: ignore[arg-type]
        descending=order != "asc",
        filters=tuple(f for f in show or [] if f in service.FILTERS),
        conversations=bool(threads),
    )
    page.db.commit()
    return _render(page, "mail/page.html", listing=listing, current=folder, **context)


def _htmx_navigation(request: Request) -> bool:
    """An htmx swap of the main area; a history restore (back/forward past the cache) and
    every other request get the full page."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true" and headers.get("HX-History-Restore-Request") != "true"
    )


def _render(page: Page, template: str, status_code: int = 200, **context: Any) -> Response:
    defaults: dict[str, Any] = {"opened": None, "listing": None, "query": "", "notice": ""}
    defaults.update(body_search=False, notice_kind="ok", remote=False, text_html="")
    defaults["neighbours"] = (None, None)
    defaults["thread"] = []
    defaults["trusted_sender"] = False
    defaults["criteria"] = None
    defaults["mark_read_after"] = 0
    defaults["current"] = ""
    prefs = page.preferences
    defaults["subscribed_only"] = bool(prefs and prefs.subscribed_folders_only)
    context = {**defaults, **context}
    headers = None
    if template == "mail/page.html":
        headers = {"Vary": "HX-Request"}
        if _htmx_navigation(page.request):
            template = "mail/_partial.html"
            # The address of what is shown: a boosted GET form would push its bare action.
            url = page.request.url
            headers["HX-Push-Url"] = url.path + (f"?{url.query}" if url.query else "")
    return page.render(
        template,
        status_code=status_code,
        headers=headers,
        section="mail",
        role_labels=ROLE_LABELS,
        sort_labels=SORT_LABELS,
        filter_labels=FILTER_LABELS,
        mail_url=mail_url,
        **context,
    )
