"""Only local paths may follow a login (no open redirect)."""

from __future__ import annotations

import pytest

from app.auth.views import safe_next


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil",
        "javascript:alert(1)",
        "/login",
        "/logout",
        "/mail\r\nSet-Cookie: x=y",
        "mail",
        "http:/evil",
    ],
)
def test_hostile_targets_fall_back_to_mail(target: str | None) -> None:
    assert safe_next(target) == "/mail"


@pytest.mark.parametrize("target", ["/mail", "/calendar?view=week", "/mail/INBOX/12#x", "/%0d%0aX"])
def test_local_paths_are_kept(target: str) -> None:
    assert safe_next(target) == target
