"""Clean error bodies for /webdav/: wsgidav's HTML error page carries the Python repr of the
exception behind it ("Source exception: ..."); the client gets the status and a plain reason.

XML error bodies (a precondition, RFC 4918 16) are kept: they hold no exception text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from http import HTTPStatus
from typing import Any

from app.webdav.guard import ALLOW

_REASON = re.compile(rb"<p>(.*?)</p>", re.DOTALL)
_SERVER_FAULT = "Something went wrong on our side; the request changed nothing."


def clean_reason(status: int, page: bytes) -> str:
    """The reason wsgidav wrote into its error page, without the exception behind it."""
    if status == 500:
        return f"{status} {_phrase(status)}: {_SERVER_FAULT}"
    found = _REASON.search(page)
    text = html.unescape(found.group(1).decode("utf-8", "replace")) if found else ""
    # wsgidav appends "\n    Source exception: <repr>" and "\n    Error condition: <repr>".
    first = text.split("\n", 1)[0].strip()
    return first or f"{status} {_phrase(status)}"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class CleanErrors:
    """WSGI middleware: HTML error pages become ``text/plain`` reasons, same status."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        held: dict[str, Any] = {}

        def _start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kind = next((v for k, v in headers if k.lower() == "content-type"), "")
            if int(status[:3]) >= 400 and kind.startswith("text/html"):
                held.update(status=status, headers=headers)
                return lambda _data: None
            return start_response(status, headers, exc_info)

        return self._iterate(self.app(environ, _start), held, start_response)

    def _iterate(self, result: Any, held: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        # wsgidav calls start_response only once its body iterator runs.
        page: list[bytes] = []
        try:
            for chunk in result:
                if held:
                    page.append(chunk)
                else:
                    yield chunk
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if held:
            status = int(held["status"][:3])
            body = clean_reason(status, b"".join(page)).encode()
            kept = [
                (k, v)
                for k, v in held["headers"]
                if k.lower() not in ("content-type", "content-length")
            ]
            if status == 405 and not any(k.lower() == "allow" for k, _v in kept):
                kept.append(("Allow", ALLOW))  # RFC 9110 15.5.6: a 405 names what is allowed
            kept.append(("Content-Type", "text/plain; charset=utf-8"))
            kept.append(("Content-Length", str(len(body))))
            start_response(held["status"], kept)
            yield body
