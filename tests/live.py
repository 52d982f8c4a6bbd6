"""A real Hamkar served by uvicorn on a free loopback port, for protocol clients."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from app.settings import Settings
from tests.conftest import free_port


@contextmanager
def serve(settings: Settings) -> Iterator[str]:
    """Run the app in a thread; yields its base URL."""
    from app.main import create_app

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app = create_app(settings.model_copy(update={"base_url": base_url}))
    # h11, as `hamkar serve` runs: it keeps a #fragment in the Request-URI for /webdav/ to refuse.
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", http="h11")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
