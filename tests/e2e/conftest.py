"""A live Hamkar server and Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from app.settings import Settings
from tests.live import serve

# Locator expectations wait for the page; a loaded CI machine needs longer than Playwright's 5 s.
EXPECT_TIMEOUT_MS = 20_000
# HAMKAR_E2E_CPU_SLOWDOWN=4 runs every page's scripts four times slower (Chromium's own CPU
# throttling): races a slow CI machine would expose show up here too.
SLOWDOWN = float(os.environ.get("HAMKAR_E2E_CPU_SLOWDOWN") or 1)


class _SlowBrowser:
    """The browser, with every page of every new context CPU-throttled by ``rate``."""

    def __init__(self, browser: Any, rate: float) -> None:
        self._browser = browser
        self._rate = rate

    def new_context(self, **options: Any) -> Any:
        context = self._browser.new_context(**options)
        context.on("page", self._throttle)
        return context

    def _throttle(self, page: Any) -> None:
        session = page.context.new_cdp_session(page)
        session.send("Emulation.setCPUThrottlingRate", {"rate": self._rate})

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def live_server(migrated_settings: Settings) -> Iterator[str]:
    """The real app served by uvicorn on a free loopback port."""
    with serve(migrated_settings, http="auto") as base_url:
        yield base_url


@pytest.fixture(scope="session", autouse=True)
def _patient_expectations() -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless (Playwright's own browser download does not work here).

    Module-scoped: Playwright's sync API keeps an event loop running while it is open, which
    would break ``asyncio.run`` in the tests that follow.
    """
    if shutil.which("chromium") is None:
        pytest.fail(
            "Chromium is missing: install it with `apt-get install chromium` (or run `make deps`).",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium if SLOWDOWN == 1 else _SlowBrowser(chromium, SLOWDOWN)
        chromium.close()
