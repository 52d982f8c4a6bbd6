"""Makes a message's HTML safe to show: nh3 (ammonia) cleaning plus URL rewriting.

Defence in depth: this cleaning removes scripts, event handlers, forms, frames, ``<base>``,
``<meta>`` and dangerous URLs; the body is then shown in an iframe sandboxed without scripts
or same-origin, served with its own CSP (``body_csp``) that allows no script, no connection
and, until the reader allows them, no remote images or styles.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import nh3

_TAGS = {
    "a", "abbr", "address", "b", "bdi", "bdo", "big", "blockquote", "br", "caption", "center",
    "cite", "code", "col", "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em", "font",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol",
    "p", "pre", "q", "s", "samp", "small", "span", "strike", "strong", "style", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var", "wbr",
}  # fmt: skip
_GENERIC = {
    "align",
    "bgcolor",
    "class",
    "dir",
    "lang",
    "style",
    "title",
    "valign",
    "width",
    "height",
}
_ATTRIBUTES = {
    "*": _GENERIC,
    "a": {"href", "name"},
    "img": {"src", "alt", "border", "hspace", "vspace"},
    "font": {"color", "face", "size"},
    "table": {"border", "cellpadding", "cellspacing"},
    "td": {"colspan", "rowspan", "nowrap"},
    "th": {"colspan", "rowspan", "nowrap"},
    "col": {"span"},
    "ol": {"start", "type"},
}
_PAGE_ATTRIBUTES = {tag: names - {"style", "class"} for tag, names in _ATTRIBUTES.items()}
_SCHEMES = {"http", "https", "mailto", "tel", "cid", "data"}
_DATA_IMAGE = re.compile(r"^data:image/(png|gif|jpeg|webp|bmp);base64,[a-z0-9+/=\s]*$", re.I)
_REMOTE = re.compile(r"^\s*(https?:)?//", re.I)
_CSS_REMOTE = re.compile(r"url\s*\(\s*['\"]?\s*(https?:)?//[^)]*\)|@import[^;]*;", re.I)
MAX_INLINE_IMAGES_BYTES = 10 * 1024 * 1024


@dataclass
class CleanBody:
    """A sanitized HTML body and whether it wanted remote content."""

    html: str
    has_remote: bool = False
    used_cids: set[str] = field(default_factory=set)


def clean_html(
    source: str,
    *,
    inline_images: dict[str, tuple[str, bytes]],
    allow_remote: bool,
    for_page: bool = False,
) -> CleanBody:
    """Sanitize ``source``; ``cid:`` images become data URLs from ``inline_images``.

    ``for_page`` is for HTML placed in one of Hamkar's own pages (the print view) rather
    than in the sandboxed frame: no styles and no classes at all, so the mail can neither
    restyle nor imitate the page around it, and never remote content.
    """
    allow_remote = allow_remote and not for_page
    result = CleanBody(html="")
    budget = [MAX_INLINE_IMAGES_BYTES]

    def rewrite(tag: str, attribute: str, value: str) -> str | None:
        if attribute == "style" or tag == "style":
            return _clean_css(value, result, allow_remote)
        if attribute not in {"src", "href"}:
            return value
        if tag == "img" and attribute == "src":
            return _image_source(value, inline_images, result, allow_remote, budget)
        if value.strip().lower().startswith(("data:", "cid:")):
            return None  # no navigation to data: documents
        return value

    dropped = {"script", "noscript", "title", "template", "textarea", "select"}
    cleaned = nh3.clean(
        source,
        tags=_TAGS - {"style"} if for_page else _TAGS,
        clean_content_tags=dropped | {"style"} if for_page else dropped,
        attributes=_PAGE_ATTRIBUTES if for_page else _ATTRIBUTES,
        attribute_filter=rewrite,
        url_schemes=_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )
    result.html = _clean_style_elements(cleaned, result, allow_remote)
    return result


def _image_source(
    value: str,
    inline_images: dict[str, tuple[str, bytes]],
    result: CleanBody,
    allow_remote: bool,
    budget: list[int],
) -> str | None:
    lowered = value.strip().lower()
    if lowered.startswith("cid:"):
        found = inline_images.get(value.strip()[4:].strip("<>"))
        if found is None or len(found[1]) > budget[0]:
            return None
        budget[0] -= len(found[1])
        result.used_cids.add(value.strip()[4:].strip("<>"))
        return f"data:{found[0]};base64,{base64.b64encode(found[1]).decode()}"
    if lowered.startswith("data:"):
        return value if _DATA_IMAGE.match(value.strip()) else None
    if _REMOTE.match(value):
        result.has_remote = True
        return value if allow_remote else None
    return None  # relative URLs would point at Hamkar itself


def _clean_css(value: str, result: CleanBody, allow_remote: bool) -> str:
    if _CSS_REMOTE.search(value):
        result.has_remote = True
        if not allow_remote:
            return _CSS_REMOTE.sub("", value)
    return value


_STYLE_ELEMENT = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.I | re.S)


def _clean_style_elements(markup: str, result: CleanBody, allow_remote: bool) -> str:
    def fix(match: re.Match[str]) -> str:
        return match.group(1) + _clean_css(match.group(2), result, allow_remote) + match.group(3)

    return _STYLE_ELEMENT.sub(fix, markup)


def body_document(body: str, *, lang_dir: str = "auto") -> str:
    """A complete HTML document around a sanitized body, for the sandboxed iframe."""
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        "<style>body{margin:0;padding:12px;font-family:Vazirmatn,system-ui,sans-serif;"
        "line-height:1.5;overflow-wrap:anywhere}img{max-width:100%;height:auto}</style>"
        f'</head><body dir="{html.escape(lang_dir)}">{body}</body></html>'
    )


def body_csp(*, allow_remote: bool) -> str:
    """The iframe document's own policy: no script ever; remote images only when allowed."""
    remote = " https: http:" if allow_remote else ""
    return "; ".join(
        [
            "default-src 'none'",
            f"img-src data:{remote}",
            f"style-src 'unsafe-inline'{remote}",
            "font-src data:",
            "script-src 'none'",
            "form-action 'none'",
            "base-uri 'none'",
            "frame-ancestors 'self'",
            "sandbox allow-popups allow-popups-to-escape-sandbox",
        ]
    )


_URL = re.compile(r"\b(https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]}])", re.I)


def linkify_text(text: str, escape: Callable[[str], str] = html.escape) -> str:
    """Plain text as HTML: escaped, with http(s) links made clickable."""
    out: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        out.append(escape(text[last : match.start()]))
        url = match.group(1)
        out.append(
            f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer nofollow">'
            f"{escape(url)}</a>"
        )
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)
