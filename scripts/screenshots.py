"""Refresh the README's screenshots: serve Hamkar, sign in as alice in headless Chromium.

Run through `make screenshots` (it starts the mail stack and creates the demo first).
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from app.main import create_app
from app.settings import Settings

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
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
SHOTS = [
    ("login-en.png", "/login?lang=en", False),
    ("mail-en.png", "/mail?lang=en", True),
    ("mail-fa.png", "/mail?lang=fa", True),
    ("settings-fa.png", "/settings?lang=fa", True),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    """Take every screenshot in SHOTS into docs/screenshots/."""
    settings = Settings()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1100, "height": 640})
        for name, path, signed_in in SHOTS:
            if signed_in and "/login" in page.url:
                page.fill("#email", "alice@example.com")
                page.fill("#password", settings.demo_password.get_secret_value())
                page.click("button[type=submit]")
                page.wait_for_url(lambda url: "/login" not in url)  # the POST's own navigation
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / name))
            print(f"wrote {OUT / name}")
        browser.close()
    server.should_exit = True


if __name__ == "__main__":
    main()
