"""Foundation benchmark: sign-in, a signed-in shell page, and static files, over real HTTP.

Run: `.venv/bin/python -m bench.shell` (as root: it starts its own mail stack on ports +8000).
"""

from __future__ import annotations

import re

import httpx

from app.migrate import upgrade
from bench.common import BENCH_PASSWORD, bench_environment, live_server, report, timed

ROUNDS = 200


def _login(client: httpx.Client) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    response = client.post(
        "/login",
        data={"email": "alice@example.com", "password": BENCH_PASSWORD, "csrf_token": token[1]},
    )
    assert response.status_code == 303, response.status_code


def main() -> None:
    """Print the figures."""
    with bench_environment(8000, ("alice@example.com",)) as env:
        upgrade(env.settings)
        with live_server(env.settings) as base:
            with httpx.Client(base_url=base) as anonymous:
                report("GET /login (anonymous)", timed(lambda: anonymous.get("/login"), ROUNDS))
                report(
                    "GET /static/css/app.css",
                    timed(lambda: anonymous.get("/static/css/app.css"), ROUNDS),
                )

            def fresh_login() -> None:
                with httpx.Client(base_url=base) as client:
                    _login(client)

            report("sign in (form + IMAP LOGIN + session)", timed(fresh_login, 30))
            with httpx.Client(base_url=base) as client:
                _login(client)
                report(
                    "GET /mail (signed in, shell page)", timed(lambda: client.get("/mail"), ROUNDS)
                )
                report("GET /healthz", timed(lambda: client.get("/healthz"), ROUNDS))
                report(
                    "GET /readyz (DB + IMAP CAPABILITY)", timed(lambda: client.get("/readyz"), 50)
                )


if __name__ == "__main__":
    main()
