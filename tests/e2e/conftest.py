"""A live Hamkar server and Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from app.settings import Settings
from tests.conftest import free_port

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
    from app.main import create_app

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app = create_app(migrated_settings.model_copy(update={"base_url": base_url}))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    yield base_url
    server.should_exit = True
    thread.join(timeout=10)


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
        yield chromium
        chromium.close()
