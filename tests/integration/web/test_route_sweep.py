"""A hostile sweep over every route of the web app (not /dav, /webdav: they have their own suites).

The routes come from the FastAPI app itself, so a new route is swept automatically; a route the
table below does not know fails the sweep, to make its author say who may call it. For each route
and method the sweep sends missing, empty, mistyped, huge (100 kB), control-character, CR/LF, NUL
and invalid UTF-8 values in the query and the form, path tricks and another organization's ids in
path parameters, no or a wrong CSRF token, a wrong Content-Type and a JSON body. It asserts:
never a 5xx, state changes without the token are refused with 403, every 4xx page says something,
another organization's objects are refused, and the victim's data is untouched afterwards.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.auth import app_passwords
from app.calendar import service as calendar_service
from app.calendar import sharing
from app.calendar.models import CalendarShare
from app.db import make_engine, make_session_factory
from app.directory import service as directory
from app.directory.models import Account, Domain, MailGroup, Organization
from app.files.models import FileNode
from tests.conftest import MailStackInfo
from tests.helpers import login
from tests.integration.admin.conftest import PASSWORD, Tenant, make_tenant
from tests.integration.mail.conftest import deliver, make_message

LONG = "a" * 100_000
# name -> value sent in every query/form field at once
VALUES: dict[str, str] = {
    "empty": "",
    "long": LONG,
    "crlf": "x\r\nX-Injected: 1\r\n\r\n<b>",
    "control": "x\x01\x07\x1b[31m\x7f",
    "nul": "a\x00b",
    "negative": "-1",
    "huge": "9" * 40,
    "text": "not-a-number",
    "path": "../../../etc/passwd",
    "unicode": "\u202e\ufeff\U0001f600",
}
PER_FIELD = ("empty", "long")  # one field at a time (the full set goes to all at once)
# path parameter values, already URL-encoded as they go on the wire
PATH_VALUES = ["..", "%2e%2e", "%2e%2e%2f%2e%2e", "a%2fb", "a%00b", "9" * 40, "-1", "0", "abc"]
UPLOAD_LIMIT = 3 * 1024 * 1024
BAD_UTF8_QUERY = "%ff%fe%c0%af"
BAD_UTF8_FORM = b"\xff\xfe\xc0\xaf"

# Who may call each route: "anon" pages work signed out, "user" pages need a signed-in user,
# "admin" pages an organization admin. `fields` are form fields a view reads by hand.
USER, ADMIN, ANON = "user", "admin", "anon"


@dataclass(frozen=True)
class Spec:
    """What the sweep knows about one route."""

    who: str
    fields: tuple[str, ...] = ()
    stream: bool = False  # an endless response (SSE): called raw, disconnected after the head


COMPOSE_FIELDS = (
    "action",
    "to",
    "cc",
    "bcc",
    "subject",
    "text",
    "html",
    "rich",
    "priority",
    "identity",
    "draft_uid",
    "reply_uid",
    "reply_folder",
    "send_at",
    "attachment_ids",
    "in_reply_to",
    "references",
)
ROUTES: dict[tuple[str, str], Spec] = {
    ("GET", "/"): Spec(USER),
    ("GET", "/healthz"): Spec(ANON),
    ("GET", "/readyz"): Spec(ANON),
    ("GET", "/login"): Spec(ANON),
    ("POST", "/login"): Spec(ANON),
    ("POST", "/logout"): Spec(USER),
    ("GET", "/settings"): Spec(USER),
    ("POST", "/settings"): Spec(USER),
    ("GET", "/directory/photos/{account_id}"): Spec(USER),
    ("GET", "/directory"): Spec(USER),
    ("GET", "/mail/compose"): Spec(USER),
    ("POST", "/mail/compose"): Spec(USER, COMPOSE_FIELDS),
    ("GET", "/mail/compose/recipients"): Spec(USER),
    ("POST", "/mail/compose/attachments"): Spec(USER),
    ("POST", "/mail/compose/attachments/{upload_id}/delete"): Spec(USER),
    ("GET", "/mail/outbox"): Spec(USER),
    ("POST", "/mail/outbox/{outbox_id}/undo"): Spec(USER),
    ("GET", "/mail/signatures"): Spec(USER),
    ("POST", "/mail/signatures"): Spec(USER, ("position", "signature:x@example.com")),
    ("GET", "/mail"): Spec(USER),
    ("GET", "/mail/search"): Spec(USER),
    ("POST", "/mail/-/actions"): Spec(USER),
    ("POST", "/mail/-/folders"): Spec(USER),
    ("POST", "/mail/-/trust-sender"): Spec(USER),
    ("GET", "/mail/-/events"): Spec(USER, stream=True),
    ("GET", "/mail/-/body"): Spec(USER),
    ("GET", "/mail/-/part"): Spec(USER),
    ("GET", "/mail/-/source"): Spec(USER),
    ("GET", "/mail/{path:path}"): Spec(USER),
    ("GET", "/calendar"): Spec(USER),
    ("POST", "/calendar/shares"): Spec(USER),
    ("POST", "/calendar/shares/{share_id}/delete"): Spec(USER),
    ("GET", "/settings/devices"): Spec(USER),
    ("POST", "/settings/devices"): Spec(USER),
    ("POST", "/settings/devices/{app_password_id}/revoke"): Spec(USER),
    ("GET", "/contacts"): Spec(USER),
    ("GET", "/tasks"): Spec(USER),
    ("GET", "/files"): Spec(USER),
    ("POST", "/files/upload"): Spec(USER, ("files",)),
    ("POST", "/files/folder"): Spec(USER),
    ("POST", "/files/rename"): Spec(USER),
    ("POST", "/files/transfer"): Spec(USER),
    ("POST", "/files/delete"): Spec(USER),
    ("GET", "/files/download"): Spec(USER),
    ("GET", "/files/raw"): Spec(USER),
    ("GET", "/files/preview"): Spec(USER),
    ("GET", "/files/version"): Spec(USER),
    ("POST", "/files/version/restore"): Spec(USER),
    ("GET", "/files/trash"): Spec(USER),
    ("POST", "/files/trash/restore"): Spec(USER),
    ("POST", "/files/trash/purge"): Spec(USER),
    ("GET", "/files/share"): Spec(USER),
    ("POST", "/files/share"): Spec(USER),
    ("POST", "/files/share/revoke"): Spec(USER),
    ("GET", "/s/{token}"): Spec(ANON),
    ("POST", "/s/{token}/unlock"): Spec(ANON),
    ("GET", "/s/{token}/download"): Spec(ANON),
    ("POST", "/s/{token}/upload"): Spec(ANON, ("files",)),
    ("POST", "/files/spaces"): Spec(USER),
    ("GET", "/files/members"): Spec(USER),
    ("POST", "/files/members"): Spec(USER),
    ("GET", "/mail/-/print"): Spec(USER),
    ("GET", "/mail/-/sync-progress"): Spec(USER),
    ("GET", "/mail/-/receipt"): Spec(USER),
    ("POST", "/mail/-/receipt"): Spec(USER),
    ("GET", "/mail/-/replying"): Spec(USER),
    ("POST", "/mail/-/replying"): Spec(USER),
    ("POST", "/mail/-/seen"): Spec(USER),
    ("POST", "/mail/-/folder-list"): Spec(USER),
    ("GET", "/mail/compose/attachments/{upload_id}/view"): Spec(USER),
    ("GET", "/mail/compose/files"): Spec(USER),
    ("POST", "/mail/compose/files"): Spec(USER),
    ("GET", "/mail/compose/groups"): Spec(USER),
    ("POST", "/contacts/shares"): Spec(USER),
    ("POST", "/contacts/shares/{share_id}/delete"): Spec(USER),
    ("GET", "/files/thumb"): Spec(USER),
    ("POST", "/files/uploads"): Spec(USER),
    ("GET", "/files/uploads/{upload_id}"): Spec(USER),
    ("POST", "/files/uploads/{upload_id}"): Spec(USER),
    ("POST", "/files/uploads/{upload_id}/cancel"): Spec(USER),
    ("POST", "/files/uploads/{upload_id}/complete"): Spec(USER),
    ("POST", "/admin/accounts/{account_id}/admin-domains"): Spec(ADMIN),
    ("GET", "/admin"): Spec(ADMIN),
    ("GET", "/admin/accounts"): Spec(ADMIN),
    ("POST", "/admin/accounts"): Spec(ADMIN),
    ("GET", "/admin/accounts.csv"): Spec(ADMIN),
    ("POST", "/admin/accounts/import"): Spec(ADMIN),
    ("GET", "/admin/accounts/{account_id}"): Spec(ADMIN),
    ("POST", "/admin/accounts/{account_id}"): Spec(ADMIN),
    ("POST", "/admin/accounts/{account_id}/password"): Spec(ADMIN),
    ("POST", "/admin/accounts/{account_id}/enabled"): Spec(ADMIN),
    ("POST", "/admin/accounts/{account_id}/role"): Spec(ADMIN),
    ("POST", "/admin/accounts/{account_id}/delete"): Spec(ADMIN),
    ("POST", "/admin/accounts/{account_id}/photo"): Spec(ADMIN),
    ("POST", "/admin/accounts/{account_id}/restore"): Spec(ADMIN),
    ("POST", "/admin/accounts/{account_id}/forwards"): Spec(ADMIN),
    ("POST", "/admin/accounts/{account_id}/aliases"): Spec(ADMIN),
    ("POST", "/admin/accounts/{account_id}/members"): Spec(ADMIN),
    ("GET", "/admin/groups"): Spec(ADMIN),
    ("POST", "/admin/groups"): Spec(ADMIN),
    ("GET", "/admin/groups/{group_id}"): Spec(ADMIN),
    ("POST", "/admin/groups/{group_id}"): Spec(ADMIN),
    ("POST", "/admin/groups/{group_id}/members"): Spec(ADMIN),
    ("POST", "/admin/groups/{group_id}/delete"): Spec(ADMIN),
    ("GET", "/admin/domains"): Spec(ADMIN),
    ("POST", "/admin/domains"): Spec(ADMIN),
    ("POST", "/admin/domains/{domain_id}/delete"): Spec(ADMIN),
    ("GET", "/admin/policies"): Spec(ADMIN),
    ("POST", "/admin/policies"): Spec(ADMIN),
    ("GET", "/admin/audit"): Spec(ADMIN),
    ("GET", "/admin/audit.csv"): Spec(ADMIN),
    ("GET", "/admin/organizations"): Spec(ADMIN),
    ("POST", "/admin/organizations"): Spec(ADMIN),
    ("POST", "/admin/organizations/{organization_id}/manage"): Spec(ADMIN),
}
# Sent last: logging out ends the sweep's session, failed logins count against its address.
LAST = (("POST", "/login"), ("POST", "/logout"))


@dataclass(frozen=True)
class Route:
    """One method of one route, with the parameters FastAPI parses for it."""

    method: str
    path: str
    path_params: tuple[str, ...]
    query: tuple[str, ...]
    form: tuple[str, ...]


def app_routes(app: FastAPI) -> list[Route]:
    """Every method of every FastAPI route of the app (mounts such as /dav are not routes)."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        dependant = route.dependant
        for method in sorted(route.methods or ()):
            found.append(
                Route(
                    method=method,
                    path=str(context.path),
                    path_params=tuple(p.name for p in _flat(dependant, "path_params")),
                    query=tuple(p.alias for p in _flat(dependant, "query_params")),
                    form=tuple(p.alias for p in _flat(dependant, "body_params")),
                )
            )
    return found


