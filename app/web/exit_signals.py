"""End the live mail streams as soon as the server is told to stop.

uvicorn waits for every running request before it stops, and a live mail view (Server-Sent
Events) never finishes by itself: a restart would hang until the graceful-shutdown timeout
and then cancel the streams mid-write. ASGI tells an app nothing until its connections are
closed, so the process's exit signals are chained instead: the streams end at once and the
browsers reconnect to the new server after their retry delay.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from app.mail import live

EXIT_SIGNALS = (signal.SIGINT, signal.SIGTERM)
Handler = Callable[[int, FrameType | None], Any]


def end_live_streams_on_exit(loop: asyncio.AbstractEventLoop) -> None:
    """Put "end every live stream" in front of the exit handlers the server installed.

    Only a server in the main thread owns signals (one started in a thread, as in tests,
    is stopped by its owner instead); the work is handed to ``loop``: a signal handler must
    not take locks the interrupted code may hold.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in EXIT_SIGNALS:
        previous = signal.getsignal(signum)
        if not callable(previous):  # no server handler to chain: the default ends the process
            continue

        def chained(number: int, frame: FrameType | None, previous: Handler = previous) -> None:
            loop.call_soon_threadsafe(live.STREAMS.end_all)
            previous(number, frame)

        signal.signal(signum, chained)
