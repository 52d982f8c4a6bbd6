"""The compose page: new mail, reply, reply-all, forward, drafts, attachments, send, undo."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import anyio.from_thread
from fastapi import APIRouter, File, Request, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, RedirectResponse, Response

from app.auth import service as auth
from app.auth.imap_login import ImapEndpoint
from app.db import utcnow
from app.directory.service import attachment_limit_bytes
from app.errors import DomainError, Invalid, TooLarge, Unauthorized, Unavailable
from app.mail import filing, inline_images, outbox, presence, submit
from app.mail.addresses import parse_address_list
from app.mail.compose import Attachment, Outgoing, clean_html
from app.mail.composer import ComposeForm, ReplyMode, draft_message, form_from_draft, reply_form
from app.mail.identities import Identity, choose_identity, default_for_folder, identities_for
from app.mail.recipients import record_recipients, suggest
from app.mail.signatures import signature_above_quote, signatures_for, with_signature
from app.mail.submit import human_size
from app.mail.uploads import UploadStore
from app.web.deps import Page, UserPageDep

router = APIRouter()
REPLY_MODES: tuple[ReplyMode, ...] = (
    "reply",
    "reply_all",
    "forward",
    "forward_attachment",
    "edit_as_new",
)


def upload_store(page: Page) -> UploadStore:
    """Where this installation keeps compose uploads."""
    return UploadStore(page.state.settings.data_dir / "uploads")


def _password(page: Page) -> str:
    password = auth.mail_password(page.signed_in) if page.signed_in else None
    if password is None:
        raise Unauthorized("Please sign in.")
    return password


def my_address(page: Page) -> str:
    """The signed-in account's address (owner of its uploads and drafts)."""
    assert page.user is not None
    return page.user.email


def _identities(page: Page) -> list[Identity]:
    assert page.user is not None
    return identities_for(page.db, account=page.user)


def _sender(page: Page, form: ComposeForm) -> str:
    """The From header for the identity the form asks for (refused if not allowed)."""
    return choose_identity(_identities(page), form.identity).header


def _signatures(page: Page) -> dict[str, str]:
    assert page.user is not None
    identities = [identity.address for identity in _identities(page)]
    return signatures_for(page.db, account=page.user, identities=identities)


def max_upload_bytes(page: Page) -> int:
    """The organization's attachment limit, capped by the server's."""
    assert page.user is not None
    server = page.state.settings.max_attachment_bytes
    limit = attachment_limit_bytes(page.db, organization_id=page.user.organization_id)
    return min(limit, server) if limit else server


def _timezone(page: Page) -> str:
    return page.preferences.timezone if page.preferences else "UTC"


def _attachments(page: Page, form: ComposeForm) -> list[Attachment]:
    """The files attached, then the images shown inline in the rich text."""
    store, found = upload_store(page), []
    for upload_id in form.attachment_ids:
        upload, data = store.get(my_address(page), upload_id)
        found.append(Attachment(upload.filename, upload.content_type, data))
    if form.rich:
        found += inline_images.inline_attachments(store, my_address(page), form.html)
    return found


