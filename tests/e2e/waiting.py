"""Waiting for a concrete state in a browser test, never for a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

# Generous: CI machines are slow and loaded; a state that comes never costs this long.
PATIENCE = 30.0


def until(page: Any, check: Callable[[], object], timeout: float = PATIENCE) -> None:
    """Poll ``check`` until it is true; waiting through Playwright lets the page's events
    (and the test's own listeners) run meanwhile."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out after {timeout} s"
        page.wait_for_timeout(100)


class Requests:
    """The requests a page made to URLs containing ``part``, and how many have ended."""

    def __init__(self, page: Any, part: str) -> None:
        self.started: list[Any] = []
        self.ended: list[Any] = []
        page.on("request", lambda r: self.started.append(r) if part in r.url else None)
        for event in ("requestfinished", "requestfailed"):
            page.on(event, lambda r: self.ended.append(r) if part in r.url else None)

    def settled(self) -> bool:
        """True when every request seen so far has its answer (or failed)."""
        return len(self.ended) == len(self.started)