def _flat(dependant: Any, kind: str) -> list[Any]:
    items = list(getattr(dependant, kind))
    for sub in dependant.dependencies:
        items.extend(_flat(sub, kind))
    return items


@dataclass
class Victim:
    """The other organization and the objects the sweep must not reach."""

    tenant: Tenant
    app_password_id: int
    share_id: int
    display_name: str
    file_id: int = 0
    ids: dict[str, str] = field(default_factory=dict)


@dataclass
class Sweep:
    """The clients, the attacker's organization and the victim."""

    app: FastAPI
    user: TestClient
    admin: TestClient
    anon: TestClient
    tokens: dict[str, str]
    attacker: Tenant
    victim: Victim
    own: dict[str, str]  # path ids of the attacker's own objects: hostile bodies reach the views
    plausible: dict[str, str] = field(default_factory=dict)  # field -> a value that works
    failures: list[str] = field(default_factory=list)
    sent: int = 0  # requests checked, so that a sweep that silently shrank is noticed


@pytest.fixture(scope="module")
def sweep_db(mailstack: MailStackInfo) -> Iterator[Session]:
    """A session on the database the mail stack reads."""
    engine = make_engine(mailstack.settings)
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()


def _make_victim(db: Session) -> Victim:
    tenant = make_tenant(db)
    device = app_passwords.create(db, email=tenant.user, name="Victim phone")
    calendar_service.ensure_defaults(db, email=tenant.user)
    slug = calendar_service.list_calendars(db, email=tenant.user)[0].slug
    share = sharing.share_calendar(
        db, owner_email=tenant.user, slug=slug, grantee_email=tenant.admin, access="read"
    )
    db.commit()
    account = db.get(Account, tenant.user_id)
    assert account is not None
    victim = Victim(tenant, device.app_password.id, share.id, account.display_name)
    victim.ids = {
        "account_id": str(tenant.user_id),
        "group_id": str(tenant.group_id),
        "domain_id": str(tenant.domain_id),
        "organization_id": str(tenant.organization_id),
        "app_password_id": str(device.app_password.id),
        "share_id": str(share.id),
    }
    return victim