def _render(
    page: Page,
    form: ComposeForm,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    store = upload_store(page)
    uploads = []
    for upload_id in form.attachment_ids:
        try:
            uploads.append(store.get(my_address(page), upload_id)[0])
        except DomainError:
            continue
    return page.render(
        "mail/compose.html",
        status_code=status_code,
        section="mail",
        form=form,
        uploads=uploads,
        error=error,
        notice=notice,
        identities=_identities(page),
        signatures_json=json.dumps(_signatures(page)),
        editor_html=clean_html(form.html),
        max_upload=max_upload_bytes(page),
    )


@router.get("/mail/compose")
def compose_page(
    page: UserPageDep,
    mode: str = "",
    folder: str = "",
    uid: int | None = None,
    draft: int | None = None,
    to: str = "",
) -> Response:
    """A blank message, a reply/forward of ``folder``/``uid``, or a reopened draft."""
    endpoint = ImapEndpoint.from_settings(page.state.settings)
    if draft is not None:
        raw = filing.fetch_raw(
            endpoint, email=my_address(page), password=_password(page), folder="Drafts", uid=draft
        )
        reopened = form_from_draft(raw, draft)
        reopened.html = _with_images(page, reopened.html, raw)
        return _render(page, reopened)
    if mode in REPLY_MODES and folder and uid is not None:
        raw = filing.fetch_raw(
            endpoint, email=my_address(page), password=_password(page), folder=folder, uid=uid
        )
        form, kept = reply_form(
            raw,
            mode=mode,
            me=my_address(page),
            folder=folder,
            uid=uid,  # type: ignore[arg-type]
            timezone=_timezone(page),
        )
        form.identity = default_for_folder(_identities(page), folder)
        form.html = _with_images(page, form.html, raw)  # the quoted message's inline images
        if mode != "edit_as_new":
            form.html = with_signature(
                form.html,
                _signatures(page)[form.identity],
                above_quote=signature_above_quote(page.db, email=my_address(page)),
            )
        store = upload_store(page)
        form.attachment_ids = [
            store.save(
                my_address(page),
                filename=a.filename,
                content_type=a.content_type,
                chunks=[a.data],
                max_bytes=max_upload_bytes(page),
            ).id
            for a in kept
        ]
        return _render(page, form)
    blank = ComposeForm(to=to[:2000], identity=_identities(page)[0].address)
    blank.html = with_signature("", _signatures(page)[blank.identity], above_quote=False)
    return _render(page, blank)


def _with_images(page: Page, markup: str, raw: bytes) -> str:
    """``markup`` with the inline images of ``raw`` shown from uploads of this account."""
    return inline_images.restore(
        markup,
        raw,
        store=upload_store(page),
        owner=my_address(page),
        max_bytes=max_upload_bytes(page),
    )


def _form(values: dict[str, Any]) -> ComposeForm:
    def integer(name: str) -> int | None:
        value = str(values.get(name) or "")
        return int(value) if value.isdigit() else None

    priority = values.get("priority")
    return ComposeForm(
        to=values.get("to", ""),
        cc=values.get("cc", ""),
        bcc=values.get("bcc", ""),
        subject=values.get("subject", ""),
        text=values.get("text", ""),
        html=values.get("html", ""),
        rich=values.get("rich", "1") == "1",
        priority=priority if priority in ("high", "normal", "low") else "normal",
        receipt=values.get("receipt") == "1",
        in_reply_to=values.get("in_reply_to", ""),
        references=values.get("references", ""),
        reply_folder=values.get("reply_folder", ""),
        reply_uid=integer("reply_uid"),
        forwarded=values.get("forwarded") == "1",
        draft_uid=integer("draft_uid"),
        attachment_ids=list(values.get("attachment_ids", [])),
        send_at=values.get("send_at", ""),
        identity=str(values.get("identity", ""))[:320],
    )


async def _read_form(request: Request) -> dict[str, Any]:
    data = await request.form(max_files=0, max_fields=200, max_part_size=5 * 1024 * 1024)
    values: dict[str, Any] = {k: str(v) for k, v in data.items()}
    values["attachment_ids"] = [str(v) for v in data.getlist("attachment_ids")]
    return values


@router.post("/mail/compose")
async def compose_submit(page: UserPageDep, request: Request) -> Response:
    """Save the draft (``action=save``, also the autosave) or send (``action=send``)."""
    values = await _read_form(request)
    wants_json = request.headers.get("accept", "").startswith("application/json")
    # IMAP and SMTP calls block: keep them off the event loop.
    return await run_in_threadpool(_submit, page, values, wants_json)


def _submit(page: Page, values: dict[str, Any], wants_json: bool) -> Response:
    form = _form(values)
    if values.get("action") == "send":
        return _send(page, form)
    try:
        _save_draft(page, form)
    except DomainError as exc:
        message = page._(exc.message, **exc.params)
        if wants_json:
            return JSONResponse({"error": message}, status_code=exc.status_code)
        return _render(page, form, error=message, status_code=exc.status_code)
    if wants_json:
        return JSONResponse({"draft_uid": form.draft_uid, "saved_at": utcnow().isoformat()})
    return _render(page, form, notice=page._("Draft saved."))


def _save_draft(page: Page, form: ComposeForm) -> None:
    outgoing = draft_message(
        form,
        sender=_sender(page, form),
        timezone=_timezone(page),
        attachments=_attachments(page, form),
    )
    endpoint = ImapEndpoint.from_settings(page.state.settings)
    form.draft_uid = filing.save_draft(
        endpoint,
        email=my_address(page),
        password=_password(page),
        raw=outgoing.as_bytes(),
        replaces_uid=form.draft_uid,
    )


def _send(page: Page, form: ComposeForm) -> Response:
    from app.mail.compose import build_message
    from app.mail.composer import to_draft

    try:
        send_at = _send_time(page, form)
        attachments = _attachments(page, form)
        _require_total_within_limit(page, attachments)
        outgoing = build_message(
            to_draft(form, sender=_sender(page, form), attachments=attachments),
            timezone=_timezone(page),
        )
        _require_smtputf8(page, outgoing)
        _save_draft(page, form)  # kept until the message is out: nothing is lost on failure
        reply = (
            outbox.ReplyTarget(form.reply_folder, form.reply_uid, form.forwarded)
            if form.reply_folder and form.reply_uid is not None
            else None
        )
        row = outbox.queue(
            page.db,
            secret=page.state.secret,
            email=my_address(page),
            password=_password(page),
            outgoing=outgoing,
            send_at=send_at,
            draft_uid=form.draft_uid,
            reply=reply,
        )
    except DomainError as exc:
        page.db.rollback()
        return _render(
            page, form, error=page._(exc.message, **exc.params), status_code=exc.status_code
        )
    record_recipients(
        page.db, email=my_address(page), addresses=parse_address_list([form.to, form.cc, form.bcc])
    )
    if reply is not None and page.user is not None:  # the others stop seeing "is replying"
        presence.stop_replying(page.db, account=page.user, folder=reply.folder, uid=reply.uid)
    page.db.commit()
    return RedirectResponse(f"/mail/outbox?queued={row.id}", status_code=303)


def _require_total_within_limit(page: Page, attachments: list[Attachment]) -> None:
    """Each upload is checked on arrival; together they may still exceed what the page promised."""
    limit = max_upload_bytes(page)
    if sum(len(attachment.data) for attachment in attachments) > limit:
        raise TooLarge("Attachments can be at most %(limit)s in all.", limit=human_size(limit))


def _require_smtputf8(page: Page, outgoing: Outgoing) -> None:
    """Refuse now, with the message still open, what the server could not carry (RFC 6531)."""
    if not outgoing.smtputf8:
        return
    endpoint = submit.SmtpEndpoint.from_settings(page.state.settings)
    try:
        offered = anyio.from_thread.run(submit.offers_smtputf8, endpoint)
    except Unavailable:
        return  # the outbox tries again and reports a failure there
    if not offered:
        raise submit.NoSmtpUtf8(outgoing)


def _send_time(page: Page, form: ComposeForm) -> datetime:
    now = utcnow()
    if not form.send_at:
        return now + timedelta(seconds=page.state.settings.undo_send_seconds)
    try:
        local = datetime.fromisoformat(form.send_at)
    except ValueError as exc:
        raise Invalid("Choose a valid date and time for sending.") from exc
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(_timezone(page)))
    if local <= now:
        raise Invalid("The scheduled time is in the past.")
    return local


