"""``?lang=xx`` on any page: switch the language and remember it in a cookie."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.directory.service import SUPPORTED_LANGUAGES

LANG_COOKIE = "hamkar_lang"


class LanguageSwitchMiddleware:
    """Puts a requested language into ``state.lang_override`` and a long-lived cookie."""

    def __init__(self, app: ASGIApp, *, secure_cookies: bool) -> None:
        self.app = app
        self.flags = "Path=/; Max-Age=31536000; SameSite=Lax" + (
            "; Secure" if secure_cookies else ""
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        lang = (query.get("lang") or [""])[0]
        if lang not in SUPPORTED_LANGUAGES:
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})["lang_override"] = lang
        cookie = f"{LANG_COOKIE}={lang}; {self.flags}".encode("latin-1")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
            await send(message)

        await self.app(scope, receive, send_with_cookie)
