"""Imports every domain's tables so that ``Base.metadata`` is complete (for Alembic)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

_APP_DIR = Path(__file__).resolve().parent


def domain_model_modules() -> list[str]:
    """Every ``app.<domain>.models`` module, found on disk (no list to keep in sync)."""
    return sorted(
        f"app.{info.name}.models"
        for info in pkgutil.iter_modules([str(_APP_DIR)])
        if info.ispkg and (_APP_DIR / info.name / "models.py").exists()
    )


def import_all_models() -> None:
    """Register every table with the shared metadata."""
    for module in domain_model_modules():
        importlib.import_module(module)
