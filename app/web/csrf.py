"""CSRF protection for every state-changing request made with the session cookie.

The token is an HMAC of the session (or, before login, of a random anonymous cookie) under the
app secret, so it cannot be guessed or planted from another site. Forms send it as the
``csrf_token`` field (the first field of multipart forms), htmx and scripts as the
``X-CSRF-Token`` header. Cross-site requests (``Sec-Fetch-Site``/``Origin``) are refused too.
DAV paths are exempt: they authenticate with HTTP Basic, never with the cookie.
"""

from __future__ import annotations

import hmac
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.secrets import SessionToken, keyed_digest

SESSION_COOKIE = "hamkar_session"
ANON_COOKIE = "hamkar_csrf"
HEADER = "x-csrf-token"
FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
EXEMPT_PREFIXES = ("/dav/", "/webdav/", "/.well-known/", "/healthz", "/readyz", "/static/")
MAX_FORM_BYTES = 2 * 1024 * 1024
MULTIPART_PEEK_BYTES = 8192


def read_cookies(scope: Scope) -> dict[str, str]:
    """The request's cookies by name."""
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: S112 - a malformed cookie header is ignored, not fatal
                continue
    return {key: morsel.value for key, morsel in jar.items()}


def expected_token(secret: bytes, cookies: dict[str, str], anon_value: str | None) -> str | None:
    """The token this browser must send back, bound to its session or anonymous cookie."""
    token = SessionToken.parse(cookies.get(SESSION_COOKIE, ""))
    if token is not None:
        return keyed_digest(secret, "csrf-session", token.row_id)
    if anon_value:
        return keyed_digest(secret, "csrf-anon", anon_value)
    return None


class CSRFMiddleware:
    """Refuses unsafe requests without a valid token; exposes the token as ``state.csrf_token``."""

    def __init__(
        self, app: ASGIApp, *, secret: bytes, secure_cookies: bool, refusal: ASGIApp | None = None
    ) -> None:
        self.app = app
        self.refusal = refusal  # renders the "request refused" page; a bare one if None
        self.secret = secret
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _exempt(scope["path"]):
            # DAV clients and probes never use the token: no anonymous cookie for them either
            await self.app(scope, receive, send)
            return
        cookies = read_cookies(scope)
        anon_value = cookies.get(ANON_COOKIE)
        new_anon = None
        if not anon_value or len(anon_value) > 100:
            anon_value = new_anon = secrets.token_urlsafe(32)
        expected = expected_token(self.secret, cookies, anon_value)
        scope.setdefault("state", {})["csrf_token"] = expected
        if scope["method"] not in SAFE_METHODS:
            ok, receive = await self._verify(scope, receive, expected)
            if not ok:
                await (self.refusal or _forbidden)(scope, receive, send)
                return
        if new_anon is not None:
            send = self._with_cookie(send, new_anon)
        await self.app(scope, receive, send)

    async def _verify(
        self, scope: Scope, receive: Receive, expected: str | None
    ) -> tuple[bool, Receive]:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if headers.get("sec-fetch-site") == "cross-site" or not _same_origin(headers):
            return False, receive
        sent = headers.get(HEADER)
        if sent is None:
            sent, receive = await _token_from_body(headers.get("content-type", ""), receive)
        valid = bool(expected and sent and hmac.compare_digest(sent, expected))
        return valid, receive

    def _with_cookie(self, send: Send, value: str) -> Send:
        flags = "Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure_cookies else "")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = f"{ANON_COOKIE}={value}; {flags}".encode("latin-1")
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
            await send(message)

        return send_with_cookie


def _exempt(path: str) -> bool:
    return path.startswith(EXEMPT_PREFIXES)


def _same_origin(headers: dict[str, str]) -> bool:
    origin = headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == headers.get("host", "")


async def _token_from_body(content_type: str, receive: Receive) -> tuple[str | None, Receive]:
    """Find the token in a form body, then replay what was read to the app."""
    media = content_type.split(";")[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        body, more = await _read(receive, MAX_FORM_BYTES)
        values = parse_qs(body.decode("latin-1"), max_num_fields=1000).get(FIELD)
        return (values[0] if values else None), _replay(body, more, receive)
    if media == "multipart/form-data":
        boundary = _boundary(content_type)
        head, more = await _read(receive, MULTIPART_PEEK_BYTES)
        token = _first_multipart_field(head, boundary) if boundary else None
        return token, _replay(head, more, receive)
    return None, receive


async def _read(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """Read up to ``limit`` bytes of the body; returns them and whether more follows."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        more = bool(message.get("more_body"))
        if not more or size >= limit:
            return b"".join(chunks), more


def _replay(prefix: bytes, more: bool, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": prefix, "more_body": more}
        return await receive()

    return replay


def _boundary(content_type: str) -> bytes | None:
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary" and value:
            return value.strip('"').encode("latin-1")
    return None


def _first_multipart_field(head: bytes, boundary: bytes) -> str | None:
    delimiter = b"--" + boundary
    if not head.startswith(delimiter):
        return None
    part = head[len(delimiter) :].lstrip(b"\r\n")
    headers, _, rest = part.partition(b"\r\n\r\n")
    if f'name="{FIELD}"'.encode() not in headers:
        return None
    value, found, _ = rest.partition(b"\r\n" + delimiter)
    return value.decode("latin-1").strip() if found else None


async def _forbidden(_scope: Scope, _receive: Receive, send: Send) -> None:
    body = (
        b"<!doctype html><meta charset=utf-8><title>Request refused</title>"
        b"<h1>Request refused</h1><p>This form has expired or did not come from Hamkar. "
        b"Go back, reload the page and try again.</p>"
    )
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
