"""HTML cleaning, the iframe policy and plain-text links."""

from __future__ import annotations

import pytest

from app.mail.sanitize import body_csp, clean_html, linkify_text


def _clean(html: str, allow_remote: bool = False) -> str:
    return clean_html(html, inline_images={}, allow_remote=allow_remote).html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        '<a href="data:text/html,alert(1)">x</a>',
        "<svg><script>alert(1)</script></svg>",
        '<base href="http://evil/">',
        '<meta http-equiv="refresh" content="0;url=http://evil">',
        '<form action="http://evil"><input></form>',
        '<iframe src="http://evil"></iframe>',
        '<object data="http://evil"></object>',
    ],
)
def test_hostile_markup_is_removed(hostile: str) -> None:
    cleaned = _clean(hostile).lower()
    for needle in (
        "<script",
        "onerror",
        "javascript:",
        "data:text",
        "<base",
        "<meta",
        "<form",
        "<iframe",
        "<object",
        "evil",
    ):
        assert needle not in cleaned, (hostile, cleaned)


def test_remote_content_is_blocked_until_allowed() -> None:
    html = '<img src="https://t.example/p.gif"><div style="background:url(https://t.example/b.png)">x</div>'
    blocked = clean_html(html, inline_images={}, allow_remote=False)
    assert blocked.has_remote and "t.example" not in blocked.html
    assert "t.example/p.gif" in _clean(html, allow_remote=True)


def test_cid_images_are_embedded() -> None:
    result = clean_html(
        '<img src="cid:logo@x">',
        inline_images={"logo@x": ("image/png", b"\x89PNG")},
        allow_remote=False,
    )
    assert 'src="data:image/png;base64,iVBORw=="' in result.html


def test_links_open_outside_the_sandbox_without_referrer() -> None:
    assert 'target="_blank"' in _clean('<a href="https://ok.example/">ok</a>')
    assert "noreferrer" in _clean('<a href="https://ok.example/">ok</a>')


def test_body_policy_allows_no_script() -> None:
    policy = body_csp(allow_remote=False)
    assert "default-src 'none'" in policy and "script-src 'none'" in policy
    assert "http" not in policy
    assert "https:" in body_csp(allow_remote=True)


def test_plain_text_links_are_clickable_and_escaped() -> None:
    html = linkify_text("see https://example.org/a?b=1&c=2. <b>no</b>")
    assert '<a href="https://example.org/a?b=1&amp;c=2"' in html
    assert "&lt;b&gt;" in html and html.count("<a ") == 1