@router.get("/mail/compose/recipients")
def recipient_suggestions(page: UserPageDep, q: str = "") -> JSONResponse:
    """Autocomplete for To/Cc/Bcc: recently used addresses and the address list."""
    assert page.user is not None
    found = suggest(
        page.db, email=my_address(page), organization_id=page.user.organization_id, query=q[:200]
    )
    return JSONResponse(
        [{"address": s.address, "name": s.name, "kind": s.kind, "label": s.label} for s in found]
    )


@router.post("/mail/compose/attachments")
async def upload_attachment(page: UserPageDep, file: Annotated[UploadFile, File()]) -> JSONResponse:
    """Store one attachment; the compose page keeps its id in the form."""
    limit = max_upload_bytes(page)

    def chunks() -> Any:
        while chunk := file.file.read(1024 * 1024):
            yield chunk

    try:
        upload = upload_store(page).save(
            my_address(page),
            filename=file.filename or "attachment",
            content_type=file.content_type or "",
            chunks=chunks(),
            max_bytes=limit,
        )
    except DomainError as exc:
        return JSONResponse(
            {"error": page._(exc.message, **exc.params)}, status_code=exc.status_code
        )
    return JSONResponse(
        {
            "id": upload.id,
            "filename": upload.filename,
            "size": upload.size,
            "content_type": upload.content_type,
        }
    )


@router.post("/mail/compose/attachments/{upload_id}/delete")
def delete_attachment(page: UserPageDep, upload_id: str) -> Response:
    """Take an attachment off the message."""
    upload_store(page).delete(my_address(page), upload_id)
    return Response(status_code=204)


@router.get("/mail/outbox")
def outbox_page(page: UserPageDep, queued: int | None = None) -> Response:
    """Messages waiting to leave (undo) or that failed (edit and resend)."""
    rows = outbox.pending_for(page.db, email=my_address(page))
    return page.render("mail/outbox.html", section="mail", rows=rows, queued=queued, now=utcnow())


@router.post("/mail/outbox/{outbox_id}/undo")
def undo_send(page: UserPageDep, outbox_id: int) -> Response:
    """Take the message back and reopen it in the editor."""
    row = outbox.cancel(page.db, email=my_address(page), outbox_id=outbox_id)
    page.db.commit()
    if row.draft_uid is not None:
        return RedirectResponse(f"/mail/compose?draft={row.draft_uid}", status_code=303)
    return RedirectResponse("/mail/outbox", status_code=303)
