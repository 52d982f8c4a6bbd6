"""Jinja2 environment and page rendering (the only place templates are rendered from)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from starlette.responses import HTMLResponse

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates"


@pass_context
def _gettext(context: Context, message: str) -> str:
    return str(context["i18n"].gettext(message))


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return str(context["i18n"].ngettext(singular, plural, n))


def make_environment(templates_dir: Path = TEMPLATES_DIR) -> Environment:
    """The Jinja2 environment: autoescaping, strict undefined, per-request translations."""
    env = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    return env


def render_html(
    env: Environment,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a template into an HTML response."""
    body = env.get_template(template).render(context)
    return HTMLResponse(body, status_code=status_code, headers=headers)