def _own_objects(db: Session, tenant: Tenant) -> dict[str, str]:
    """Objects of the attacker's organization that the sweep may damage: not the signed-in
    user nor admin, nor the domain they sign in with."""
    org = db.get(Organization, tenant.organization_id)
    assert org is not None
    spare = directory.add_domain(db, organization=org, name="spare-" + tenant.domain)
    target = directory.create_account(
        db,
        email=f"target@{tenant.domain}",
        organization_id=tenant.organization_id,
        password=PASSWORD,
    )
    device = app_passwords.create(db, email=tenant.user, name="Own phone")
    calendar_service.ensure_defaults(db, email=tenant.user)
    slug = calendar_service.list_calendars(db, email=tenant.user)[0].slug
    share = sharing.share_calendar(
        db, owner_email=tenant.user, slug=slug, grantee_email=target.email, access="read"
    )
    db.commit()
    return {
        "account_id": str(target.id),
        "group_id": str(tenant.group_id),
        "domain_id": str(spare.id),
        "organization_id": str(tenant.organization_id),
        "app_password_id": str(device.app_password.id),
        "share_id": str(share.id),
        "path": "INBOX",
    }


def _plausible(
    db: Session, mailstack: MailStackInfo, tenant: Tenant, user: TestClient, token: str
) -> dict[str, str]:
    """Values that reach the attacker's own message (INBOX uid 1) and file, so that a hostile
    value in one field meets real objects in the others."""
    deliver(mailstack.settings, tenant.user, make_message(to=tenant.user, subject="Sweep"))
    response = user.post(
        "/files/upload",
        params={"s": "home", "p": "", "name": "sweep-own.txt"},
        content=b"mine",
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code < 400, response.text[:300]
    node = db.scalar(select(FileNode).where(FileNode.name == "sweep-own.txt"))
    assert node is not None
    return {
        "token": _upload_link(db, user, token),
        "share": "0",  # not the upload link (id 1): revoking it would close /s/{token} to the sweep
        "folder": "INBOX",
        "uid": "1",
        "id": str(node.id),
        "s": "home",
        "p": "",
        "email": f"target@{tenant.domain}",
        "member": f"target@{tenant.domain}",
        "destination": f"target@{tenant.domain}",
        "address": f"sweep@{tenant.domain}",
        "to": f"target@{tenant.domain}",
        "name": "Sweep",
        "access": "read",
        "language": "en",
        "timezone": "UTC",
        "calendar_system": "gregorian",
        "password": "Sweep-pass-1234",
    }


def _victim_file(app: FastAPI, db: Session, tenant: Tenant) -> int:
    """A file in the victim's home, uploaded through the victim's own login."""
    client, token = _signed_in(app, tenant.user)
    response = client.post(
        "/files/upload",
        params={"s": "home", "p": "", "name": "victim-secret.txt"},
        content=b"secret",
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code < 400
    node = db.scalar(select(FileNode).where(FileNode.name == "victim-secret.txt"))
    assert node is not None
    return node.id


def _upload_link(db: Session, user: TestClient, token: str) -> str:
    """The token of an upload link to a folder of the attacker: /s/{token} routes reach it."""
    header = {"X-CSRF-Token": token}
    made = user.post("/files/folder", data={"name": "sweep-drop"}, headers=header)
    assert made.status_code < 400
    folder = db.scalar(select(FileNode).where(FileNode.name == "sweep-drop"))
    assert folder is not None
    shared = user.post("/files/share", data={"id": folder.id, "mode": "upload"}, headers=header)
    match = re.search(r"/s/([A-Za-z0-9_-]+)", shared.text)
    assert shared.status_code == 200 and match is not None, shared.text[:300]
    return match.group(1)


def _signed_in(app: FastAPI, email: str) -> tuple[TestClient, str]:
    # Its own client address: failed logins of the sweep throttle nobody else.
    client = TestClient(
        app,
        base_url="http://testserver",
        raise_server_exceptions=False,
        client=("192.0.2.80", 50000),
    )
    response = login(client, email, PASSWORD)
    assert response.status_code == 303, email  # type: ignore[attr-defined]
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/settings").text)
    assert match is not None
    return client, match.group(1)


@pytest.fixture(scope="module")
def sweep(mailstack: MailStackInfo, sweep_db: Session) -> Iterator[Sweep]:
    """One app, signed in once as a user and once as an organization admin."""
    from app.main import create_app

    attacker = make_tenant(sweep_db)
    victim = _make_victim(sweep_db)
    own = _own_objects(sweep_db, attacker)
    # Small upload limits, so that a body over them stays cheap to send.
    limits = {"files_max_upload_bytes": UPLOAD_LIMIT, "max_attachment_bytes": UPLOAD_LIMIT}
    app = create_app(mailstack.settings.model_copy(update=limits))
    victim.file_id = _victim_file(app, sweep_db, victim.tenant)
    with TestClient(app, raise_server_exceptions=False, client=("192.0.2.81", 50000)) as anon:
        user, user_token = _signed_in(app, attacker.user)
        admin, admin_token = _signed_in(app, attacker.admin)
        anon.get("/login")
        anon_token = re.search(r'name="csrf_token" value="([^"]+)"', anon.get("/login").text)
        assert anon_token is not None
        plausible = _plausible(sweep_db, mailstack, attacker, user, user_token)
        yield Sweep(
            app=app,
            user=user,
            admin=admin,
            anon=anon,
            tokens={USER: user_token, ADMIN: admin_token, ANON: anon_token.group(1)},
            attacker=attacker,
            victim=victim,
            own=own,
            plausible=plausible,
        )


def test_every_route_is_known_to_the_sweep(sweep: Sweep) -> None:
    """A new route must be added to ROUTES (say who may call it), not silently skipped."""
    found = {(r.method, r.path) for r in app_routes(sweep.app)}
    assert found - ROUTES.keys() == set(), "routes the sweep does not know"
    assert ROUTES.keys() - found == set(), "routes the sweep knows that are gone"
    assert not any(path.startswith(("/dav", "/webdav")) for _m, path in found)


def _client(sweep: Sweep, who: str) -> TestClient:
    return {USER: sweep.user, ADMIN: sweep.admin, ANON: sweep.anon}[who]


def _url(route: Route, params: dict[str, str]) -> str:
    path = route.path.replace("{path:path}", "{path}")
    return path.format(**{name: params.get(name, "1") for name in route.path_params})


def _default_params(sweep: Sweep, route: Route) -> dict[str, str]:
    own = {**sweep.own, "token": sweep.plausible["token"]}
    return {name: own.get(name, "1") for name in route.path_params}


def _check(sweep: Sweep, label: str, response: Any, *, refuse: bool = False) -> None:
    sweep.sent += 1
    status = response.status_code
    if status >= 500:
        sweep.failures.append(f"{label}: {status}")
    elif refuse and not 400 <= status < 500:
        sweep.failures.append(f"{label}: {status}, expected a refusal")
    elif 400 <= status < 500 and not response.content:
        sweep.failures.append(f"{label}: {status} with an empty body")


def _stream(sweep: Sweep, client: TestClient, url: str) -> int:
    """Call an endless route raw: the status of its head, then the browser goes away."""
    raw_path, _, query = url.partition("?")
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("192.0.2.80", 50000),
        "root_path": "",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode("latin-1"),
        "headers": [(b"host", b"testserver"), (b"cookie", cookie.encode("latin-1"))],
    }
    status: list[int] = []
    sent_body = False

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": b"", "more_body": False}
        if not status:
            await asyncio.sleep(0.05)
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    async def run() -> None:
        await asyncio.wait_for(sweep.app(scope, receive, send), timeout=20)

    asyncio.run(run())
    return status[0]


class _Status:
    def __init__(self, status: int) -> None:
        self.status_code = status
        self.content = b"x"


def _sweep_get(sweep: Sweep, route: Route, spec: Spec) -> None:
    client = _client(sweep, spec.who)
    base = _url(route, _default_params(sweep, route))

    def get(label: str, url: str, headers: dict[str, str] | None = None) -> None:
        if spec.stream:
            response: Any = _Status(_stream(sweep, client, url))
        else:
            response = client.get(url, follow_redirects=False, headers=headers)
        _check(sweep, f"GET {url[:120]} [{label}]", response)

    if not spec.stream:
        get("missing", base)
        # htmx and script requests take other branches (fragments, JSON)
        get("htmx", base, {"HX-Request": "true"})
        get("json", base, {"Accept": "application/json"})
        if route.query:
            crlf = "&".join(f"{q}={_quote(VALUES['crlf'])}" for q in route.query)
            get("htmx crlf", f"{base}?{crlf}", {"HX-Request": "true"})
    for name, value in VALUES.items():
        if route.query:
            # a URL is at most 64 kB on the wire (h11, httpx): long values share that budget
            value = value[: 60_000 // len(route.query)]
            query = "&".join(f"{q}={_quote(value)}" for q in route.query)
            get(name, f"{base}?{query}")
    if len(route.query) > 1:
        for name in route.query:
            for label in PER_FIELD:
                others = [q for q in route.query if q != name]
                query = "&".join(f"{q}={_quote(sweep.plausible.get(q, '1'))}" for q in others)
                get(f"{name}={label}", f"{base}?{query}&{name}={_quote(VALUES[label][:60_000])}")
    if route.query:
        get("bad utf-8", base + "?" + "&".join(f"{q}={BAD_UTF8_QUERY}" for q in route.query))
    for name in route.path_params:
        for value in PATH_VALUES:
            get(f"path {name}", _url(route, {**_default_params(sweep, route), name: value}))


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _sweep_post(sweep: Sweep, route: Route, spec: Spec) -> None:
    client = _client(sweep, spec.who)
    token = sweep.tokens[spec.who]
    fields = route.form + spec.fields
    base = _url(route, _default_params(sweep, route))
    some = {name: "x" for name in fields} or {"x": "x"}

    def post(label: str, url: str, *, refuse: bool = False, **kwargs: Any) -> None:
        response = client.post(url, follow_redirects=False, **kwargs)
        _check(sweep, f"POST {url[:120]} [{label}]", response, refuse=refuse)
        if refuse and response.status_code != 403:
            sweep.failures.append(f"POST {url} [{label}]: {response.status_code}, expected 403")

    # No token, a wrong token, a token only in a JSON body: all refused with 403.
    post("no token", base, refuse=True, data=some)
    post("wrong token", base, refuse=True, data={**some, "csrf_token": "forged"})
    post("wrong header", base, refuse=True, data=some, headers={"X-CSRF-Token": "forged"})
    post("json token", base, refuse=True, json={**some, "csrf_token": token})
    post("empty token", base, refuse=True, data={**some, "csrf_token": ""})
    header = {"X-CSRF-Token": token}
    post("empty body", base, headers=header)
    for name, value in VALUES.items():
        post(name, base, data={f: value for f in fields} or {"x": value}, headers=header)
    # One field at a time, the others plausible: a refusal of one field must not hide another.
    if len(fields) > 1:
        for name in fields:
            for label in PER_FIELD:
                data = {**{f: sweep.plausible.get(f, "1") for f in fields}, name: VALUES[label]}
                post(f"{name}={label}", base, data=data, headers=header)
    raw = b"&".join(f.encode() + b"=" + BAD_UTF8_FORM for f in fields) or b"x=" + BAD_UTF8_FORM
    post(
        "bad utf-8",
        base,
        content=raw,
        headers={**header, "Content-Type": "application/x-www-form-urlencoded"},
    )
    post("json", base, json=some, headers=header)
    data = {f: VALUES["crlf"] for f in fields} or {"x": "x"}
    post("htmx crlf", base, data=data, headers={**header, "HX-Request": "true"})
    post("accept json crlf", base, data=data, headers={**header, "Accept": "application/json"})
    post("text/plain", base, content=b"x=1", headers={**header, "Content-Type": "text/plain"})
    post("no content-type", base, content=b"\x00\xff" * 10, headers=header)
    post(
        "broken multipart",
        base,
        content=b"--zz\r\nContent-Disposition: form-data\r\n\r\n\xff",
        headers={**header, "Content-Type": "multipart/form-data; boundary=zz"},
    )
    post(
        "multipart no boundary",
        base,
        content=b"x",
        headers={**header, "Content-Type": "multipart/form-data"},
    )
    post(
        "multipart",
        base,
        data={f: "x" for f in fields},
        files={"file": ("../../x\r\n.txt", b"hello", "text/plain")},
        headers=header,
    )
    for name in route.path_params:
        for value in PATH_VALUES:
            url = _url(route, {**_default_params(sweep, route), name: value})
            post(f"path {name}", url, data=some, headers=header)


def _sweep_victim_ids(sweep: Sweep, route: Route, spec: Spec) -> None:
    """Another organization's objects in path parameters, and another user's file as ``id``
    in the query or form, are refused (4xx)."""
    client = _client(sweep, spec.who)
    header = {"X-CSRF-Token": sweep.tokens[spec.who]}
    fields = route.query if route.method == "GET" else route.form
    if "id" in fields and spec.who == USER:
        values = {f: sweep.plausible.get(f, "1") for f in fields}
        values["id"] = str(sweep.victim.file_id)
        if route.method == "GET":
            response = client.get(route.path, params=values, follow_redirects=False)
        else:
            response = client.post(route.path, data=values, headers=header, follow_redirects=False)
        _check(sweep, f"{route.method} {route.path} [victim file id]", response, refuse=True)
    for name in route.path_params:
        if name not in sweep.victim.ids:
            continue
        url = _url(route, {**_default_params(sweep, route), name: sweep.victim.ids[name]})
        if route.method == "GET":
            response = client.get(url, follow_redirects=False)
        else:
            response = client.post(url, data={"x": "x"}, headers=header, follow_redirects=False)
        _check(sweep, f"{route.method} {url} [victim {name}]", response, refuse=True)


def _last_at_the_end(route: Route) -> int:
    key = (route.method, route.path)
    return LAST.index(key) + 1 if key in LAST else 0


def test_no_route_answers_hostile_input_with_a_server_error(
    sweep: Sweep, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="hamkar.web")
    routes = sorted(
        app_routes(sweep.app),
        key=lambda r: (r.method, r.path) in LAST and LAST.index((r.method, r.path)) + 1,
    )
    for route in routes:
        spec = ROUTES[(route.method, route.path)]
        if route.method == "GET":
            _sweep_get(sweep, route, spec)
        else:
            _sweep_post(sweep, route, spec)
        _sweep_victim_ids(sweep, route, spec)
        if (route.method, route.path) == ("POST", "/login"):
            # the signed-in users are still signed in: nothing above ended their sessions
            assert sweep.user.get("/settings", follow_redirects=False).status_code == 200
            assert sweep.admin.get("/admin/accounts", follow_redirects=False).status_code == 200
    crashes = [r.getMessage() + "\n" + (r.exc_text or "")[-600:] for r in caplog.records]
    assert not sweep.failures, "\n".join(sweep.failures[:80]) + "\n\n" + "\n".join(crashes[:10])
    print(f"route sweep: {sweep.sent} requests")
    assert sweep.sent > 20 * len(routes)
    _assert_victim_untouched(sweep)


def _assert_victim_untouched(sweep: Sweep) -> None:
    victim = sweep.victim
    engine = make_engine(sweep.app.state.hamkar.settings)
    with make_session_factory(engine)() as db:
        user = db.get(Account, victim.tenant.user_id)
        assert user is not None and user.enabled and user.deleted_at is None
        assert user.display_name == victim.display_name
        admin = directory.find_account(db, email=victim.tenant.admin)
        assert admin is not None and admin.enabled
        assert db.get(MailGroup, victim.tenant.group_id) is not None
        assert db.get(Domain, victim.tenant.domain_id) is not None
        devices = app_passwords.list_for(db, email=victim.tenant.user)
        assert [d.id for d in devices] == [victim.app_password_id]
        share = db.scalar(select(CalendarShare).where(CalendarShare.id == victim.share_id))
        assert share is not None
        node = db.get(FileNode, victim.file_id)
        assert node is not None and node.trashed_at is None and node.name == "victim-secret.txt"
    engine.dispose()


def _filenames(marker: str) -> list[str]:
    return [
        f"../../../{marker}.txt",
        f"..\\..\\{marker}.txt",
        f"/tmp/{marker}.txt",
        f"%2e%2e%2f{marker}.txt",
        f"{marker}\x00.txt",
        f"{marker}\r\nX-Injected: 1.txt",
        f"\u202e{marker}txt.exe",
        f"{marker}" + "a" * 10_000 + ".txt",
        "..",
        ".",
        "",
        " ",
    ]


def test_uploads_with_hostile_names_sizes_and_parts(
    sweep: Sweep, mailstack: MailStackInfo, caplog: pytest.LogCaptureFixture
) -> None:
    """Compose attachments and file uploads: path tricks in names, too many parts, a body over
    the limit, a broken multipart. Never a 5xx; nothing is written outside the data directory."""
    caplog.set_level(logging.ERROR, logger="hamkar.web")
    client = sweep.user
    if client.get("/settings", follow_redirects=False).status_code != 200:  # the sweep logged out
        assert login(client, sweep.attacker.user, PASSWORD).status_code == 303  # type: ignore[attr-defined]
        match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/settings").text)
        assert match is not None
        sweep.tokens[USER] = match.group(1)
    header = {"X-CSRF-Token": sweep.tokens[USER]}
    marker = "sweep-upload-marker"
    # signed in for real: a traversal name is stored under its last part
    response = client.post(
        "/mail/compose/attachments",
        files={"file": (f"../../{marker}.txt", b"hello", "text/plain")},
        headers=header,
    )
    assert response.status_code == 200 and response.json()["filename"] == f"{marker}.txt"
    # and the upload link works: what the sweep sends to it reaches a live link
    link = f"/s/{sweep.plausible['token']}/upload"
    dropped = sweep.anon.post(
        link,
        files={"files": ("dropped.txt", b"x", "text/plain")},
        headers={"X-CSRF-Token": sweep.tokens[ANON]},
    )
    assert dropped.status_code < 400, dropped.text[:300]
    settings = sweep.app.state.hamkar.settings
    routes = [
        ("/mail/compose/attachments", "file"),
        ("/files/upload?s=home&p=", "files"),
        (f"/s/{sweep.plausible['token']}/upload", "files"),
    ]
    for url, field_name in routes:
        for name in _filenames(marker):
            files = {field_name: (name, b"hello", "text/plain")}
            _check(
                sweep,
                f"POST {url} [name {name[:40]!r}]",
                client.post(url, files=files, headers=header),
            )
        many = [(field_name, (f"{marker}-{i}.txt", b"x", "text/plain")) for i in range(1500)]
        _check(sweep, f"POST {url} [1500 parts]", client.post(url, files=many, headers=header))
        fields = {f"f{i}": "x" for i in range(3000)}
        _check(sweep, f"POST {url} [3000 fields]", client.post(url, data=fields, headers=header))
        huge = b"\0" * (UPLOAD_LIMIT + 1024 * 1024)
        response = client.post(url, files={field_name: ("big.bin", huge, "x/y")}, headers=header)
        _check(sweep, f"POST {url} [over the limit]", response, refuse=True)
        truncated = b'--zz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc'
        content_type = {**header, "Content-Type": "multipart/form-data; boundary=zz"}
        _check(
            sweep,
            f"POST {url} [truncated]",
            client.post(url, content=truncated, headers=content_type),
        )
    # the files page's raw upload takes its name from the query
    for name in _filenames(marker):
        response = client.post(
            "/files/upload",
            params={"s": "home", "p": "", "name": name},
            content=b"hi",
            headers=header,
        )
        _check(sweep, f"POST /files/upload raw [name {name[:40]!r}]", response)
    crashes = [r.getMessage() + "\n" + (r.exc_text or "")[-600:] for r in caplog.records]
    assert not sweep.failures, "\n".join(sweep.failures[:80]) + "\n\n" + "\n".join(crashes[:10])
    data_dir = settings.data_dir.resolve()
    for path in mailstack.directory.rglob(f"*{marker}*"):
        assert data_dir in path.resolve().parents, path
    assert not list(mailstack.directory.parent.glob(f"*{marker}*"))
    assert client.get("/files").status_code == 200
    assert client.get("/mail/compose").status_code == 200


HOSTILE_HEADERS: list[dict[str, str]] = [
    {"Cookie": "hamkar_session=" + "A" * 5000},
    {"Cookie": "hamkar_session=1.2.3; hamkar_csrf=x; hamkar_lang=../../etc"},
    {"Cookie": 'hamkar_session="\\x00\\xff"; =; ;;'},
    {"Accept-Language": "x" * 10_000},
    {"Accept-Language": "fa;q=abc, *;q=-1, en;q=1e999"},
    {"Accept": "\x01\x02"},
    {"HX-Request": "true", "HX-Current-URL": "javascript:alert(1)"},
    {"X-Forwarded-For": "::1, 999.999.1.1, " + "1" * 2000},
]


def test_hostile_headers_on_pages(sweep: Sweep) -> None:
    """Broken cookies, language and proxy headers: a page or a refusal, never a 5xx."""
    client = TestClient(sweep.app, raise_server_exceptions=False, client=("192.0.2.82", 50000))
    for headers in HOSTILE_HEADERS:
        for path in ("/login", "/mail", "/settings?lang=../../x", "/files", "/no-such-page"):
            client.cookies.clear()
            response = client.get(path, headers=headers, follow_redirects=False)
            _check(sweep, f"GET {path} {list(headers)}", response)
        response = client.post("/login", data={"email": "a@b.c"}, headers=headers)
        _check(sweep, f"POST /login {list(headers)}", response, refuse=True)
    assert not sweep.failures, "\n".join(sweep.failures[:80])
