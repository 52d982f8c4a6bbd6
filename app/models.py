"""Imports every domain's tables so that ``Base.metadata`` is complete (for Alembic)."""

from __future__ import annotations

import importlib

DOMAIN_MODELS = ("app.auth.models", "app.directory.models")


def import_all_models() -> None:
    """Register every table with the shared metadata."""
    for module in DOMAIN_MODELS:
        importlib.import_module(module)
